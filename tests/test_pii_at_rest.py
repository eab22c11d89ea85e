"""No personal number at rest in the clear: after the whole suite (tests/conftest.py runs
``test_nothing_personal_is_left_at_rest`` last), what the tests left behind is searched
(tests/pii_scan.py) for full card numbers, mobile numbers, ID numbers and the one-time codes
the bank sent; first, the search itself is shown to find what is planted where it looks."""

import asyncio
import sqlite3
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import EncryptedSQLTrackerStore
from tests.database_backends import seeded_template
from tests.pii_scan import Scanner, bank_numbers, id_number_valid, luhn_valid, published_numbers

COLLECTED_AT = time.time()  # the suite's tests run after collection: what they wrote is newer
REPO = Path(__file__).resolve().parent.parent
SEED_CARD = "6217000010001234"  # the demo bank's first card (actions/bank/seed.py)
SEED_PHONE = "13800138000"
PLANTED_CODE = "730512"
SELF_TEST = "test_the_scanner_finds_number"  # its temporary directory: numbers planted on purpose
# `rasa test` on tests/stories writes reports that quote the stories' own lines (the demo customer's
# phone typed in a test story): the test's input echoed, not a conversation anyone had
STORY_TEST_REPORTS = {
    "TEDPolicy_errors.json",
    "failed_test_stories.yml",
    "stories_with_warnings.yml",
    "story_report.json",
}
# the project's own texts: the bot's wording, its training data and the held-out sets (all copied
# into the console tests' workspaces)
OWN_TEXTS = [
    *(REPO / "bot").rglob("*.yml"),
    *(REPO / "nlu").rglob("*.yml"),
    *(REPO / "tests").glob("nlu_holdout*.yml"),
    *(REPO / "tests" / "bot" / "faq").glob("holdout*.yml"),
]


def tracker_store(path: Path, events: list, store_class=SQLTrackerStore) -> None:
    """Events written by a tracker store: Rasa's own (in the clear) or the assistant's (encrypted)."""
    store = store_class(Domain.empty(), dialect="sqlite", db=str(path))
    asyncio.run(store.save(DialogueStateTracker.from_events("web-planted", events)))
    store.engine.dispose()


def bank_with_a_sent_code(directory: Path, day) -> Path:
    path = Path(seeded_template("sqlite", directory, day))
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "sms_outbox" in tables:
            db.execute(
                "INSERT INTO sms_outbox (phone, text, conversation, created_at) VALUES (?, ?, ?, ?)",
                (
                    SEED_PHONE,
                    f"【示例银行】您的验证码是{PLANTED_CODE}，5分钟内有效。",
                    "web-planted",
                    "2026-03-02 10:00:00",
                ),
            )
        else:  # the earlier outbox, a code a row
            db.execute(
                "INSERT INTO otp_messages (phone, code, sender_id, created_at) VALUES (?, ?, ?, ?)",
                (SEED_PHONE, PLANTED_CODE, "web-planted", "2026-03-02 10:00:00"),
            )
    return path


def test_the_scanner_finds_numbers_planted_where_it_looks(tmp_path, day):
    bank = bank_with_a_sent_code(tmp_path / "bank", day)
    cards, codes = bank_numbers([tmp_path])
    assert SEED_CARD in cards and PLANTED_CODE in codes

    said = [
        UserUttered(f"我的手机号是{SEED_PHONE}"),
        SlotSet("phone", SEED_PHONE),
        BotUttered(f"您的卡号{SEED_CARD}已冻结"),
        BotUttered("置信度 0.0015192086419469353"),  # a fraction is not a card number
    ]
    tracker_store(tmp_path / "tracker.db", said)  # Rasa's own store keeps all of it in the clear
    tracker_store(tmp_path / "encrypted.db", said, EncryptedSQLTrackerStore)  # the assistant's: nothing
    (tmp_path / "gateway.log").write_text(f"10:00 call 1 caller 验证码{PLANTED_CODE}\n", encoding="utf-8")
    (tmp_path / "record.json").write_text('{"text": "身份证号110105199003072311"}', encoding="utf-8")
    with sqlite3.connect(bank) as db:  # a ticket written without masking
        db.execute("UPDATE handoff_tickets SET summary = ?", (f"客户来电{SEED_PHONE}",))
        db.execute(
            "INSERT INTO handoff_tickets (sender_id, priority, summary, status, created_at, number) "
            "VALUES ('web-planted', 'normal', ?, 'open', '2026-03-02 10:00:00', 'H999999')",
            (f"客户来电{SEED_PHONE}",),
        )

    found = {(Path(f.where.split(":")[0]).name, f.kind, f.number) for f in Scanner(cards, codes).scan_tree(tmp_path)}
    assert found == {
        ("tracker.db", "card", SEED_CARD),
        ("tracker.db", "phone", SEED_PHONE),
        ("gateway.log", "code", PLANTED_CODE),
        ("record.json", "id_number", "110105199003072311"),
        ("bank.db", "phone", SEED_PHONE),  # the ticket; not the customers table, where it belongs
    }


def test_what_counts_as_a_personal_number():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert id_number_valid("110105199003072311") and not id_number_valid("110105199003072316")
    scanner = Scanner(cards=[SEED_CARD], codes=[PLANTED_CODE])
    kinds = lambda text: [kind for kind, _number, _at in scanner.numbers_in(text)]  # noqa: E731
    assert kinds(f"尾号{SEED_CARD[-4:]}，手机138****8000，工单H000012，验证码******") == []
    assert kinds(f"卡号{SEED_CARD}") == ["card"] and kinds("4111111111111111") == ["card"]
    assert kinds("手机13912345678。") == ["phone"] and kinds("12345678901") == []  # not a mobile prefix
    assert kinds(f"code {PLANTED_CODE}") == ["code"] and kinds(f"金额{PLANTED_CODE}1元") == []
    assert kinds("1796395522.7702825 a1b2c3d13800138000ef") == []  # timestamps, hashes
    published = published_numbers((REPO / "bot" / "domain").glob("*.yml"))
    assert "13812345678" in published  # the bot's example of a mobile number, not anyone's
    assert list(Scanner(public=published).numbers_in("比如13812345678。")) == []


def test_nothing_personal_is_left_at_rest(tmp_path_factory):
    """Runs last (tests/conftest.py): the suite's temporary files (tracker stores, call records,
    bank tickets and audit log, logs, JSON) and what it wrote under var/."""
    roots = [tmp_path_factory.getbasetemp()]
    cards, codes = bank_numbers(roots, leave_out=SELF_TEST)
    scanner = Scanner(cards, codes, published_numbers(OWN_TEXTS))
    findings = [f for root in roots for f in scanner.scan_tree(root)]
    findings += scanner.scan_tree(REPO / "var", newer_than=COLLECTED_AT)
    findings = [
        f for f in findings if SELF_TEST not in f.where and Path(f.where.split(":")[0]).name not in STORY_TEST_REPORTS
    ]
    assert findings == [], "personal numbers at rest in the clear:\n" + "\n".join(map(str, findings[:30]))


test_nothing_personal_is_left_at_rest.runs_last = True  # type: ignore[attr-defined]
