"""FaqSelector: trains on the staff FAQ source, persists, and answers like ResponseSelector."""

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.faq_selector import FaqSelector
from tests.nlu.faq_source import write_faq_source

FAQS = {
    "faq/transfer_time": ["转账多久到账", "跨行转账几天能到", "钱转出去对方多久收到", "转账是实时到的吗"],
    "faq/card_replacement": ["补卡要多久", "银行卡丢了怎么补办", "补办新卡收费吗", "卡坏了能换新卡吗"],
    "faq/service_hours": ["人工客服几点上班", "客服晚上几点下班", "周末有人工吗", "节假日客服在线吗"],
}


def training_data() -> TrainingData:
    """What Rasa passes: task intents and DIET's plain `faq` examples, which the selector ignores."""
    return TrainingData([Message(data={TEXT: "查余额", INTENT: "check_balance"}),
                         Message(data={TEXT: "跟钱无关的乱写", INTENT: "faq"})])


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "model").mkdir()
    return LocalModelStorage(tmp_path / "model")


def trained(storage, source, **config) -> FaqSelector:
    resource = Resource("faq_selector")
    config = {**FaqSelector.get_default_config(), "faq_source": str(source), **config}
    FaqSelector.create(config, storage, resource, None).train(training_data())
    return FaqSelector.load(config, storage, resource, None)


@pytest.mark.parametrize("dense", [False, True])
def test_selects_the_faq_of_a_new_phrasing_in_response_selector_format(storage, tmp_path, dense):
    message = Message(data={TEXT: "我的卡不见了要重新办一张"})
    trained(storage, write_faq_source(tmp_path / "faqs.yml", FAQS), dense=dense).process([message])
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response[INTENT_RESPONSE_KEY] == "faq/card_replacement"
    assert response["utter_action"] == "utter_faq/card_replacement"
    assert response["responses"] == [{"text": "答案：faq/card_replacement"}]
    ranking = selector["faq"]["ranking"]
    assert [r[INTENT_RESPONSE_KEY] for r in ranking][0] == "faq/card_replacement"
    assert sorted(r[INTENT_RESPONSE_KEY] for r in ranking) == sorted(FAQS)
    assert ranking[0]["confidence"] == response["confidence"] >= ranking[1]["confidence"]


def test_the_voice_answer_travels_with_the_model(storage, tmp_path):
    message = Message(data={TEXT: "周末有没有人工客服"})
    trained(storage, write_faq_source(tmp_path / "faqs.yml", FAQS, voice=True), dense=False).process([message])
    assert message.get("response_selector")["faq"]["response"]["responses"] == [
        {"text": "答案：faq/service_hours"}, {"text": "语音：faq/service_hours", "channel": "voice"}]


def test_without_faqs_it_selects_nothing(storage, tmp_path):
    message = Message(data={TEXT: "补卡要多久"})
    trained(storage, write_faq_source(tmp_path / "faqs.yml", {})).process([message])
    assert message.get("response_selector") is None


def test_the_fingerprint_follows_the_faq_source_file(tmp_path):
    source = write_faq_source(tmp_path / "faqs.yml", FAQS)
    config = {"faq_source": str(source)}
    before = FaqSelector.fingerprint_addon(config)
    assert FaqSelector.fingerprint_addon(config) == before
    write_faq_source(source, {**FAQS, "faq/new_one": ["新问题一", "新问题二"]})
    assert FaqSelector.fingerprint_addon(config) != before
