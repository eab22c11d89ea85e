"""Which recognized words already make a whole turn (voice/turn_end.py)."""

import pytest

from voice.turn_end import looks_complete


@pytest.mark.parametrize(
    "words",
    [
        "是的",
        "好 的",
        "对",
        "不 需要",
        "取消",  # answers to a yes/no question
        "五 七 六 零 四 四",
        "576044",
        "验证码 是 五 七 六 零 四 四",  # a one-time code
        "幺 三 八 零 零 幺 三 八 零 零 零",
        "我 的 手机号 是 138 0013 8000",  # a mobile number
        "白条 的 还款日 是 几号",
        "这个 手续费 多少",
        "能 提前 还款 吗",
        "卡 丢了 怎么办",  # questions
    ],
)
def test_finished_words_are_a_turn(words):
    assert looks_complete(words)


@pytest.mark.parametrize(
    "words",
    [
        "",
        "   ",
        "[unk]",
        "我 想 问 一下",
        "我 想 查 一下 信用卡 账单",
        "那个",  # may go on
        "幺 三 八",
        "幺 三 八 零 零 幺 三",
        "尾号 六 六 六 六",  # a number said in groups, or a card tail
        "我 的 身份证号 是 一 一 零 一 零 一 一 九 九 零 零 一 零 一 一 二 三 四",  # not a length we ask for
        "我 想 问 一下 你们 的 客服 电话 是 138 0013 8000 这个 号码 吗 还是",
    ],
)
def test_words_that_may_go_on_are_not(words):
    assert not looks_complete(words)
