"""`make bench-speech`: customer requests and answers spoken, recognized and understood.

The set: the first three held-out sentences (tests/nlu_holdout.yml, never trained on) of every
intent a caller uses to ask for something, and answers to the bot's questions (mobile numbers,
codes, card tails, amounts, yes and no, 转人工). Each is synthesized by the clearest voice there is
(the neural voice, `make neural-voice`; it stands in for the caller), at three speaking rates, and
heard at 16 kHz, through a μ-law phone line, and through the phone line with noise; the real
Chinese recognizer (voice.stt, vosk-model-small-cn-0.22) transcribes it as a call would (with the
digits grammar where the bot's question expects a number, freely when that finds nothing),
the call's cleanup (voice.asr_text) tidies it, and the trained model's NLU parses it. Printed: character error rate,
and intent accuracy from speech beside the same sentences as text (for answers: the value found).
Audio is generated at run time into a temporary folder; nothing is committed.

    python -m tests.bench.speech [MODEL.tar.gz] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import build
from bot.evaluate_nlu import DEFAULT_HOLDOUT, label_of, load_interpreter, load_labelled_examples, same_label
from tests.bench.tts import cer
from voice import asr_eval
from voice.asr_text import UNKNOWN, clean_transcript
from voice.audio import TELEPHONY_RATE, WIDEBAND_RATE
from voice.neural_tts import NeuralSynthesizer
from voice.stt import DIGITS_GRAMMAR, Recognizer, load_model

REQUEST_INTENTS = (
    "check_balance",
    "query_transactions",
    "report_card_loss",
    "query_bill",
    "repay",
    "installment",
    "query_credit_limit",
    "raise_credit_limit",
    "apply_loan",
    "query_loan_status",
    "transfer_money",
    "report_fraud",
    "request_human",
    "complain",
    "faq",
    "reset_password",
)
PER_INTENT = 3
# answers to the bot's questions: (what the caller says, entity, the value it must give)
ANSWERS = [
    ("一三八零零一三八零零零", "phone", "13800138000"),
    ("我的手机号是一三九零零一三九零零零", "phone", "13900139000"),
    ("幺三七零零幺三七零零零", "phone", "13700137000"),
    ("验证码是五六四一四一", "otp_code", "564141"),
    ("八五一二六六", "otp_code", "851266"),
    ("七零九四一四", "otp_code", "709414"),
    ("尾号幺二三四", "card_tail", "1234"),
    ("卡号后四位是五六七八", "card_tail", "5678"),
    ("两千块", "amount", "2000.00"),
    ("转五百块钱给李娜", "amount", "500.00"),
    ("还八百六十五", "amount", "865.00"),
    ("一万五", "amount", "15000.00"),
    ("分十二期", "installment_count", 12),
    ("借十二个月", "term_months", 12),
]
YES_NO = [("确认", "affirm"), ("好的没问题", "affirm"), ("不用了", "deny"), ("转人工", "request_human")]
DIGIT_ANSWERS = ("phone", "otp_code", "card_tail")
RATES = (0.85, 1.0, 1.2)  # slower and faster callers (sox tempo, pitch kept)
CONDITIONS = ("16k", "phone", "phone+noise")
NOISE_SNR_DB = 15.0


@dataclass(frozen=True)
class Item:
    text: str
    intent: str | None = None  # expected intent, or None for an answer checked by its value
    entity: str | None = None
    value: object = None


def speech_set(holdout: Path = DEFAULT_HOLDOUT) -> list[Item]:
    by_intent: dict[str, list[str]] = {}
    for text, label in load_labelled_examples(holdout):
        by_intent.setdefault(label.split("/")[0], []).append(text)
    items = [Item(text, intent) for intent in REQUEST_INTENTS for text in by_intent.get(intent, [])[:PER_INTENT]]
    items += [Item(text, None, entity, value) for text, entity, value in ANSWERS]
    return items + [Item(text, intent) for text, intent in YES_NO]


def at_rate(pcm: bytes, rate: float) -> bytes:
    if rate == 1.0:
        return pcm
    command = ["sox", "-q", "-t", "raw", "-r", str(WIDEBAND_RATE), "-e", "signed-integer", "-b", "16", "-c", "1"]
    command += ["-L", "-", "-t", "raw", "-", "tempo", "-s", str(rate)]
    return subprocess.run(command, input=pcm, capture_output=True, check=True).stdout


def with_noise(pcm: bytes, snr_db: float, seed: int) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    level = np.sqrt(np.mean(samples**2)) / (10 ** (snr_db / 20)) if samples.size else 0.0
    noisy = samples + np.random.default_rng(seed).normal(0.0, level, samples.size)
    return np.clip(np.round(noisy), -32768, 32767).astype("<i2").tobytes()


def grammar_for(item: Item) -> tuple[str, ...] | None:
    """The phrases the call restricts recognition to when the bot's question expects this answer
    (voice.session: the digits grammar for a number or a code)."""
    return DIGITS_GRAMMAR if item.entity in DIGIT_ANSWERS else None


def decode(model, pcm: bytes, rate: int, grammar: tuple[str, ...] | None) -> str:
    """As a call does: with the expected grammar first, freely when it finds nothing."""
    if grammar is not None:
        text = clean_transcript(asr_eval.decode(Recognizer(model, rate, grammar), pcm))
        if text not in ("", UNKNOWN):
            return text
    return clean_transcript(asr_eval.decode(Recognizer(model, rate), pcm))


def heard(model, pcm16k: bytes, condition: str, seed: int, grammar: tuple[str, ...] | None = None) -> str:
    pcm = with_noise(pcm16k, NOISE_SNR_DB, seed) if condition == "phone+noise" else pcm16k
    if condition == "16k":
        return decode(model, pcm, WIDEBAND_RATE, grammar)
    phone, rate = asr_eval.as_heard(pcm, asr_eval.PHONE)
    assert rate == TELEPHONY_RATE
    return decode(model, phone, rate, grammar)


def understood(agent, items: Sequence[Item], texts: Sequence[str]) -> list[bool]:
    """Whether each text gives its item's intent (requests) or value (answers)."""

    async def parse_all() -> list[dict]:
        return [await agent.parse_message(text) for text in texts]

    parses = asyncio.run(parse_all())
    labels = [label_of(parse)[0] for parse in parses]
    results = []
    for item, parse, label in zip(items, parses, labels, strict=True):
        if item.intent is not None:
            results.append(same_label(label, item.intent))
        else:
            values = [e.get("value") for e in parse.get("entities") or [] if e.get("entity") == item.entity]
            results.append(item.value in values)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.speech", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", help="trained model (default: the one for this commit)")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    model_path = Path(args.model) if args.model else build.model_path()
    if not model_path.exists():
        print(f"no trained model at {model_path}; run `make train` first", file=sys.stderr)
        return 2
    items = speech_set()[: args.limit]
    agent, vosk, voice = load_interpreter(model_path), load_model(), NeuralSynthesizer()
    as_text = understood(agent, items, [i.text for i in items])
    print(f"{len(items)} items ({sum(i.intent is not None for i in items)} with an intent, the rest answers)")
    print(f"understood as text: {sum(as_text)}/{len(items)} = {sum(as_text) / len(items):.1%}")
    print("condition\trate\tcer\tunderstood from speech")
    for condition in CONDITIONS:
        for rate in RATES:
            errors = chars = 0
            texts = []
            for index, item in enumerate(items):
                audio = at_rate(voice.synthesize(item.text, WIDEBAND_RATE), rate)
                text = heard(vosk, audio, condition, index, grammar_for(item))
                wrong, count = cer(item.text, text)
                errors, chars = errors + wrong, chars + count
                texts.append(text)
            ok = understood(agent, items, texts)
            print(f"{condition}\t{rate}\t{errors / chars:.3f}\t{sum(ok)}/{len(items)} = {sum(ok) / len(items):.1%}")
            misses = [f"    {i.text} → {t}" for i, t, good in zip(items, texts, ok, strict=True) if not good]
            print("\n".join(misses[:8]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
