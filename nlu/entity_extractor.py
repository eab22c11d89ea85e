"""Rasa component: rule-based finance entities with normalized values.

The value logic lives in `nlu.values` (pure functions, `today` injectable); this module
only adapts it to Rasa messages. Entity names and value formats: docs/architecture.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

import nlu.spacy_zh  # noqa: F401  registers the finance tokenizer for SpacyNLP
from nlu import clock
from nlu.values.extract import extract_values
from nlu.values.span import Span


def entities_for_text(text: str, today: date) -> List[Dict[Text, Any]]:
    """Rasa entity dicts (without extractor name) for an already normalized text."""
    return [_as_entity(span, text) for span in extract_values(text, today)]


def _as_entity(span: Span, text: str) -> Dict[Text, Any]:
    value = dict(span.value) if isinstance(span.value, dict) else span.value
    entity = {
        "entity": span.entity,
        "value": value,
        "start": span.start,
        "end": span.end,
        "text": text[span.start : span.end],
        "confidence_entity": 1.0,
    }
    if span.role:
        entity["role"] = span.role
    return entity


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class FinanceEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Amounts, dates, card tails, phones, codes, counts and keywords (see architecture)."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FinanceEntityExtractor:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        today = clock.today()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name(entities_for_text(text, today))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
