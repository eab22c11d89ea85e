"""The seeded tracker store (tests/bot/review/conversations.py), on SQLite and on PostgreSQL when offered."""

import pytest

from bot.review import ConversationStore
from tests.bot.review.conversations import save, seeded
from tests.database_backends import empty_database


@pytest.fixture(scope="module")
def tracker_url(database_backend, tmp_path_factory):
    with empty_database(database_backend, tmp_path_factory.mktemp("review"), "tracker") as url:
        save(url, seeded())
        yield url


@pytest.fixture(scope="module")
def store(tracker_url):
    store = ConversationStore(tracker_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def summaries(store):
    return {summary.sender_id: summary for summary in store.summaries()}
