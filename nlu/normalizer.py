"""Rasa component that normalizes the user text before tokenization.

Registered as a MESSAGE_TOKENIZER so the default recipe runs it in config order during
training (`process_training_data`), end-to-end featurization and inference (`process`).
Put it first in the pipeline.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import nlu.spacy_zh  # noqa: F401  registers the finance tokenizer for SpacyNLP
from nlu.textnorm import normalize_with_offsets


def _remap_entities(entities: List[Dict[Text, Any]], offsets: List[int]) -> None:
    """Move annotated entity spans from the original to the normalized text."""
    for entity in entities:
        start, end = entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]
        inside = [pos for pos, origin in enumerate(offsets) if start <= origin < end]
        if inside:
            entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END] = inside[0], inside[-1] + 1


def normalize_message(message: Message) -> None:
    text = message.get(TEXT)
    if not text:
        return
    normalized, offsets = normalize_with_offsets(text)
    if normalized == text:
        return
    _remap_entities(message.get(ENTITIES) or [], offsets)
    message.set(TEXT, normalized)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ChineseTextNormalizer(GraphComponent):
    """Full-width → half-width, unified punctuation, ASR spaces removed, Latin lower-cased."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ChineseTextNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            normalize_message(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            normalize_message(message)
        return messages
