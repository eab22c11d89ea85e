"""Turn-taking on the caller's audio: when speech starts, which audio belongs to it, when
the caller has finished.

Driven only by stream time (20 ms per frame fed), never by the wall clock, so calls
simulated from files run faster than real time and tests are deterministic.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from voice.audio import FRAME_MS, Framer, frame_bytes
from voice.vad import Vad


@dataclass(frozen=True)
class EndpointConfig:
    """Timings in milliseconds of stream time; each is rounded up to whole 20 ms frames.

    Defaults measured on the shared Mandarin recordings and espeak-ng speech at 8 and 16 kHz
    (see tests/voice/test_endpointing.py).
    """

    # Speech starts when start_ms of the last start_window_ms are voiced: 5 of 7 frames. WebRTC
    # marks one stray voiced frame plus 3 frames of hangover (mode 2), e.g. on the first frame of
    # a noisy line, so 4 frames would start turns on noise; 5 still gives barge-in 100 ms after onset.
    start_ms: int = 100
    start_window_ms: int = 140
    # WebRTC finds pauses of up to 480 ms inside the one-sentence recordings (with white noise
    # at 20 dB SNR; 240 ms clean); the meeting recording pauses 580-1440 ms between phrases.
    end_silence_ms: int = 700
    # A turn whose words are already plainly finished (voice/turn_end.py) ends after this much
    # silence instead; 0 (or not below end_silence_ms) turns that off. Needs partial text.
    early_end_silence_ms: int = 300
    # Shorter bursts (a click, a knock) end as NoiseDiscarded. A one-syllable answer such as
    # 对 lasts about 180-250 ms, and in line noise WebRTC's hangover makes a 40 ms click last 120 ms.
    min_speech_ms: int = 150
    pre_roll_ms: int = 300  # audio kept from before the onset so the first syllable is whole
    max_utterance_ms: int = 15000  # a turn is cut here even if the caller is still talking

    def __post_init__(self) -> None:
        for name in ("start_ms", "start_window_ms", "end_silence_ms", "max_utterance_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"EndpointConfig.{name} must be positive, got {getattr(self, name)!r}")
        for name in ("min_speech_ms", "pre_roll_ms", "early_end_silence_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"EndpointConfig.{name} must not be negative, got {getattr(self, name)!r}")
        if self.start_window_ms < self.start_ms:
            raise ValueError("EndpointConfig.start_window_ms must be at least start_ms")


@dataclass(frozen=True)
class SpeechStarted:
    """Comes out start_ms to start_window_ms after ``at_ms``: the moment to stop playback."""

    at_ms: int  # stream time where the speech began (start of its first voiced frame)


@dataclass(frozen=True)
class SpeechAudio:
    pcm: bytes  # audio of the current utterance, in order: the pre-roll first, then each frame


@dataclass(frozen=True)
class SpeechEnded:
    at_ms: int  # end of the last voiced frame: when the caller stopped talking
    audio: bytes  # the whole utterance: all SpeechAudio of this turn, trailing silence included
    duration_ms: int  # from the onset to at_ms
    forced: bool = False  # cut at max_utterance_ms rather than ended by silence
    early: bool = False  # ended after early_end_silence_ms: the words were a whole turn


@dataclass(frozen=True)
class NoiseDiscarded:
    """A started burst that stayed shorter than min_speech_ms: no turn; resume what was paused."""

    at_ms: int
    duration_ms: int


EndpointEvent = SpeechStarted | SpeechAudio | SpeechEnded | NoiseDiscarded


def _frames(ms: int) -> int:
    return -(-ms // FRAME_MS)


class Endpointer:
    def __init__(
        self,
        sample_rate: int,
        config: EndpointConfig | None = None,
        vad: Vad | None = None,
        turn_is_complete: Callable[[], bool] | None = None,
    ) -> None:
        """``turn_is_complete`` is asked once per pause, after early_end_silence_ms of it."""
        self.config = config or EndpointConfig()
        self.turn_is_complete = turn_is_complete
        self.vad = vad or Vad(sample_rate)
        if getattr(self.vad, "sample_rate", sample_rate) != sample_rate:
            raise ValueError(f"VAD runs at {self.vad.sample_rate} Hz but the endpointer at {sample_rate} Hz")
        self.sample_rate = sample_rate
        self._frame_size = frame_bytes(sample_rate)
        self._framer = Framer(sample_rate)
        self._frame_count = 0
        self._start_frames = _frames(self.config.start_ms)
        self._window = _frames(self.config.start_window_ms)
        self._pre_roll = _frames(self.config.pre_roll_ms)
        self._end_silence = _frames(self.config.end_silence_ms)
        self._early_end_silence = _frames(self.config.early_end_silence_ms)
        self._max_utterance = _frames(self.config.max_utterance_ms)
        self._history: deque[tuple[int, bytes, bool]] = deque(maxlen=self._pre_roll + self._window)
        self._utterance: list[bytes] | None = None
        self._onset = 0  # frame index of the current utterance's first voiced frame
        self._last_voiced = 0  # frame index just after its last voiced frame

    @property
    def in_speech(self) -> bool:
        return self._utterance is not None

    @property
    def elapsed_ms(self) -> int:
        """Stream time: how much audio has been fed, in whole frames."""
        return self._frame_count * FRAME_MS

    def reset(self) -> None:
        """Forgets any speech in progress (without an event) and the pre-roll; stream time goes on."""
        self._history.clear()
        self._utterance = None

    def feed_audio(self, pcm: bytes) -> list[EndpointEvent]:
        """Audio of any length; a partial frame waits for the next call."""
        events: list[EndpointEvent] = []
        for frame in self._framer.push(pcm):
            events.extend(self.feed(frame))
        return events

    def feed(self, frame: bytes) -> list[EndpointEvent]:
        """Exactly one 20 ms frame of PCM16 at the endpointer's sample rate."""
        if len(frame) != self._frame_size:
            raise ValueError(
                f"endpointer frame of {len(frame)} bytes; expected {self._frame_size} "
                f"(20 ms of 16-bit mono PCM at {self.sample_rate} Hz)"
            )
        index = self._frame_count
        self._frame_count += 1
        voiced = self.vad.is_speech(frame)
        if self._utterance is None:
            return self._listen(index, frame, voiced)
        return self._follow(self._utterance, index, frame, voiced)

    def _listen(self, index: int, frame: bytes, voiced: bool) -> list[EndpointEvent]:
        self._history.append((index, frame, voiced))
        window = list(self._history)[-self._window :]
        voiced_indexes = [i for i, _, is_voiced in window if is_voiced]
        if len(voiced_indexes) < self._start_frames:
            return []
        self._onset = voiced_indexes[0]
        self._last_voiced = index + 1
        pre_roll = b"".join(f for i, f, _ in self._history if i >= self._onset - self._pre_roll)
        self._history.clear()
        self._utterance = [pre_roll]
        return [SpeechStarted(self._onset * FRAME_MS), SpeechAudio(pre_roll)]

    def _follow(self, utterance: list[bytes], index: int, frame: bytes, voiced: bool) -> list[EndpointEvent]:
        utterance.append(frame)
        events: list[EndpointEvent] = [SpeechAudio(frame)]
        if voiced:
            self._last_voiced = index + 1
        silence = index + 1 - self._last_voiced
        if index + 1 - self._onset >= self._max_utterance:
            events.append(self._finish(utterance, forced=True))
        elif silence >= self._end_silence:
            events.append(self._finish(utterance, forced=False))
        elif silence == self._early_end_silence and self._words_are_a_turn():
            events.append(self._finish(utterance, forced=False, early=True))
        return events

    def _words_are_a_turn(self) -> bool:
        return self.turn_is_complete is not None and self._early_end_silence > 0 and self.turn_is_complete()

    def _finish(self, utterance: list[bytes], forced: bool, early: bool = False) -> SpeechEnded | NoiseDiscarded:
        at_ms = self._last_voiced * FRAME_MS
        duration_ms = at_ms - self._onset * FRAME_MS
        audio = b"".join(utterance)
        self._utterance = None
        if duration_ms < self.config.min_speech_ms and not forced:
            return NoiseDiscarded(at_ms, duration_ms)
        return SpeechEnded(at_ms, audio, duration_ms, forced, early)
