"""The agent desk's page and websocket, for staff with the ``agent`` role (or ``admin``).

GET /staff/desk is the page (voice/desk/static/desk.html); GET /staff/desk/ws its websocket, one
JSON object per text frame, call audio in binary frames (16 kHz mono 16-bit LE PCM).

Desk → server: first {"type": "hello", "csrf": the session's token} (else the socket is closed),
then {"type": "take" | "give_back" | "join_call" | "leave_call", "id"}, {"type": "say", "id",
"text"}, {"type": "close", "id", "note"}, {"type": "available", "on": bool}; binary frames are
the agent's microphone on the call they joined.

Server → desk: "welcome", "queue" (everyone waiting, in the order to serve them), "held" (what
this agent holds), "history" (a taken conversation, masked), "message", "call" (joined, left,
ended), "released" (given_back, closed, left), "error" (code: csrf, taken, too_many, not_held,
bad_message, no_call, assistant_unavailable, replaced); binary frames are the caller's voice.
"""

import asyncio
import contextlib
import json
import logging
from typing import Optional

from aiohttp import WSMsgType, web

from voice.desk.accounts import StaffSession
from voice.desk.auth import STAFF_AUTH, STATIC, check_ws_hello, require
from voice.desk.desk import Agent, Desk, DeskError, Seat
from voice.web.socket_out import drain

log = logging.getLogger(__name__)
DESK = web.AppKey("desk", Desk)
MAX_FRAME_BYTES = 64 * 1024
HELLO_TIMEOUT_S = 10.0


def add_routes(app: web.Application, desk: Desk) -> None:
    app[DESK] = desk
    app.router.add_get("/staff/desk", require("agent")(desk_page))
    app.router.add_get("/staff/desk/ws", require("agent")(desk_socket))


async def desk_page(_request: web.Request, _session: StaffSession) -> web.StreamResponse:
    return web.FileResponse(STATIC / "desk.html", headers={"Cache-Control": "no-store"})


async def desk_socket(request: web.Request, session: StaffSession) -> web.StreamResponse:
    if not request.app[STAFF_AUTH].same_origin(request):
        return web.json_response({"error": "websocket from another site's page refused"}, status=403)
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=20.0)
    await ws.prepare(request)
    try:
        hello = await ws.receive(timeout=HELLO_TIMEOUT_S)
    except asyncio.TimeoutError:
        hello = None
    if hello is None or hello.type is not WSMsgType.TEXT or not await check_ws_hello(session, hello.data):
        log.warning("desk: %s's websocket closed: no valid CSRF hello", session.staff.username)
        await ws.send_json({"type": "error", "code": "csrf"})
        await ws.close()
        return ws

    desk = request.app[DESK]
    outbox: asyncio.Queue = asyncio.Queue()
    commands: asyncio.Queue = asyncio.Queue()
    writer = asyncio.ensure_future(drain(ws, outbox))
    seat = desk.connect(Agent(session.staff.username, session.staff.name), outbox.put_nowait)
    worker = asyncio.ensure_future(_work(desk, seat, commands, outbox.put_nowait))
    commands.put_nowait({"type": "_reconnected"})
    log.info("desk: %s connected", session.staff.username)
    try:
        async for frame in ws:
            if frame.type is WSMsgType.TEXT:
                commands.put_nowait(_parsed(frame.data))
            elif frame.type is WSMsgType.BINARY:
                with contextlib.suppress(DeskError):  # audio racing the end of a call
                    desk.agent_audio(seat, frame.data)
    finally:
        desk.disconnect(seat, outbox.put_nowait)
        commands.put_nowait(None)
        try:
            await worker
        finally:  # also when the handler is cancelled (a server that cancels on disconnect, or shutting down)
            outbox.put_nowait(None)
            await writer
            await ws.close()
            log.info("desk: %s disconnected", session.staff.username)
    return ws


async def _work(desk: Desk, seat: Seat, commands: asyncio.Queue, send) -> None:
    """The agent's commands, one at a time and in order (a reply goes out before the hand-back)."""
    while (command := await commands.get()) is not None:
        key = command.get("id") if isinstance(command.get("id"), str) else None
        try:
            await _do(desk, seat, command, key)
        except DeskError as exc:
            send({"type": "error", "code": exc.code, **({"id": key} if key else {})})
        except Exception:
            log.exception("desk: %s's %s failed", seat.agent.username, command.get("type"))
            send({"type": "error", "code": "bad_message", **({"id": key} if key else {})})


async def _do(desk: Desk, seat: Seat, command: dict, key: Optional[str]) -> None:
    kind = command.get("type")
    if kind == "_reconnected":
        await desk.reconnected(seat)
    elif kind == "available":
        desk.set_available(seat, command.get("on") is True)
    elif key is None:
        raise DeskError("bad_message")
    elif kind == "take":
        await desk.take(seat, key)
    elif kind == "say":
        await desk.say(seat, key, str(command.get("text") or ""))
    elif kind == "give_back":
        await desk.give_back(seat, key)
    elif kind == "close":
        await desk.close(seat, key, str(command.get("note") or ""))
    elif kind == "join_call":
        desk.join_call(seat, key)
    elif kind == "leave_call":
        await desk.leave_call(seat, key)
    else:
        raise DeskError("bad_message")


def _parsed(raw: str) -> dict:
    try:
        event = json.loads(raw)
    except ValueError:
        return {"type": None}
    return event if isinstance(event, dict) else {"type": None}
