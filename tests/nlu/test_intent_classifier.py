"""IntentClassifier: intents and FAQs from one classifier, trained on Rasa's task examples and
the staff FAQ source; writes the FAQ choice as ResponseSelector does."""

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.intent_classifier import IntentClassifier
from nlu.text_classifier import words
from tests.nlu.faq_source import write_faq_source

TASKS = {
    "check_balance": ["查余额", "卡里还有多少钱", "看看我的余额", "账户余额多少"],
    "report_card_loss": ["我的卡丢了", "挂失银行卡", "卡被偷了帮我挂失", "银行卡不见了快冻结"],
}
FAQS = {
    "faq/transfer_time": ["转账多久到账", "跨行转账几天能到", "钱转出去对方多久收到", "转账是实时到的吗"],
    "faq/card_replacement": ["补卡要多久", "银行卡丢了怎么补办", "补办新卡收费吗", "卡坏了能换新卡吗"],
    "faq/service_hours": ["人工客服几点上班", "客服晚上几点下班", "周末有人工吗", "节假日客服在线吗"],
}


def training_data(tasks=TASKS) -> TrainingData:
    """Task intents, and Rasa's plain `faq` examples, which the FAQ source replaces."""
    examples = [Message(data={TEXT: t, INTENT: intent}) for intent, texts in tasks.items() for t in texts]
    return TrainingData(examples + [Message(data={TEXT: "查余额查余额", INTENT: "faq"})])


def classifier(tmp_path, data: TrainingData, faqs=FAQS, voice=False, **config) -> IntentClassifier:
    (tmp_path / "model").mkdir()
    storage, resource = LocalModelStorage(tmp_path / "model"), Resource("intent_classifier")
    source = write_faq_source(tmp_path / "faqs.yml", faqs, voice=voice)
    config = {**IntentClassifier.get_default_config(), "dense": False, "min_df": 1, "faq_source": str(source), **config}
    IntentClassifier.create(config, storage, resource, None).train(data)
    return IntentClassifier.load(config, storage, resource, None)


def parsed(model: IntentClassifier, text: str) -> Message:
    message = Message(data={TEXT: text})
    model.process([message])
    return message


@pytest.mark.parametrize("dense", [False, True])
def test_a_task_request_gets_its_intent_and_a_normalized_ranking(tmp_path, dense):
    message = parsed(classifier(tmp_path, training_data(), dense=dense), "卡里还剩多少钱")
    assert message.get(INTENT)["name"] == "check_balance"
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0] == message.get(INTENT)
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    assert {r["name"] for r in ranking} == {"check_balance", "report_card_loss", "faq"}


def test_faq_shares_add_up_and_the_best_faq_is_selected_with_its_answer(tmp_path):
    message = parsed(classifier(tmp_path, training_data()), "跨行转账要几天到")
    intent = message.get(INTENT)
    assert intent["name"] == "faq"
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response[INTENT_RESPONSE_KEY] == "faq/transfer_time"
    assert response["utter_action"] == "utter_faq/transfer_time"
    assert response["responses"] == [{"text": "答案：faq/transfer_time"}]
    ranking = selector["faq"]["ranking"]
    assert sorted(r[INTENT_RESPONSE_KEY] for r in ranking) == sorted(FAQS)
    assert intent["confidence"] == pytest.approx(sum(r["confidence"] for r in ranking))
    assert ranking[0]["confidence"] == response["confidence"] >= ranking[1]["confidence"]


def test_the_voice_answer_travels_with_the_model(tmp_path):
    message = parsed(classifier(tmp_path, training_data(), voice=True), "周末有没有人工客服")
    assert message.get("response_selector")["faq"]["response"]["responses"] == [
        {"text": "答案：faq/service_hours"},
        {"text": "语音：faq/service_hours", "channel": "voice"},
    ]


def test_faqs_alone_are_enough_to_train_an_faq_ranking(tmp_path):
    message = parsed(classifier(tmp_path, training_data(tasks={})), "我的卡不见了要重新办一张")
    assert message.get("response_selector")["faq"]["response"][INTENT_RESPONSE_KEY] == "faq/card_replacement"


def test_with_a_single_label_it_leaves_the_message_alone(tmp_path):
    data = TrainingData([Message(data={TEXT: t, INTENT: "check_balance"}) for t in TASKS["check_balance"]])
    message = parsed(classifier(tmp_path, data, faqs={}), "查余额")
    assert message.get(INTENT) is None
    assert message.get("response_selector") is None


def test_the_fingerprint_follows_the_faq_source_file(tmp_path):
    source = write_faq_source(tmp_path / "faqs.yml", FAQS)
    config = {"faq_source": str(source)}
    before = IntentClassifier.fingerprint_addon(config)
    assert IntentClassifier.fingerprint_addon(config) == before
    write_faq_source(source, {**FAQS, "faq/new_one": ["新问题一", "新问题二"]})
    assert IntentClassifier.fingerprint_addon(config) != before


def test_words_come_from_jieba_with_the_finance_dictionary():
    assert "白条" in words("白条怎么分期")
    assert " " not in words("我 要 还款")
