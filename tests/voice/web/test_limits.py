import pytest

from voice.web.limits import RateLimit


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_message_per_interval():
    clock = Clock()
    limit = RateLimit(per_minute=30, burst=3, clock=clock)
    assert [limit.wait_for("s") for _ in range(3)] == [0, 0, 0]
    assert limit.wait_for("s") == pytest.approx(2.0)
    clock.now += 2.0
    assert limit.wait_for("s") == 0
    assert limit.wait_for("other") == 0  # each key has its own bucket


def test_refused_messages_do_not_count():
    clock = Clock()
    limit = RateLimit(per_minute=60, burst=1, clock=clock)
    assert limit.wait_for("s") == 0
    for _ in range(5):
        assert limit.wait_for("s") > 0
    clock.now += 1.0
    assert limit.wait_for("s") == 0


def test_idle_buckets_are_forgotten():
    clock = Clock()
    limit = RateLimit(per_minute=60, burst=2, clock=clock)
    limit.wait_for("a")
    limit.wait_for("b")
    clock.now += 0.5
    limit.forget_idle()
    assert set(limit._buckets) == {"a", "b"}
    clock.now += 1.0
    limit.forget_idle()
    assert limit._buckets == {}
