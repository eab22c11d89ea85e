"""Character error rate and speed of a Vosk model on Kaldi-style test data.

    python -m voice.asr_eval [MODEL_DIR] [--data DIR]

DIR (default <repo>/../shared/data/speech_zh) holds, at any depth, folders with a ``text``
file ("utt-id transcript" lines) and the audio: ``wav.scp`` ("utt-id path") or ``<utt-id>.wav``
next to ``text``. Each recording is decoded twice: at 16 kHz, and as a phone line carries it
(8 kHz G.711 μ-law). The last two lines are ``band=… cer=… rtf=… utterances=N``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import vosk

from voice.asr_text import clean_transcript
from voice.audio import (
    TELEPHONY_RATE,
    WIDEBAND_RATE,
    AudioFormatError,
    duration_s,
    pcm_to_ulaw,
    read_wav,
    resample,
    ulaw_to_pcm,
)
from voice.stt import ModelMissing, Recognizer, load_model

REPO_ROOT = Path(__file__).resolve().parent.parent
# The evaluation data lives outside the repository: ../shared/data, or where SHARED_DATA_DIR says.
DEFAULT_DATA_DIR = Path(os.environ.get("SHARED_DATA_DIR") or REPO_ROOT.parent / "shared" / "data") / "speech_zh"
CHUNK_S = 0.2
WIDEBAND, PHONE = "16k", "8k-ulaw"
BANDS = (WIDEBAND, PHONE)


class DataError(ValueError):
    """Test data that cannot be read (missing folder, transcript without audio)."""


@dataclass(frozen=True)
class Utterance:
    id: str
    reference: str
    wav: Path


@dataclass(frozen=True)
class Scored:
    utterance: Utterance
    band: str
    hypothesis: str
    errors: int
    reference_chars: int
    audio_s: float
    decode_s: float


def _id_lines(path: Path) -> Iterable[tuple[str, str]]:
    """(first field, rest of the line) for each non-blank line of a Kaldi table."""
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(maxsplit=1)
        if fields:
            yield fields[0], fields[1].strip() if len(fields) > 1 else ""


def read_text(path: Path) -> dict[str, str]:
    """Kaldi ``text``: utterance id → transcript, without the spaces between words."""
    return {utt_id: "".join(transcript.split()) for utt_id, transcript in _id_lines(path)}


def read_wav_scp(path: Path) -> dict[str, Path]:
    """Kaldi ``wav.scp``: utterance id → WAV path (relative paths are relative to its folder)."""
    return {utt_id: path.parent / location for utt_id, location in _id_lines(path)}


def _wav_for(utt_id: str, folder: Path, listed: dict[str, Path]) -> Path:
    candidates = []
    if utt_id in listed:
        # Copies of a corpus often flatten its wav/ subfolder: also look next to `text`.
        candidates += [listed[utt_id], folder / listed[utt_id].name]
    candidates.append(folder / f"{utt_id}.wav")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DataError(f"no audio for utterance {utt_id} (looked for {', '.join(map(str, candidates))})")


def find_utterances(data_dir: Path) -> list[Utterance]:
    """Every utterance of every ``text`` file under ``data_dir``, with its WAV file."""
    if not data_dir.is_dir():
        raise DataError(f"test data folder {data_dir} does not exist")
    utterances = []
    for text_path in sorted(data_dir.rglob("text")):
        scp = text_path.parent / "wav.scp"
        listed = read_wav_scp(scp) if scp.is_file() else {}
        for utt_id, reference in read_text(text_path).items():
            utterances.append(Utterance(utt_id, reference, _wav_for(utt_id, text_path.parent, listed)))
    if not utterances:
        raise DataError(f"no Kaldi-style `text` files under {data_dir}")
    return utterances


def cer_chars(text: str) -> str:
    """The characters CER counts: no punctuation, whitespace or control characters; digits as written."""
    return "".join(char for char in text if unicodedata.category(char)[0] not in "PZC")


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_item in enumerate(reference, start=1):
        current = [i]
        for j, hyp_item in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_item != hyp_item)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = cer_chars(reference), cer_chars(hypothesis)
    if not ref:
        return float(bool(hyp))
    return edit_distance(ref, hyp) / len(ref)


def decode(recognizer: Recognizer, pcm: bytes) -> str:
    """Stream ``pcm`` in 0.2 s chunks, as a call would, and return the cleaned text."""
    step = int(recognizer.sample_rate * CHUNK_S) * 2
    finals = []
    for start in range(0, len(pcm), step):
        result = recognizer.accept(pcm[start : start + step])
        if result is not None and result.final:
            finals.append(result.text)
    finals.append(recognizer.finish().text)
    return clean_transcript(" ".join(finals))


def as_heard(pcm: bytes, band: str) -> tuple[bytes, int]:
    """16 kHz audio as the recognizer gets it in ``band``: unchanged, or through a μ-law phone line."""
    if band == WIDEBAND:
        return pcm, WIDEBAND_RATE
    return ulaw_to_pcm(pcm_to_ulaw(resample(pcm, WIDEBAND_RATE, TELEPHONY_RATE))), TELEPHONY_RATE


def score(model: vosk.Model, utterance: Utterance, band: str = WIDEBAND) -> Scored:
    pcm, rate = as_heard(read_wav(utterance.wav, WIDEBAND_RATE)[0], band)
    started = time.perf_counter()
    hypothesis = decode(Recognizer(model, rate), pcm)
    decode_s = time.perf_counter() - started
    ref, hyp = cer_chars(utterance.reference), cer_chars(hypothesis)
    return Scored(utterance, band, hypothesis, edit_distance(ref, hyp), len(ref), duration_s(pcm, rate), decode_s)


def summary_line(results: Sequence[Scored]) -> str:
    total_cer = sum(r.errors for r in results) / max(1, sum(r.reference_chars for r in results))
    rtf = sum(r.decode_s for r in results) / max(1e-9, sum(r.audio_s for r in results))
    band = results[0].band if results else WIDEBAND
    return f"band={band} cer={total_cer:.3f} rtf={rtf:.3f} utterances={len(results)}"


def _utterance_line(result: Scored) -> str:
    utt_cer = result.errors / max(1, result.reference_chars)
    utterance = result.utterance
    return f"{utterance.id}\t{result.band}\tref={utterance.reference}\thyp={result.hypothesis}\tcer={utt_cer:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m voice.asr_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "model_dir", nargs="?", help="Vosk model directory (default: $VOSK_MODEL, else the model from make setup)"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help=f"test data (default: {DEFAULT_DATA_DIR})")
    args = parser.parse_args(argv)
    try:
        utterances = find_utterances(args.data)
        model = load_model(args.model_dir)
    except (DataError, ModelMissing) as exc:
        print(f"asr_eval: {exc}", file=sys.stderr)
        return 2
    results: dict[str, list[Scored]] = {band: [] for band in BANDS}
    for utterance in utterances:
        for band in BANDS:
            try:
                results[band].append(score(model, utterance, band))
            except AudioFormatError as exc:
                print(f"asr_eval: {exc}", file=sys.stderr)
                return 2
            print(_utterance_line(results[band][-1]), flush=True)
    for band in BANDS:
        print(summary_line(results[band]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
