import pytest

from nlu.textnorm import normalize_text, normalize_with_offsets


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("我 想 查 余额", "我想查余额"),
        ("  我\t要   转账 ", "我要转账"),
        ("ＡＢＣ１２３，你好！", "abc123,你好!"),
        ("Apple  Pay 怎么 用？", "apple pay怎么用?"),
        ("138 1234 5678", "138 1234 5678"),
        ("转３，０００元。", "转3,000元."),
        ("１．５万", "1.5万"),
        ("“白条”是什么？", '"白条"是什么?'),
        ("《用户协议》在哪", '"用户协议"在哪'),
        ("利率：多少；手续费、年化", "利率:多少;手续费,年化"),
        ("查询【账单】", "查询[账单]"),
        ("我的ＩＤ　是Ａ１", "我的id是a1"),
        ("还3000。5号", "还3000;5号"),
        ("", ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalization_is_idempotent():
    once = normalize_text("我 想 把 ＶＩＰ 卡 的 １，０００ 元 转 出 去 ！")
    assert normalize_text(once) == once


def test_offsets_point_back_to_the_original_characters():
    raw = "我 想 查 余额"
    normalized, offsets = normalize_with_offsets(raw)
    assert len(offsets) == len(normalized)
    assert "".join(raw[i] for i in offsets) == normalized
