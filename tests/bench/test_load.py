"""The load bench's transcript check finds what it must: a message lost, stored twice, stored out of
order or left unanswered (tests/bench/load.py check_transcripts)."""

from tests.bench.load import Customer, check_transcripts, shares


def conversation(*message_ids: str) -> list:
    """Each message answered by one bot message, in the order given."""
    return [event for m in message_ids for event in (("user", m), ("bot", f"answer to {m}"))]


def test_a_clean_transcript_passes():
    customer = Customer("REST", "c1", sent=["a", "b", "c"])
    assert check_transcripts([customer], {"s1": conversation("a", "b", "c")}).clean


def test_a_lost_message_is_counted():
    result = check_transcripts([Customer("REST", "c1", sent=["a", "b", "c"])], {"s1": conversation("a", "c")})
    assert (result.lost, result.duplicated, result.out_of_order) == (1, 0, 0)


def test_a_message_stored_twice_is_counted_even_in_another_conversation():
    stored = {"s1": conversation("a", "b"), "s2": conversation("b")}
    result = check_transcripts([Customer("REST", "c1", sent=["a", "b"])], stored)
    assert result.duplicated == 1 and not result.clean


def test_messages_stored_out_of_order_are_counted():
    result = check_transcripts([Customer("websocket", "c1", sent=["a", "b", "c"])], {"s1": conversation("b", "a", "c")})
    assert result.out_of_order == 1 and result.lost == 0


def test_a_message_without_a_bot_answer_is_unanswered():
    stored = {"s1": [("user", "a"), ("user", "b"), ("bot", "answer to b")]}
    result = check_transcripts([Customer("REST", "c1", sent=["a", "b"])], stored)
    assert result.unanswered == 1


def test_profile_samples_are_shared_out_by_the_first_matching_part(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "handle_message (rasa/core/agent.py:1);parse_message (rasa/core/processor.py:2);process (nlu/x.py:3) 30\n"
        "handle_message (rasa/core/agent.py:1);retrieve (rasa/core/tracker_store.py:9);execute (sqlalchemy/x.py:1) 50\n"
        "run_forever (asyncio/base_events.py:1) 20\n",
        encoding="utf-8",
    )
    split = shares(raw)
    assert split["NLU (parse_message)"] == 0.3
    assert split["tracker store (PostgreSQL; events read, written, (de)serialised)"] == 0.5
    assert split["the rest (HTTP server, channels, event loop)"] == 0.2
