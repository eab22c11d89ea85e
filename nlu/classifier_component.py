"""Shared base of the Rasa components built on NgramEmbeddingClassifier (FaqSelector,
IntentBlender): configuration, the staff FAQ source, training, and the pickled state.

The FAQs (phrasings and answers) are read from the staff-owned source file named by
`faq_source`, not from Rasa's training data. Rasa's cache fingerprints each component by
its inputs and configuration; the file's hash (and this code's) is added to these two
components' keys only, so a staff edit retrains them (about a minute) while DIET and the
dialogue policies stay cached.
"""
from __future__ import annotations

import hashlib
import inspect
import pickle
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.faq.entries import Faq, load
from nlu import text_classifier, textnorm
from nlu.text_classifier import NgramEmbeddingClassifier
from nlu.textnorm import normalize_text


class ClassifierComponent(GraphComponent):
    MODEL_FILE = "classifier.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"retrieval_intent": "faq", "faq_source": "bot/faq/faqs.yml", "min_ngram": 1, "max_ngram": 2,
                "dense": True, "dense_weight": 1.0, "regularization": 10.0, "ranking_length": 10}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The FAQ source's bytes and this code's: Rasa's own key covers neither."""
        path = Path(config.get("faq_source") or cls.get_default_config()["faq_source"])
        digest = hashlib.sha256(path.read_bytes() if path.is_file() else f"missing {path}".encode())
        for module in (sys.modules[cls.__module__], sys.modules[__name__], text_classifier, textnorm):
            digest.update(Path(inspect.getfile(module)).read_bytes())
        return digest.hexdigest()

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

    def enabled_faqs(self) -> List[Faq]:
        return [faq for faq in load(Path(self.config["faq_source"])) if faq.enabled]

    def faq_examples(self, faqs: List[Faq]) -> tuple[List[str], List[str]]:
        """(phrasing, `faq/<id>`) pairs of the FAQs, normalized as ChineseTextNormalizer does messages."""
        intent = self.config["retrieval_intent"]
        pairs = [(normalize_text(question), f"{intent}/{faq.id}") for faq in faqs for question in faq.questions]
        return [text for text, _ in pairs], [label for _, label in pairs]

    def fit(self, texts: List[str], labels: List[str], faqs: List[Faq]) -> Resource:
        """Trains on (text, label) pairs, keeps the FAQ answers by `utter_faq/<id>`, persists."""
        self.classifier = NgramEmbeddingClassifier(
            self.config["min_ngram"], self.config["max_ngram"], self.config["dense"],
            self.config["regularization"], self.config["dense_weight"]).fit(texts, labels)
        intent = self.config["retrieval_intent"]
        self.responses = {f"utter_{intent}/{faq.id}": faq.answers() for faq in faqs}
        with self._storage.write_to(self._resource) as directory:
            (directory / self.MODEL_FILE).write_bytes(pickle.dumps(
                {"classifier": self.classifier, "responses": self.responses}))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
