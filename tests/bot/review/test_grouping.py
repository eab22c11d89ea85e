"""Failed messages grouped by meaning — with the NLU's sentence encoder, and with character n-grams when
the encoder can't be loaded — the same groups whatever the order, and a suggested FAQ or intent."""

import random

import pytest

from bot.review.failures import FALLBACK, FailedMessage, message_key
from bot.review.grouping import ENCODER, NGRAM, Encoder, Target, group

TEXTS = {
    "hours": ["网点几点开门", "你们营业厅几点开门"],
    "lost": ["信用卡丢了怎么办", "卡丢了怎么挂失", "我的信用卡不见了"],
    "weather": ["明天天气怎么样", "北京天气"],
}
TARGETS = [
    Target("intent:report_card_loss", ("我的卡丢了", "银行卡挂失", "卡不见了怎么办")),
    Target("faq:branch_hours", ("网点几点营业", "营业厅周末开门吗")),
    Target("intent:out_of_scope", ("今天天气怎么样", "放首歌")),
]
SUGGESTED = {"hours": "faq:branch_hours", "lost": "intent:report_card_loss", "weather": "intent:out_of_scope"}


def failed(text: str, n: int) -> FailedMessage:
    at = 1772416800.0 + n
    return FailedMessage(message_key(f"c{n}", at, text), f"c{n}", at, "chat", text, (FALLBACK,), "nlu_fallback", 0.4,
                         original=text)  # fmt: skip


def messages() -> list[FailedMessage]:
    texts = [text for group_texts in TEXTS.values() for text in group_texts]
    return [failed(text, n) for n, text in enumerate(texts)]


class Broken(Encoder):
    @staticmethod
    def _encode(texts):
        raise FileNotFoundError("no model")


def meaning_of(texts: set[str]) -> str:
    [name] = [name for name, group_texts in TEXTS.items() if texts <= set(group_texts)]
    return name


def test_the_encoder_groups_paraphrases_and_suggests_where_each_group_belongs():
    grouping = group(messages(), TARGETS, Encoder())
    assert grouping.method == ENCODER
    groups = {meaning_of({m.text for m in found.messages}): found for found in grouping.groups}
    assert {name: {m.text for m in found.messages} for name, found in groups.items()} == {
        name: set(texts) for name, texts in TEXTS.items()
    }
    assert {name: found.suggestion.target for name, found in groups.items()} == SUGGESTED
    assert [len(found.messages) for found in grouping.groups] == [3, 2, 2]  # largest first


@pytest.mark.parametrize("encoder", [Encoder(), None], ids=[ENCODER, NGRAM])
def test_the_same_messages_in_any_order_give_the_same_groups(encoder):
    first = group(messages(), TARGETS, encoder)
    shuffled = messages()
    random.Random(7).shuffle(shuffled)
    again = group(shuffled, TARGETS, encoder)
    assert [(g.id, [m.key for m in g.messages], g.suggestion) for g in first.groups] == [
        (g.id, [m.key for m in g.messages], g.suggestion) for g in again.groups
    ]


def test_without_the_encoder_character_ngrams_group_shared_wording_and_say_so():
    grouping = group(messages(), TARGETS, Broken())
    assert grouping.method == NGRAM
    together = [{m.text for m in found.messages} for found in grouping.groups]
    assert set(TEXTS["hours"]) in together and set(TEXTS["weather"]) in together
    assert {"信用卡丢了怎么办", "卡丢了怎么挂失"} in together
    hours = next(found for found in grouping.groups if found.messages[0].text in TEXTS["hours"])
    assert hours.suggestion is not None and hours.suggestion.target == "faq:branch_hours"


def test_the_same_words_from_many_conversations_are_one_group_newest_first():
    same = [failed("网点几点开门", n) for n in range(4)]
    [only] = group(same, TARGETS, Encoder()).groups
    assert [m.conversation_id for m in only.messages] == ["c3", "c2", "c1", "c0"]
    shown = only.as_dict()
    assert (shown["size"], shown["reasons"]) == (4, {FALLBACK: 4})
    assert shown["suggestion"]["target"] == "faq:branch_hours" and 0.6 <= shown["suggestion"]["score"] <= 1


def test_no_suggestion_when_nothing_is_near_and_nothing_to_group():
    [alone] = group([failed("叽里咕噜", 1)], TARGETS, Encoder()).groups
    assert alone.suggestion is None
    assert group([], TARGETS, Encoder()).groups == ()
