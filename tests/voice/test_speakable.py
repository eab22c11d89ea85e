import re
from pathlib import Path

import pytest

from actions.bank.money import mask_phone
from nlu.value_wording import written_money
from tests.voice.bot_texts import domain_and_faq_texts
from voice.speakable import digits_one_by_one, speakable

REPO = Path(__file__).resolve().parents[2]

# Real replies of the bot (domain responses, FAQ answers, action texts) and how they are said.
CASES = [
    # money as a chat reply writes it, and as the FAQ writes it
    (
        "信用卡本期应还¥8,650.00，最低还款¥865.00，到期日12月15日。",
        "信用卡本期应还八千六百五十元，最低还款八百六十五元，到期日十二月十五日。",
    ),
    (
        "每期应还¥1,200.05（含手续费¥15.00），总手续费¥180.00。",
        "每期应还一千二百元零五分，含手续费十五元，总手续费一百八十元。",
    ),
    ("请问您想借多少钱？单笔可借¥1,000.00至¥200,000.00。", "请问您想借多少钱？单笔可借一千元至二十万元。"),
    (
        "例如3000元分12期，每期手续费15元，共180元，每期应还265元。",
        "例如三千元分十二期，每期手续费十五元，共一百八十元，每期应还二百六十五元。",
    ),
    ("例如本期应还8,650元，最低还款为865元。", "例如本期应还八千六百五十元，最低还款为八百六十五元。"),
    ("比如万份收益为0.5元", "比如万份收益为五角"),
    ("3月5日 超市购物 -¥120.00", "三月五日，超市购物，负一百二十元"),
    ("一般在1万元到2万元之间", "一般在一万元到两万元之间"),
    ("目前分为每天2万元、5万元和10万元三档", "目前分为每天两万元、五万元和十万元三档"),
    # card tails, phones, codes and IDs: digit by digit
    (
        "还款成功！已从储蓄卡尾号1234扣款¥865.00，卡内余额¥51,475.50。本期账单还剩¥7,785.00待还。",
        "还款成功！已从储蓄卡尾号幺二三四扣款八百六十五元，卡内余额五万一千四百七十五元五角。本期账单还剩七千七百八十五元待还。",
    ),
    (
        "请确认：从储蓄卡尾号1234向李娜（招商银行尾号4321）转账¥500.00。确认转账吗？",
        "请确认：从储蓄卡尾号幺二三四向李娜，招商银行尾号四三二幺，转账五百元。确认转账吗？",
    ),
    ("验证码已发送到138****5678，5分钟内有效。", "验证码已发送到尾号五六七八的手机，五分钟内有效。"),
    ("已为您转接人工客服，工单号H000012。", "已为您转接人工客服，工单号H零零零零幺二。"),
    ("转账成功！已向李娜转账¥500.00，交易编号T00000042。", "转账成功！已向李娜转账五百元，交易编号T零零零零零零四二。"),
    (
        "借款申请LA000003：¥20,000.00，12个月，用途装修，状态：审核中。",
        "借款申请LA零零零零零三：两万元，十二个月，用途装修，状态：审核中。",
    ),
    ("系统会拦截连续或重复数字（如123456、888888）等", "系统会拦截连续或重复数字，如幺二三四五六、八八八八八八，等"),
    ("必要时拨打110报警", "必要时拨打幺幺零报警"),
    # dates and times
    ("2026年3月1日至2026年3月31日共5笔交易", "二零二六年三月一日至二零二六年三月三十一日共五笔交易"),
    ("首期还款日2026-11-30。", "首期还款日二零二六年十一月三十日。"),
    ("人工客服的服务时间为每天9:00–21:00，节假日照常服务", "人工客服的服务时间为每天九点到二十一点，节假日照常服务"),
    (
        "交易日15:00前提交的申购按当日净值成交，在T+1个工作日确认份额",
        "交易日十五点前提交的申购按当日净值成交，在T加一个工作日确认份额",
    ),
    ("下午2:30", "下午两点三十分"),
    # percentages
    ("分3期每期0.60%，分6期每期0.55%", "分三期每期百分之零点六，分六期每期百分之零点五五"),
    ("年化利率（单利）10.8%，折合日利率约0.03%", "年化利率，单利，百分之十点八，折合日利率约百分之零点零三"),
    ("年化 7.3%", "年化，百分之七点三"),
    # counts and ordinals
    ("请问您想借多久？可选3、6、12、24或36个月。", "请问您想借多久？可选三、六、十二、二十四或三十六个月。"),
    ("验证码不正确，您还可以再试2次。", "验证码不正确，您还可以再试两次。"),
    ("请告诉我短信里收到的6位验证码。", "请告诉我短信里收到的六位验证码。"),
    ("第2个", "第二个"),
    ("赎回资金一般在1至3个工作日到账", "赎回资金一般在一至三个工作日到账"),
    ("新卡一般5–7个工作日寄达", "新卡一般五到七个工作日寄达"),
    ("产品风险等级一般分为R1到R5五级", "产品风险等级一般分为R一到R五五级"),
    ("指数基金则跟踪某个指数，比如沪深300。", "指数基金则跟踪某个指数，比如沪深三百。"),
    # layout, links, quotes, symbols
    (
        "您的账户情况如下：\n储蓄卡尾号1234：可用余额¥52,340.50\n白条：可用额度¥16,879.20",
        "您的账户情况如下：储蓄卡尾号幺二三四：可用余额五万二千三百四十元五角。白条：可用额度一万六千八百七十九元二角",
    ),
    ("请在App“我的-安全中心-重置密码”中完成人脸识别", "请在App我的、安全中心、重置密码中完成人脸识别"),
    ("骗子常以“退款理赔”“注销校园贷”等理由", "骗子常以退款理赔、注销校园贷等理由"),
    ("如需人工服务，请说“转人工”。", "如需人工服务，请说转人工。"),
    ("疑似欺诈/盗刷", "疑似欺诈或盗刷"),
    ("**温馨提示**：\n• 先挂失\n• 再补卡", "温馨提示：先挂失。再补卡"),
    ("办理步骤：\n1. 先挂失\n2. 再补卡", "办理步骤：第一，先挂失。第二，再补卡"),
    ("详情请访问https://bank.example.com/help?id=3查看。", "详情请访问官网查看。"),
    ("[点此查看](https://bank.example.com)利率说明", "点此查看利率说明"),
    ("还款成功🎉👍！", "还款成功！"),
    ("您好，我是智能客服小金。请问有什么可以帮您？", "您好，我是智能客服小金。请问有什么可以帮您？"),
]


@pytest.mark.parametrize("text,spoken", CASES)
def test_bot_replies_read_as_spoken_mandarin(text, spoken):
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    "amount,spoken",
    [
        ("1234.5", "一千二百三十四元五角"),
        ("1200.05", "一千二百元零五分"),
        ("0.05", "五分"),
        ("2", "两元"),
        ("2000", "两千元"),
        ("10.8", "十元八角"),
        ("0", "零元"),
        ("-35.2", "负三十五元二角"),
    ],
)
def test_amounts_formatted_by_the_bank_are_read_as_money(amount, spoken):
    assert speakable(written_money(amount)) == spoken


def test_a_phone_masked_by_the_bank_is_read_by_its_last_four_digits():
    text = f"验证码已发送到{mask_phone('13800138000')}。"
    assert speakable(text) == "验证码已发送到尾号八零零零的手机。"
    assert speakable(f"手机号{mask_phone('13900139000')}") == "手机号尾号九零零零"


@pytest.mark.parametrize(
    "digits,spoken", [("1234", "幺二三四"), ("13800138000", "幺三八零零幺三八零零零"), ("0.5", "零.五"), ("", "")]
)
def test_digits_one_by_one(digits, spoken):
    assert digits_one_by_one(digits) == spoken


def test_years_are_read_with_yi_not_yao():
    assert digits_one_by_one("2019", one="一") == "二零一九"
    assert speakable("2019年") == "二零一九年"


def test_every_domain_response_and_faq_answer_becomes_plain_speakable_text():
    texts = domain_and_faq_texts()
    assert len(texts) > 100
    for text in texts:
        spoken = speakable(text)
        leftovers = re.findall(r"[0-9¥%*•#“”\[\]()（）]|https?:", spoken)
        assert not leftovers, (text, spoken, leftovers)
        assert speakable(spoken) == spoken, text  # idempotent: speaking twice changes nothing


def test_voice_answers_written_for_the_phone_are_kept_as_written():
    text = "智能客服二十四小时在线，人工客服每天九点到二十一点，节假日照常服务。"
    assert speakable(text) == text


def test_numbers_too_long_for_a_quantity_are_read_digit_by_digit():
    assert speakable("12345678901234567890元") == "一二三四五六七八九零一二三四五六七八九零元"


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "👍"])
def test_nothing_to_say(text):
    assert speakable(text) == ""
