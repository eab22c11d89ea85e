"""FaqSelector: trains on faq/<id> examples, persists, and answers like ResponseSelector."""

import pytest

pytest.importorskip("rasa")

from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from nlu.faq_selector import FaqSelector  # noqa: E402

FAQS = {
    "faq/transfer_time": ["转账多久到账", "跨行转账几天能到", "钱转出去对方多久收到", "转账是实时到的吗"],
    "faq/card_replacement": ["补卡要多久", "银行卡丢了怎么补办", "补办新卡收费吗", "卡坏了能换新卡吗"],
    "faq/service_hours": ["人工客服几点上班", "客服晚上几点下班", "周末有人工吗", "节假日客服在线吗"],
}


def training_data() -> TrainingData:
    examples = [Message(data={TEXT: text, INTENT: "faq", INTENT_RESPONSE_KEY: key})
                for key, texts in FAQS.items() for text in texts]
    examples.append(Message(data={TEXT: "查余额", INTENT: "check_balance"}))
    responses = {f"utter_{key}": [{"text": f"答案：{key}"}] for key in FAQS}
    return TrainingData(examples, responses=responses)


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def trained(storage, **config) -> FaqSelector:
    resource = Resource("faq_selector")
    selector = FaqSelector.create({**FaqSelector.get_default_config(), **config}, storage, resource, None)
    selector.train(training_data())
    return FaqSelector.load({**FaqSelector.get_default_config(), **config}, storage, resource, None)


@pytest.mark.parametrize("dense", [False, True])
def test_selects_the_faq_of_a_new_phrasing_in_response_selector_format(storage, dense):
    message = Message(data={TEXT: "我的卡不见了要重新办一张"})
    trained(storage, dense=dense).process([message])
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


def test_without_faq_examples_it_selects_nothing(storage):
    resource = Resource("empty")
    FaqSelector.create(FaqSelector.get_default_config(), storage, resource, None).train(
        TrainingData([Message(data={TEXT: "查余额", INTENT: "check_balance"})]))
    selector = FaqSelector.load(FaqSelector.get_default_config(), storage, resource, None)
    message = Message(data={TEXT: "补卡要多久"})
    selector.process([message])
    assert message.get("response_selector") is None
