"""The bank's refusals reach the customer as domain responses (bot/domain/bank_errors.yml):
amounts written on screen and said on a call, one response for every code the bank raises."""

import ast
import asyncio
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from rasa_sdk.executor import CollectingDispatcher

from actions.bank import errors
from actions.bank.errors import BankError, InvalidDateRange, PayeeNotFound
from actions.common import tell_error
from actions.transfer import ActionSubmitTransfer, ValidateTransferForm
from tests.actions.conftest import bot_words, make_tracker, texts_of, verified

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
LI, WANG = 2, 3


def chat_and_voice(dispatcher: CollectingDispatcher) -> tuple[list[str], list[str]]:
    return texts_of(dispatcher), texts_of(dispatcher, "voice")


def told(error: BankError) -> tuple[list[str], list[str]]:
    dispatcher = CollectingDispatcher()
    tell_error(dispatcher, error)
    return chat_and_voice(dispatcher)


def test_a_refused_transfer_names_the_balance_and_the_amount(bank):
    dispatcher = CollectingDispatcher()
    slots = verified(LI, recipient="张伟", amount="8900.01", card_tail="8899", confirm=True)
    asyncio.run(ActionSubmitTransfer().run(dispatcher, make_tracker(slots), {}))
    chat, voice = chat_and_voice(dispatcher)
    assert chat == [
        "抱歉，尾号8899的储蓄卡可用余额为¥8,900.00，不足以支付¥8,900.01。",
        "本次转账未成功，资金没有转出。",
    ]
    assert voice[0] == "抱歉，尾号八八九九的储蓄卡可用余额为八千九百元，不足以支付八千九百元零一分。"


def test_the_daily_limit_is_written_in_brackets_and_said_as_a_sentence(bank):
    dispatcher = CollectingDispatcher()
    ValidateTransferForm().validate_amount("150000.00", dispatcher, make_tracker(verified(WANG)), {})
    chat, voice = chat_and_voice(dispatcher)
    assert chat == ["抱歉，这张卡今日还可转账¥100,000.00（每日限额¥100,000.00），请调整金额。"]
    assert voice == ["抱歉，这张卡今日还可转账十万元，每日限额是十万元，请调整金额。"]


def test_the_earliest_record_date_has_its_year():
    chat, voice = told(InvalidDateRange("date_range_outside_data", earliest=date(2026, 1, 5)))
    assert chat == ["抱歉，目前可以查询的交易记录从2026年1月5日开始，您要查的时间段早于这个日期。"]
    assert "二零二六年一月五日" in voice[0]


def test_saved_payees_are_listed():
    chat, _ = told(PayeeNotFound(name="赵六", payees=["李娜", "王强"]))
    assert chat == [
        "抱歉，您的常用收款人里没有“赵六”。目前您的常用收款人有：李娜、王强。为了资金安全，只能向已保存的收款人转账。"
    ]


# every code has its response ---------------------------------------------------------------


def error_classes(cls: type[BankError] = BankError) -> list[type[BankError]]:
    return [cls, *(sub for direct in cls.__subclasses__() for sub in error_classes(direct))]


def raised_errors() -> list[tuple[str, str, set[str]]]:
    """(where, code, value names) of every BankError made in actions/, by class default or given code."""
    classes = {cls.__name__: cls for cls in error_classes() if cls.__module__ == errors.__name__}
    found = []
    for path in sorted(ACTIONS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes):
                continue
            given = [k.value for k in node.keywords if k.arg == "code"] + node.args[:1]
            code = classes[node.func.id].code
            if given:  # a code built at run time can't be checked: None fails the test below
                code = given[0].value if isinstance(given[0], ast.Constant) else None
            values = {k.arg for k in node.keywords if k.arg and k.arg != "code"}
            found.append((f"{path.relative_to(ACTIONS)}:{node.lineno}", code, values))
    return found


def placeholders(code: str) -> set[str]:
    return {
        name
        for variant in bot_words().responses[f"utter_bank_{code}"]
        for name in re.findall(r"\{(\w+)\}", variant["text"])
    }


def test_every_code_the_bank_raises_has_a_response():
    raised = raised_errors()
    assert [where for where, code, _ in raised if code is None] == [], "give codes as literals"
    codes = {cls.code for cls in error_classes()} | {code for _, code, _ in raised}
    assert {"start_after_end", "amount_over_daily_limit", "insufficient_funds", "invalid_amount"} <= codes
    responses = set(bot_words().responses)
    assert sorted(code for code in codes if f"utter_bank_{code}" not in responses) == []
    assert sorted(r for r in responses if r.startswith("utter_bank_") and r[len("utter_bank_") :] not in codes) == []


def test_every_raise_gives_the_values_its_response_needs():
    lacking = {
        where: sorted(placeholders(code) - values)
        for where, code, values in raised_errors()
        if code and placeholders(code) - values
    }
    assert lacking == {}


def test_staff_see_the_code_and_the_values():
    error = BankError("insufficient_funds", card_tail="1234", balance=Decimal("1.00"), amount=Decimal("2.00"))
    assert str(error) == "insufficient_funds (card_tail=1234, balance=1.00, amount=2.00)"
