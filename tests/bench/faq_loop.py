"""Benchmark of the staff loop (`make bench-faq`): from importing an edited sheet to the
running bot answering the new FAQ.

Starts the servers with the current model (training first if needed, not timed), exports
the FAQ to a sheet, adds one FAQ to it, then times: faq-import, train, faq-reload, and
the first REST reply that gives the new answer. The FAQ source is restored afterwards.
"""

import argparse
import csv
import json
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from bot import build, processes, servers
from bot.faq import reload
from bot.faq.__main__ import main as faq_command
from nlu import faq_source

NEW_ROW = [
    "pay_ecny_wallet",
    "银行卡与支付",
    "数字人民币钱包能绑你们的卡吗\n怎么开通数字人民币\n数币钱包可以充值吗\n数字人民币和微信支付有啥区别\n"
    "e-cny 支持吗\n数字 人民币 钱包 在哪开\n你们支持数字人民币付款吗",
    "支持数字人民币：在App“我的-数字人民币”中开通钱包并绑定本行储蓄卡，即可充钱包和付款。",
    "支持数字人民币，在App里开通钱包并绑定储蓄卡就能用。",
    "是",
]
QUESTION = "我想用数字人民币，要怎么开钱包"


def ask(webhook: str, text: str) -> str:
    body = json.dumps({"sender": "bench-faq", "message": text}).encode()
    request = urllib.request.Request(webhook, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return "\n".join(m.get("text", "") for m in json.load(response))


def edited_sheet(directory: Path) -> Path:
    sheet = directory / "faq.csv"
    faq_command(["export", str(sheet)])
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows + [NEW_ROW])
    return sheet


def timed_loop(base: str, sheet: Path) -> dict:
    marks, started = {}, time.monotonic()
    assert faq_command(["import", str(sheet)]) == 0
    marks["import"] = time.monotonic() - started
    model = build.train()
    marks["train"] = time.monotonic() - started
    reload.load_model(model, base)
    marks["reload"] = time.monotonic() - started
    if NEW_ROW[3] not in ask(f"{base}/webhooks/rest/webhook", QUESTION):
        raise SystemExit("the reloaded bot did not answer the new FAQ")
    marks["answered"] = time.monotonic() - started
    return marks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.faq_loop", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)  # only --help: the benchmark takes no options
    saved = {path: path.read_bytes() for path in (faq_source.SOURCE,)}
    token = os.environ.setdefault("RASA_TOKEN", "bench-faq")
    model = build.train()
    with tempfile.TemporaryDirectory() as tmp, processes.ProcessGroup() as group:
        base = servers.start_rasa_with_actions(group, model, Path(tmp) / "endpoints.yml", token)
        try:
            marks = timed_loop(base, edited_sheet(Path(tmp)))
        finally:
            for path, content in saved.items():
                path.write_bytes(content)
    steps = ", ".join(f"{name} at {seconds:.0f} s" for name, seconds in marks.items())
    print(f"staff loop: new FAQ answered {marks['answered']:.0f} s after faq-import ({steps})")


if __name__ == "__main__":
    main()
