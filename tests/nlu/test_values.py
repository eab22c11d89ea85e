"""Entity values as the architecture table defines them, with a fixed today."""

from datetime import date

import pytest

from nlu.textnorm import normalize_text
from nlu.values.extract import extract_values
from nlu.values.numerals import to_decimal

TODAY = date(2026, 11, 26)  # a Thursday


def found(text):
    return [(s.entity, s.value) for s in extract_values(normalize_text(text), TODAY)]


def rng(start, end):
    return {"start": start, "end": end}


CASES = [
    # amount
    ("我要转一万五", [("amount", "15000.00")]),
    ("1.5万", [("amount", "15000.00")]),
    ("五千块", [("amount", "5000.00")]),
    ("两千二", [("amount", "2200.00")]),
    ("3,000元", [("amount", "3000.00")]),
    ("一百二十块五", [("amount", "120.50")]),
    ("还三千", [("amount", "3000.00")]),
    ("借5000", [("amount", "5000.00")]),
    ("申购２０００元的基金", [("amount", "2000.00")]),
    ("1万2", [("amount", "12000.00")]),
    ("¥199.9", [("amount", "199.90")]),
    ("还款3000.5元", [("amount", "3000.50")]),
    ("二十万", [("amount", "200000.00")]),
    ("被盗刷了8000", [("amount", "8000.00")]),
    # repay_mode
    ("我想全额还款", [("repay_mode", "full")]),
    ("一次性还清", [("repay_mode", "full")]),
    ("先还最低的", [("repay_mode", "minimum")]),
    ("按最低还款额还", [("repay_mode", "minimum")]),
    # date
    ("明天", [("date", "2026-11-27")]),
    ("昨天", [("date", "2026-11-25")]),
    ("下个月15号", [("date", "2026-12-15")]),
    ("11月3号", [("date", "2026-11-03")]),
    ("十一月三号", [("date", "2026-11-03")]),
    ("2026-10-08", [("date", "2026-10-08")]),
    ("下周三", [("date", "2026-12-02")]),
    ("月底", [("date", "2026-11-30")]),
    ("下个月底", [("date", "2026-12-31")]),
    ("20号", [("date", "2026-11-20")]),
    # date_range
    ("上周", [("date_range", rng("2026-11-16", "2026-11-22"))]),
    ("三月份", [("date_range", rng("2026-03-01", "2026-03-31"))]),
    ("十二月份的账单", [("date_range", rng("2025-12-01", "2025-12-31"))]),
    ("最近一周", [("date_range", rng("2026-11-20", "2026-11-26"))]),
    ("这个月", [("date_range", rng("2026-11-01", "2026-11-30"))]),
    ("上个月", [("date_range", rng("2026-10-01", "2026-10-31"))]),
    ("近三天", [("date_range", rng("2026-11-24", "2026-11-26"))]),
    ("最近三个月", [("date_range", rng("2026-08-27", "2026-11-26"))]),
    ("去年", [("date_range", rng("2025-01-01", "2025-12-31"))]),
    ("11月1号到11月10号", [("date_range", rng("2026-11-01", "2026-11-10"))]),
    # card_tail
    ("尾号1234", [("card_tail", "1234")]),
    ("卡号后四位是5678", [("card_tail", "5678")]),
    ("尾数幺二三四", [("card_tail", "1234")]),
    ("尾号为 0098 的卡", [("card_tail", "0098")]),
    # phone
    ("138 1234 5678", [("phone", "13812345678")]),
    ("+86 13812345678", [("phone", "13812345678")]),
    ("新手机号是139-0000-1111", [("phone", "13900001111")]),
    ("幺三八一二三四五六七八", [("phone", "13812345678")]),
    # otp_code
    ("123456", [("otp_code", "123456")]),
    ("验证码是６５４３２１", [("otp_code", "654321")]),
    ("验证码 幺二三四五六", [("otp_code", "123456")]),
    # installment_count
    ("分12期", [("installment_count", 12)]),
    ("六期", [("installment_count", 6)]),
    ("12期", [("installment_count", 12)]),
    ("分三个月还", [("installment_count", 3)]),
    # term_months
    ("借12个月", [("term_months", 12)]),
    ("一年", [("term_months", 12)]),
    ("半年", [("term_months", 6)]),
    ("两年半", [("term_months", 30)]),
    # account_type
    ("储蓄卡", [("account_type", "savings")]),
    ("借记卡余额", [("account_type", "savings")]),
    ("我的银行卡", [("account_type", "savings")]),
    ("信用卡账单", [("account_type", "credit_card")]),
    ("白条", [("account_type", "baitiao")]),
    ("金条借款", [("account_type", "jintiao")]),
    # recipient
    ("转给张三", [("recipient", "张三")]),
    ("收款人是王小明", [("recipient", "王小明")]),
    ("转账给欧阳娜娜", [("recipient", "欧阳娜娜")]),
    ("给李四转账", [("recipient", "李四")]),
    # loan_purpose
    ("装修房子", [("loan_purpose", "装修")]),
    ("交学费", [("loan_purpose", "教育")]),
    ("出去旅游", [("loan_purpose", "旅游")]),
    ("家里人住院", [("loan_purpose", "医疗")]),
    ("想买车", [("loan_purpose", "购车")]),
    ("用于日常消费", [("loan_purpose", "日常消费")]),
    ("资金周转", [("loan_purpose", "经营周转")]),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_single_entity_values(text, expected):
    assert found(text) == expected


COMBINED = [
    ("转给张三五百块", [("recipient", "张三"), ("amount", "500.00")]),
    ("我要转一万五给王小明", [("amount", "15000.00"), ("recipient", "王小明")]),
    ("转账给李四2000", [("recipient", "李四"), ("amount", "2000.00")]),
    ("五千块分12期", [("amount", "5000.00"), ("installment_count", 12)]),
    ("下个月15号还三千", [("date", "2026-12-15"), ("amount", "3000.00")]),
    ("借5万用于资金周转,借12个月", [("amount", "50000.00"), ("loan_purpose", "经营周转"), ("term_months", 12)]),
    ("我的手机号13812345678验证码246810", [("phone", "13812345678"), ("otp_code", "246810")]),
    ("把尾号1234的信用卡挂失", [("card_tail", "1234"), ("account_type", "credit_card")]),
    ("我想给王小明打一万块", [("recipient", "王小明"), ("amount", "10000.00")]),
    ("帮我把这期白条分成六个月", [("account_type", "baitiao"), ("installment_count", 6)]),
    ("我要还一部分 先还两千", [("amount", "2000.00")]),
]


@pytest.mark.parametrize("text, expected", COMBINED)
def test_several_entities_in_one_message(text, expected):
    assert found(text) == expected


NOTHING = [
    "我想查余额",
    "你好",
    "第3期账单是多少",
    "年化3.5%是多少",
    "转给我妈",
    "转给对方",
    "我的消费记录",
    "我要赎回1000份",
    "我要转账",
    "张三",  # a numeral inside a name is no number
    "麻烦转一下人工",
    "赎回一半",
    "我要申购110011",
    "申购那个沪深300",
    "流浪地球2的票还有吗",
    "坐地铁二号线能到动物园吗",
    "秦始皇是哪一年统一六国的",
    "查下我还剩多少没还清",
    "我根本没买东西",
]


@pytest.mark.parametrize("text", NOTHING)
def test_no_entities(text):
    assert found(text) == []


BARE_ANSWERS = [
    ("1234", [("number", "1234")]),
    ("幺二三四", [("number", "1234")]),
    ("0123", [("number", "0123")]),
    ("2000", [("number", "2000")]),
    ("十二", [("number", "12")]),
    ("就12吧", [("number", "12")]),
    ("第二个", [("ordinal", 2)]),
    ("选第3个", [("ordinal", 3)]),
    ("第一张卡", [("ordinal", 1)]),
]


@pytest.mark.parametrize("text, expected", BARE_ANSWERS)
def test_a_bare_number_or_position_is_found_only_when_it_is_all_the_message_says(text, expected):
    assert found(text) == expected


def test_a_value_taken_back_keeps_its_entity_with_the_role_negated():
    spans = [(s.entity, s.value, s.role) for s in extract_values(normalize_text("不是1234，是5678"), TODAY)]
    assert spans == [("number", "1234", "negated"), ("number", "5678", None)]
    spans = [(s.entity, s.value, s.role) for s in extract_values(normalize_text("把金额从两千改成三千"), TODAY)]
    assert spans == [("amount", "2000.00", "negated"), ("amount", "3000.00", None)]
    spans = [(s.entity, s.value, s.role) for s in extract_values(normalize_text("尾号1234换成5678"), TODAY)]
    assert spans == [("card_tail", "1234", "negated"), ("number", "5678", None)]


@pytest.mark.parametrize(
    "text, entity",
    [
        ("13812345678", "phone"),
        ("尾号1234", "card_tail"),
        ("分12期", "installment_count"),
        ("123456", "otp_code"),
        ("借12个月", "term_months"),
        ("11月3号", "date"),
    ],
)
def test_numbers_with_another_meaning_are_not_amounts(text, entity):
    entities = [name for name, _ in found(text)]
    assert entities == [entity]


def test_spoken_numbers_are_read_as_quantities():
    assert to_decimal("两千二") == 2200
    assert to_decimal("一二三四") is None  # digit by digit: an identifier


def test_entity_offsets_cover_the_matched_text():
    text = normalize_text("请帮我转给张三五百块")
    spans = {s.entity: text[s.start : s.end] for s in extract_values(text, TODAY)}
    assert spans == {"recipient": "张三", "amount": "五百块"}


@pytest.mark.parametrize("typed", ["给李娜转五百。", "转500。", "还500。", "给李娜转500."])
def test_an_amount_at_the_end_of_a_sentence_keeps_its_full_stop_apart(typed):
    assert [value for entity, value in found(typed) if entity == "amount"] == ["500.00"]


def test_a_dot_before_a_digit_is_still_a_decimal_point():
    assert [value for entity, value in found("转500.5") if entity == "amount"] == ["500.50"]
