import pytest

from voice.asr_text import UNKNOWN, clean_transcript


@pytest.mark.parametrize(
    "vosk_text, expected",
    [
        ("我 想 查 一下 余额", "我想查一下余额"),
        ("  帮 我 转 人工  ", "帮我转人工"),
        ("vip 会员 怎么 开通", "vip会员怎么开通"),
        ("我 的 apple pay 绑 不 上", "我的apple pay绑不上"),
        ("iphone 12 能 分期 吗", "iphone 12能分期吗"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_spaces_between_chinese_words_go_latin_words_keep_one(vosk_text, expected):
    assert clean_transcript(vosk_text) == expected


@pytest.mark.parametrize(
    "vosk_text, expected",
    [
        ("幺 三 八 零 零 一 三 八 零 零 零", "13800138000"),
        ("我 的 手机 号 是 幺 三 九 零 零 幺 三 九 零 零 零", "我的手机号是13900139000"),
        ("尾号 六 六 六 六", "尾号6666"),
        ("卡号 后 四 位 是 一 二 三 四 的 那 张", "卡号后四位是1234的那张"),
        ("验证码 是 四 五 六 七 八 九", "验证码是456789"),
        ("二 零 二 四 年 的 账单", "2024年的账单"),
        ("尾数 幺 二 三 四", "尾数1234"),
        ("尾号 是 幺 二", "尾号是12"),  # 幺 is only said when reading digits
        ("分机 幺", "分机1"),
        ("幺幺 零", "110"),  # a lexicon word made of digits joins the run
    ],
)
def test_digits_read_one_by_one_become_arabic(vosk_text, expected):
    assert clean_transcript(vosk_text) == expected


@pytest.mark.parametrize(
    "vosk_text, expected",
    [
        ("帮 我 查 一下", "帮我查一下"),
        ("看 一 看", "看一看"),
        ("还 一 千", "还一千"),
        ("借 一万五", "借一万五"),
        ("借 一 万 五", "借一万五"),
        ("分 三 个 月", "分三个月"),
        ("分 十 二 期", "分十二期"),
        ("给 李娜 转 五百 块", "给李娜转五百块"),
        ("三 月 十 五 号 的 交易", "三月十五号的交易"),
        ("最近 七 八 天", "最近七八天"),
        ("零 元", "零元"),
    ],
)
def test_numerals_inside_ordinary_words_stay(vosk_text, expected):
    assert clean_transcript(vosk_text) == expected


@pytest.mark.parametrize(
    "vosk_text, expected",
    [
        ("幺 三 八 两 两 三 三 四 四 五 五", "13822334455"),  # 两 between read-out digits is 2
        ("两 三 个 人", "两三个人"),
        ("三 四 两 茶叶", "三四两茶叶"),  # at a run's edge 两 is a quantity and breaks the run
        ("两 五 六 七", "两567"),
    ],
)
def test_liang_counts_as_digit_only_inside_a_run(vosk_text, expected):
    assert clean_transcript(vosk_text) == expected


@pytest.mark.parametrize(
    "vosk_text, expected",
    [
        ("[unk] 我 想 还款 [unk] [unk]", "我想还款"),
        ("是 的 <UNK>", "是的"),
        ("[unk] [unk]", UNKNOWN),
        ("[unk]", UNKNOWN),
    ],
)
def test_unknown_markers_are_dropped_or_collapsed(vosk_text, expected):
    assert clean_transcript(vosk_text) == expected


def test_markers_between_digits_do_not_break_the_run():
    assert clean_transcript("尾号 六 [unk] 六 六 六") == "尾号6666"


def test_clean_text_is_unchanged():
    for text in ["我想查余额", "尾号6666", "iphone 12能分期吗", "13800138000"]:
        assert clean_transcript(text) == text
