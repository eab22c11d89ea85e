"""Rasa component that blends DIET's intent ranking with a second, fast classifier.

The second opinion is a logistic regression over character n-grams and sentence embeddings
(nlu/text_classifier.py) trained on every task intent example and on every phrasing of the staff FAQ source, each FAQ
its own class (`faq/<id>`). DIET's share of `faq` is spread over the FAQs as FaqSelector ranks them. The
blend sets the intent, the intent ranking and the FAQ choice; FallbackClassifier reads them.
On our held-out sets the blend measured above DIET alone (README "NLU quality").
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.classifier_component import ClassifierComponent
from nlu.faq_selector import write_selection
from nlu.text_classifier import NgramEmbeddingClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentBlender(ClassifierComponent):
    MODEL_FILE = "intent_blender.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**ClassifierComponent.get_default_config(), "diet_weight": 0.3}

    def train(self, training_data: TrainingData) -> Resource:
        """Task intents from Rasa's data; `faq` examples there (DIET's) give way to the FAQ source."""
        tasks = [m for m in training_data.intent_examples if m.get(INTENT) != self.config["retrieval_intent"]]
        faqs = self.enabled_faqs()
        faq_texts, faq_labels = self.faq_examples(faqs)
        texts, labels = [m.get(TEXT) for m in tasks] + faq_texts, [m.get(INTENT) for m in tasks] + faq_labels
        if len(set(labels)) < 2:
            return self._resource
        return self.fit(texts, labels, faqs)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.classifier is not None:
            for message in messages:
                self._blend(self.classifier, message)
        return messages

    def _diet_scores(self, message: Message) -> Dict[str, float]:
        """DIET's ranking with its `faq` share spread over the FAQs by FaqSelector's ranking."""
        faq = self.config["retrieval_intent"]
        selection = ((message.get("response_selector") or {}).get(faq) or {}).get("ranking") or []
        scores: Dict[str, float] = {}
        for entry in message.get(INTENT_RANKING_KEY) or []:
            if entry["name"] == faq and selection:
                for choice in selection:
                    scores[choice[INTENT_RESPONSE_KEY]] = entry["confidence"] * choice["confidence"]
            else:
                scores[entry["name"]] = entry["confidence"]
        return scores

    def _blend(self, classifier: NgramEmbeddingClassifier, message: Message) -> None:
        weight = self.config["diet_weight"]
        blended: Dict[str, float] = defaultdict(float)
        scores = classifier.probabilities(message.get(TEXT) or "")
        for label, score in zip(classifier.classes, scores, strict=True):
            blended[label] += (1 - weight) * float(score)
        for label, score in self._diet_scores(message).items():
            blended[label] += weight * score
        by_intent: Dict[str, float] = defaultdict(float)
        for label, score in blended.items():
            by_intent[label.split("/")[0]] += score
        ranking = sorted(by_intent.items(), key=lambda pair: -pair[1])[: self.config["ranking_length"]]
        best = ranking[0][0]  # by intent: the FAQs' shares add up, as DIET's single `faq` does
        message.set(INTENT, {"name": best, "confidence": by_intent[best]}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": score} for name, score in ranking],
                    add_to_output=True)
        faqs = sorted(((label, score) for label, score in blended.items() if "/" in label), key=lambda pair: -pair[1])
        if faqs:
            write_selection(message, self.config["retrieval_intent"], faqs[: self.config["ranking_length"]],
                            self.responses)
