"""`make bench`: latency of the trained assistant next to bare Rasa, measured in one run.

For each model (ours, and stock Rasa with its default pipeline trained on the same domain
and data) it starts a Rasa server on 127.0.0.1 beside one shared action server, then sends
held-out customer sentences:

- NLU parse latency: POST /model/parse
- full turn latency: POST /webhooks/rest/webhook (NLU + dialogue policy + custom actions)

each with 1 and with 20 parallel conversations; median, p95 and p99 in milliseconds, plus the
ratio ours / bare. It also prints held-out intent accuracy for both models. Not a test:
the figures depend on the machine.
"""

import argparse
import json
import os
import platform
import secrets
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bot import build, processes, servers
from bot.evaluate_nlu import DEFAULT_HOLDOUT, load_labelled_examples

PARALLEL_LEVELS = (1, 20)
TURNS_PER_CONVERSATION = 5
REQUESTS_PER_LEVEL = 200


def bare_config() -> dict:
    """Rasa's own default config, in Chinese: its WhitespaceTokenizer refuses `zh`, so Rasa's
    JiebaTokenizer (its documented tokenizer for Chinese) takes its place. Nothing else changes."""
    import rasa.engine.recipes

    default = Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
    config = yaml.safe_load(default.read_text(encoding="utf-8"))
    config.update(language="zh", assistant_id="bare-rasa-bench")
    for component in config["pipeline"]:
        if component["name"] == "WhitespaceTokenizer":
            component["name"] = "JiebaTokenizer"
    return config


def bare_model(root: Path = processes.REPO_ROOT) -> Path:
    """Stock Rasa (its default pipeline and policies) on our domain and data; cached by hash."""
    digest = build.content_hash(root, ("bot/domain", "bot/data"))
    target = root / build.MODELS_DIR / "bench" / f"bare-{digest}.tar.gz"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(yaml.safe_dump(bare_config()), encoding="utf-8")
        cmd = processes.python_module(
            "rasa",
            "train",
            "--config",
            str(config),
            "--domain",
            "bot/domain",
            "--data",
            "bot/data",
            "--out",
            str(target.parent),
            "--fixed-model-name",
            target.name[: -len(".tar.gz")],
        )
        processes.run_checked(cmd, root, "training the bare Rasa model")
    return target


def post(url: str, payload: dict) -> float:
    """Milliseconds for one JSON POST, response fully read."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        response.read()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"median": statistics.median(ordered), "p95": pick(0.95), "p99": pick(0.99)}


def run_load(send, sentences: list[str], parallel: int) -> dict[str, float]:
    """``parallel`` conversations at once, each sending TURNS_PER_CONVERSATION sentences in turn."""
    conversations = [
        sentences[i : i + TURNS_PER_CONVERSATION] for i in range(0, REQUESTS_PER_LEVEL, TURNS_PER_CONVERSATION)
    ]

    def converse(turns: list[str]) -> list[float]:
        sender = f"bench-{secrets.token_hex(4)}"
        return [send(sender, text) for text in turns]

    with ThreadPoolExecutor(parallel) as pool:
        samples = [ms for result in pool.map(converse, conversations) for ms in result]
    return percentiles(samples)


def measure(model: Path, sentences: list[str], action_url: str, tmp: Path) -> dict:
    port, token = processes.free_port(), secrets.token_hex(8)
    endpoints = servers.write_endpoints(tmp / f"endpoints-{port}.yml", action_url)
    base = f"http://{processes.HOST}:{port}"

    def parse(sender: str, text: str) -> float:
        return post(f"{base}/model/parse?token={token}", {"text": text})

    def turn(sender: str, text: str) -> float:
        return post(f"{base}/webhooks/rest/webhook", {"sender": sender, "message": text})

    with processes.ProcessGroup() as group:
        server = group.start(servers.rasa_run_cmd(model, endpoints, port, token))
        processes.wait_until_up(f"{base}/webhooks/rest/", server, "Rasa server")
        for text in sentences[:10]:  # warm-up: first parses load lazily
            parse("warm", text)
        results = {}
        for parallel in PARALLEL_LEVELS:
            results[("parse", parallel)] = run_load(parse, sentences, parallel)
            results[("turn", parallel)] = run_load(turn, sentences, parallel)
    return results


def holdout_accuracy(model: Path) -> float:
    from bot.evaluate_nlu import intent_accuracy, load_interpreter

    accuracy, _errors = intent_accuracy(load_interpreter(model), DEFAULT_HOLDOUT)
    return accuracy


def report(ours: dict, bare: dict, accuracy: dict[str, float]) -> None:
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{'measure':<22}{'parallel':>9}{'ours median/p95/p99 ms':>28}"
        f"{'bare median/p95/p99 ms':>28}{'ratio (median)':>16}"
    )

    def fmt(r: dict[str, float]) -> str:
        return f"{r['median']:.0f} / {r['p95']:.0f} / {r['p99']:.0f}"

    for (kind, parallel), mine in ours.items():
        theirs = bare[(kind, parallel)]
        label = "NLU parse" if kind == "parse" else "full turn (REST)"
        print(f"{label:<22}{parallel:>9}{fmt(mine):>28}{fmt(theirs):>28}{mine['median'] / theirs['median']:>16.2f}")
    print(f"\nHeld-out intent accuracy: ours {accuracy['ours']:.1%}, bare Rasa {accuracy['bare']:.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.latency", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)  # only --help: the benchmark takes no options
    root = processes.REPO_ROOT
    build.setup(root)
    ours_model, bare = build.train(root), bare_model(root)
    sentences = [text for text, _intent in load_labelled_examples(DEFAULT_HOLDOUT)]
    sentences = (sentences * (REQUESTS_PER_LEVEL // len(sentences) + 1))[:REQUESTS_PER_LEVEL]
    with tempfile.TemporaryDirectory() as tmp, processes.ProcessGroup() as group:
        os.environ["TRACKER_STORE_URL"] = f"sqlite:///{Path(tmp) / 'tracker.db'}"
        action_port = processes.free_port()
        servers.start_action_server(group, action_port)
        action_url = servers.action_url_for(action_port)
        results = {
            "ours": measure(ours_model, sentences, action_url, Path(tmp)),
            "bare": measure(bare, sentences, action_url, Path(tmp)),
        }
    accuracy = {"ours": holdout_accuracy(ours_model), "bare": holdout_accuracy(bare)}
    report(results["ours"], results["bare"], accuracy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
