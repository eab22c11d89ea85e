"""Asterisk AudioSocket TCP server, so an on-premise PBX can send calls here.

Dialplan: ``same => n,Answer()`` then ``same => n,AudioSocket(<call uuid>,HOST:9092)``.
Frame: kind u8, payload length u16 big-endian, payload. Asterisk sends 0x01 (the call's UUID,
16 bytes) first, then 0x10 audio (8 kHz signed 16-bit little-endian mono PCM, 20 ms a frame),
0x03 DTMF (one ASCII key) and maybe 0xff errors; it closes the socket when the caller hangs up.
We send 0x10 audio paced in real time, and 0x00 to hang up. There is no "clear": on barge-in
we simply stop sending. Newer Asterisk versions send 0x11-0x18 for higher sample rates (e.g. a
slin16 channel through the AudioSocket channel driver): such calls are refused, naming the rate.
Anything malformed ends that call only; the server goes on serving the others.
"""

import asyncio
import logging
import struct
import uuid

from voice.audio import TELEPHONY_RATE
from voice.calls import CallServices
from voice.dtmf import KEYS
from voice.transports.connection import CallConnection

log = logging.getLogger(__name__)
HANGUP, UUID, DTMF, AUDIO, ERROR = 0x00, 0x01, 0x03, 0x10, 0xFF
OTHER_RATES = {0x11: 12000, 0x12: 16000, 0x13: 24000, 0x14: 32000, 0x15: 44100, 0x16: 48000, 0x17: 96000,
               0x18: 192000}  # fmt: skip
ASTERISK_ERRORS = {0x01: "the caller hung up", 0x02: "frame forwarding error", 0x04: "memory allocation error"}
HEADER = struct.Struct(">BH")
MAX_PAYLOAD = 8 * 1024  # Asterisk sends 320-byte (20 ms) audio frames
IDLE_TIMEOUT_S = 10.0  # Asterisk sends audio every 20 ms: a connection silent this long is gone


class ProtocolError(ValueError):
    pass


def frame(kind: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


async def read_frame(reader: asyncio.StreamReader):
    """(kind, payload), or None when the peer closed the connection between frames."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise ProtocolError(f"connection closed inside a frame header ({len(exc.partial)} of 3 bytes)") from None
    kind, length = HEADER.unpack(header)
    if length > MAX_PAYLOAD:
        raise ProtocolError(f"frame of {length} bytes (kind 0x{kind:02x}) is larger than {MAX_PAYLOAD}")
    try:
        return kind, await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise ProtocolError(
            f"truncated frame: kind 0x{kind:02x} announced {length} bytes, "
            f"the connection closed after {len(exc.partial)}"
        ) from None


def describe_error(payload: bytes) -> str:
    code = payload[0] if payload else 0
    reasons = [text for bit, text in ASTERISK_ERRORS.items() if code & bit]
    return f"peer reported error 0x{payload.hex() or '00'}" + (f" ({', '.join(reasons)})" if reasons else "")


class AudioSocketOutput:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def send_audio(self, pcm: bytes) -> None:
        self.writer.write(frame(AUDIO, pcm))
        await self.writer.drain()

    async def clear(self) -> None:
        pass

    async def hang_up(self) -> None:
        if not self.writer.is_closing():  # close() sends what is buffered: no drain, so no wait on a stuck peer
            self.writer.write(frame(HANGUP))
            self.writer.close()


class AudioSocketCall(CallConnection):
    log = log  # records and logs under this module's name

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, services: CallServices, idle_timeout_s: float
    ) -> None:
        self.reader, self.writer, self.services = reader, writer, services
        self.idle_timeout_s = idle_timeout_s
        self.output = AudioSocketOutput(writer)
        super().__init__()

    async def serve(self) -> None:
        try:
            self.start(await self.receive())
            while self.handle(await self.receive()):
                pass
        except ProtocolError as exc:
            self.note(f"audiosocket call ended: {exc}", logging.WARNING)
        except ConnectionError as exc:
            self.note(f"audiosocket connection lost: {exc!r}", logging.WARNING)
        finally:
            await self.finish()

    async def receive(self):
        try:
            received = await asyncio.wait_for(read_frame(self.reader), self.idle_timeout_s)
        except asyncio.TimeoutError:  # noqa: UP041 (not the builtin TimeoutError before Python 3.11)
            raise ProtocolError(f"nothing received for {self.idle_timeout_s:g} s; the peer is gone") from None
        if received is None:
            self.note("the peer closed the connection (caller hung up)", logging.INFO)
            return HANGUP, b""
        return received

    def start(self, first) -> None:
        kind, payload = first
        if kind != UUID or len(payload) != 16:
            raise ProtocolError(
                f"first frame must be the call UUID (kind 0x01, 16 bytes), "
                f"got kind 0x{kind:02x} with {len(payload)} bytes"
            )
        call_id = str(uuid.UUID(bytes=payload))
        self.start_session(self.services.session(self.output, TELEPHONY_RATE, "audiosocket", call_id=call_id))

    def handle(self, received) -> bool:
        """False when the call is over."""
        assert self.session is not None  # serve() started it with the first frame
        kind, payload = received
        if kind == AUDIO:
            if len(payload) % 2:
                raise ProtocolError(f"audio frame of {len(payload)} bytes is not 16-bit PCM")
            self.session.feed_audio(payload)
        elif kind == DTMF:
            key = payload.decode("ascii", "replace")
            if key not in KEYS:
                raise ProtocolError(f"DTMF frame {payload!r} is not a key")
            self.session.press(key)
        elif kind == HANGUP:
            self.session.caller_hung_up()
        elif kind == ERROR:
            raise ProtocolError(describe_error(payload))
        elif kind in OTHER_RATES:
            raise ProtocolError(
                f"audio at {OTHER_RATES[kind] / 1000:g} kHz (kind 0x{kind:02x}); this server takes "
                "8 kHz (kind 0x10): use the AudioSocket() dialplan application or an slin channel"
            )
        else:
            raise ProtocolError(f"unknown frame kind 0x{kind:02x}")
        return not self.session.ended

    async def finish(self) -> None:
        await self.end_session()
        await self.output.hang_up()


def listen(services: CallServices, host: str, port: int, idle_timeout_s: float = IDLE_TIMEOUT_S):
    """Starts the server: ``async with await listen(...) as server``; port 0 takes a free port."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await AudioSocketCall(reader, writer, services, idle_timeout_s).serve()

    return asyncio.start_server(handler, host, port)


async def serve(services: CallServices, host: str, port: int) -> None:
    async with await listen(services, host, port) as server:
        log.info("AudioSocket server on %s:%d", host, port)
        await server.serve_forever()
