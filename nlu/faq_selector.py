"""Rasa component that picks the FAQ (retrieval intent `faq/<id>`) for a message.

The FAQs come from the staff-owned source file (config `faq_source`, default
bot/faq/faqs.yml), not from Rasa's training data (see nlu/classifier_component.py).
Features: TF-IDF over character n-grams, plus (``dense: true``) a multilingual sentence
embedding (nlu/sentence_encoder.py). A logistic regression over them ranks the FAQs. It
trains in seconds, with no epochs, and on the staff-FAQ benchmark and our held-out
phrasings it measured above Rasa's ResponseSelector (README, `make faq-eval`). It writes
the same `response_selector` output as ResponseSelector, with the chosen FAQ's answers;
the action `action_answer_faq` says them.
"""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.classifier_component import ClassifierComponent
from nlu.text_classifier import NgramEmbeddingClassifier


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqSelector(ClassifierComponent):
    """Logistic regression over character n-gram TF-IDF and sentence-embedding features."""

    MODEL_FILE = "faq_selector.pkl"

    def train(self, training_data: TrainingData) -> Resource:
        faqs = self.enabled_faqs()
        texts, labels = self.faq_examples(faqs)
        if len(set(labels)) < 2:
            return self._resource
        return self.fit(texts, labels, faqs)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.classifier is None:
            return messages
        for message in messages:
            self._select(self.classifier, message)
        return messages

    def _select(self, classifier: NgramEmbeddingClassifier, message: Message) -> None:
        scores = classifier.probabilities(message.get(TEXT) or "")
        ranked = sorted(zip(classifier.classes, scores, strict=True), key=lambda pair: -pair[1])
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
