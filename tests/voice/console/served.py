"""The gateway's app with the console, served in-process for the route tests: a stand-in assistant,
the staff store, the tracker store's conversations and (for the editing pages) a workspace."""

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.editing.workspace import Workspace
from bot.review import ConversationStore
from tests.voice.console.staff_accounts import PASSWORDS
from tests.voice.desk.test_auth import log_in
from tests.voice.web.doubles import TrackerAssistant
from voice.desk.accounts import StaffStore
from voice.web.gateway import WebGateway
from voice.web.server import create_app
from voice.web.sessions import SessionCookies


def serve(
    staff: StaffStore,
    tracker_url: str,
    test: Callable[[TestClient], Awaitable[None]],
    *,
    workspace: Workspace | None = None,
    user: str | None = "zhou",
    conversations: bool = True,
    prepare: Callable[[web.Application], None] | None = None,
) -> None:
    """Run ``test(client)`` against the app, signed in as ``user`` (None: signed out); ``prepare``
    changes the app before it starts (e.g. a publisher with stand-ins)."""

    async def go():
        tracker = ConversationStore(tracker_url) if conversations else None
        app = create_app(WebGateway(TrackerAssistant(), calls=None), SessionCookies(b"k" * 32), staff=staff,
                         conversations=tracker, workspace=workspace)  # fmt: skip
        if prepare:
            prepare(app)
        try:
            async with TestClient(TestServer(app)) as client:
                if user:
                    assert (await log_in(client, user, PASSWORDS[user])).status == 200
                await test(client)
        finally:
            if tracker:
                tracker.close()

    asyncio.run(go())
