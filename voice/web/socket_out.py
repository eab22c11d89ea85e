"""Writing a websocket from a queue, in order: JSON events as text frames, audio as binary."""

import asyncio
import json

from aiohttp import web


async def drain(ws: web.WebSocketResponse, outbox: asyncio.Queue) -> None:
    """Until a None: each item goes out as it comes; once the socket is closed they are dropped."""
    while (item := await outbox.get()) is not None:
        if ws.closed:
            continue
        try:
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await _send_json(ws, item)
        except ConnectionError:
            continue


async def _send_json(ws: web.WebSocketResponse, item: object) -> None:
    try:
        await ws.send_str(json.dumps(item, ensure_ascii=False))
    except UnicodeEncodeError:  # a lone surrogate (someone's garbage): escaped, as JavaScript's JSON.stringify does
        await ws.send_str(json.dumps(item))
