from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from voice.desk.hours import ServiceHours
from voice.desk.queue import Waiting, WaitingQueue

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0):
    return datetime(2026, 12, 4, hour, minute, tzinfo=SHANGHAI).timestamp()


def test_service_hours_open_at_the_start_and_close_at_the_end_in_their_time_zone():
    hours = ServiceHours.parse("09:00-21:00", "Asia/Shanghai")
    assert [hours.open_at(at(h, m)) for h, m in [(8, 59), (9, 0), (20, 59), (21, 0)]] == [False, True, True, False]
    assert ServiceHours.parse("00:00-24:00").open_at(at(23, 59))
    assert str(ServiceHours.from_env({"DESK_HOURS": "08:30-17:30"})) == "08:30-17:30"


@pytest.mark.parametrize("bad", ["9-21", "21:00-09:00", "09:00", "25:00-26:00"])
def test_service_hours_that_make_no_sense_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="09:00"):
        ServiceHours.parse(bad)


def test_urgent_first_then_oldest_and_asking_again_keeps_the_place():
    queue = WaitingQueue()
    queue.add(Waiting("a", "chat", "normal", 10.0, "H1"))
    queue.add(Waiting("b", "call", "normal", 20.0, "H2"))
    queue.add(Waiting("c", "chat", "urgent", 30.0, "H3"))
    queue.add(Waiting("a", "chat", "normal", 40.0, "H1"))
    assert [w.key for w in queue.ordered()] == ["c", "a", "b"]
    queue.remove("c")
    assert "c" not in queue and len(queue) == 2
