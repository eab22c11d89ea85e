"""FAQ selection accuracy on a staff-FAQ benchmark in the format of ../shared/data/bq_faq_dev.

faq.json: [{"id", "questions": [...], "answer"}, ...]; queries.jsonl: {"text", "faq"} per line.
The project's NLU pipeline (config.yml without the fallback) is trained on the FAQ file
alone, so the intent classifier's classes are the benchmark's FAQs; every query is answered
and ranked. The peer is the benchmark's reference baseline, computed in the same run: nearest
staff phrasing by TF-IDF over character 1-3-grams (cosine).
"""

import asyncio
import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.faq import rasa_data
from nlu import faq_source
from nlu.faq_source import REPO_ROOT, Faq, FaqFormatError

FAQ_CLASSIFIER = "nlu.intent_classifier.IntentClassifier"
NOT_FOR_FAQ_ONLY_DATA = {"FallbackClassifier"}


@dataclass(frozen=True)
class Benchmark:
    faqs: dict[str, list[str]]  # id -> staff phrasings
    queries: list[tuple[str, str]]  # (text, faq id)


def load_benchmark(faq_path: Path, queries_path: Path) -> Benchmark:
    try:
        faqs = {
            str(item["id"]): [str(q) for q in item["questions"]]
            for item in json.loads(faq_path.read_text(encoding="utf-8"))
        }
        queries = []
        for line in queries_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                queries.append((str(item["text"]), str(item["faq"])))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise FaqFormatError(f"can't read the benchmark ({faq_path}, {queries_path}): {error!r}") from error
    unknown = {faq for _, faq in queries if faq not in faqs}
    if unknown:
        raise FaqFormatError(f"{queries_path}: queries name unknown FAQ ids {sorted(unknown)[:5]}")
    return Benchmark(faqs, queries)


def faq_pipeline_config(faq_source: Path, config_path: Path = REPO_ROOT / "config.yml") -> dict:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    pipeline = [
        {**c, "faq_source": str(faq_source)} if c["name"] == FAQ_CLASSIFIER else c
        for c in config["pipeline"]
        if c["name"] not in NOT_FOR_FAQ_ONLY_DATA
    ]
    return {"recipe": config["recipe"], "language": config["language"], "pipeline": pipeline, "policies": []}


def write_project(benchmark: Benchmark, directory: Path, config_path: Path) -> None:
    """A Rasa project as the bot's: FAQ source file, Rasa's `faq` examples, a config reading them."""
    faqs = [Faq(faq_id, "benchmark", tuple(questions), answer=faq_id) for faq_id, questions in benchmark.faqs.items()]
    faq_source.dump(faqs, directory / "faqs.yml")
    (directory / "nlu.yml").write_text(rasa_data.nlu_yaml(faqs, directory), encoding="utf-8")
    (directory / "domain.yml").write_text(
        rasa_data.dump_yaml({"version": "3.1", "intents": [rasa_data.INTENT]}), encoding="utf-8"
    )
    config = faq_pipeline_config(directory / "faqs.yml", config_path)
    (directory / "config.yml").write_text(rasa_data.dump_yaml(config), encoding="utf-8")


def train(directory: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "nlu",
        "--config",
        str(directory / "config.yml"),
        "--domain",
        str(directory / "domain.yml"),
        "--nlu",
        str(directory / "nlu.yml"),
        "--out",
        str(directory / "models"),
        "--fixed-model-name",
        "faq",
    ]
    subprocess.run(cmd, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)
    return directory / "models" / "faq.tar.gz"


def ranked_ids(model: Path, texts: list[str]) -> list[list[str]]:
    """FAQ ids best first for each text, from the `response_selector` ranking."""
    from bot.evaluate_nlu import load_interpreter

    agent = load_interpreter(model)

    async def rank_all() -> list[list[str]]:
        ranked = []
        for text in texts:
            selector = (await agent.parse_message(text)).get("response_selector") or {}
            ranking = (selector.get("faq") or selector.get("default") or {}).get("ranking") or []
            ranked.append([item["intent_response_key"].split("/", 1)[1] for item in ranking])
        return ranked

    return asyncio.run(rank_all())


def peer_ranked_ids(benchmark: Benchmark, texts: list[str]) -> list[list[str]]:
    """The benchmark's reference peer: nearest staff phrasing, TF-IDF char 1-3-grams."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    labels = [faq_id for faq_id, questions in benchmark.faqs.items() for _ in questions]
    examples = [q for questions in benchmark.faqs.values() for q in questions]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    vectorizer.fit(examples + texts)  # IDF over all texts (no labels), as in the benchmark's README
    scores = cosine_similarity(vectorizer.transform(texts), vectorizer.transform(examples))
    ranked = []
    for row in scores:
        best: dict[str, float] = {}
        for label, score in zip(labels, row, strict=True):
            best[label] = max(best.get(label, -1.0), score)
        ranked.append(sorted(best, key=best.get, reverse=True))
    return ranked


def top_k(ranked: list[list[str]], gold: list[str], k: int) -> float:
    return sum(g in r[:k] for r, g in zip(ranked, gold, strict=True)) / len(gold)


def run(
    faq_path: Path, queries_path: Path, config_path: Path = REPO_ROOT / "config.yml", out=sys.stdout
) -> tuple[float, float, float]:
    benchmark = load_benchmark(faq_path, queries_path)
    texts = [text for text, _ in benchmark.queries]
    gold = [faq for _, faq in benchmark.queries]
    print(
        f"{len(benchmark.faqs)} FAQs, {sum(map(len, benchmark.faqs.values()))} staff phrasings, "
        f"{len(texts)} queries; training the FAQ pipeline of {config_path.name} ...",
        file=out,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="faq-eval-") as directory:
        write_project(benchmark, Path(directory), config_path)
        ranked = ranked_ids(train(Path(directory)), texts)
    peer = peer_ranked_ids(benchmark, texts)
    top1, top3, peer_top1 = top_k(ranked, gold, 1), top_k(ranked, gold, 3), top_k(peer, gold, 1)
    print(
        f"ours: top-1 {top1:.3f}, top-3 {top3:.3f}; peer (TF-IDF char 1-3, nearest phrasing): "
        f"top-1 {peer_top1:.3f}, top-3 {top_k(peer, gold, 3):.3f}",
        file=out,
    )
    confusions = Counter((g, r[0]) for r, g in zip(ranked, gold, strict=True) if r and r[0] != g)
    print("worst confusions (expected -> answered: count):", file=out)
    for (expected, answered), count in confusions.most_common(10):
        print(f"  {expected} -> {answered}: {count}", file=out)
    print(f"top1={top1:.3f} top3={top3:.3f} peer_top1={peer_top1:.3f}", file=out)
    return top1, top3, peer_top1
