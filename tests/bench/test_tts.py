"""Round-trip intelligibility compares readings, not spellings: numbers as numbers, no punctuation."""

from tests.bench.tts import as_numbers, cer, replies


def test_a_number_written_in_digits_is_the_same_reading():
    assert as_numbers("本期应还八千六百五十元。") == as_numbers("本期应还 8650 元")
    assert as_numbers("尾号幺二三四") == as_numbers("尾号1234")
    assert cer("请问您想还多少？", "请问 你 想 还 多少") == (1, 7)


def test_the_replies_are_read_as_the_call_says_them():
    said = replies()
    assert len(said) == 30
    assert "您好，我是智能客服小金" in said[0]
    assert not any("¥" in text or "****" in text for text in said)  # the voice wording: 八千六百五十元, 尾号八零零零
    assert "信用卡本期应还八千六百五十元。最低还款八百六十五元。到期日是十二月十四日。" in said
