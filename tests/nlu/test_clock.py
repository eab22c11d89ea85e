"""The one clock (nlu.clock): pinned by BANK_CLOCK_OFFSET_S, read alike by NLU and the bank."""

from datetime import date, datetime, timedelta

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from sqlalchemy import select

from actions.bank import clock as bank_clock
from actions.bank.db import session_scope
from actions.bank.models import Bill, Customer
from actions.bank.services.credit import current_bill
from nlu import clock
from nlu.entity_extractor import FinanceEntityExtractor


def test_offset_makes_the_clock_read_the_chosen_moment(monkeypatch):
    moment = datetime(2030, 1, 31, 23, 59, 30)
    monkeypatch.setenv(clock.OFFSET_VARIABLE, str(clock.offset_to(moment)))
    assert abs(clock.now() - moment) < timedelta(seconds=2)
    assert clock.today() == moment.date()


def test_without_offset_the_clock_is_china_time(monkeypatch):
    monkeypatch.delenv(clock.OFFSET_VARIABLE, raising=False)
    china = datetime.utcnow() + timedelta(hours=8)
    assert abs(clock.now() - china) < timedelta(seconds=2)


def test_a_malformed_offset_names_the_variable(monkeypatch):
    monkeypatch.setenv(clock.OFFSET_VARIABLE, "tomorrow")
    with pytest.raises(ValueError, match=clock.OFFSET_VARIABLE):
        clock.now()


def test_the_suite_runs_on_the_seeding_day_from_ten_in_the_morning(day):
    assert clock.today() == day
    assert clock.now().hour >= 10


def dates_said(*texts: str) -> dict[str, str]:
    messages = [Message(data={TEXT: text}) for text in texts]
    FinanceEntityExtractor().process(messages)
    return {m.get(TEXT): m.get(ENTITIES)[0]["value"] for m in messages}


def test_a_date_the_customer_says_and_the_banks_due_dates_share_one_today(monkeypatch, bank_db_url):
    moment = datetime(2030, 2, 1, 0, 30)  # half past midnight in China; still 31 January in UTC
    monkeypatch.setenv(clock.OFFSET_VARIABLE, str(clock.offset_to(moment)))
    said = dates_said("昨天", "今天", "明天", "下个月5号")
    assert said == {"昨天": "2030-01-31", "今天": "2030-02-01", "明天": "2030-02-02", "下个月5号": "2030-03-05"}
    assert bank_clock.today() == date(2030, 2, 1)

    with session_scope(bank_db_url) as session:
        zhang = session.scalar(select(Customer.id).where(Customer.phone == "13800138000"))
        bill = session.get(Bill, current_bill(session, zhang, "credit_card").id)
        bill.due_date = date.fromisoformat(said["今天"])
        assert current_bill(session, zhang, "credit_card").days_overdue == 0  # due today is not late yet
        bill.due_date = date.fromisoformat(said["昨天"])
        assert current_bill(session, zhang, "credit_card").days_overdue == 1
