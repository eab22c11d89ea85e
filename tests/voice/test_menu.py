import pytest

from voice.menu import choose, spoken_options


def buttons(*titles_and_payloads):
    return [{"title": t, "payload": p} for t, p in titles_and_payloads]


# Button sets the bot really sends (actions/prompts.py, questions.py, fallback.py).
CONFIRM = buttons(("确认", "/affirm"), ("取消", "/cancel"))
INSTALLMENTS = buttons(*[(f"{n}期", f'/inform{{"installment_count": {n}}}') for n in (3, 6, 12, 24)])
CARDS = buttons(("尾号1234", '/inform{"card_tail": "1234"}'), ("尾号5566", '/inform{"card_tail": "5566"}'))
CLARIFY = buttons(("查询账单", "/query_bill"), ("举报诈骗/盗刷", "/report_fraud"), ("都不是", "/nlu_fallback"))
HANDOFF = buttons(("转人工客服", "/request_human"), ("不用了", "/deny"))


def test_options_are_read_with_their_keys():
    assert spoken_options(CONFIRM) == "您可以直接说出选项，或者按键选择：确认，请按一；取消，请按二。"


def test_titles_are_made_speakable():
    spoken = spoken_options(CARDS + CLARIFY)
    assert "尾号幺二三四，请按一" in spoken
    assert "举报诈骗或盗刷，请按四" in spoken
    assert "十二期，请按三" in spoken_options(INSTALLMENTS)


def test_only_nine_options_get_a_key():
    many = buttons(*[(f"选项{i}", str(i)) for i in range(1, 12)])
    spoken = spoken_options(many)
    assert "请按九" in spoken and "请按十" not in spoken


def test_no_buttons_no_menu():
    assert spoken_options([]) == ""


@pytest.mark.parametrize(
    "menu,said,payload",
    [
        # keypad
        (CONFIRM, "1", "/affirm"),
        (CONFIRM, "2", "/cancel"),
        (INSTALLMENTS, "3", INSTALLMENTS[2]["payload"]),
        (CARDS, "5566", CARDS[1]["payload"]),
        # spoken numbers and ordinals
        (CONFIRM, "一", "/affirm"),
        (CONFIRM, "幺", "/affirm"),
        (CONFIRM, "第一个", "/affirm"),
        (CONFIRM, "第二项", "/cancel"),
        (CONFIRM, "选二", "/cancel"),
        (CONFIRM, "我选第二个", "/cancel"),
        (CONFIRM, "按2", "/cancel"),
        (CARDS, "第二张", CARDS[1]["payload"]),
        (INSTALLMENTS, "第三个", INSTALLMENTS[2]["payload"]),
        # titles, as said or inside a sentence (ASR output has spaces and punctuation)
        (CONFIRM, "确认", "/affirm"),
        (CONFIRM, "确 认。", "/affirm"),
        (CONFIRM, "我要取消", "/cancel"),
        (CONFIRM, "确认，不要取消", "/affirm"),
        (HANDOFF, "不用了", "/deny"),
        (HANDOFF, "人工", "/request_human"),
        (CLARIFY, "查询", "/query_bill"),
        (CLARIFY, "都不是", "/nlu_fallback"),
        (CLARIFY, "举报盗刷", None),
        (CLARIFY, "举报诈骗或盗刷", "/report_fraud"),
        (INSTALLMENTS, "十二期", INSTALLMENTS[2]["payload"]),
        (INSTALLMENTS, "分二十四期", INSTALLMENTS[3]["payload"]),
        (CARDS, "尾号五五六六", CARDS[1]["payload"]),
        (CARDS, "一二三四", CARDS[0]["payload"]),
        # numeric titles: a bare number is a value, not a position
        (INSTALLMENTS, "三", INSTALLMENTS[0]["payload"]),
        (INSTALLMENTS, "十二", INSTALLMENTS[2]["payload"]),
        (INSTALLMENTS, "二", None),
        (INSTALLMENTS, "二十", None),
        # nothing chosen: the text goes to the assistant as is
        (CONFIRM, "3", None),
        (CONFIRM, "0", None),
        (CONFIRM, "第三个", None),
        (CONFIRM, "不确认", None),
        (CONFIRM, "我想查一下余额", None),
        (CONFIRM, "", None),
        (buttons(("查询余额", "/check_balance"), ("查询账单", "/query_bill")), "查询", None),
        ([], "1", None),
    ],
)
def test_choose(menu, said, payload):
    assert choose(menu, said) == payload
