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

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.text_classifier import NgramEmbeddingClassifier

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
        self.classifier: Optional[NgramEmbeddingClassifier] = state.get("classifier")
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
        self.classifier = NgramEmbeddingClassifier(
            self.config["min_ngram"], self.config["max_ngram"], self.config["dense"],
            self.config["regularization"]).fit(texts, labels)
        self.responses = {f"utter_{key}": training_data.responses.get(f"utter_{key}", [])
                          for key in self.classifier.classes}
        state = {"classifier": self.classifier, "responses": self.responses}
        with self._storage.write_to(self._resource) as directory:
            (directory / MODEL_FILE).write_bytes(pickle.dumps(state))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self.classifier is None:
            return messages
        for message in messages:
            self._select(message)
        return messages

    def _select(self, message: Message) -> None:
        scores = self.classifier.probabilities(message.get(TEXT) or "")
        ranked = sorted(zip(self.classifier.classes, scores), key=lambda pair: -pair[1])
        write_selection(message, self.config["retrieval_intent"], ranked[: self.config["ranking_length"]],
                        self.responses)


def write_selection(message: Message, intent: str, ranked: List[tuple[str, float]],
                    responses: Dict[str, List[Dict[str, Any]]]) -> None:
    """Writes `response_selector` as ResponseSelector does, for (faq key, confidence) pairs, best first."""
    ranking = [{"confidence": float(score), INTENT_RESPONSE_KEY: key} for key, score in ranked]
    best = ranking[0][INTENT_RESPONSE_KEY]
    utter_action = f"utter_{best}"
    selector = message.get("response_selector", {})
    selector["all_retrieval_intents"] = [intent]
    selector[intent] = {
        "response": {"responses": responses.get(utter_action, []), "confidence": ranking[0]["confidence"],
                     INTENT_RESPONSE_KEY: best, "utter_action": utter_action},
        "ranking": ranking,
    }
    message.set("response_selector", selector, add_to_output=True)
