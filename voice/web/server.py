"""The web page's HTTP server (aiohttp): the page and its assets at / and /static/, the session
cookie, the websocket /ws (voice/web/protocol.py) and the headers that keep the page from being
framed or running anything it did not come with; the staff pages (voice/desk/) on the same server."""

import asyncio
import logging
from pathlib import Path
from typing import Iterable, Optional

from aiohttp import WSMsgType, web

from bot.editing.workspace import Workspace
from bot.review import ConversationStore
from voice.assistant import AssistantUnavailable
from voice.console import routes as console_routes
from voice.desk import routes as desk_routes
from voice.desk.accounts import StaffStore
from voice.desk.auth import StaffAuth
from voice.web.gateway import Page, WebGateway
from voice.web.sessions import COOKIE, MAX_AGE_S, SessionCookies
from voice.web.socket_out import drain

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_FRAME_BYTES = 64 * 1024  # a 20 ms audio frame is 640 bytes; a text message at most a few KB
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
GATEWAY = web.AppKey("gateway", WebGateway)
COOKIES = web.AppKey("cookies", SessionCookies)
ORIGINS = web.AppKey("origins", frozenset)
SECURE = web.AppKey("secure", bool)


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        answer = await handler(request)
    except web.HTTPException as exc:  # 404 and the like: raised, and sent with the same headers
        exc.headers.update(SECURITY_HEADERS)
        raise
    answer.headers.update(SECURITY_HEADERS)
    return answer


async def index(request: web.Request) -> web.StreamResponse:
    """The page; a new session, or the visitor's own renewed (12 hours from the latest visit)."""
    cookies = request.app[COOKIES]
    _, value = cookies.issue(cookies.verify(request.cookies.get(COOKIE)))
    answer = web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})
    answer.set_cookie(
        COOKIE, value, max_age=MAX_AGE_S, path="/", httponly=True, samesite="Strict",
        secure=request.secure or request.app[SECURE],
    )  # fmt: skip
    return answer


def origin_allowed(request: web.Request) -> bool:
    """A browser names the page that opens a websocket: only this server's own pages may."""
    origin = request.headers.get("Origin")
    return origin is not None and (origin == f"{request.scheme}://{request.host}" or origin in request.app[ORIGINS])


async def websocket(request: web.Request) -> web.StreamResponse:
    session_id = request.app[COOKIES].verify(request.cookies.get(COOKIE))
    if session_id is None:
        return web.json_response({"error": "no valid session cookie: load the page first"}, status=401)
    if not origin_allowed(request):
        return web.json_response({"error": "websocket from another site's page refused"}, status=403)
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=20.0)
    await ws.prepare(request)
    gateway, page = request.app[GATEWAY], Page(request.remote or "?")
    writer = asyncio.get_running_loop().create_task(drain(ws, page.outbox))
    conversation = None
    try:
        conversation = await gateway.open_page(session_id, page)
        async for frame in ws:
            if frame.type is WSMsgType.TEXT:
                gateway.receive(conversation, page, frame.data)
            elif frame.type is WSMsgType.BINARY:
                gateway.receive_audio(page, frame.data)
    except AssistantUnavailable as exc:
        log.error("web page: history unavailable: %s", exc)
        page.send({"type": "error", "code": "assistant_unavailable"})
    finally:
        if conversation is not None:
            await gateway.close_page(conversation, page)
        page.send(None)
        await writer
        await ws.close()
    return ws


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(
    gateway: WebGateway,
    cookies: SessionCookies,
    origins: Iterable[str] = (),
    secure_cookies: bool = False,
    staff: Optional[StaffStore] = None,
    conversations: Optional[ConversationStore] = None,
    workspace: Optional[Workspace] = None,
) -> web.Application:
    """The customer page; with ``staff`` accounts, also the staff pages under /staff/ (login,
    accounts), the agent desk when the gateway has one, and the console (review and analytics)
    over the tracker store's ``conversations``; with a ``workspace``, the console's editing pages
    (FAQs, intents, wording, what the bot failed) and publishing."""
    app = web.Application(middlewares=[security_headers], client_max_size=MAX_FRAME_BYTES)
    app[GATEWAY], app[COOKIES], app[ORIGINS], app[SECURE] = gateway, cookies, frozenset(origins), secure_cookies
    if staff is not None:
        StaffAuth(staff, secure_cookies, origins).add_routes(app)
        if gateway.desk is not None:
            desk_routes.add_routes(app, gateway.desk)
        if conversations is not None:
            console_routes.add_routes(app, conversations, workspace)
    app.router.add_get("/", index)
    app.router.add_get("/ws", websocket)
    app.router.add_get("/healthz", health)
    app.router.add_static("/static/", STATIC)
    app.on_shutdown.append(lambda _app: gateway.close())
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Starts serving ``app``; the runner stops it (``await runner.cleanup()``)."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
