"""One-time codes: hashed, expiring, used once, and limited per phone across conversations.

Every conversation below is a fresh one (its own sender_id), as an attacker would open them; times
are virtual (``now=``), from the seeding day's noon."""

import hashlib
import hmac
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from actions.bank.db import session_scope
from actions.bank.errors import CustomerNotFound, InvalidInput
from actions.bank.models import OtpCode, OtpFailure
from actions.bank.services.identity import (
    FAILURE_WINDOW,
    LOCK_TIME,
    MAX_CODES_PER_HOUR,
    MAX_FAILURES,
    OTP_SECRET_ENV,
    PhoneLocked,
    TooManyCodes,
    check_otp,
    code_sent,
    find_customer_by_phone,
    issue_otp,
    minutes_locked,
)

PHONE = "13800138000"
OTHER_PHONE = "13900139000"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_find_customer_by_phone(session):
    customer = find_customer_by_phone(session, "138 0013 8000")
    assert customer.name == "张伟" and customer.masked_phone == "138****8000"
    with pytest.raises(CustomerNotFound):
        find_customer_by_phone(session, "13812345678")
    with pytest.raises(InvalidInput):
        find_customer_by_phone(session, "12345")


def test_a_code_is_stored_only_as_a_salted_hash(session, noon):
    first = issue_otp(session, PHONE, "web-1", now=noon)
    second = issue_otp(session, OTHER_PHONE, "web-2", now=noon)
    stored = session.scalars(select(OtpCode).order_by(OtpCode.id)).all()
    assert len(first) == 6 and first.isdigit()
    assert all(first not in column and second not in column for row in stored for column in (row.salt, row.code_hash))
    assert stored[0].salt != stored[1].salt and len(stored[0].code_hash) == 64


def test_with_a_secret_the_database_alone_cannot_check_a_code(session, noon, monkeypatch):
    monkeypatch.setenv(OTP_SECRET_ENV, "the bank's secret")
    code = issue_otp(session, PHONE, "web-1", now=noon)
    row = session.scalars(select(OtpCode).order_by(OtpCode.id.desc())).first()
    without_secret = hmac.new(bytes.fromhex(row.salt), code.encode(), hashlib.sha256).hexdigest()
    assert row.code_hash != without_secret
    monkeypatch.setenv(OTP_SECRET_ENV, "another secret")
    assert not check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1))
    monkeypatch.setenv(OTP_SECRET_ENV, "the bank's secret")
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1))


def test_a_code_checks_once(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1))
    assert not check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=2))


def test_wrong_code_does_not_use_up_the_right_one(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert not check_otp(session, PHONE, "web-1", wrong(code), now=noon)
    assert check_otp(session, PHONE, "web-1", code, now=noon)


def test_expired_code_is_rejected(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=5))
    late = issue_otp(session, PHONE, "web-1", now=noon + timedelta(minutes=10))
    assert not check_otp(session, PHONE, "web-1", late, now=noon + timedelta(minutes=15, seconds=1))


def test_code_belongs_to_its_conversation_and_phone(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert not check_otp(session, PHONE, "web-2", code, now=noon)
    assert not check_otp(session, OTHER_PHONE, "web-1", code, now=noon)


def test_only_latest_code_counts(session, noon):
    old = issue_otp(session, PHONE, "web-1", now=noon)
    new = issue_otp(session, PHONE, "web-1", now=noon + timedelta(seconds=30))
    if old != new:
        assert not check_otp(session, PHONE, "web-1", old, now=noon + timedelta(minutes=1))
    assert check_otp(session, PHONE, "web-1", new, now=noon + timedelta(minutes=1))


def guess_from_fresh_conversations(session, start, guesses: int, phone=PHONE, step=timedelta(minutes=1)):
    """Each guess in a new conversation (codes per hour are limited too: these ask for none); returns the
    last guess's moment."""
    moment = start
    for n in range(guesses):
        moment = start + n * step
        assert not check_otp(session, phone, f"attacker-{n}", "123456", now=moment)
    return moment


def test_wrong_codes_from_many_conversations_lock_the_phone(session, noon):
    # MAX_FAILURES conversations, one guess each: no conversation reaches its own limit of 3
    last = guess_from_fresh_conversations(session, noon, MAX_FAILURES - 1, step=timedelta(minutes=3))
    assert minutes_locked(session, PHONE, now=last) is None
    owner = issue_otp(session, PHONE, "owner", now=last)
    assert not check_otp(session, PHONE, "owner", wrong(owner), now=last + timedelta(seconds=1))  # the fifth
    assert minutes_locked(session, PHONE, now=last + timedelta(seconds=1)) == 30
    # locked: even the right code of a new conversation is not looked at, and no code is issued
    with pytest.raises(PhoneLocked) as refused:
        issue_otp(session, PHONE, "owner-2", now=last + timedelta(minutes=10, seconds=1))
    assert refused.value.minutes == 20
    with pytest.raises(PhoneLocked):
        check_otp(session, PHONE, "owner", owner, now=last + timedelta(minutes=2))
    # another phone is not affected
    other = issue_otp(session, OTHER_PHONE, "neighbour", now=last)
    assert check_otp(session, OTHER_PHONE, "neighbour", other, now=last)
    # after LOCK_TIME from the fifth failure the phone is open again
    later = last + timedelta(seconds=1) + LOCK_TIME
    assert minutes_locked(session, PHONE, now=later) is None
    code = issue_otp(session, PHONE, "owner-3", now=later)
    assert check_otp(session, PHONE, "owner-3", code, now=later)


def test_failures_spread_wider_than_the_window_do_not_lock(session, noon):
    step = FAILURE_WINDOW / (MAX_FAILURES - 1) + timedelta(seconds=1)
    last = guess_from_fresh_conversations(session, noon, MAX_FAILURES + 2, step=step)
    assert minutes_locked(session, PHONE, now=last) is None


def test_while_locked_a_guess_is_not_looked_at_and_not_counted(session, noon):
    last = guess_from_fresh_conversations(session, noon, MAX_FAILURES)
    for n in range(3):
        with pytest.raises(PhoneLocked):
            check_otp(session, PHONE, f"attacker-{n}", "123456", now=last + timedelta(minutes=n + 1))
    assert minutes_locked(session, PHONE, now=last + LOCK_TIME) is None  # not extended by the refused guesses


def test_codes_per_phone_per_hour_are_limited_across_conversations(session, noon):
    for n in range(MAX_CODES_PER_HOUR):
        issue_otp(session, PHONE, f"web-{n}", now=noon + timedelta(minutes=n))
    with pytest.raises(TooManyCodes) as refused:
        issue_otp(session, PHONE, "web-new", now=noon + timedelta(minutes=10))
    assert refused.value.minutes == 50  # until the first of the hour's codes is an hour old
    issue_otp(session, OTHER_PHONE, "web-other", now=noon + timedelta(minutes=10))  # another phone is not affected
    code = issue_otp(session, PHONE, "web-new", now=noon + timedelta(hours=1, seconds=1))
    assert check_otp(session, PHONE, "web-new", code, now=noon + timedelta(hours=1, seconds=2))


def test_a_refused_code_is_not_stored(session, noon, count):
    for n in range(MAX_CODES_PER_HOUR):
        issue_otp(session, PHONE, f"web-{n}", now=noon)
    before = count(session, OtpCode)
    with pytest.raises(TooManyCodes):
        issue_otp(session, PHONE, "web-x", now=noon)
    assert count(session, OtpCode) == before


def test_parallel_guesses_from_fresh_conversations_get_no_more_than_the_limit(db_url, noon):
    """Twelve conversations guess at the same moment: one at a time per phone, so exactly
    MAX_FAILURES guesses are looked at and the rest find the phone locked."""
    start, outcomes = threading.Barrier(12), []

    def guess(n: int) -> None:
        start.wait()
        try:
            with session_scope(db_url) as session:
                outcomes.append(check_otp(session, PHONE, f"attacker-{n}", "123456", now=noon))
        except PhoneLocked:
            outcomes.append("locked")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == [False] * MAX_FAILURES + ["locked"] * (12 - MAX_FAILURES)
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count(OtpFailure.id))) == MAX_FAILURES


# Replays: HAProxy re-sends an action call whose answer was lost, a client re-sends a message. Each
# call of one message's step carries the same request key and must do no more than the first did.

ASK, ENTER = "key-of-phone-step", "key-of-code-step"


def test_a_replayed_request_for_a_sent_code_issues_none(session, noon, count):
    code = issue_otp(session, PHONE, "web-1", now=noon, request=ASK)
    code_sent(session, ASK, now=noon)
    assert issue_otp(session, PHONE, "web-1", now=noon + timedelta(seconds=2), request=ASK) is None
    assert count(session, OtpCode) == 1
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1))  # still the code to type


def test_a_replay_after_the_first_call_died_before_sending_issues_a_fresh_code(session, noon, count):
    issue_otp(session, PHONE, "web-1", now=noon, request=ASK)  # the gateway never took it
    fresh = issue_otp(session, PHONE, "web-1", now=noon + timedelta(seconds=2), request=ASK)
    assert fresh is not None and count(session, OtpCode) == 2
    code_sent(session, ASK, now=noon + timedelta(seconds=3))
    assert issue_otp(session, PHONE, "web-1", now=noon + timedelta(seconds=4), request=ASK) is None
    assert check_otp(session, PHONE, "web-1", fresh, now=noon + timedelta(minutes=1))


def test_a_replay_once_the_sent_code_expired_or_was_used_issues_a_fresh_one(session, noon):
    code = issue_otp(session, PHONE, "web-1", now=noon, request=ASK)
    code_sent(session, ASK, now=noon)
    assert issue_otp(session, PHONE, "web-1", now=noon + timedelta(minutes=6), request=ASK) is not None
    code_sent(session, ASK, now=noon + timedelta(minutes=6))
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=6)) is False  # expired, superseded
    used = issue_otp(session, PHONE, "web-1", now=noon + timedelta(minutes=7), request="another message")
    code_sent(session, "another message", now=noon + timedelta(minutes=7))
    assert check_otp(session, PHONE, "web-1", used, now=noon + timedelta(minutes=8))
    assert issue_otp(session, PHONE, "web-1", now=noon + timedelta(minutes=9), request="another message") is not None


def test_a_replayed_right_code_verifies_again_and_uses_the_code_once(session, noon, count):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1), request=ENTER)
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=1, seconds=2), request=ENTER)
    assert count(session, OtpFailure) == 0
    # the code is used: the same code typed in another message is wrong (and counted)
    assert not check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=2), request="later")
    assert count(session, OtpFailure) == 1


def test_a_replayed_wrong_code_counts_once(session, noon, count):
    code = issue_otp(session, PHONE, "web-1", now=noon)
    for _replay in range(3):
        assert not check_otp(session, PHONE, "web-1", wrong(code), now=noon + timedelta(minutes=1), request=ENTER)
    assert count(session, OtpFailure) == 1
    assert check_otp(session, PHONE, "web-1", code, now=noon + timedelta(minutes=2), request="next message")


def test_a_replay_of_the_wrong_code_that_locked_the_phone_is_still_the_wrong_code(session, noon, count):
    last = guess_from_fresh_conversations(session, noon, MAX_FAILURES - 1)
    moment = last + timedelta(seconds=1)
    assert not check_otp(session, PHONE, "owner", "123456", now=moment, request=ENTER)  # the fifth: locks
    assert not check_otp(session, PHONE, "owner", "123456", now=moment + timedelta(seconds=1), request=ENTER)
    assert count(session, OtpFailure) == MAX_FAILURES
    assert minutes_locked(session, PHONE, now=moment + timedelta(seconds=1)) == 30


@pytest.mark.parametrize("right", [True, False])
def test_concurrent_duplicates_of_a_check_are_decided_once(db_url, noon, right):
    with session_scope(db_url) as session:
        code = issue_otp(session, PHONE, "web-1", now=noon)
    typed = code if right else wrong(code)
    start, outcomes = threading.Barrier(4), []

    def enter() -> None:
        start.wait()
        with session_scope(db_url) as session:
            outcomes.append(check_otp(session, PHONE, "web-1", typed, now=noon + timedelta(minutes=1), request=ENTER))

    threads = [threading.Thread(target=enter) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == [right] * 4
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count(OtpFailure.id))) == (0 if right else 1)
        assert session.scalar(select(func.count(OtpCode.id)).where(OtpCode.used_at.is_not(None))) == int(right)
