"""The console's publishing, versions and audit log, for editors (and admins).

Page: GET /staff/console/publish.

API (answers JSON; refusals carry ``{"error": code, "message": 中文}``):
GET  /staff/console/api/publish     {server: {reachable, model, message}, running: job|null, last: job|null,
                                     current: version|null, unpublished: changes, publishing_elsewhere,
                                     intent_titles: {name: 中文}}
POST /staff/console/api/publish     {note} → 202 {job}; 409 busy, no_rasa_api or server_unreachable;
                                     422 nothing_to_publish; 400 bad_parameter (note)
GET  /staff/console/api/versions    {versions: [version, …] newest first, current: number|null}
POST /staff/console/api/versions/{n}/rollback → 202 {job}; 404 not_found; 423 publishing (a publish or
                                     rollback holds the sources); 409 no_rasa_api or server_unreachable;
                                     422 no_model or already_current
GET  /staff/console/api/audit?limit=N  {entries: [{at, staff, action, target, detail}, …]} newest first

A job: {id, kind (publish|rollback), staff, note, state (running|succeeded|failed), started, finished,
reason, path (faq|full), changes, restored_from, version, model, gates, percent,
stages: [{key, title, state (pending|running|passed|failed), message, started, finished, elapsed,
estimate, progress}]}. A version: bot/editing/versions.py's Version.as_dict().

The Rasa server is RASA_URL (else RASA_PORT on this host) with the API token RASA_TOKEN (`make serve`
gives the gateway both). Without RASA_TOKEN, as under `make voice-serve` alone, there is no API to load
a model into: the page and a publish or rollback say so (no_rasa_api) before anything trains. The
server may be down when the gateway starts: the first version (the model it runs) is recorded as soon
as it answers — asked every few seconds from the gateway's start, so editors' first changes are
measured against it even if nobody opened this page before — and until then the page says it is
unreachable.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from pathlib import Path

from aiohttp import web

from bot.editing import audit, versions
from bot.editing.publish import NO_RASA_API, Busy, Publisher, RasaServer, Refused
from bot.editing.workspace import Workspace
from nlu.intent_titles import INTENT_TITLES
from voice.desk.accounts import StaffSession
from voice.desk.auth import require

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}
MAX_NOTE = 500
DEFAULT_AUDIT_LIMIT = 100
MAX_AUDIT_LIMIT = 1000
SERVER_CHECK_EVERY_S = 5.0
BUSY = "已有发布或回滚正在进行，请等它完成后再试"
ROLLBACK_WAITS = "正在发布或回滚，内容暂时不能恢复；请等它完成后再回滚"
UNREACHABLE = "暂时无法连接智能助手服务（或其管理接口未开启），无法上线新模型；请联系技术人员检查服务"
_json = functools.partial(json.dumps, ensure_ascii=False)


class ServerWatch:
    """Whether the Rasa server answers, asked at most every few seconds; the first time it does and
    no version exists yet, the sources and the model it runs become version 0001."""

    def __init__(self, publisher: Publisher, clock=time.monotonic, every: float = SERVER_CHECK_EVERY_S) -> None:
        self.publisher = publisher
        self.clock = clock
        self.every = every
        self._checked: float | None = None
        self._state = {"reachable": False, "model": "", "message": UNREACHABLE}

    async def state(self, fresh: bool = False) -> dict:
        if fresh or self._checked is None or self.clock() - self._checked >= self.every:
            self._state = await asyncio.to_thread(self._ask)
            self._checked = self.clock()
        return self._state

    def _ask(self) -> dict:
        if not self.publisher.server.has_api():
            return {"reachable": False, "model": "", "message": NO_RASA_API}
        try:
            model = self.publisher.server.running()
        except Exception as error:  # down, refused the token, or no API: the page says so
            log.info("console: the Rasa server can't say which model it runs: %s", error)
            return {"reachable": False, "model": "", "message": UNREACHABLE}
        try:
            self.publisher.ensure_initial()
        except Exception:  # the page still works; the next check tries again
            log.exception("console: could not record the first version")
        return {"reachable": True, "model": model, "message": ""}


PUBLISHER = web.AppKey("publisher", Publisher)
WATCH = web.AppKey("server_watch", ServerWatch)


def add_routes(app: web.Application, workspace: Workspace, *_more: object) -> None:
    workspace.clear_stale_publish()  # at gateway start: a publish running when it stopped never ended
    use(app, Publisher(workspace, RasaServer.from_env()))
    app.cleanup_ctx.append(_first_version_at_start)
    editors = require("editor")
    app.router.add_get("/staff/console/publish", editors(page))
    app.router.add_get("/staff/console/api/publish", editors(publish_status))
    app.router.add_post("/staff/console/api/publish", editors(publish))
    app.router.add_get("/staff/console/api/versions", editors(version_list))
    app.router.add_post("/staff/console/api/versions/{number}/rollback", editors(rollback))
    app.router.add_get("/staff/console/api/audit", editors(audit_log))


def use(app: web.Application, publisher: Publisher) -> None:
    """The publisher the routes use (tests give one with fakes before the app starts)."""
    app[PUBLISHER] = publisher
    app[WATCH] = ServerWatch(publisher)


async def _first_version_at_start(app: web.Application):
    task = asyncio.create_task(_watch_until_reachable(app[WATCH]))
    yield
    task.cancel()


async def _watch_until_reachable(watch: ServerWatch) -> None:
    while not (await watch.state(fresh=True))["reachable"]:
        await asyncio.sleep(watch.every)


async def page(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
    return web.FileResponse(STATIC / "publish.html", headers=NO_STORE)


async def publish_status(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    publisher = request.app[PUBLISHER]
    server = await request.app[WATCH].state()
    body = {"server": server, **await asyncio.to_thread(publisher.status), "intent_titles": INTENT_TITLES}
    return web.json_response(body, headers=NO_STORE, dumps=_json)


async def publish(request: web.Request, session: StaffSession) -> web.StreamResponse:
    body = await _body(request)
    note = body.get("note", "")
    if not isinstance(note, str) or len(note.strip()) > MAX_NOTE:
        return _bad("note", f"发布说明需为不超过 {MAX_NOTE} 个字的文字")
    publisher = request.app[PUBLISHER]
    if publisher.busy():
        return _refused(409, "busy", BUSY)
    if not publisher.server.has_api():
        return _refused(409, "no_rasa_api", NO_RASA_API)
    if not (await request.app[WATCH].state(fresh=True))["reachable"]:
        return _refused(409, "server_unreachable", UNREACHABLE)
    try:
        job = await asyncio.to_thread(publisher.publish, session.staff.username, note.strip())
    except Busy:
        return _refused(409, "busy", BUSY)
    except Refused as refused:
        return _refused(422, refused.code, refused.message)
    log.info("console: %s started publish %d", session.staff.username, job.id)
    return web.json_response({"job": job.as_dict(publisher.clock())}, status=202, headers=NO_STORE, dumps=_json)


async def version_list(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    workspace = request.app[PUBLISHER].workspace
    found = await asyncio.to_thread(versions.history, workspace)
    body = {"versions": [v.as_dict() for v in found], "current": versions.current_number(workspace)}
    return web.json_response(body, headers=NO_STORE, dumps=_json)


async def rollback(request: web.Request, session: StaffSession) -> web.StreamResponse:
    text = request.match_info["number"]
    if not text.isdigit() or len(text) > 6:
        return _refused(404, "not_found", f"没有版本 {text}")
    publisher = request.app[PUBLISHER]
    if publisher.busy():
        return _refused(423, "publishing", ROLLBACK_WAITS)
    if not publisher.server.has_api():
        return _refused(409, "no_rasa_api", NO_RASA_API)
    if not (await request.app[WATCH].state(fresh=True))["reachable"]:
        return _refused(409, "server_unreachable", UNREACHABLE)
    try:
        job = await asyncio.to_thread(publisher.rollback, int(text), session.staff.username)
    except KeyError:
        return _refused(404, "not_found", f"没有版本 {int(text):04d}")
    except Busy:
        return _refused(423, "publishing", ROLLBACK_WAITS)
    except Refused as refused:
        return _refused(422, refused.code, refused.message)
    log.info("console: %s started rolling back to version %s", session.staff.username, text)
    return web.json_response({"job": job.as_dict(publisher.clock())}, status=202, headers=NO_STORE, dumps=_json)


async def audit_log(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    given = request.query.get("limit", str(DEFAULT_AUDIT_LIMIT))
    if not given.isdigit() or not 1 <= int(given) <= MAX_AUDIT_LIMIT:
        return _bad("limit", f"条数需为 1 到 {MAX_AUDIT_LIMIT} 之间的整数")
    found = await asyncio.to_thread(audit.entries, request.app[PUBLISHER].workspace, int(given))
    return web.json_response({"entries": [e.as_dict() for e in found]}, headers=NO_STORE, dumps=_json)


async def _body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _refused(status: int, code: str, message: str) -> web.StreamResponse:
    return web.json_response({"error": code, "message": message}, status=status, headers=NO_STORE, dumps=_json)


def _bad(parameter: str, problem: str) -> web.StreamResponse:
    body = {"error": "bad_parameter", "parameter": parameter, "problem": problem, "message": problem}
    return web.json_response(body, status=400, headers=NO_STORE, dumps=_json)
