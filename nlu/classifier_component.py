"""Shared base of the Rasa components built on NgramEmbeddingClassifier (FaqSelector,
IntentBlender): configuration, training, and the pickled state in the model storage."""
from __future__ import annotations

import pickle
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.text_classifier import NgramEmbeddingClassifier


class ClassifierComponent(GraphComponent):
    MODEL_FILE = "classifier.pkl"

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
               execution_context: ExecutionContext) -> ClassifierComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ClassifierComponent:
        try:
            with model_storage.read_from(resource) as directory:
                state = pickle.loads((directory / cls.MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            state = None  # never trained (too few examples): the component changes nothing
        return cls(config, model_storage, resource, state)

    def fit(self, texts: List[str], labels: List[str], training_data: TrainingData) -> Resource:
        """Trains on (text, label) pairs, keeps the FAQ answers of `faq/<id>` labels, persists."""
        self.classifier = NgramEmbeddingClassifier(
            self.config["min_ngram"], self.config["max_ngram"], self.config["dense"],
            self.config["regularization"]).fit(texts, labels)
        self.responses = {f"utter_{label}": training_data.responses.get(f"utter_{label}", [])
                          for label in self.classifier.classes if "/" in label}
        with self._storage.write_to(self._resource) as directory:
            (directory / self.MODEL_FILE).write_bytes(pickle.dumps(
                {"classifier": self.classifier, "responses": self.responses}))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
