"""Staff sign-in for the pages under /staff/: the login and accounts pages, the session cookie, CSRF
and roles. ``require(role)`` guards any staff handler; the desk's websocket checks its first message
with ``check_ws_hello``.

A state-changing request needs the header X-CSRF-Token (the session's token, read from /staff/me);
the login itself has no session yet and is taken only from this server's own page (its Origin).
Passwords, session and CSRF tokens are never logged: usernames and outcomes are."""

import asyncio
import functools
import hmac
import json
import logging
import math
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterable, List, Optional

from aiohttp import web
from yarl import URL

from voice.desk.accounts import USERNAME, LoginRefused, StaffError, StaffSession, StaffStore, normalize

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
COOKIE = "staff"
COOKIE_PATH = "/staff"
LOGIN_PATH = "/staff/login"
HOMES = {"agent": "/staff/desk", "editor": "/staff/console/review", "admin": "/staff/desk"}  # after login
CSRF_HEADER = "X-CSRF-Token"
MAX_FIELD = 1024
HASHING_AT_ONCE = 2  # argon2 takes 64 MiB and a core for a quarter second: a burst of logins waits its turn
NO_STORE = {"Cache-Control": "no-store"}
FORBIDDEN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>无权访问</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/staff/static/staff.css">
</head><body><main class="card narrow"><h1>无权访问</h1>
<p>您的账号没有打开此页面的权限。如需开通，请联系管理员。</p>
<p><a href="/staff/desk">返回坐席工作台</a></p></main></body></html>
"""

StaffHandler = Callable[[web.Request, StaffSession], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SESSION = "voice.desk.session"  # the request's staff session, looked up once


class StaffAuth:
    def __init__(self, store: StaffStore, secure_cookies: bool = False, origins: Iterable[str] = ()) -> None:
        self.store = store
        self.secure_cookies = secure_cookies
        self.origins = frozenset(origins)  # besides the server's own, e.g. the public https origin behind a proxy
        self._hashing: Optional[asyncio.Semaphore] = None

    def add_routes(self, app: web.Application) -> None:
        app[STAFF_AUTH] = self
        app.router.add_get(LOGIN_PATH, self.login_page)
        app.router.add_post(LOGIN_PATH, self.login)
        app.router.add_post("/staff/logout", require(None)(self.logout))
        app.router.add_get("/staff/me", require(None)(self.me))
        app.router.add_get("/staff/accounts", require("admin")(self.accounts_page))
        app.router.add_get("/staff/accounts.json", require("admin")(self.accounts_json))
        app.router.add_post("/staff/accounts", require("admin")(self.add_account))
        app.router.add_static("/staff/static/", STATIC)

    async def login_page(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "login.html", headers=NO_STORE)

    async def login(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            log.warning("staff login refused: from another origin")
            return web.json_response({"error": "origin"}, status=403)
        fields = _texts(await _json_body(request), "username", "password")
        if fields is None:
            return web.json_response({"error": "bad_request"}, status=400)
        username, password = fields
        try:
            async with self._hashing_turn():
                staff = await asyncio.to_thread(self.store.check_login, username, password)
        except LoginRefused as refused:
            log.info("staff login refused for %s: %s", _loggable(username), refused.reason)
            if refused.reason == "locked":
                minutes = max(1, math.ceil(refused.retry_after / 60))
                body = {
                    "error": "locked", "retry_after": refused.retry_after,
                    "message": f"登录失败次数过多，请{minutes}分钟后再试",
                }  # fmt: skip
                return web.json_response(body, status=429, headers={"Retry-After": str(refused.retry_after)})
            return web.json_response({"error": "wrong", "message": "用户名或密码错误"}, status=401)
        if request.cookies.get(COOKIE):  # a new sign-in on this browser ends the one before
            await asyncio.to_thread(self.store.end_session, request.cookies[COOKIE])
        token, _csrf = await asyncio.to_thread(self.store.start_session, staff)
        log.info("staff login: %s (%s)", staff.username, staff.role)
        answer = web.json_response({"ok": True, "next": HOMES[staff.role]}, headers=NO_STORE)
        answer.set_cookie(
            COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="Strict",
            secure=self.secure_cookies or request.secure,
        )  # fmt: skip
        return answer

    async def logout(self, request: web.Request, session: StaffSession) -> web.StreamResponse:
        await asyncio.to_thread(self.store.end_session, request.cookies.get(COOKIE))
        log.info("staff logout: %s", session.staff.username)
        answer = web.json_response({"ok": True}, headers=NO_STORE)
        answer.del_cookie(COOKIE, path=COOKIE_PATH)
        return answer

    async def me(self, _request: web.Request, session: StaffSession) -> web.StreamResponse:
        staff = session.staff
        body = {"username": staff.username, "name": staff.name, "role": staff.role, "csrf": session.csrf}
        return web.json_response(body, headers=NO_STORE, dumps=_json)

    async def accounts_page(self, _request: web.Request, _session: StaffSession) -> web.StreamResponse:
        return web.FileResponse(STATIC / "accounts.html", headers=NO_STORE)

    async def accounts_json(self, _request: web.Request, _session: StaffSession) -> web.StreamResponse:
        staff = await asyncio.to_thread(self.store.list_staff)
        body = {"staff": [{"username": s.username, "name": s.name, "role": s.role} for s in staff]}
        return web.json_response(body, headers=NO_STORE, dumps=_json)

    async def add_account(self, request: web.Request, session: StaffSession) -> web.StreamResponse:
        body = await _json_body(request)
        fields = _texts({**body, "name": body.get("name") or ""}, "username", "role", "password", "name")
        if fields is None:
            return web.json_response({"error": "expected JSON with username, name, role, password"}, status=400)
        username, role, password, name = fields
        try:
            async with self._hashing_turn():
                staff = await asyncio.to_thread(self.store.add, username, password, role, name or None)
        except StaffError as exc:
            log.info("staff %s could not add an account: %s", session.staff.username, exc.code)
            return web.json_response({"error": str(exc), "code": exc.code}, status=400)
        log.info("staff %s added %s (%s)", session.staff.username, staff.username, staff.role)
        body = {"username": staff.username, "name": staff.name, "role": staff.role}
        return web.json_response(body, status=201, dumps=_json)

    def same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        return origin is not None and (origin == f"{request.scheme}://{request.host}" or origin in self.origins)

    def _hashing_turn(self) -> asyncio.Semaphore:
        if self._hashing is None:  # made on the serving loop
            self._hashing = asyncio.Semaphore(HASHING_AT_ONCE)
        return self._hashing


STAFF_AUTH = web.AppKey("staff_auth", StaffAuth)


async def staff_of(request: web.Request) -> Optional[StaffSession]:
    """The signed-in staff member making ``request`` (by the session cookie), or None."""
    if _SESSION not in request:
        token = request.cookies.get(COOKIE)
        store = request.app[STAFF_AUTH].store
        request[_SESSION] = await asyncio.to_thread(store.session, token) if token else None
    return request[_SESSION]


def require(role: Optional[str]) -> Callable[[StaffHandler], Handler]:
    """Wraps ``handler(request, session)`` for staff of ``role`` (admins may everything; None: any
    signed-in staff). A page asked for without a session goes to the login page; anything else gets
    401. Every method but GET and HEAD must also carry the session's CSRF token."""

    def wrap(handler: StaffHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = await staff_of(request)
            page = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")
            if session is None:
                if page:
                    raise web.HTTPFound(URL(LOGIN_PATH).with_query(next=request.path_qs))
                return web.json_response({"error": "login_required"}, status=401)
            if role is not None and not session.staff.may(role):
                log.info("staff %s (%s) refused %s %s", session.staff.username, session.staff.role, request.method,
                         request.path)  # fmt: skip
                if page:
                    return web.Response(text=FORBIDDEN_PAGE, status=403, content_type="text/html", headers=NO_STORE)
                return web.json_response({"error": "forbidden"}, status=403)
            if request.method not in ("GET", "HEAD") and not _same_token(
                request.headers.get(CSRF_HEADER), session.csrf
            ):
                log.warning("staff %s: %s %s without a valid CSRF token", session.staff.username, request.method,
                            request.path)  # fmt: skip
                return web.json_response({"error": "csrf"}, status=403)
            return await handler(request, session)

        return guarded

    return wrap


async def check_ws_hello(session: StaffSession, message: Any) -> bool:
    """Whether the desk websocket's first message is ``{"type": "hello", "csrf": <the session's>}``."""
    if isinstance(message, (str, bytes)):
        try:
            message = json.loads(message)
        except ValueError:
            return False
    return (
        isinstance(message, dict) and message.get("type") == "hello" and _same_token(message.get("csrf"), session.csrf)
    )


def _same_token(given: object, expected: str) -> bool:
    # surrogatepass: a header of bytes that are not UTF-8 (aiohttp keeps them as surrogates), or a
    # lone surrogate escaped in JSON, is a wrong token, not a server error
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode())


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _texts(body: dict, *names: str) -> Optional[List[str]]:
    """The named fields, if every one is a string of a sensible length."""
    values = [body.get(name) for name in names]
    texts = [value for value in values if isinstance(value, str) and len(value) <= MAX_FIELD]
    return texts if len(texts) == len(values) else None


def _loggable(username: object) -> str:
    """A username as given, if it could be one: a password typed in the wrong box is not logged."""
    name = normalize(username) if isinstance(username, str) else ""
    return name if USERNAME.fullmatch(name) else "(not a username)"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
