"""How well a caller can make out the bot's voice, measured as round-trip character error rate:
the bot's frequent spoken replies (``tests/bench/spoken_replies.yml``: domain responses with values,
worded for the voice channel as a call hears them) are synthesized by each voice,
transcribed by real recognizers (Vosk small-cn; Whisper base when its model is installed, see
``voice/whisper_model.py``), and compared with what was meant to be said.

    python -m tests.bench.tts [--voices espeak,espeak-slow,…] [--limit N]   (make bench-tts)

Numbers are compared as numbers (八千六百五十 and 8650 are the same reading, 幺 is 一), so a
recognizer that writes digits is not counted wrong for it. Latin letters (App, the LA of an
application number) are spelled out by the voices and left out of the comparison.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cn2an
import yaml
from rasa.shared.core.domain import Domain

from bot.nlg import ChannelResponses
from voice import asr_eval, whisper_model
from voice.audio import WIDEBAND_RATE, duration_s
from voice.neural_tts import NeuralSynthesizer
from voice.speakable import speakable
from voice.stt import Recognizer, load_model
from voice.tts import EspeakSynthesizer, Synthesizer

REPLIES = Path(__file__).with_name("spoken_replies.yml")
DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"
Transcriber = Callable[[bytes], str]  # 16 kHz PCM16 → text
LATIN = re.compile(r"[A-Za-z]+")


def replies(path: Path = REPLIES) -> list[str]:
    """The replies to measure, worded for the voice channel and made speakable as the call does."""
    words = ChannelResponses(domain=Domain.load(DOMAIN))
    texts = []
    for reply in yaml.safe_load(path.read_text(encoding="utf-8")):
        values = dict(reply)
        message = words.generate_from_slots(values.pop("response"), {}, "voice", **values)
        assert message is not None, reply
        texts.append(speakable(message["text"]))
    return texts


def as_numbers(text: str) -> str:
    """The characters CER counts, with every number written in digits (both sides alike)."""
    text = LATIN.sub("", asr_eval.cer_chars(text)).replace("幺", "一")
    try:
        return str(cn2an.transform(text, "cn2an"))
    except (ValueError, KeyError):  # cn2an gives up on odd runs; compare as written
        return text


def cer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference characters) after the number normalization."""
    ref, hyp = as_numbers(reference), as_numbers(hypothesis)
    return asr_eval.edit_distance(ref, hyp), len(ref)


def vosk_transcriber(model_dir: str | None = None) -> Transcriber:
    model = load_model(model_dir)
    return lambda pcm: asr_eval.decode(Recognizer(model, WIDEBAND_RATE), pcm)


@dataclass
class RoundTrip:
    voice: str
    recognizer: str
    errors: int = 0
    chars: int = 0
    audio_s: float = 0.0
    synthesis_s: float = 0.0
    worst: tuple[float, str, str] = (0.0, "", "")
    heard: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cer(self) -> float:
        return self.errors / max(1, self.chars)


def measure(
    voices: dict[str, Synthesizer], recognizers: dict[str, Transcriber], texts: Sequence[str]
) -> list[RoundTrip]:
    results: list[RoundTrip] = []
    for voice_name, voice in voices.items():
        rows = {name: RoundTrip(voice_name, name) for name in recognizers}
        for text in texts:
            started = time.perf_counter()
            pcm = voice.synthesize(text, WIDEBAND_RATE)
            took = time.perf_counter() - started
            for name, transcribe in recognizers.items():
                row = rows[name]
                heard = transcribe(pcm)
                errors, chars = cer(text, heard)
                row.errors, row.chars = row.errors + errors, row.chars + chars
                row.audio_s, row.synthesis_s = row.audio_s + duration_s(pcm, WIDEBAND_RATE), row.synthesis_s + took
                row.worst = max(row.worst, (errors / max(1, chars), text, heard))
                row.heard.append((text, heard))
        results += rows.values()
    return results


def report(results: Sequence[RoundTrip], count: int, show: bool = False) -> str:
    lines = [f"round-trip character error rate on {count} replies", "voice\trecognizer\tcer\tsynthesis rtf"]
    for r in results:
        lines.append(f"{r.voice}\t{r.recognizer}\t{r.cer:.3f}\t{r.synthesis_s / max(1e-9, r.audio_s):.3f}")
    lines.append("worst reply per row:")
    lines += [f"  {r.voice}/{r.recognizer} {r.worst[0]:.2f}: {r.worst[1]} → {r.worst[2]}" for r in results]
    if show:
        lines += [f"{r.voice}/{r.recognizer}\t{said}\t→ {heard}" for r in results for said, heard in r.heard]
    return "\n".join(lines)


VOICES: dict[str, Callable[[], Synthesizer]] = {
    "espeak": EspeakSynthesizer,
    "espeak-slow": lambda: EspeakSynthesizer(speed_wpm=140),
    "neural": NeuralSynthesizer,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.tts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--voices", default="espeak,neural", help="comma-separated voice names")
    parser.add_argument("--limit", type=int, default=None, help="only the first N replies")
    parser.add_argument("--show", action="store_true", help="print what was heard of every reply")
    args = parser.parse_args(argv)
    texts = replies()[: args.limit]
    voices = {name: VOICES[name]() for name in args.voices.split(",")}
    recognizers = {"vosk-small-cn": vosk_transcriber()}
    try:
        recognizers["whisper-base"] = whisper_model.transcriber()
    except whisper_model.FetchFailed as missing:
        print(f"Whisper base left out: {missing}", file=sys.stderr)
    print(report(measure(voices, recognizers, texts), len(texts), args.show))
    return 0


if __name__ == "__main__":
    sys.exit(main())
