"""Rasa component that decides the intent and, for a common question, which FAQ it is.

A logistic regression over character n-grams, jieba words and a multilingual sentence
embedding (nlu/text_classifier.py), trained on every task intent example and on every
phrasing of the staff FAQ source, each FAQ its own class (`faq/<id>`). The FAQs' shares add
up to the intent `faq`; the best FAQ is written as ResponseSelector would write it, with
its answers, so `action_answer_faq` says them. It trains in about a minute with no epochs
and replaced DIET (docs/benchmarks.md: what each choice costs and buys).

The FAQs (phrasings and answers) are read from the staff-owned source file named by
`faq_source`, not from Rasa's training data: a staff edit then retrains this component
only. Rasa's cache fingerprints a component by its inputs and configuration; the file's
hash (and this code's) is added to this component's key.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import spacy_zh, text_classifier, textnorm
from nlu.faq_source import load
from nlu.text_classifier import NgramEmbeddingClassifier
from nlu.textnorm import normalize_text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(GraphComponent):
    MODEL_FILE = "intent_classifier.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "retrieval_intent": "faq",
            "faq_source": "bot/faq/faqs.yml",
            "min_ngram": 1,
            "max_ngram": 2,
            "min_df": 2,
            "word_weight": 1.0,
            "dense": True,
            "dense_weight": 2.0,
            "regularization": 30.0,
            "ranking_length": 10,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The FAQ source's bytes, this code's and the word dictionary's: Rasa's own key covers none."""
        path = Path(str(config.get("faq_source") or cls.get_default_config()["faq_source"]))
        digest = hashlib.sha256(path.read_bytes() if path.is_file() else f"missing {path}".encode())
        for module in (sys.modules[__name__], text_classifier, textnorm, spacy_zh):
            digest.update(Path(str(module.__file__)).read_bytes())
        digest.update(spacy_zh.FINANCE_DICT.read_bytes())  # the jieba words the classifier sees
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: Optional[Dict[Text, Any]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        state = state or {}
        self.classifier: Optional[NgramEmbeddingClassifier] = state.get("classifier")
        self.responses: Dict[str, List[Dict[str, Any]]] = state.get("responses", {})

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                state = pickle.loads((directory / cls.MODEL_FILE).read_bytes())
        except (ValueError, FileNotFoundError):
            state = None  # never trained (fewer than two labels): the component changes nothing
        return cls(config, model_storage, resource, state)

    def train(self, training_data: TrainingData) -> Resource:
        """Task intents from Rasa's data; its `faq` examples give way to the FAQ source's phrasings."""
        faq_intent = self.config["retrieval_intent"]
        tasks = [m for m in training_data.intent_examples if m.get(INTENT) != faq_intent]
        faqs = [faq for faq in load(Path(self.config["faq_source"])) if faq.enabled]
        faq_pairs = [(normalize_text(question), f"{faq_intent}/{faq.id}") for faq in faqs for question in faq.questions]
        texts = [m.get(TEXT) for m in tasks] + [text for text, _ in faq_pairs]
        labels = [m.get(INTENT) for m in tasks] + [label for _, label in faq_pairs]
        if len(set(labels)) < 2:
            return self._resource
        self.classifier = NgramEmbeddingClassifier(
            self.config["min_ngram"],
            self.config["max_ngram"],
            self.config["dense"],
            self.config["regularization"],
            self.config["dense_weight"],
            self.config["word_weight"],
            self.config["min_df"],
        ).fit(texts, labels)
        self.responses = {f"utter_{faq_intent}/{faq.id}": faq.answers() for faq in faqs}
        with self._storage.write_to(self._resource) as directory:
            (directory / self.MODEL_FILE).write_bytes(
                pickle.dumps({"classifier": self.classifier, "responses": self.responses})
            )
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self.classifier is not None:
            for message in messages:
                self._classify(self.classifier, message)
        return messages

    def _classify(self, classifier: NgramEmbeddingClassifier, message: Message) -> None:
        if not any(char.isalnum() for char in message.get(TEXT) or ""):
            # no word at all (？, an emoji, a control character): no intent, so nothing is taken as a yes
            message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [], add_to_output=True)
            return
        scores = zip(classifier.classes, classifier.probabilities(message.get(TEXT) or ""), strict=True)
        by_label = {label: float(score) for label, score in scores}
        by_intent: Dict[str, float] = defaultdict(float)
        for label, score in by_label.items():
            by_intent[label.split("/")[0]] += score
        ranking = sorted(by_intent.items(), key=lambda pair: -pair[1])[: self.config["ranking_length"]]
        best = ranking[0][0]  # by intent: the FAQs' shares add up
        message.set(INTENT, {"name": best, "confidence": by_intent[best]}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY, [{"name": name, "confidence": score} for name, score in ranking], add_to_output=True
        )
        faqs = sorted(((label, score) for label, score in by_label.items() if "/" in label), key=lambda pair: -pair[1])
        if faqs:
            self._write_selection(message, faqs[: self.config["ranking_length"]])

    def _write_selection(self, message: Message, ranked: List[tuple[str, float]]) -> None:
        """`response_selector` as ResponseSelector writes it, for (faq key, confidence) pairs, best first."""
        intent = self.config["retrieval_intent"]
        ranking = [{"confidence": score, INTENT_RESPONSE_KEY: key} for key, score in ranked]
        best = ranking[0][INTENT_RESPONSE_KEY]
        utter_action = f"utter_{best}"
        selector = message.get("response_selector", {})
        selector["all_retrieval_intents"] = [intent]
        selector[intent] = {
            "response": {
                "responses": self.responses.get(utter_action, []),
                "confidence": ranking[0]["confidence"],
                INTENT_RESPONSE_KEY: best,
                "utter_action": utter_action,
            },
            "ranking": ranking,
        }
        message.set("response_selector", selector, add_to_output=True)
