"""The Rasa components run through `process` on real Rasa messages."""

from datetime import date

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu import spacy_zh
from nlu.entity_extractor import FinanceEntityExtractor, entities_for_text
from nlu.normalizer import ChineseTextNormalizer


def create(component, **config):
    return component.create({**component.get_default_config(), **config}, None, None, None)


def test_normalizer_rewrites_text_in_process():
    message = Message(data={TEXT: "我 想 查 储蓄卡 余额！"})
    create(ChineseTextNormalizer).process([message])
    assert message.get(TEXT) == "我想查储蓄卡余额!"


def test_normalizer_moves_annotated_entities_in_training_data():
    entity = {"entity": "account_type", "value": "savings", "start": 6, "end": 9}
    example = Message(data={TEXT: "我 想 查 储蓄卡 余额", "intent": "check_balance", ENTITIES: [entity]})
    create(ChineseTextNormalizer).process_training_data(TrainingData([example]))
    assert example.get(TEXT)[entity["start"] : entity["end"]] == "储蓄卡"


def test_extractor_adds_rasa_entities():
    message = Message(data={TEXT: "转给张三五百块"})
    create(FinanceEntityExtractor).process([message])
    entities = message.get(ENTITIES)
    assert [(e["entity"], e["value"]) for e in entities] == [("recipient", "张三"), ("amount", "500.00")]
    assert all(e["extractor"] == "FinanceEntityExtractor" for e in entities)
    assert all(e["confidence_entity"] == 1.0 for e in entities)
    assert entities[1]["start"] == 4 and entities[1]["end"] == 7


def test_date_range_value_is_a_plain_dict():
    entities = entities_for_text("上周", date(2026, 11, 26))
    assert entities[0]["value"] == {"start": "2026-11-16", "end": "2026-11-22"}


def test_spacy_nlp_and_tokenizer_use_the_finance_segmentation(tmp_path):
    model_dir = spacy_zh.build(tmp_path / "spacy_zh")
    spacy_nlp = create(SpacyNLP, model=str(model_dir))
    messages = [Message(data={TEXT: "我 想 查 白条 最低 还款"})]
    create(ChineseTextNormalizer).process(messages)
    spacy_nlp.process(messages, spacy_nlp.provide())
    create(SpacyTokenizer).process(messages)
    tokens = [t.text for t in messages[0].get(TOKENS_NAMES[TEXT])]
    assert tokens == ["我", "想", "查", "白条", "最低还款"]
