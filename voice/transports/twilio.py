"""Telephony websocket server speaking the Twilio Media Streams message format.

One websocket connection is one call (a bidirectional stream, TwiML
``<Connect><Stream url="wss://HOST/"/></Connect><Hangup/>``).
In: connected, start, media (base64 8 kHz μ-law), dtmf, mark, stop.
Out: media (20 ms frames, paced in real time), mark (after each answer), clear (on barge-in);
each names the stream's streamSid. When the bot ends the call we close the websocket and
Twilio goes on with the TwiML after <Connect>.
Anything malformed ends that call only: it is logged, the websocket is closed with code 1008,
and the server goes on serving the other calls.
"""

import asyncio
import base64
import binascii
import contextlib
import json
import logging

import websockets.exceptions
import websockets.legacy.server

from voice.audio import TELEPHONY_RATE, pcm_to_ulaw, ulaw_to_pcm
from voice.calls import CallServices
from voice.dtmf import KEYS
from voice.transports.connection import CallConnection

log = logging.getLogger(__name__)
EVENTS = {"connected", "start", "media", "dtmf", "mark", "stop"}
EXPECTED_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": TELEPHONY_RATE, "channels": 1}
MAX_MESSAGE_BYTES = 64 * 1024  # a 20 ms media message is about 300 bytes
# websockets 10 stops reading a connection once read_limit bytes are buffered; after refusing an
# oversized message it then waits close_timeout for a TCP close it cannot see. Hence a read limit
# well above max_size and a short close timeout.
READ_LIMIT_BYTES = 1024 * 1024
CLOSE_TIMEOUT_S = 2.0
IDLE_TIMEOUT_S = 10.0  # Twilio sends media every 20 ms: a stream silent this long is gone
POLICY_VIOLATION = 1008


class ProtocolError(ValueError):
    pass


class TwilioOutput:
    def __init__(self, ws, stream_sid: str) -> None:
        self.ws, self.stream_sid = ws, stream_sid

    async def send_audio(self, pcm: bytes) -> None:
        payload = base64.b64encode(pcm_to_ulaw(pcm)).decode("ascii")
        await self._send({"event": "media", "media": {"payload": payload}})

    async def clear(self) -> None:
        await self._send({"event": "clear"})

    async def mark(self, name: str) -> None:
        await self._send({"event": "mark", "mark": {"name": name}})

    async def hang_up(self) -> None:
        await self.ws.close()

    async def _send(self, message: dict) -> None:
        # once the stream is closed (we refused a message, or Twilio went) there is no one to tell:
        # the call ends as the server's reading of the stream sees it, not as an error of the bot's
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            await self.ws.send(json.dumps({**message, "streamSid": self.stream_sid}))


def parse(raw) -> dict:
    if not isinstance(raw, str):
        raise ProtocolError("binary websocket message; Media Streams messages are JSON text")
    try:
        message = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"malformed JSON: {exc}") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise ProtocolError("message without an 'event' field")
    if message["event"] not in EVENTS:
        raise ProtocolError(f"unknown event {message['event']!r}")
    return message


def part(message: dict, name: str) -> dict:
    """The object ``message[name]``, e.g. the "media" of a media message."""
    value = message.get(name)
    if not isinstance(value, dict):
        raise ProtocolError(f"{name!r} is missing or not an object: {value!r:.80}")
    return value


def media_pcm(media: dict) -> bytes:
    try:
        return ulaw_to_pcm(base64.b64decode(media["payload"], validate=True))
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ProtocolError(f"media message without base64 μ-law payload ({exc!r})") from None


def dtmf_key(dtmf: dict) -> str:
    key = dtmf.get("digit")
    if not isinstance(key, str) or key not in KEYS:
        raise ProtocolError(f"dtmf message without a key: {dtmf!r}")
    return key


def check_format(start: dict) -> None:
    media_format = part(start, "mediaFormat") if "mediaFormat" in start else {}
    if any(media_format.get(key, wanted) != wanted for key, wanted in EXPECTED_FORMAT.items()):
        raise ProtocolError(
            f"unsupported media format: {media_format.get('encoding')} at {media_format.get('sampleRate')} Hz, "
            f"{media_format.get('channels')} channel(s); this server takes audio/x-mulaw at 8000 Hz mono"
        )


class TwilioCall(CallConnection):
    log = log  # records and logs under this module's name

    def __init__(self, ws, services: CallServices, idle_timeout_s: float) -> None:
        self.ws, self.services, self.idle_timeout_s = ws, services, idle_timeout_s
        super().__init__()

    async def serve(self) -> None:
        try:
            while self.handle(parse(await self.receive())):
                pass
        except ProtocolError as exc:
            self.note(f"twilio call ended: {exc}", logging.WARNING)
            await self.ws.close(POLICY_VIOLATION, exc.args[0].encode()[:120].decode("utf-8", "ignore"))
        except websockets.exceptions.ConnectionClosedOK:
            self.note("twilio closed the websocket", logging.INFO)
        except websockets.exceptions.ConnectionClosed as exc:
            self.note(f"twilio websocket failed: {exc}", logging.WARNING)
        finally:
            await self.finish()

    async def receive(self):
        try:
            return await asyncio.wait_for(self.ws.recv(), self.idle_timeout_s)
        except asyncio.TimeoutError:  # noqa: UP041 (not the builtin TimeoutError before Python 3.11)
            raise ProtocolError(f"nothing received for {self.idle_timeout_s:g} s; the peer is gone") from None

    def handle(self, message: dict) -> bool:
        """False when the call is over."""
        event = message["event"]
        if event == "connected":
            return True
        if event == "start":
            self.start(message)
            return True
        if self.session is None:
            raise ProtocolError(f"{event!r} before 'start'")
        if event == "media":
            media = part(message, "media")
            if media.get("track", "inbound") == "inbound":  # not the bot's own voice
                self.session.feed_audio(media_pcm(media))
        elif event == "dtmf":
            self.session.press(dtmf_key(part(message, "dtmf")))
        elif event == "mark":
            log.debug("call %s: twilio played mark %s", self.session.call_id, message.get("mark"))
        elif event == "stop":
            self.session.caller_hung_up()
        return not self.session.ended

    def start(self, message: dict) -> None:
        if self.session is not None:
            raise ProtocolError("second 'start' on one stream")
        start = part(message, "start")
        check_format(start)
        stream_sid = message.get("streamSid") or start.get("streamSid")
        if not isinstance(stream_sid, str) or not stream_sid:
            raise ProtocolError("'start' without a streamSid: replies could not be addressed")
        call_sid = str(start.get("callSid") or stream_sid)[:64]  # a CallSid has 34 characters
        output = TwilioOutput(self.ws, stream_sid)
        self.start_session(self.services.session(output, TELEPHONY_RATE, "twilio", call_id=call_sid))

    async def finish(self) -> None:
        await self.end_session()
        await self.ws.close()


def listen(services: CallServices, host: str, port: int, idle_timeout_s: float = IDLE_TIMEOUT_S):
    """The server: ``async with listen(...) as server``; port 0 takes a free port."""

    async def handler(ws) -> None:
        await TwilioCall(ws, services, idle_timeout_s).serve()

    return websockets.legacy.server.serve(
        handler,
        host,
        port,
        max_size=MAX_MESSAGE_BYTES,
        read_limit=READ_LIMIT_BYTES,
        close_timeout=CLOSE_TIMEOUT_S,
        compression=None,
    )


async def serve(services: CallServices, host: str, port: int) -> None:
    async with listen(services, host, port):
        log.info("Twilio Media Streams server on ws://%s:%d", host, port)
        await asyncio.Future()
