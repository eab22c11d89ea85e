"""Frame-level voice activity: is this 10/20/30 ms frame of PCM16 speech?

WebRTC's VAD does the classification; an energy floor in front of it makes digital
silence and very quiet line noise never count as speech (WebRTC's VAD judges the
spectrum, not the level, so it can flag faint hiss).
"""

import webrtcvad

from voice.audio import SAMPLE_WIDTH, rms

SUPPORTED_RATES = (8000, 16000, 32000, 48000)
FRAME_DURATIONS_MS = (10, 20, 30)
# RMS of a PCM16 frame below which it is never speech: about -55 dBFS. In the shared Mandarin
# recordings the quiet stretches measure 10-57 and speech frames mostly 300-6000; WebRTC alone
# still calls speech scaled down to RMS 20 speech.
DEFAULT_ENERGY_FLOOR = 60


class Vad:
    def __init__(self, sample_rate: int, aggressiveness: int = 2, energy_floor: int = DEFAULT_ENERGY_FLOOR) -> None:
        if sample_rate not in SUPPORTED_RATES:
            supported = ", ".join(str(rate) for rate in SUPPORTED_RATES)
            raise ValueError(f"VAD sample rate {sample_rate} Hz is not supported; use one of {supported} Hz")
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"VAD aggressiveness must be 0, 1, 2 or 3, got {aggressiveness!r}")
        self.sample_rate = sample_rate
        self.energy_floor = energy_floor
        self._frame_sizes = {sample_rate * ms // 1000 * SAMPLE_WIDTH for ms in FRAME_DURATIONS_MS}
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: bytes) -> bool:
        if len(frame) not in self._frame_sizes:
            raise ValueError(
                f"VAD frame of {len(frame)} bytes; at {self.sample_rate} Hz a frame must be "
                f"10, 20 or 30 ms of 16-bit mono PCM ({', '.join(map(str, sorted(self._frame_sizes)))} bytes)"
            )
        # WebRTC sees every frame, quiet ones too, so that its noise model and hangover
        # follow the real timeline.
        voiced = self._vad.is_speech(frame, self.sample_rate)
        return voiced and rms(frame) >= self.energy_floor
