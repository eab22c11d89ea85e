"""Finding conversations: filters by date, channel, intent, FAQ, fallback, hand-off and outcome, and
the query parameters they are read from."""

from datetime import date

import pytest

from bot.review.search import Filters, matches, parse_filters
from tests.bot.review.conversations import china

EVERY = {
    "faq-chat", "form-submitted", "form-cancelled", "fallback", "handoff-agent", "callback", "call-1", "call-2",
    "chat-next-week",
}  # fmt: skip


def found(store, **filters):
    return {summary.sender_id for summary in store.search(Filters(**filters))}


def test_no_filter_finds_every_conversation(store):
    assert found(store) == EVERY


@pytest.mark.parametrize(
    "filters, senders",
    [
        ({"since": date(2026, 3, 3), "until": date(2026, 3, 3)}, {"fallback", "handoff-agent", "callback", "call-1"}),
        ({"since": date(2026, 3, 9)}, {"call-2", "chat-next-week"}),
        ({"until": date(2026, 3, 2)}, {"faq-chat", "form-submitted", "form-cancelled"}),
        ({"channel": "call"}, {"call-1", "call-2"}),
        ({"intent": "faq"}, {"faq-chat", "callback", "call-2", "chat-next-week"}),
        ({"intent": "faq", "channel": "chat", "until": date(2026, 3, 8)}, {"faq-chat", "callback"}),
        ({"faq": "cancel_card"}, {"chat-next-week"}),
        ({"fallback": True}, {"fallback", "call-1"}),
        ({"fallback": False}, EVERY - {"fallback", "call-1"}),
        ({"handoff": True}, {"handoff-agent"}),
        ({"handoff": False}, EVERY - {"handoff-agent"}),
        ({"outcome": "callback"}, {"callback"}),
        ({"outcome": "contained", "channel": "call"}, {"call-1", "call-2"}),
        ({"intent": "transfer_money", "outcome": "handed_off"}, set()),
    ],
)
def test_filters(store, filters, senders):
    assert found(store, **filters) == senders
    assert {s.sender_id for s in store.summaries() if matches(s, Filters(**filters))} == senders


def test_a_day_is_a_china_day():
    since, until = Filters(since=date(2026, 3, 3), until=date(2026, 3, 3)).bounds()
    assert (since, until) == (china("2026-03-03", "00:00"), china("2026-03-04", "00:00"))
    assert Filters().bounds() == (None, None)


def test_query_parameters():
    assert parse_filters({}) == Filters()
    assert parse_filters({"since": "", "channel": "", "fallback": ""}) == Filters()
    assert parse_filters(
        {"since": "2026-03-02", "until": "2026-03-08", "channel": "call", "intent": "repay", "faq": "annual_fee",
         "fallback": "true", "handoff": "false", "outcome": "contained", "page": "2"}
    ) == Filters(
        since=date(2026, 3, 2), until=date(2026, 3, 8), channel="call", intent="repay", faq="annual_fee",
        fallback=True, handoff=False, outcome="contained",
    )  # fmt: skip


@pytest.mark.parametrize(
    "params, problem",
    [
        ({"since": "3/2/2026"}, "'since' must be a date YYYY-MM-DD"),
        ({"until": "2026-02-30"}, "'until' must be a date YYYY-MM-DD"),
        ({"since": "2026-03-09", "until": "2026-03-02"}, "'since' must not be after 'until'"),
        ({"channel": "phone"}, "'channel' must be one of chat, call"),
        ({"outcome": "resolved"}, "'outcome' must be one of contained, handed_off, callback"),
        ({"fallback": "maybe"}, "'fallback' must be true or false"),
        ({"handoff": "2"}, "'handoff' must be true or false"),
    ],
)
def test_bad_query_parameters_are_named(params, problem):
    with pytest.raises(ValueError) as refused:
        parse_filters(params)
    assert str(refused.value) == problem
