"""Audio formats used on calls: 16-bit signed little-endian mono PCM inside, μ-law and
WAV at the edges, 20 ms frames for pacing and VAD."""

import audioop
import wave
from pathlib import Path
from typing import Iterator, Optional, Tuple

SAMPLE_WIDTH = 2
FRAME_MS = 20
TELEPHONY_RATE = 8000
WIDEBAND_RATE = 16000


class AudioFormatError(ValueError):
    """Audio that cannot be used as a call's audio (wrong width, rate, length)."""


def frame_bytes(rate: int, ms: int = FRAME_MS) -> int:
    return rate * ms // 1000 * SAMPLE_WIDTH


def duration_s(pcm: bytes, rate: int) -> float:
    return len(pcm) / (rate * SAMPLE_WIDTH)


def ulaw_to_pcm(ulaw: bytes) -> bytes:
    return audioop.ulaw2lin(ulaw, SAMPLE_WIDTH)


def pcm_to_ulaw(pcm: bytes) -> bytes:
    return audioop.lin2ulaw(pcm, SAMPLE_WIDTH)


def silence(rate: int, ms: int) -> bytes:
    return b"\x00" * (rate * ms // 1000 * SAMPLE_WIDTH)


def rms(pcm: bytes) -> int:
    return audioop.rms(pcm, SAMPLE_WIDTH) if pcm else 0


class Resampler:
    """Streaming sample-rate conversion; keeps audioop's filter state between chunks."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate, self.to_rate = from_rate, to_rate
        self._state: tuple[int, tuple[tuple[int, int], ...]] | None = None  # ratecv's state between chunks

    def convert(self, pcm: bytes) -> bytes:
        if self.from_rate == self.to_rate or not pcm:
            return pcm
        out, self._state = audioop.ratecv(pcm, SAMPLE_WIDTH, 1, self.from_rate, self.to_rate, self._state)
        return out


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    return Resampler(from_rate, to_rate).convert(pcm)


class Framer:
    """Cuts a byte stream of any chunk size into whole frames; keeps the remainder."""

    def __init__(self, rate: int, ms: int = FRAME_MS) -> None:
        self.size = frame_bytes(rate, ms)
        self._pending = b""

    def push(self, pcm: bytes) -> Iterator[bytes]:
        data = self._pending + pcm
        whole = len(data) - len(data) % self.size
        self._pending = data[whole:]
        for start in range(0, whole, self.size):
            yield data[start : start + self.size]


def frames(pcm: bytes, rate: int, ms: int = FRAME_MS, pad: bool = True) -> Iterator[bytes]:
    """Whole frames of ``pcm``; the last partial frame is padded with silence (or dropped)."""
    size = frame_bytes(rate, ms)
    for start in range(0, len(pcm), size):
        chunk = pcm[start : start + size]
        if len(chunk) < size:
            if not pad:
                return
            chunk += b"\x00" * (size - len(chunk))
        yield chunk


def read_wav(path: Path, rate: Optional[int] = None) -> Tuple[bytes, int]:
    """Mono 16-bit PCM from a WAV file of any rate, width and channel count.

    With ``rate`` the audio is resampled to it. Raises ``AudioFormatError`` naming the file.
    """
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, src_rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width not in (1, 2, 3, 4):
        raise AudioFormatError(f"{path}: unsupported sample width {width}")
    if width == 1:
        data = audioop.bias(data, 1, -128)  # WAV stores 8-bit samples unsigned
    if width != SAMPLE_WIDTH:
        data = audioop.lin2lin(data, width, SAMPLE_WIDTH)
    if channels == 2:
        data = audioop.tomono(data, SAMPLE_WIDTH, 0.5, 0.5)
    elif channels != 1:
        raise AudioFormatError(f"{path}: {channels} channels; mono or stereo expected")
    if rate and rate != src_rate:
        return resample(data, src_rate, rate), rate
    return data, src_rate


def write_wav(path: Path, pcm: bytes, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
