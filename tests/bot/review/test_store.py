"""Reading Rasa's SQL tracker store: which conversations, in which order, between which times."""

from bot.review import ConversationStore
from bot.review.store import SUMMARY_EVENTS, resolve_tracker_url
from bot.servers import REPO_ROOT
from tests.bot.review.conversations import Talk, china, save


def test_newest_first_and_nothing_where_nothing_happened(store):
    senders = [summary.sender_id for summary in store.summaries()]
    assert senders == [
        "chat-next-week", "call-2", "call-1", "callback", "handoff-agent", "fallback", "form-cancelled",
        "form-submitted", "faq-chat",
    ]  # fmt: skip
    assert store.transcript("greeting-only") is not None  # there, but not a conversation to count


def test_between_times_by_when_a_conversation_started(store):
    monday, tuesday = china("2026-03-02", "00:00"), china("2026-03-03", "00:00")
    assert {s.sender_id for s in store.summaries(monday, tuesday)} == {"faq-chat", "form-submitted", "form-cancelled"}
    assert {s.sender_id for s in store.summaries(since=china("2026-03-09", "09:00"))} == {"call-2", "chat-next-week"}
    assert {s.sender_id for s in store.summaries(until=china("2026-03-02", "11:00"))} == {"faq-chat"}
    # started before `since`: not in, though it went on after
    assert "handoff-agent" not in {s.sender_id for s in store.summaries(since=china("2026-03-03", "10:00") + 5)}


def test_events_are_rasas_as_dict_oldest_first(store):
    events = store.events("form-cancelled")
    assert [event["event"] for event in events[:4]] == ["action", "session_started", "action", "user"]
    assert events[3]["parse_data"]["intent"] == {"name": "repay", "confidence": 0.96}
    assert [event["timestamp"] for event in events] == sorted(event["timestamp"] for event in events)
    assert store.events("nobody") == []


def test_a_conversation_is_every_session_of_the_sender(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    talk = Talk("twice", "2026-03-02", "10:00").customer("查余额", "check_balance")
    talk.form_starts("balance_form", "请提供手机号。", "phone").listen()
    talk.now = china("2026-03-05", "10:00")
    talk.new_session().customer("我要还款", "repay")
    save(url, [talk])
    store = ConversationStore(url)
    (summary,) = store.summaries()
    assert (summary.customer_turns, summary.intents) == (2, ("check_balance", "repay"))
    assert (summary.started_at, summary.ended_at) == (china("2026-03-02", "10:00"), china("2026-03-05", "10:00") + 3)
    assert dict(summary.forms) == {"balance_form": "started"}
    store.close()


def test_a_store_rasa_never_wrote_to_is_empty(tmp_path):
    store = ConversationStore(f"sqlite:///{tmp_path / 'none.db'}")
    assert (store.summaries(), store.transcript("x"), store.events("x")) == ([], None, [])
    store.close()


def test_tracker_url_as_the_rasa_server_is_given_it():
    assert resolve_tracker_url(None) == f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"
    assert resolve_tracker_url("sqlite:///var/other.db") == f"sqlite:///{REPO_ROOT / 'var' / 'other.db'}"
    assert resolve_tracker_url("sqlite:////tmp/t.db") == "sqlite:////tmp/t.db"
    postgres = "postgresql://rasa:secret@db.example:5432/tracker"
    assert resolve_tracker_url(postgres) == postgres
    assert ConversationStore.from_env({"TRACKER_STORE_URL": "sqlite:////tmp/t.db"}).url == "sqlite:////tmp/t.db"
    assert ConversationStore.from_env({}).url == resolve_tracker_url(None)


def test_conversations_are_each_senders_summary_events_by_sender(store):
    monday, tuesday = china("2026-03-02", "00:00"), china("2026-03-03", "00:00")
    found = dict(store.conversations(monday, tuesday))
    assert sorted(found) == ["faq-chat", "form-cancelled", "form-submitted", "greeting-only"]
    events = found["form-cancelled"]
    assert {event["event"] for event in events} <= set(SUMMARY_EVENTS)
    assert [event["timestamp"] for event in events] == sorted(event["timestamp"] for event in events)
    assert len(dict(store.conversations())) == len(store.summaries()) + 1  # greeting-only: not a summary
