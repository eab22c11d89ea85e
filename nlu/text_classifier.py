"""Logistic regression over character n-gram TF-IDF, jieba word TF-IDF and (optionally)
multilingual sentence embeddings. Trains in about a minute and needs no epochs."""

from __future__ import annotations

from functools import lru_cache
from typing import List

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


@lru_cache(maxsize=1)
def _segmenter():
    from nlu.spacy_zh import finance_jieba

    return finance_jieba()


def words(text: str) -> List[str]:
    """jieba words with the finance dictionary (module-level, so a fitted vectorizer pickles)."""
    return [word for word in _segmenter().lcut(text) if word.strip()]


class NgramEmbeddingClassifier:
    def __init__(
        self,
        min_ngram: int = 1,
        max_ngram: int = 2,
        dense: bool = True,
        regularization: float = 30.0,
        dense_weight: float = 2.0,
        word_weight: float = 1.0,
        min_df: int = 2,
    ) -> None:
        self.ngram_range = (min_ngram, max_ngram)
        self.dense = dense
        self.dense_weight = dense_weight  # scale of the unit-length embedding against the TF-IDF rows
        self.word_weight = word_weight  # scale of the word TF-IDF row against the character one; 0: none
        self.min_df = min_df  # n-grams and words seen in one training text only are left out
        self.regularization = regularization
        self.chars: TfidfVectorizer | None = None
        self.words: TfidfVectorizer | None = None
        self.model: LogisticRegression | None = None

    @property
    def classes(self) -> List[str]:
        return [str(label) for label in self._fitted().classes_]

    def fit(self, texts: List[str], labels: List[str]) -> NgramEmbeddingClassifier:
        self.chars = TfidfVectorizer(
            analyzer="char", ngram_range=self.ngram_range, sublinear_tf=True, min_df=self.min_df
        ).fit(texts)
        if self.word_weight:
            self.words = TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=self.min_df).fit(texts)
        self.model = LogisticRegression(C=self.regularization, max_iter=5000)
        self.model.fit(self._features(texts), labels)
        return self

    def probabilities(self, text: str) -> np.ndarray:
        """One probability per entry of `classes`."""
        return self._fitted().predict_proba(self._features([text]))[0]

    def _fitted(self) -> LogisticRegression:
        if self.model is None:
            raise RuntimeError("NgramEmbeddingClassifier used before fit()")
        return self.model

    def _features(self, texts: List[str]):
        if self.chars is None:
            raise RuntimeError("NgramEmbeddingClassifier used before fit()")
        blocks = [self.chars.transform(texts)]
        if self.words is not None:
            blocks.append(self.word_weight * self.words.transform(texts))
        if self.dense:
            from nlu.sentence_encoder import encode

            blocks.append(csr_matrix(self.dense_weight * encode(texts)))
        return hstack(blocks).tocsr()
