from datetime import datetime, timedelta

import pytest

from actions.bank import clock


def test_offset_makes_bank_time_read_the_chosen_moment(monkeypatch):
    moment = datetime(2030, 1, 31, 23, 59, 30)
    monkeypatch.setenv(clock.OFFSET_VARIABLE, str(clock.offset_to(moment)))
    assert abs(clock.now() - moment) < timedelta(seconds=2)
    assert clock.today() == moment.date()


def test_without_offset_bank_time_is_china_time(monkeypatch):
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
