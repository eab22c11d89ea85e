"""The staff console's pages and JSON API under /staff/console/, for editors (and admins).

Pages: GET /staff/console/review (conversation review), GET /staff/console/analytics (how the bot
does); their scripts and styles under /staff/console/static/.

API (read only; bad parameters → 400 ``{"error": "bad_parameter", "parameter", "problem"}``):
GET /staff/console/conversations?since=&until=&channel=&intent=&faq=&fallback=&handoff=&outcome=
    the matching conversations' summaries, newest first, at most MAX_LISTED, and how many matched;
GET /staff/console/conversations/{id}  one conversation's transcript, masked (404 if there is none);
GET /staff/console/analytics.json?period=day|week&since=&until=  figures per period and channel;
GET /staff/console/analytics.csv?…  the same as a CSV download.

Dates are the bank's days (Asia/Shanghai). Everything is computed from the tracker store on request.
"""

import asyncio
import functools
import json
import logging
from datetime import date
from pathlib import Path
from typing import Awaitable, Callable, List, Optional

from aiohttp import web

from bot.editing.workspace import Workspace
from bot.review import ConversationStore, Filters, PeriodFigures, figures, to_csv
from nlu.intent_titles import INTENT_TITLES
from voice.console import content_routes, failures_routes, publish_routes
from voice.console.params import BadParameter, analytics_query, review_filters
from voice.desk.accounts import StaffSession
from voice.desk.auth import require

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
STORE = web.AppKey("conversations", ConversationStore)
MAX_LISTED = 200
MAX_SENDER_ID = 255
NO_STORE = {"Cache-Control": "no-store"}
_json = functools.partial(json.dumps, ensure_ascii=False)


def add_routes(app: web.Application, store: ConversationStore, workspace: Optional[Workspace] = None) -> None:
    app[STORE] = store
    if workspace is not None:
        content_routes.add_routes(app, workspace)
        publish_routes.add_routes(app, workspace)
        failures_routes.add_routes(app, workspace, store)
    editors = require("editor")
    app.router.add_get("/staff/console", editors(home))
    app.router.add_get("/staff/console/review", editors(page("review.html")))
    app.router.add_get("/staff/console/analytics", editors(page("analytics.html")))
    app.router.add_get("/staff/console/conversations", editors(conversations))
    app.router.add_get("/staff/console/conversations/{sender_id}", editors(conversation))
    app.router.add_get("/staff/console/analytics.json", editors(analytics_json))
    app.router.add_get("/staff/console/analytics.csv", editors(analytics_csv))
    app.router.add_static("/staff/console/static/", STATIC)


async def home(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
    raise web.HTTPFound("/staff/console/review")


def page(name: str) -> Callable[[web.Request, StaffSession], Awaitable[web.StreamResponse]]:
    async def serve(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
        return web.FileResponse(STATIC / name, headers=NO_STORE)

    return serve


async def conversations(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    try:
        filters = review_filters(request.query)
    except BadParameter as bad:
        return _refused(bad)
    found = await asyncio.to_thread(request.app[STORE].search, filters)
    body = {
        "conversations": [summary.as_dict() for summary in found[:MAX_LISTED]],
        "total": len(found),
        "limit": MAX_LISTED,
        "intent_titles": INTENT_TITLES,
    }
    return web.json_response(body, headers=NO_STORE, dumps=_json)


async def conversation(request: web.Request, session: StaffSession) -> web.StreamResponse:
    sender_id = request.match_info["sender_id"]
    said = None
    if len(sender_id) <= MAX_SENDER_ID:
        said = await asyncio.to_thread(request.app[STORE].transcript, sender_id)
    if said is None:
        return web.json_response({"error": "not_found"}, status=404, headers=NO_STORE)
    log.info("console: %s read the conversation %s", session.staff.username, sender_id)
    return web.json_response({**said.as_dict(), "intent_titles": INTENT_TITLES}, headers=NO_STORE, dumps=_json)


async def analytics_json(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    try:
        period, filters = analytics_query(request.query)
    except BadParameter as bad:
        return _refused(bad)
    rows = await asyncio.to_thread(_figures, request.app[STORE], period, filters)
    body = {
        "period": period,
        "since": _iso(filters.since),
        "until": _iso(filters.until),
        "timezone": filters.tz,
        "figures": [row.as_dict() for row in rows],
        "intent_titles": INTENT_TITLES,
    }
    return web.json_response(body, headers=NO_STORE, dumps=_json)


async def analytics_csv(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    try:
        period, filters = analytics_query(request.query)
    except BadParameter as bad:
        return _refused(bad)
    rows = await asyncio.to_thread(_figures, request.app[STORE], period, filters)
    return web.Response(
        text=to_csv(rows), content_type="text/csv", charset="utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="analytics-{period}.csv"'},
    )  # fmt: skip


def _figures(store: ConversationStore, period: str, filters: Filters) -> List[PeriodFigures]:
    return figures(store.search(filters), period, filters.tz)


def _refused(bad: BadParameter) -> web.StreamResponse:
    return web.json_response(bad.as_dict(), status=400, headers=NO_STORE)


def _iso(day: Optional[date]) -> Optional[str]:
    return day.isoformat() if day else None
