"""Logistic regression over character n-gram TF-IDF and (optionally) multilingual sentence
embeddings. Trains in seconds and needs no epochs; FaqSelector and IntentBlender use it."""
from __future__ import annotations

from typing import List

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


class NgramEmbeddingClassifier:
    dense_weight = 1.0  # models pickled before the option existed

    def __init__(self, min_ngram: int = 1, max_ngram: int = 2, dense: bool = True,
                 regularization: float = 10.0, dense_weight: float = 1.0) -> None:
        self.ngram_range = (min_ngram, max_ngram)
        self.dense = dense
        self.dense_weight = dense_weight  # scale of the unit-length embedding against the TF-IDF row
        self.regularization = regularization
        self.vectorizer: TfidfVectorizer | None = None
        self.model: LogisticRegression | None = None

    @property
    def classes(self) -> List[str]:
        return [str(label) for label in self._fitted().classes_]

    def fit(self, texts: List[str], labels: List[str]) -> NgramEmbeddingClassifier:
        self.vectorizer = TfidfVectorizer(analyzer="char", ngram_range=self.ngram_range,
                                          sublinear_tf=True).fit(texts)
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
        if self.vectorizer is None:
            raise RuntimeError("NgramEmbeddingClassifier used before fit()")
        sparse = self.vectorizer.transform(texts)
        if not self.dense:
            return sparse
        from nlu.sentence_encoder import encode

        return hstack([sparse, csr_matrix(self.dense_weight * encode(texts))]).tocsr()
