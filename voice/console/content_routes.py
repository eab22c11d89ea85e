"""The console's FAQs (常见问题), intents' examples (意图例句) and wording (话术), for editors and admins.

Pages: GET /staff/console/faqs, /staff/console/intents, /staff/console/wording.

API under /staff/console/api/. Every change names the ``etag`` of the file the editor read and
answers with the file's new one. Refusals:
400 ``{"error": "bad_parameter", "parameter", "problem"}`` (bad JSON, a missing or mistyped field);
404 ``{"error": "not_found", "problem"}``; 409 ``{"error": "conflict", "problem"}`` (the file changed
since it was read: reload); 422 ``{"error": "rejected", "problems": [{"field", "message", "item"}]}``
(the checks, nothing written); 423 ``{"error": "publishing", "problem"}`` (a publish is training).
A saved change answers ``{…, "etag", "notice"}``: it takes effect after the next publish.

FAQs (bot/editing/faqs.py; an FAQ is ``{"id", "category", "questions": [...], "answer",
"answer_voice", "enabled"}``):
GET  faqs?q=                  ``{"faqs": [faq], "total", "etag", "limits"}`` (q: in id, category,
                              phrasings or answers)
GET  faqs/diff                ``{"published": bool, "changes": [{"id", "kind": added|changed|removed,
                              "fields": {name: {"old", "new"} | {"added", "removed"}}, "switched_off",
                              "switched_on"}]}`` against the version being served
GET  faqs/{id}                ``{"faq", "etag", "history": [{"at", "staff", "action", "detail"}]}``
POST faqs                     ``{"etag", ...faq}`` adds one (201)
PUT  faqs/{id}                ``{"etag", ...faq}`` saves it (its id can't change)
PUT  faqs/{id}/enabled        ``{"etag", "enabled": bool}`` switches it off or on

Intents (bot/editing/intents.py):
GET    intents                ``{"intents": [{"name", "title", "file", "kind", "count"}], "limits"}``
GET    intents/{name}/examples  ``{"intent": {"name", "title", "file", "kind", "examples"}, "etag", "history"}``
POST   intents/{name}/examples  ``{"etag", "text"}`` adds one (201)
PUT    intents/{name}/examples  ``{"etag", "old", "text"}`` replaces ``old`` by ``text``
DELETE intents/{name}/examples  ``{"etag", "text"}`` removes it

Wording (bot/editing/wording.py):
GET wording                   ``{"files": [{"file", "etag", "responses": [{"name", "file", "has_voice",
                              "variants": [{"text", "channel": "" | "voice", "buttons": [{"title",
                              "payload"}]}]}]}], "limits"}``
GET wording/{name}            ``{"response", "etag", "history"}``
PUT wording/{name}            ``{"etag", "variants": [{"index", "text"}], "buttons"?: [{"variant", "index",
                              "title"}], "new_voice"?: text}`` changes texts and button titles in place
                              (payloads never), optionally adds a voice variant. Voice texts (and chat
                              texts and titles calls say) are checked with voice.speakable, which bot/
                              can't import."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeGuard

from aiohttp import web

from bot.editing import audit, faqs, intents, wording
from bot.editing.problems import Rejected
from bot.editing.workspace import EditConflict, PublishInProgress, Workspace
from bot.faq import checks
from nlu.faq_source import Faq
from nlu.intent_titles import INTENT_TITLES
from voice.console.params import BadParameter
from voice.desk.accounts import StaffSession
from voice.desk.auth import require
from voice.speakable import speakable

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
WORKSPACE = web.AppKey("content_workspace", Workspace)
NO_STORE = {"Cache-Control": "no-store"}
API = "/staff/console/api"
MAX_TEXT = 2000  # characters in any one field: FAQ answers are the longest, a few hundred
MAX_QUESTIONS = 200
NOTICE = "已保存。修改将在下次发布后生效。"
CONFLICT = "这份内容刚被其他人修改过（或从表格导入过），您的修改没有保存。请重新加载页面，在最新内容上再改一次。"
PUBLISHING = "正在发布新版本，发布结束前不能修改内容，请稍后再保存。"
_json = functools.partial(json.dumps, ensure_ascii=False)
Handler = Callable[[web.Request, StaffSession], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, workspace: Workspace, *_more: object) -> None:
    app[WORKSPACE] = workspace
    editors = require("editor")
    for name in ("faqs", "intents", "wording"):
        app.router.add_get(f"/staff/console/{name}", editors(page(f"{name}.html")))
    app.router.add_get(f"{API}/faqs", editors(faq_list))
    app.router.add_get(f"{API}/faqs/diff", editors(faq_diff))
    app.router.add_get(f"{API}/faqs/{{id}}", editors(faq_one))
    app.router.add_post(f"{API}/faqs", editors(faq_add))
    app.router.add_put(f"{API}/faqs/{{id}}", editors(faq_save))
    app.router.add_put(f"{API}/faqs/{{id}}/enabled", editors(faq_enabled))
    app.router.add_get(f"{API}/intents", editors(intent_list))
    examples = f"{API}/intents/{{name}}/examples"
    app.router.add_get(examples, editors(intent_examples))
    app.router.add_post(examples, editors(example_add))
    app.router.add_put(examples, editors(example_edit))
    app.router.add_delete(examples, editors(example_remove))
    app.router.add_get(f"{API}/wording", editors(wording_list))
    app.router.add_get(f"{API}/wording/{{name}}", editors(wording_one))
    app.router.add_put(f"{API}/wording/{{name}}", editors(wording_save))


def page(name: str) -> Handler:
    async def serve(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
        return web.FileResponse(STATIC / name, headers=NO_STORE)

    return serve


# ----------------------------------------------------------------------------- answers


def _answer(body: dict, status: int = 200) -> web.StreamResponse:
    return web.json_response(body, status=status, headers=NO_STORE, dumps=_json)


def _not_found(problem: str) -> web.StreamResponse:
    return _answer({"error": "not_found", "problem": problem}, 404)


async def _change(work: Callable[[], dict], status: int = 200) -> web.StreamResponse:
    """Run a change in a worker thread and answer it, its refusals said as the module docstring says."""
    try:
        body = await asyncio.to_thread(work)
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)
    except Rejected as rejected:
        return _answer({"error": "rejected", "problems": [p.as_dict() for p in rejected.problems]}, 422)
    except EditConflict:
        return _answer({"error": "conflict", "problem": CONFLICT}, 409)
    except PublishInProgress:
        return _answer({"error": "publishing", "problem": PUBLISHING}, 423)
    return _answer({**body, "notice": NOTICE}, status)


def _history(entries: list[audit.AuditEntry]) -> list[dict]:
    return [{"at": e.at, "staff": e.staff, "action": e.action, "detail": e.detail} for e in entries]


# ----------------------------------------------------------------------------- request bodies


async def _body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise BadParameter(None, "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadParameter(None, "the body must be a JSON object")
    return body


def _text(body: dict, name: str, required: bool = True, default: str = "") -> str:
    if name not in body or body[name] is None:
        if required:
            raise BadParameter(name, f"'{name}' is missing")
        return default
    value = body[name]
    if not isinstance(value, str):
        raise BadParameter(name, f"'{name}' must be a string")
    if len(value) > MAX_TEXT:
        raise BadParameter(name, f"'{name}' is longer than {MAX_TEXT} characters")
    return value


def _flag(body: dict, name: str) -> bool:
    if not isinstance(body.get(name), bool):
        raise BadParameter(name, f"'{name}' must be true or false")
    return bool(body[name])


def _faq_of(body: dict, faq_id: str | None = None) -> Faq:
    """The FAQ a request body describes (``faq_id``: the one in the path, which the body may not change)."""
    given_id = _text(body, "id", required=faq_id is None, default=faq_id or "").strip()
    if faq_id is not None and given_id != faq_id:
        raise BadParameter("id", "'id' can't be changed; add a new FAQ and switch this one off instead")
    questions = body.get("questions")
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise BadParameter("questions", "'questions' must be a list of strings")
    if len(questions) > MAX_QUESTIONS or any(len(q) > MAX_TEXT for q in questions):
        raise BadParameter("questions", f"'questions' may hold at most {MAX_QUESTIONS} phrasings of {MAX_TEXT}")
    return Faq(
        id=given_id,
        category=_text(body, "category").strip(),
        questions=tuple(" ".join(q.split()) for q in questions if q.strip()),
        answer=_text(body, "answer").strip(),
        answer_voice=_text(body, "answer_voice", required=False).strip(),
        enabled=_flag(body, "enabled") if "enabled" in body else True,
    )


# ----------------------------------------------------------------------------- FAQs


def _faq_dict(faq: Faq) -> dict:
    return {
        "id": faq.id,
        "category": faq.category,
        "questions": list(faq.questions),
        "answer": faq.answer,
        "answer_voice": faq.answer_voice,
        "enabled": faq.enabled,
    }


FAQ_LIMITS = {"min_questions": checks.MIN_QUESTIONS, "max_voice_chars": checks.MAX_VOICE_CHARS}


async def faq_list(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    query = request.query.get("q", "")
    if len(query) > 200:
        return _answer(BadParameter("q", "'q' is longer than 200 characters").as_dict(), 400)
    current = await asyncio.to_thread(faqs.read, request.app[WORKSPACE])
    found = faqs.search(current.faqs, query)
    body = {"faqs": [_faq_dict(f) for f in found], "total": len(current.faqs), "etag": current.etag}
    return _answer({**body, "limits": FAQ_LIMITS})


async def faq_diff(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    changes = await asyncio.to_thread(faqs.unpublished, request.app[WORKSPACE])
    return _answer({"published": changes is not None, "changes": [c.as_dict() for c in changes or []]})


async def faq_one(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    workspace = request.app[WORKSPACE]
    faq_id = request.match_info["id"]
    try:
        faq, etag = await asyncio.to_thread(faqs.get, workspace, faq_id)
    except KeyError:
        return _not_found(f"没有编号为 {faq_id} 的常见问题")
    history = await asyncio.to_thread(faqs.history, workspace, faq_id)
    return _answer({"faq": _faq_dict(faq), "etag": etag, "history": _history(history)})


async def faq_add(request: web.Request, session: StaffSession) -> web.StreamResponse:
    workspace, staff = request.app[WORKSPACE], session.staff.username
    try:
        body = await _body(request)
        etag, faq = _text(body, "etag"), _faq_of(body)
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)

    def work() -> dict:
        return {"faq": _faq_dict(faq), "etag": faqs.add(workspace, faq, etag, staff)}

    return await _change(work, 201)


async def faq_save(request: web.Request, session: StaffSession) -> web.StreamResponse:
    workspace, staff, faq_id = request.app[WORKSPACE], session.staff.username, request.match_info["id"]
    try:
        body = await _body(request)
        etag, faq = _text(body, "etag"), _faq_of(body, faq_id)
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)

    def work() -> dict:
        return {"faq": _faq_dict(faq), "etag": faqs.save(workspace, faq, etag, staff)}

    try:
        return await _change(work)
    except KeyError:
        return _not_found(f"没有编号为 {faq_id} 的常见问题")


async def faq_enabled(request: web.Request, session: StaffSession) -> web.StreamResponse:
    workspace, staff, faq_id = request.app[WORKSPACE], session.staff.username, request.match_info["id"]
    try:
        body = await _body(request)
        etag, enabled = _text(body, "etag"), _flag(body, "enabled")
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)

    def work() -> dict:
        new_etag = faqs.set_enabled(workspace, faq_id, enabled, etag, staff)
        return {"faq": _faq_dict(faqs.get(workspace, faq_id)[0]), "etag": new_etag}

    try:
        return await _change(work)
    except KeyError:
        return _not_found(f"没有编号为 {faq_id} 的常见问题")


# ----------------------------------------------------------------------------- intents

INTENT_LIMITS = {"min_examples": intents.MIN_EXAMPLES, "max_chars": intents.MAX_EXAMPLE_CHARS}


async def intent_list(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    found = await asyncio.to_thread(intents.list_intents, request.app[WORKSPACE])
    listed = [
        {"name": i.name, "title": i.title, "file": i.file, "kind": i.kind, "count": len(i.examples)} for i in found
    ]
    return _answer({"intents": listed, "limits": INTENT_LIMITS, "intent_titles": INTENT_TITLES})


async def intent_examples(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    workspace, name = request.app[WORKSPACE], request.match_info["name"]
    try:
        intent, etag = await asyncio.to_thread(intents.get, workspace, name)
    except KeyError:
        return _not_found(f"没有可编辑的意图 {name}")
    history = await asyncio.to_thread(intents.history, workspace, name)
    return _answer({"intent": intent.as_dict(), "etag": etag, "history": _history(history), "limits": INTENT_LIMITS})


def _example_answer(workspace: Workspace, name: str, etag: str) -> dict:
    return {"intent": intents.get(workspace, name)[0].as_dict(), "etag": etag}


async def _example_change(
    request: web.Request, session: StaffSession, fields: tuple[str, ...], status: int, change: Callable[..., str]
) -> web.StreamResponse:
    workspace, staff, name = request.app[WORKSPACE], session.staff.username, request.match_info["name"]
    try:
        body = await _body(request)
        etag = _text(body, "etag")
        values = [_text(body, field) for field in fields]
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)

    def work() -> dict:
        return _example_answer(workspace, name, change(workspace, name, *values, staff, etag))

    try:
        return await _change(work, status)
    except KeyError:
        return _not_found(f"意图 {name} 没有这个例句，或没有这个可编辑的意图；请重新加载页面")


async def example_add(request: web.Request, session: StaffSession) -> web.StreamResponse:
    return await _example_change(request, session, ("text",), 201, intents.add_example)


async def example_edit(request: web.Request, session: StaffSession) -> web.StreamResponse:
    return await _example_change(request, session, ("old", "text"), 200, intents.edit_example)


async def example_remove(request: web.Request, session: StaffSession) -> web.StreamResponse:
    return await _example_change(request, session, ("text",), 200, intents.remove_example)


# ----------------------------------------------------------------------------- wording

WORDING_LIMITS = {"max_voice_chars": wording.MAX_VOICE_CHARS}


async def wording_list(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    found = await asyncio.to_thread(wording.list_responses, request.app[WORKSPACE])
    files = [
        {"file": file, "etag": etag, "responses": [r.as_dict() for r in responses]} for file, etag, responses in found
    ]
    return _answer({"files": files, "limits": WORDING_LIMITS})


async def wording_one(request: web.Request, _session: StaffSession) -> web.StreamResponse:
    workspace, name = request.app[WORKSPACE], request.match_info["name"]
    try:
        response, _text_of_file, etag = await asyncio.to_thread(wording.get, workspace, name)
    except KeyError:
        return _not_found(f"没有名为 {name} 的话术")
    history = await asyncio.to_thread(wording.history, workspace, name)
    return _answer({"response": response.as_dict(), "etag": etag, "history": _history(history)})


def _variant_texts(body: dict) -> dict[int, str]:
    given = body.get("variants", [])
    if not isinstance(given, list):
        raise BadParameter("variants", "'variants' must be a list of {index, text}")
    texts: dict[int, str] = {}
    for item in given:
        if not isinstance(item, dict) or not isinstance(item.get("index"), int) or isinstance(item["index"], bool):
            raise BadParameter("variants", "each of 'variants' must be {index: number, text: string}")
        texts[item["index"]] = _text(item, "text")
    return texts


def _button_titles(body: dict) -> dict[tuple[int, int], str]:
    given = body.get("buttons", [])
    if not isinstance(given, list):
        raise BadParameter("buttons", "'buttons' must be a list of {variant, index, title}")
    titles: dict[tuple[int, int], str] = {}
    for item in given:
        variant, index = (item.get("variant"), item.get("index")) if isinstance(item, dict) else (None, None)
        if not _number(variant) or not _number(index):
            raise BadParameter("buttons", "each of 'buttons' must be {variant: number, index: number, title: string}")
        titles[(variant, index)] = _text(item, "title")
    return titles


def _number(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


async def wording_save(request: web.Request, session: StaffSession) -> web.StreamResponse:
    workspace, staff, name = request.app[WORKSPACE], session.staff.username, request.match_info["name"]
    try:
        body = await _body(request)
        etag, texts, titles = _text(body, "etag"), _variant_texts(body), _button_titles(body)
        new_voice = _text(body, "new_voice", required=False, default="") or None
    except BadParameter as bad:
        return _answer(bad.as_dict(), 400)

    def work() -> dict:
        new_etag = wording.save(workspace, name, texts, etag, staff, speakable, new_voice=new_voice, titles=titles)
        return {"response": wording.get(workspace, name)[0].as_dict(), "etag": new_etag}

    try:
        return await _change(work)
    except KeyError:
        return _not_found(f"没有名为 {name} 的话术")
    except IndexError as missing:
        if isinstance(missing.args[0], tuple):
            problem = "'buttons' names a button this response doesn't have"
            return _answer(BadParameter("buttons", problem).as_dict(), 400)
        return _answer(BadParameter("variants", "'variants' names an index this response doesn't have").as_dict(), 400)
