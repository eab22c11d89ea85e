"""Failed messages grouped by what they mean, so that staff handle a group with one click, and for each
group the FAQ or intent it most likely belongs to.

Similarity: the multilingual sentence encoder the NLU uses (nlu/sentence_encoder.py, loaded once and
kept; ``method`` "encoder"), or, when it cannot be loaded, TF-IDF over character unigrams and bigrams
(``method`` "ngram"). Texts are normalized as the NLU normalizes them (nlu/textnorm.py) first.

Grouping: messages with the same normalized text are one item; items are joined by average-linkage
agglomerative clustering on cosine similarity, stopping where the average similarity between two
groups falls below ``THRESHOLDS[method]``. Chosen on the FAQ's own phrasings (6 of each of 30 FAQs):
at 0.55 the encoder made 60 groups with homogeneity 0.89 — a group seldom mixes two FAQs, which
matters more than splitting one FAQ's phrasings over two groups. Everything is sorted before
clustering, so the same messages always give the same groups.

Suggestion: the target (``faq:<id>`` or ``intent:<name>``) with the phrasing or example nearest to the
group's mean vector, when that similarity reaches ``SUGGEST_FROM[method]`` (paraphrases score about
0.65–0.8 with the encoder; the nearest phrasing to "明天天气怎么样" among the bank's FAQs scored 0.48).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.review.failures import FailedMessage
from nlu.textnorm import normalize_text

log = logging.getLogger(__name__)
ENCODER, NGRAM = "encoder", "ngram"
THRESHOLDS = {ENCODER: 0.55, NGRAM: 0.3}
SUGGEST_FROM = {ENCODER: 0.6, NGRAM: 0.3}


@dataclass(frozen=True)
class Target:
    name: str  # "faq:<id>" | "intent:<name>"
    phrasings: tuple[str, ...]  # an FAQ's questions, an intent's examples


@dataclass(frozen=True)
class Suggestion:
    target: str
    score: float  # cosine similarity, 0..1
    nearest: str  # the target's phrasing nearest to the group

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "score": round(self.score, 4), "nearest": self.nearest}


@dataclass(frozen=True)
class Group:
    id: str
    messages: tuple[FailedMessage, ...]  # newest first
    suggestion: Suggestion | None

    def as_dict(self) -> dict[str, Any]:
        reasons: dict[str, int] = {}
        for message in self.messages:
            for reason in message.reasons:
                reasons[reason] = reasons.get(reason, 0) + 1
        return {
            "id": self.id,
            "size": len(self.messages),
            "reasons": reasons,
            "suggestion": self.suggestion.as_dict() if self.suggestion else None,
            "messages": [message.as_dict() for message in self.messages],
        }


@dataclass(frozen=True)
class Grouping:
    method: str  # "encoder" | "ngram"
    groups: tuple[Group, ...]  # largest first, then the one with the newest message


class Encoder:
    """The sentence encoder, loaded on first use and kept; ``None`` vectors when it can't be loaded.
    Vectors of the targets' phrasings are kept until the phrasings change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usable: bool | None = None
        self._targets: tuple[tuple[str, ...], np.ndarray] | None = None

    def vectors(self, texts: Sequence[str]) -> np.ndarray | None:
        with self._lock:
            if self._usable is False:
                return None
            try:
                found = self._encode(texts)
            except Exception as error:  # no model file, onnxruntime missing or broken: use n-grams
                log.warning("failures: the sentence encoder is unavailable (%s); grouping by character n-grams", error)
                self._usable = False
                return None
            self._usable = True
            return found

    def target_vectors(self, texts: tuple[str, ...]) -> np.ndarray | None:
        if self._targets is not None and self._targets[0] == texts:
            return self._targets[1]
        found = self.vectors(texts)
        if found is not None:
            self._targets = (texts, found)
        return found

    @staticmethod
    def _encode(texts: Sequence[str]) -> np.ndarray:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before onnxruntime loads: no busy-waiting threads
        from nlu.sentence_encoder import encode

        return np.asarray(encode(list(texts)), dtype=np.float64)


def group(
    messages: Sequence[FailedMessage], targets: Sequence[Target] = (), encoder: Encoder | None = None
) -> Grouping:
    """The messages in groups of the same meaning, each with a suggested target. ``encoder`` None: n-grams."""
    by_text: dict[str, list[FailedMessage]] = {}
    for message in sorted(messages, key=lambda m: (-m.at, m.key)):
        by_text.setdefault(_plain(message.text), []).append(message)
    texts = sorted(by_text)
    phrasings = tuple(phrasing for target in targets for phrasing in target.phrasings)
    owners = [target.name for target in targets for _ in target.phrasings]
    method, vectors, target_vectors = _vectors(texts, tuple(_plain(p) for p in phrasings), encoder)
    groups = []
    for members in _clusters(vectors, THRESHOLDS[method]):
        grouped = sorted((m for index in members for m in by_text[texts[index]]), key=lambda m: (-m.at, m.key))
        centre = vectors[members].mean(axis=0)
        groups.append(
            Group(
                id="g" + hashlib.sha256(grouped[0].key.encode("utf-8")).hexdigest()[:12],
                messages=tuple(grouped),
                suggestion=_suggest(centre, target_vectors, phrasings, owners, SUGGEST_FROM[method]),
            )
        )
    groups.sort(key=lambda g: (-len(g.messages), -g.messages[0].at, g.messages[0].key))
    return Grouping(method, tuple(groups))


def _plain(text: str) -> str:
    return normalize_text(text).strip()


def _vectors(
    texts: list[str], phrasings: tuple[str, ...], encoder: Encoder | None
) -> tuple[str, np.ndarray, np.ndarray]:
    """Unit rows for the texts and the phrasings, in one space."""
    if encoder is not None and texts:
        found = encoder.vectors(texts)
        targets = encoder.target_vectors(phrasings) if phrasings else np.zeros((0, 1))
        if found is not None and targets is not None:
            return ENCODER, found, targets
    from sklearn.feature_extraction.text import TfidfVectorizer

    squeezed = [text.replace(" ", "") for text in [*texts, *phrasings]]
    if not texts:
        return NGRAM, np.zeros((0, 1)), np.zeros((len(phrasings), 1))
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=True).fit_transform(squeezed)
    rows = np.asarray(matrix.todense(), dtype=np.float64)  # TF-IDF rows are already unit length
    return NGRAM, rows[: len(texts)], rows[len(texts) :]


def _clusters(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters (row indices, ascending) of rows whose similarity reaches the threshold."""
    count = len(vectors)
    if count <= 1:
        return [[index] for index in range(count)]
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    distances = (distances + distances.T) / 2
    labels = fcluster(linkage(squareform(distances, checks=False), "average"), 1.0 - threshold, "distance")
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    return sorted(members.values())


def _suggest(
    centre: np.ndarray, targets: np.ndarray, phrasings: tuple[str, ...], owners: list[str], least: float
) -> Suggestion | None:
    if not len(phrasings) or not np.any(centre):
        return None
    similarities = targets @ (centre / np.linalg.norm(centre))
    best = int(np.argmax(similarities))
    score = float(similarities[best])
    return Suggestion(owners[best], min(score, 1.0), phrasings[best]) if score >= least else None
