"""IntentBlender: blends DIET's ranking with its own classifier over intents and FAQs."""

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.intent_blender import IntentBlender
from tests.nlu.faq_source import write_faq_source

TASKS = {
    "check_balance": ["查余额", "卡里还有多少钱", "看看我的余额", "账户余额多少"],
    "report_card_loss": ["我的卡丢了", "挂失银行卡", "卡被偷了帮我挂失", "银行卡不见了快冻结"],
}
FAQS = {
    "faq/transfer_time": ["转账多久到账", "跨行转账几天能到", "钱转出去对方多久收到", "转账是实时到的吗"],
    "faq/service_hours": ["人工客服几点上班", "客服晚上几点下班", "周末有人工吗", "节假日客服在线吗"],
}


def training_data() -> TrainingData:
    """Task intents, and DIET's plain `faq` examples, which the blender replaces by the FAQ source."""
    examples = [Message(data={TEXT: t, INTENT: intent}) for intent, texts in TASKS.items() for t in texts]
    return TrainingData(examples + [Message(data={TEXT: "查余额查余额", INTENT: "faq"})])


def blender(tmp_path, data: TrainingData, faqs=FAQS, **config) -> IntentBlender:
    (tmp_path / "model").mkdir()
    storage, resource = LocalModelStorage(tmp_path / "model"), Resource("blender")
    source = write_faq_source(tmp_path / "faqs.yml", faqs)
    config = {**IntentBlender.get_default_config(), "dense": False, "faq_source": str(source), **config}
    IntentBlender.create(config, storage, resource, None).train(data)
    return IntentBlender.load(config, storage, resource, None)


def parsed(text: str, diet: dict, faq_ranking: list = ()) -> Message:
    """A message as DIET and FaqSelector leave it."""
    message = Message(data={TEXT: text})
    ranking = [{"name": name, "confidence": score} for name, score in diet.items()]
    message.set(INTENT, ranking[0])
    message.set(INTENT_RANKING_KEY, ranking)
    if faq_ranking:
        message.set("response_selector", {"all_retrieval_intents": ["faq"], "faq": {
            "ranking": [{INTENT_RESPONSE_KEY: key, "confidence": c} for key, c in faq_ranking]}})
    return message


def test_a_confident_classifier_overrules_a_wrong_diet_guess(tmp_path):
    message = parsed("卡里还有多少钱啊", {"faq": 0.9, "check_balance": 0.1},
                     [("faq/transfer_time", 0.6), ("faq/service_hours", 0.4)])
    blender(tmp_path, training_data()).process([message])
    assert message.get(INTENT)["name"] == "check_balance"
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "check_balance"
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_faq_shares_add_up_and_the_best_faq_is_selected_with_its_answer(tmp_path):
    message = parsed("跨行转账要几天到", {"faq": 0.8, "check_balance": 0.2},
                     [("faq/transfer_time", 0.9), ("faq/service_hours", 0.1)])
    blender(tmp_path, training_data()).process([message])
    intent = message.get(INTENT)
    assert intent["name"] == "faq"
    assert intent["confidence"] == pytest.approx(message.get(INTENT_RANKING_KEY)[0]["confidence"])
    response = message.get("response_selector")["faq"]["response"]
    assert response[INTENT_RESPONSE_KEY] == "faq/transfer_time"
    assert response["utter_action"] == "utter_faq/transfer_time"
    assert response["responses"] == [{"text": "答案：faq/transfer_time"}]


def test_diet_weight_one_keeps_diets_answer(tmp_path):
    message = parsed("卡里还有多少钱啊", {"report_card_loss": 0.7, "check_balance": 0.3})
    blender(tmp_path, training_data(), diet_weight=1.0).process([message])
    assert message.get(INTENT) == {"name": "report_card_loss", "confidence": pytest.approx(0.7)}


def test_with_a_single_label_it_leaves_diet_alone(tmp_path):
    data = TrainingData([Message(data={TEXT: t, INTENT: "check_balance"}) for t in TASKS["check_balance"]])
    message = parsed("查余额", {"check_balance": 0.95})
    blender(tmp_path, data, faqs={}).process([message])
    assert message.get(INTENT) == {"name": "check_balance", "confidence": 0.95}
