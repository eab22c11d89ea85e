"""Staff accounts: how passwords and sessions are kept, lockout, and sessions that expire when idle.
On SQLite, and on PostgreSQL too when TEST_POSTGRES_URL names a server (tests/database_backends.py)."""

import hashlib

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.database_backends import empty_database
from voice.desk.accounts import (
    LoginRefused,
    Staff,
    StaffError,
    StaffStore,
    default_url,
    sessions_table,
    staff_table,
)

PASSWORD = "correct horse 42"
MINUTE, HOUR = 60.0, 3600.0


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher(PasswordHasher):
    """Cheap parameters (tests run on 2 cores), and a count of the verifications done."""

    def __init__(self, time_cost: int = 1, memory_cost: int = 8) -> None:
        super().__init__(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
        self.verified = 0

    def verify(self, hash, password):
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def staff_url(database_backend, tmp_path):
    with empty_database(database_backend, tmp_path, "staff") as url:
        yield url


@pytest.fixture
def clock():
    return VirtualClock()


@pytest.fixture
def hasher():
    return CountingHasher()


@pytest.fixture
def store(staff_url, clock, hasher):
    store = StaffStore(staff_url, clock=clock, hasher=hasher)
    yield store
    store.engine.dispose()


def refusal(store: StaffStore, username: str, password: str) -> tuple:
    with pytest.raises(LoginRefused) as refused:
        store.check_login(username, password)
    return refused.value.reason, refused.value.retry_after


def test_a_password_is_kept_only_as_an_argon2_hash(store):
    added = store.add("wang", PASSWORD, "agent", name="王敏")
    assert added == Staff("wang", "王敏", "agent")
    with store.engine.connect() as db:
        (kept,) = db.execute(select(staff_table.c.password_hash)).one()
    assert kept.startswith("$argon2id$") and PASSWORD not in kept
    assert store.check_login("wang", PASSWORD) == added
    assert store.check_login(" Wang ", PASSWORD) == added  # usernames are lowercase; the box may not be


def test_the_name_defaults_to_the_username_and_the_list_is_in_username_order(store):
    store.add("zhao", PASSWORD, "editor")
    store.add("li.na", PASSWORD, "admin", name="李娜")
    assert store.list_staff() == [Staff("li.na", "李娜", "admin"), Staff("zhao", "zhao", "editor")]


@pytest.mark.parametrize(
    ("username", "password", "role", "code", "words"),
    [
        ("wa", PASSWORD, "agent", "bad_username", "3-32 characters"),
        ("wang li", PASSWORD, "agent", "bad_username", "lowercase letters, digits"),
        ("王敏", PASSWORD, "agent", "bad_username", "username"),
        ("x" * 33, PASSWORD, "agent", "bad_username", "username"),
        ("wang", PASSWORD, "boss", "bad_role", "unknown role 'boss'"),
        ("wang", "short", "agent", "short_password", "at least 10 characters"),
        ("wang123456", "WANG123456", "agent", "password_is_username", "must not be the username"),
    ],
)
def test_an_account_that_breaks_a_rule_is_refused_with_the_rule(store, username, password, role, code, words):
    with pytest.raises(StaffError, match=words) as refused:
        store.add(username, password, role)
    assert refused.value.code == code
    assert store.list_staff() == []


def test_a_username_is_taken_once(store):
    store.add("wang", PASSWORD, "agent")
    with pytest.raises(StaffError, match="staff wang already exists"):
        store.add("WANG", "another password", "admin")
    assert store.list_staff() == [Staff("wang", "wang", "agent")]


def test_the_database_itself_refuses_a_role_that_does_not_exist(store):
    store.add("wang", PASSWORD, "agent")
    with pytest.raises(IntegrityError), store.engine.begin() as db:
        db.execute(staff_table.update().values(role="root"))


def test_a_wrong_password_is_refused(store):
    store.add("wang", PASSWORD, "agent")
    assert refusal(store, "wang", PASSWORD + "!") == ("wrong", 0)
    assert refusal(store, "wang", "") == ("wrong", 0)


def test_five_failures_in_a_row_lock_the_account_for_15_minutes(store, clock):
    store.add("wang", PASSWORD, "agent")
    assert [refusal(store, "wang", "guess")[0] for _ in range(4)] == ["wrong"] * 4
    assert refusal(store, "wang", "guess") == ("locked", 900)
    clock.advance(14 * MINUTE)
    assert refusal(store, "wang", PASSWORD) == ("locked", 60)  # even the right password waits
    clock.advance(MINUTE)
    assert store.check_login("wang", PASSWORD).username == "wang"
    assert [refusal(store, "wang", "guess")[0] for _ in range(5)] == ["wrong"] * 4 + ["locked"]


def test_a_success_starts_the_count_again(store):
    store.add("wang", PASSWORD, "agent")
    for _ in range(4):
        refusal(store, "wang", "guess")
    store.check_login("wang", PASSWORD)
    assert [refusal(store, "wang", "guess")[0] for _ in range(4)] == ["wrong"] * 4


def test_an_unknown_name_gets_the_same_answers_for_the_same_work(store, hasher):
    store.add("wang", PASSWORD, "agent")
    before = hasher.verified
    known = [refusal(store, "wang", "guess") for _ in range(5)]
    known_verifications, before = hasher.verified - before, hasher.verified
    unknown = [refusal(store, "zhang", "guess") for _ in range(5)]
    assert unknown == known == [("wrong", 0)] * 4 + [("locked", 900)]
    assert hasher.verified - before == known_verifications == 5
    assert refusal(store, "not a name at all", PASSWORD) == ("wrong", 0)
    assert hasher.verified - before == 6


def test_a_hash_made_with_weaker_parameters_is_remade_at_login(staff_url, clock):
    StaffStore(staff_url, clock=clock, hasher=CountingHasher()).add("wang", PASSWORD, "agent")
    stronger = StaffStore(staff_url, clock=clock, hasher=CountingHasher(time_cost=2, memory_cost=16))
    stronger.check_login("wang", PASSWORD)
    with stronger.engine.connect() as db:
        (kept,) = db.execute(select(staff_table.c.password_hash)).one()
    assert "m=16,t=2,p=1" in kept
    assert stronger.check_login("wang", PASSWORD).username == "wang"


def test_a_session_lasts_8_hours_after_its_last_use(store, clock):
    wang = store.add("wang", PASSWORD, "agent", name="王敏")
    token, csrf = store.start_session(wang)
    assert token != csrf and len(token) >= 43 and len(csrf) >= 43
    for _ in range(3):  # used every 7 hours: 21 hours on, still signed in
        clock.advance(7 * HOUR)
        session = store.session(token)
        assert session is not None and session.staff == wang and session.csrf == csrf
    clock.advance(8 * HOUR + 1)
    assert store.session(token) is None
    clock.advance(-HOUR)
    assert store.session(token) is None  # gone, not merely late


def test_a_session_ends_at_logout_and_an_unknown_token_is_no_session(store):
    wang = store.add("wang", PASSWORD, "agent")
    token, _ = store.start_session(wang)
    other, _ = store.start_session(wang)
    store.end_session(token)
    assert store.session(token) is None
    assert store.session(other) is not None
    assert store.session("made-up") is None and store.session("") is None and store.session(None) is None


def test_a_session_token_is_kept_only_as_its_sha256(store):
    wang = store.add("wang", PASSWORD, "admin")
    token, csrf = store.start_session(wang)
    with store.engine.connect() as db:
        rows = db.execute(select(sessions_table)).mappings().all()
    assert len(rows) == 1
    assert rows[0]["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for value in rows[0].values())
    assert rows[0]["csrf"] == csrf


def test_expired_sessions_are_cleared_when_a_new_one_starts(store, clock):
    wang = store.add("wang", PASSWORD, "agent")
    store.start_session(wang)
    clock.advance(9 * HOUR)
    store.start_session(wang)
    with store.engine.connect() as db:
        assert db.execute(text("SELECT COUNT(*) FROM staff_sessions")).scalar_one() == 1


def test_admins_may_everything_others_their_own_role():
    assert all(Staff("a", "a", "admin").may(role) for role in ("agent", "editor", "admin"))
    assert Staff("w", "w", "agent").may("agent") and not Staff("w", "w", "agent").may("admin")
    assert not Staff("e", "e", "editor").may("agent")


def test_the_database_is_var_staff_db_unless_staff_db_url_says_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("STAFF_DB_URL", raising=False)
    assert default_url().endswith("/var/staff.db") and default_url().startswith("sqlite:///")
    url = f"sqlite:///{tmp_path / 'new' / 'dir' / 'staff.db'}"
    monkeypatch.setenv("STAFF_DB_URL", url)
    store = StaffStore(hasher=CountingHasher())
    assert store.url == url and (tmp_path / "new" / "dir" / "staff.db").exists()
