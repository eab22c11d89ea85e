"""Local microphone and speaker through sounddevice (PortAudio): ``make call``.

Use a headset: with loudspeakers the bot hears itself and barges in on its own voice.
Keys typed in the terminal (0-9 * #, then Enter) act as the keypad.
"""

import asyncio
import collections
import sys

from voice.audio import FRAME_MS, WIDEBAND_RATE, frame_bytes
from voice.calls import CallServices


class NoAudioDevice(RuntimeError):
    pass


class SpeakerOutput:
    """A byte queue the duplex stream's callback plays from; silence when empty."""

    def __init__(self) -> None:
        self.pending: collections.deque[bytes] = collections.deque()

    async def send_audio(self, pcm: bytes) -> None:
        self.pending.append(pcm)

    async def clear(self) -> None:
        self.pending.clear()

    async def hang_up(self) -> None:
        pass

    def fill(self, out: memoryview) -> None:
        chunk = self.pending.popleft() if self.pending else b""
        out[: len(chunk)] = chunk
        out[len(chunk) :] = b"\x00" * (len(out) - len(chunk))


def open_stream(callback, rate: int):
    try:
        import sounddevice
    except OSError as exc:  # libportaudio2 missing
        raise NoAudioDevice(f"PortAudio is not installed ({exc}); Debian: apt-get install libportaudio2") from None
    try:
        if not any(d["max_input_channels"] > 0 for d in sounddevice.query_devices()):
            raise NoAudioDevice("no microphone found; `make call-file WAV=…` simulates a call from a WAV file")
        return sounddevice.RawStream(
            samplerate=rate, channels=1, dtype="int16", blocksize=frame_bytes(rate) // 2, callback=callback
        )
    except sounddevice.PortAudioError as exc:
        raise NoAudioDevice(f"cannot open the sound device: {exc}") from None


async def run_microphone_call(services: CallServices, rate: int = WIDEBAND_RATE) -> None:
    loop = asyncio.get_running_loop()
    speaker = SpeakerOutput()
    session = services.session(speaker, rate, "microphone")

    def callback(indata, outdata, _frames, _time, _status):
        loop.call_soon_threadsafe(session.feed_audio, bytes(indata))
        speaker.fill(memoryview(outdata).cast("B"))

    stream = open_stream(callback, rate)
    loop.add_reader(sys.stdin, lambda: _keys(session, sys.stdin.readline()))
    print(f"Call started ({rate} Hz, {FRAME_MS} ms frames). Speak after the greeting; Ctrl-C hangs up.")
    try:
        with stream:
            await session.run()
    finally:
        loop.remove_reader(sys.stdin)
        print(session.record.transcript())


def _keys(session, line: str) -> None:
    for key in line.strip():
        if key in "0123456789*#":
            session.press(key)
