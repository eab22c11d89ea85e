"""The Rasa data generated from the FAQ source."""

import yaml

from bot.faq import entries, rasa_data
from bot.faq.entries import Faq


def test_committed_generated_files_match_the_source():
    assert rasa_data.is_current(entries.load()), "run: make faq-generate"


def test_generated_files_say_they_are_generated():
    for path in (rasa_data.NLU_FILE, rasa_data.DOMAIN_FILE):
        assert path.read_text(encoding="utf-8").startswith("# GENERATED from bot/faq/faqs.yml")


def test_enabled_faqs_become_retrieval_intents_with_chat_and_voice_answers():
    faqs = [Faq("a_one", "x", ("问一", "问二"), "答一", "说一"),
            Faq("b_two", "x", ("问三",), "答二"),
            Faq("c_off", "x", ("问四",), "答三", enabled=False)]
    nlu = yaml.safe_load(rasa_data.nlu_yaml(faqs))["nlu"]
    assert nlu == [{"intent": "faq/a_one", "examples": "- 问一\n- 问二\n"},
                   {"intent": "faq/b_two", "examples": "- 问三\n"}]
    responses = yaml.safe_load(rasa_data.domain_yaml(faqs))["responses"]
    assert responses == {"utter_faq/a_one": [{"text": "答一"}, {"text": "说一", "channel": "voice"}],
                         "utter_faq/b_two": [{"text": "答二"}]}
