"""Conversation review and "how the bot does" for the staff console, read from Rasa's SQL tracker store."""

from bot.review.analytics import PeriodFigures, figures, to_csv
from bot.review.search import Filters, matches, parse_filters
from bot.review.store import ConversationStore, resolve_tracker_url
from bot.review.summary import ConversationSummary, build
from bot.review.transcript import Entry, Transcript

__all__ = [
    "ConversationStore",
    "ConversationSummary",
    "Entry",
    "Filters",
    "PeriodFigures",
    "Transcript",
    "build",
    "figures",
    "matches",
    "parse_filters",
    "resolve_tracker_url",
    "to_csv",
]
