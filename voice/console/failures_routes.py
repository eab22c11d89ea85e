"""The console's "what the bot failed" (待改进), for editors and admins.

Page: GET /staff/console/failures.

API (bad parameters → 400 ``{"error": "bad_parameter", "parameter", "problem"}``):
GET /staff/console/api/failures?since=&until=&channel=chat|call&reason=&status=open|assigned|dismissed
    the failed messages (bot/review/failures.py) said in those days (the bank's, Asia/Shanghai), of that
    channel and reason, in that triage state (open unless given), grouped by meaning
    (bot/review/grouping.py) with a suggested FAQ or intent per group:
    ``{"method", "total", "limit", "counts": {open, assigned, dismissed}, "next_version",
    "groups": [{"id", "size", "reasons": {reason: n}, "suggestion": {"target", "score", "nearest"} | null,
    "messages": [{"key", "conversation_id", "at", "channel", "text" (masked), "reasons", "intent",
    "confidence", "faq"?, "asr_confidence"?, "rephrased_as"?, "personal", "status",
    "decision"? {"target", "staff", "at"}; when assigned "published_in" (the running version's number
    when it holds the words, else null: waits for 发布) and "in_sources" (false: taken out since)}]}],
    "intent_titles"}``;
POST /staff/console/api/failures/assign ``{"keys": [...], "target": "faq:<id>" | "intent:<name>"}``
    adds each message's words to the FAQ or intent (bot/editing/triage.py); ``{"done": [keys],
    "refused": [{"key", "problems": [{"field", "message", "item"}]}], "version"}``: 200 when any was
    assigned, 422 when none was; 423 while a publish runs;
POST /staff/console/api/failures/dismiss ``{"keys": [...]}`` the same answer;
POST /staff/console/api/failures/reopen ``{"keys": [...]}`` dismissed messages open again; the same answer
    (a message that isn't dismissed is refused);
GET /staff/console/api/targets  the FAQs and task intents a message may be assigned to.

Detection and grouping read the tracker store and run the sentence encoder: in a worker thread, the
encoder loaded on the first request and kept (``ENCODER``)."""

import asyncio
import functools
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from bot.editing import intents, triage
from bot.editing import targets as target_list
from bot.editing.problems import FieldProblem
from bot.editing.workspace import EditConflict, PublishInProgress, Workspace
from bot.review import ConversationStore
from bot.review import failures as detection
from bot.review.analytics import TIMEZONE
from bot.review.grouping import Encoder, group
from nlu.intent_titles import INTENT_TITLES
from voice.console.params import BadParameter
from voice.desk.accounts import StaffSession
from voice.desk.auth import require

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
WORKSPACE = web.AppKey("failures_workspace", Workspace)
STORE = web.AppKey("failures_store", ConversationStore)
ENCODER = web.AppKey("failures_encoder", Encoder)
NO_STORE = {"Cache-Control": "no-store"}
MAX_LISTED = 1000  # newest failed messages grouped per request
MAX_KEYS = 500
MAX_KEY = 400
QUERY = ("since", "until", "channel", "reason", "status")
CHANNELS = ("chat", "call")
NOT_FOUND = "找不到这条消息：会话记录里已没有它，请刷新页面"
ASSIGN, DISMISS, REOPEN = "assign", "dismiss", "reopen"
DONE = {ASSIGN: "assigned", DISMISS: "dismissed", REOPEN: "reopened"}
_json = functools.partial(json.dumps, ensure_ascii=False)


def add_routes(app: web.Application, workspace: Workspace, store: Optional[ConversationStore] = None) -> None:
    if store is None:
        return
    app[WORKSPACE] = workspace
    app[STORE] = store
    app[ENCODER] = Encoder()
    editors = require("editor")
    app.router.add_get("/staff/console/failures", editors(page))
    app.router.add_get("/staff/console/api/failures", editors(listing))
    app.router.add_post("/staff/console/api/failures/assign", editors(assign))
    app.router.add_post("/staff/console/api/failures/dismiss", editors(dismiss))
    app.router.add_post("/staff/console/api/failures/reopen", editors(reopen))
    app.router.add_get("/staff/console/api/targets", editors(choices))


async def page(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
    return web.FileResponse(STATIC / "failures.html", headers=NO_STORE)


# ----------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class Query:
    since: Optional[float]  # epoch seconds, the start of the bank's day
    until: Optional[float]  # the end of the bank's day (exclusive)
    channel: Optional[str]
    reason: Optional[str]
    status: str


def failures_query(query: MultiMapping[str], tz: str = TIMEZONE) -> Query:
    """The listing's parameters, each given at most once; BadParameter naming the one that is wrong."""
    given: Dict[str, str] = {}
    for name in query:
        if name not in QUERY:
            raise BadParameter(name, f"'{name}' is not a parameter here; expected {', '.join(QUERY)}")
        values = query.getall(name)
        if len(values) > 1:
            raise BadParameter(name, f"'{name}' given {len(values)} times")
        if values[0].strip():
            given[name] = values[0].strip()
    zone = ZoneInfo(tz)
    days = {}
    for name in ("since", "until"):
        if name in given:
            try:
                days[name] = date.fromisoformat(given[name])
            except ValueError:
                raise BadParameter(name, f"'{name}' must be a date YYYY-MM-DD") from None
    if "since" in days and "until" in days and days["since"] > days["until"]:
        raise BadParameter("since", "'since' must not be after 'until'")
    for name, allowed in (("channel", CHANNELS), ("reason", detection.REASONS), ("status", triage.STATUSES)):
        if name in given and given[name] not in allowed:
            raise BadParameter(name, f"'{name}' must be one of {', '.join(allowed)}")
    since = datetime.combine(days["since"], time(), zone).timestamp() if "since" in days else None
    until = datetime.combine(days["until"] + timedelta(days=1), time(), zone).timestamp() if "until" in days else None
    return Query(since, until, given.get("channel"), given.get("reason"), given.get("status", triage.OPEN))


async def listing(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    try:
        query = failures_query(request.query)
    except BadParameter as bad:
        return web.json_response(bad.as_dict(), status=400, headers=NO_STORE)
    app = request.app
    body = await asyncio.to_thread(_listing, app[STORE], app[WORKSPACE], app[ENCODER], query)
    return web.json_response(body, headers=NO_STORE, dumps=_json)


def _listing(store: ConversationStore, workspace: Workspace, encoder: Encoder, query: Query) -> Dict[str, Any]:
    found = [
        message
        for message in detection.find(store, query.since, query.until)
        if (query.channel is None or message.channel == query.channel)
        and (query.reason is None or query.reason in message.reasons)
    ]
    decided = triage.decisions(workspace)
    counts = {status: 0 for status in triage.STATUSES}
    for message in found:
        counts[triage.status_of(message.key, decided)] += 1
    chosen = [message for message in found if triage.status_of(message.key, decided) == query.status]
    grouping = group(chosen[:MAX_LISTED], target_list.phrasings(workspace, _task_intents(workspace)), encoder)
    published = triage.published_in(workspace, decided)
    kept = triage.in_sources(workspace, decided)
    groups = []
    for found_group in grouping.groups:
        shown = found_group.as_dict()
        for message in shown["messages"]:
            message["status"] = triage.status_of(message["key"], decided)
            decision = decided.get(message["key"])
            if decision is not None:
                message["decision"] = {"target": decision.target, "staff": decision.staff, "at": decision.at}
                if decision.status == triage.ASSIGNED:
                    message["published_in"] = published.get(message["key"])
                    message["in_sources"] = kept.get(message["key"], False)
        groups.append(shown)
    return {
        "method": grouping.method,
        "total": len(chosen),
        "limit": MAX_LISTED,
        "counts": counts,
        "next_version": triage.next_version(workspace),
        "groups": groups,
        "intent_titles": INTENT_TITLES,
    }


async def choices(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    workspace = request.app[WORKSPACE]
    found = await asyncio.to_thread(_choices, workspace)
    return web.json_response(
        {"targets": [choice.as_dict() for choice in found], "intent_titles": INTENT_TITLES},
        headers=NO_STORE,
        dumps=_json,
    )


def _choices(workspace: Workspace) -> List[target_list.Choice]:
    return target_list.choices(workspace, _task_intents(workspace))


def _task_intents(workspace: Workspace) -> List[str]:
    return list(intents.task_intents(workspace))


# ----------------------------------------------------------------------------- decisions


async def assign(request: web.Request, session: StaffSession) -> web.StreamResponse:
    try:
        keys, target = await _body(request, with_target=True)
    except BadParameter as bad:
        return web.json_response(bad.as_dict(), status=400, headers=NO_STORE)
    return await _decide(request, session, keys, ASSIGN, target)


async def dismiss(request: web.Request, session: StaffSession) -> web.StreamResponse:
    return await _decide_keys(request, session, DISMISS)


async def reopen(request: web.Request, session: StaffSession) -> web.StreamResponse:
    return await _decide_keys(request, session, REOPEN)


async def _decide_keys(request: web.Request, session: StaffSession, action: str) -> web.StreamResponse:
    try:
        keys, _ = await _body(request, with_target=False)
    except BadParameter as bad:
        return web.json_response(bad.as_dict(), status=400, headers=NO_STORE)
    return await _decide(request, session, keys, action, None)


async def _decide(
    request: web.Request, session: StaffSession, keys: List[str], action: str, target: Optional[str]
) -> web.StreamResponse:
    app = request.app
    staff = session.staff.username
    try:
        outcome = await asyncio.to_thread(_apply, app[STORE], app[WORKSPACE], keys, action, target, staff)
    except BadParameter as bad:
        return web.json_response(bad.as_dict(), status=400, headers=NO_STORE)
    except PublishInProgress:
        problem = "正在发布新版本，发布结束后才能修改，请稍后再试"
        return web.json_response({"error": "publishing", "problem": problem}, status=423, headers=NO_STORE)
    except EditConflict:
        problem = "文件刚被其他人修改，请刷新页面后重试"
        return web.json_response({"error": "conflict", "problem": problem}, status=409, headers=NO_STORE)
    log.info("console: %s %s %d message(s)%s", staff, DONE[action], len(outcome.done),
             f" to {target}" if target else "")  # fmt: skip
    status = 200 if outcome.done or not outcome.refused else 422
    return web.json_response(outcome.as_dict(), status=status, headers=NO_STORE, dumps=_json)


def _apply(
    store: ConversationStore, workspace: Workspace, keys: List[str], action: str, target: Optional[str], staff: str
) -> triage.Outcome:
    if target is not None and target not in {choice.target for choice in _choices(workspace)}:
        raise BadParameter("target", f"'target' {target} is not an FAQ id or a task intent")
    messages, missing = _messages(store, keys)
    if action == ASSIGN and target is not None:
        outcome = triage.assign(workspace, messages, target, staff)
    elif action == REOPEN:
        outcome = triage.reopen(workspace, messages, staff)
    else:
        outcome = triage.dismiss(workspace, messages, staff)
    for key in missing:
        outcome.refused[key] = [FieldProblem("key", NOT_FOUND)]
    return outcome


def _messages(store: ConversationStore, keys: List[str]) -> Tuple[List[detection.FailedMessage], List[str]]:
    """The failed messages the keys name (in the keys' order), and the keys that name none."""
    found: Dict[str, detection.FailedMessage] = {}
    for conversation in dict.fromkeys(detection.conversation_of_key(key) for key in keys):
        if conversation is not None:
            found.update({m.key: m for m in detection.in_conversation(store, conversation)})
    return [found[key] for key in keys if key in found], [key for key in keys if key not in found]


async def _body(request: web.Request, with_target: bool) -> Tuple[List[str], Optional[str]]:
    try:
        body = await request.json()
    except ValueError:
        raise BadParameter(None, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadParameter(None, "the body must be a JSON object")
    keys = body.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(key, str) for key in keys):
        raise BadParameter("keys", "'keys' must be a non-empty list of message keys")
    if len(keys) > MAX_KEYS:
        raise BadParameter("keys", f"'keys' may hold at most {MAX_KEYS} keys")
    for key in keys:
        if len(key) > MAX_KEY or detection.conversation_of_key(key) is None:
            raise BadParameter("keys", f"'keys' holds {key[:80]!r}, which is not a message key")
    if not with_target:
        return list(dict.fromkeys(keys)), None
    target = body.get("target")
    try:
        target_list.parse(target if isinstance(target, str) else "")
    except ValueError:
        raise BadParameter("target", "'target' must be faq:<id> or intent:<name>") from None
    return list(dict.fromkeys(keys)), str(target)
