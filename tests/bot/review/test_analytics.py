"""Figures per day and week and per channel on the seeded conversations, worked out by hand here.

Seeded (China time): Mon 03-02 chat: faq-chat (2 turns), form-submitted (4), form-cancelled (3);
Tue 03-03 01:00 chat: fallback (3 turns, 2 fall back); Tue chat: handoff-agent (3, handed off),
callback (3, call-back); Tue call: call-1 (3, 1 falls back); Mon 03-09 call: call-2 (2);
Wed 03-11 chat: chat-next-week (3). The greeting-only conversation of 03-02 is not one.
"""

import csv
import io
import json

import pytest

from bot.review.analytics import figures, period_start, to_csv
from tests.bot.review.conversations import china

NO_FORM = {}


def row(rows, period, channel):
    (found,) = [r for r in rows if (r.period, r.channel) == (period, channel)]
    return found


def test_per_day_one_row_per_day_and_channel_that_had_conversations(store):
    rows = figures(store.summaries(), "day")
    assert [(r.period, r.channel) for r in rows] == [
        ("2026-03-02", "chat"),
        ("2026-03-03", "chat"),
        ("2026-03-03", "call"),
        ("2026-03-09", "call"),
        ("2026-03-11", "chat"),
    ]
    monday = row(rows, "2026-03-02", "chat")
    assert (monday.conversations, monday.contained, monday.containment) == (3, 3, 1.0)
    assert (monday.customer_messages, monday.fallbacks, monday.fallback_rate) == (9, 0, 0.0)
    assert (monday.handed_off, monday.handoff_rate, monday.callbacks, monday.median_turns) == (0, 0.0, 0, 3.0)
    assert monday.forms == {
        "repay_form": {"started": 1, "submitted": 0, "cancelled": 1},
        "transfer_form": {"started": 1, "submitted": 1, "cancelled": 0},
    }
    assert monday.top_intents == [("faq", 1), ("repay", 1), ("transfer_money", 1)]
    assert monday.top_faqs == [("annual_fee", 1)]

    tuesday = row(rows, "2026-03-03", "chat")
    assert (tuesday.conversations, tuesday.contained, tuesday.containment) == (3, 1, 0.3333)
    assert (tuesday.customer_messages, tuesday.fallbacks, tuesday.fallback_rate) == (9, 2, 0.2222)
    assert (tuesday.handed_off, tuesday.handoff_rate, tuesday.callbacks, tuesday.median_turns) == (1, 0.3333, 1, 3.0)
    assert tuesday.forms == {"balance_form": {"started": 1, "submitted": 0, "cancelled": 0}}
    assert tuesday.top_intents == [("check_balance", 1), ("complain", 1), ("faq", 1), ("request_human", 1)]
    assert tuesday.top_faqs == [("annual_fee", 1)]

    call = row(rows, "2026-03-03", "call")
    assert (call.conversations, call.contained, call.containment, call.median_turns) == (1, 1, 1.0, 3.0)
    assert (call.customer_messages, call.fallbacks, call.fallback_rate, call.handoff_rate) == (3, 1, 0.3333, 0.0)
    assert call.forms == {"bill_form": {"started": 1, "submitted": 1, "cancelled": 0}}
    assert call.top_intents == [("query_bill", 1)] and call.top_faqs == []

    later_call, later_chat = row(rows, "2026-03-09", "call"), row(rows, "2026-03-11", "chat")
    assert (later_call.conversations, later_call.median_turns, later_call.top_faqs) == (1, 2.0, [("annual_fee", 1)])
    assert later_chat.top_faqs == [("annual_fee", 1), ("cancel_card", 1)]
    assert (later_chat.top_intents, later_chat.forms, later_chat.fallback_rate) == ([("faq", 1)], NO_FORM, 0.0)


def test_per_week_weeks_start_on_monday(store):
    rows = figures(store.summaries(), "week")
    assert [(r.period, r.channel, r.conversations) for r in rows] == [
        ("2026-03-02", "chat", 6),
        ("2026-03-02", "call", 1),
        ("2026-03-09", "chat", 1),
        ("2026-03-09", "call", 1),
    ]
    week = rows[0]
    assert (week.contained, week.containment, week.handed_off, week.handoff_rate) == (4, 0.6667, 1, 0.1667)
    assert (week.customer_messages, week.fallbacks, week.fallback_rate) == (18, 2, 0.1111)
    assert (week.callbacks, week.median_turns) == (1, 3.0)
    assert week.forms == {
        "balance_form": {"started": 1, "submitted": 0, "cancelled": 0},
        "repay_form": {"started": 1, "submitted": 0, "cancelled": 1},
        "transfer_form": {"started": 1, "submitted": 1, "cancelled": 0},
    }
    # faq in two conversations first; of the five asked once, the first four by name
    assert week.top_intents == [("faq", 2), ("check_balance", 1), ("complain", 1), ("repay", 1), ("request_human", 1)]
    assert week.top_faqs == [("annual_fee", 2)]
    next_week = rows[2:]
    assert [(r.top_faqs, r.median_turns) for r in next_week] == [
        ([("annual_fee", 1), ("cancel_card", 1)], 3.0),
        ([("annual_fee", 1)], 2.0),
    ]


def test_days_are_china_days(store):
    in_utc = figures(store.summaries(), "day", tz="UTC")
    assert [(r.period, r.channel, r.conversations) for r in in_utc][:2] == [
        ("2026-03-02", "chat", 4),
        ("2026-03-03", "chat", 2),
    ]
    assert period_start(china("2026-03-03", "01:00")).isoformat() == "2026-03-03"
    assert period_start(china("2026-03-08", "23:59"), "week").isoformat() == "2026-03-02"
    assert period_start(china("2026-03-09", "00:00"), "week").isoformat() == "2026-03-09"


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(summaries):
    (monday,) = figures([summaries["faq-chat"], summaries["form-cancelled"]])
    assert monday.median_turns == 2.5


def test_no_conversations_no_rows():
    assert figures([], "week") == []
    assert to_csv([]).splitlines() == [
        "period,channel,conversations,contained,containment,customer_messages,fallbacks,fallback_rate,"
        "handed_off,handoff_rate,callbacks,median_turns,top_intents,top_faqs"
    ]


def test_another_period_is_refused(summaries):
    with pytest.raises(ValueError, match="period"):
        figures(summaries.values(), "month")


def test_as_dict_is_json_with_lists(store):
    data = [r.as_dict() for r in figures(store.summaries(), "week")]
    again = json.loads(json.dumps(data))
    assert again[0]["top_faqs"] == [["annual_fee", 2]]
    assert again[0]["containment"] == 0.6667 and again[0]["period"] == "2026-03-02" and again[0]["channel"] == "chat"
    assert again[0]["forms"]["repay_form"] == {"started": 1, "submitted": 0, "cancelled": 1}


def test_csv_one_row_per_period_and_channel_with_forms_and_tops_flattened(store):
    text = to_csv(figures(store.summaries(), "week"))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == [
        "period", "channel", "conversations", "contained", "containment", "customer_messages", "fallbacks",
        "fallback_rate", "handed_off", "handoff_rate", "callbacks", "median_turns",
        "balance_form started", "balance_form submitted", "balance_form cancelled",
        "bill_form started", "bill_form submitted", "bill_form cancelled",
        "repay_form started", "repay_form submitted", "repay_form cancelled",
        "transfer_form started", "transfer_form submitted", "transfer_form cancelled",
        "top_intents", "top_faqs",
    ]  # fmt: skip
    assert table[1:] == [
        [
            "2026-03-02", "chat", "6", "4", "0.6667", "18", "2", "0.1111", "1", "0.1667", "1", "3.0",
            "1", "0", "0", "0", "0", "0", "1", "0", "1", "1", "1", "0",
            "faq 2; check_balance 1; complain 1; repay 1; request_human 1", "annual_fee 2",
        ],
        [
            "2026-03-02", "call", "1", "1", "1.0", "3", "1", "0.3333", "0", "0.0", "0", "3.0",
            "0", "0", "0", "1", "1", "0", "0", "0", "0", "0", "0", "0",
            "query_bill 1", "",
        ],
        [
            "2026-03-09", "chat", "1", "1", "1.0", "3", "0", "0.0", "0", "0.0", "0", "3.0",
            *["0"] * 12, "faq 1", "annual_fee 1; cancel_card 1",
        ],
        [
            "2026-03-09", "call", "1", "1", "1.0", "2", "0", "0.0", "0", "0.0", "0", "2.0",
            *["0"] * 12, "faq 1", "annual_fee 1",
        ],
    ]  # fmt: skip
