"""Rasa component that picks the FAQ (retrieval intent `faq/<id>`) for a message.

Features: TF-IDF over character n-grams, plus (``dense: true``) a multilingual sentence
embedding (nlu/sentence_encoder.py). A logistic regression over them ranks the FAQs. It
trains in seconds, with no epochs, and on the staff-FAQ benchmark and our held-out
phrasings it measured above Rasa's ResponseSelector (README, `make faq-eval`). It writes
the same `response_selector` output as ResponseSelector, so `utter_faq` works unchanged.
"""
from __future__ import annotations

import pickle
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

MODEL_FILE = "faq_selector.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqSelector(GraphComponent):
    """Logistic regression over character n-gram TF-IDF and sentence-embedding features."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"retrieval_intent": "faq", "min_ngram": 1, "max_ngram": 2, "dense": True,
                "regularization": 10.0, "ranking_length": 10}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 state: Optional[Dict[Text, Any]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        state = state or {}
        self.vectorizer: Optional[TfidfVectorizer] = state.get("vectorizer")
        self.classifier: Optional[LogisticRegression] = state.get("classifier")
        self.responses: Dict[str, List[Dict[str, Any]]] = state.get("responses", {})

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FaqSelector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> FaqSelector:
        try:
            with model_storage.read_from(resource) as directory:
                state = pickle.loads((directory / MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            state = None  # not trained (no FAQ examples): selects nothing
        return cls(config, model_storage, resource, state)

    def _examples(self, training_data: TrainingData) -> tuple[list[str], list[str]]:
        pairs = [(m.get(TEXT), m.get(INTENT_RESPONSE_KEY)) for m in training_data.intent_examples
                 if m.get(INTENT) == self.config["retrieval_intent"] and m.get(INTENT_RESPONSE_KEY)]
        return [text for text, _ in pairs], [key for _, key in pairs]

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = self._examples(training_data)
        if not texts:
            return self._resource
        self.vectorizer = TfidfVectorizer(
            analyzer="char", ngram_range=(self.config["min_ngram"], self.config["max_ngram"]),
            sublinear_tf=True).fit(texts)
        self.classifier = LogisticRegression(C=self.config["regularization"], max_iter=5000)
        self.classifier.fit(self._features(texts), labels)
        self.responses = {f"utter_{key}": training_data.responses.get(f"utter_{key}", [])
                          for key in self.classifier.classes_}
        state = {"vectorizer": self.vectorizer, "classifier": self.classifier,
                 "responses": self.responses}
        with self._storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(state))
        return self._resource

    def _features(self, texts: List[str]):
        sparse = self.vectorizer.transform(texts)
        if not self.config["dense"]:
            return sparse
        from nlu.sentence_encoder import encode

        return hstack([sparse, csr_matrix(encode(texts))]).tocsr()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizer is None:
            return messages
        for message in messages:
            self._select(message)
        return messages

    def _select(self, message: Message) -> None:
        scores = self.classifier.predict_proba(self._features([message.get(TEXT) or ""]))[0]
        order = np.argsort(-scores)[: self.config["ranking_length"]]
        keys = self.classifier.classes_
        ranking = [{"confidence": float(scores[i]), INTENT_RESPONSE_KEY: str(keys[i])} for i in order]
        best = ranking[0][INTENT_RESPONSE_KEY]
        intent = self.config["retrieval_intent"]
        utter_action = f"utter_{best}"
        selector = message.get("response_selector", {})
        selector["all_retrieval_intents"] = [intent]
        selector[intent] = {
            "response": {"responses": self.responses.get(utter_action, []),
                         "confidence": ranking[0]["confidence"], INTENT_RESPONSE_KEY: best,
                         "utter_action": utter_action},
            "ranking": ranking,
        }
        message.set("response_selector", selector, add_to_output=True)
