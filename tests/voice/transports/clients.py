"""Test peers for the telephony servers: a Twilio Media Streams client and an Asterisk
AudioSocket client. Each acts like a phone line: it sends a 20 ms frame every 20 ms (silence
unless the caller is saying something) and keeps everything the server sends with the time it
arrived. Also ``WatchedServices``, which keeps the sessions the server made, and checks of the
audio the bot sends."""

import asyncio
import base64
import json
import struct
import uuid
from collections import deque
from dataclasses import dataclass, field

import websockets

from tests.voice.doubles import CannedAssistant, ScriptedRecognizer
from voice.assistant import Reply
from voice.audio import FRAME_MS, TELEPHONY_RATE, frames, pcm_to_ulaw, rms, silence, ulaw_to_pcm
from voice.calls import CallServices
from voice.config import CallSettings
from voice.speech_out import sentences
from voice.tts import ToneSynthesizer

SILENCE = silence(TELEPHONY_RATE, FRAME_MS)
VOICED_RMS = 300
TWILIO_OUTBOUND_KEYS = {"media": {"event", "streamSid", "media"}, "mark": {"event", "streamSid", "mark"},
                        "clear": {"event", "streamSid"}}  # fmt: skip
GREETING = "您好，这里是智能客服小金，请问有什么可以帮您？"  # 1.4 s of ToneSynthesizer audio
LONG_GREETING = "您好，欢迎致电智能客服。" * 5  # 3.6 s
BILL_ANSWER = "好的，正在为您查询本月账单。"
TONES = ToneSynthesizer()


class ShortTones(ToneSynthesizer):
    MS_PER_CHAR = 20


def call_services(greeting: str = GREETING, synthesizer=TONES, **settings) -> "WatchedServices":
    """Greets with ``greeting``; every utterance is heard as 查账单 and answered with BILL_ANSWER;
    keypad entries are echoed."""
    assistant = CannedAssistant({"/greet": [Reply(greeting)], "查账单": [Reply(BILL_ANSWER)]})
    return WatchedServices(
        assistant,
        lambda rate: ScriptedRecognizer(["查账单"] * 5),
        synthesizer,
        CallSettings(**{"no_input_s": 30.0, **settings}),
    )


@dataclass
class WatchedServices(CallServices):
    sessions: list = field(default_factory=list)

    def session(self, *args, **kwargs):
        session = super().session(*args, **kwargs)
        self.sessions.append(session)
        return session

    def by_id(self, call_id: str):
        return next(s for s in self.sessions if s.call_id == call_id)

    async def ended(self, call_id: str, timeout: float = 1.0):
        """The call's session once it has ended; None if it has not ended within ``timeout``."""
        deadline = now() + timeout
        while now() < deadline:
            session = next((s for s in self.sessions if s.call_id == call_id), None)
            if session and session.ended:
                return session
            await asyncio.sleep(0.01)
        return None


@dataclass
class Received:
    t: float  # event-loop time it arrived
    kind: str  # audio | mark | clear | hangup | other
    data: object = None  # PCM for audio, the name of a mark


@dataclass
class Utterance:
    onset: float  # when the first voiced frame was sent
    end: float  # when the last voiced frame was sent


def now() -> float:
    return asyncio.get_running_loop().time()


class Caller:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.closed = asyncio.Event()
        self.closed_at: float | None = None
        self._to_say: deque = deque()
        self._said: list[tuple[float, bool]] = []  # (time sent, voiced) of every frame of speech
        self._tasks: list[asyncio.Task] = []

    def begin(self) -> None:
        self._tasks = [asyncio.create_task(self._line()), asyncio.create_task(self._listen())]

    async def say(self, pcm: bytes) -> Utterance:
        """Speaks ``pcm`` into the line in real time; returns when the last frame was sent."""
        first, chunks = len(self._said), list(frames(pcm, TELEPHONY_RATE))
        self._to_say.extend(chunks)
        while len(self._said) < first + len(chunks):
            if self.closed.is_set():
                raise AssertionError("the server closed the call while the caller was speaking")
            await asyncio.sleep(0.005)
        voiced = [t for t, is_voiced in self._said[first:] if is_voiced]
        return Utterance(voiced[0], voiced[-1])

    async def press_keys(self, keys: str, gap_s: float = 0.1) -> None:
        """Presses ``keys`` one after another, ``gap_s`` apart, as a finger does."""
        for key in keys:
            await asyncio.sleep(gap_s)
            await self.press(key)

    def audio(self, since: float = 0.0, until: float = float("inf")) -> list[Received]:
        return [r for r in self.received if r.kind == "audio" and since < r.t <= until]

    async def wait_for(self, kind: str, since: float = 0.0, timeout: float = 5.0) -> Received:
        deadline = now() + timeout
        while True:
            found = next((r for r in self.received if r.kind == kind and r.t > since), None)
            if found:
                return found
            if now() > deadline or self.closed.is_set():
                raise AssertionError(f"no {kind!r} within {timeout} s; received {self.summary()}")
            await asyncio.sleep(0.005)

    async def wait_quiet(self, since: float = 0.0, quiet_s: float = 0.3, timeout: float = 10.0) -> float:
        """Waits until the bot has said something after ``since`` and then sent nothing for
        ``quiet_s``; returns the time its last frame arrived."""
        deadline = now() + timeout
        while now() < deadline:
            audio = self.audio(since)
            if audio and now() - audio[-1].t >= quiet_s:
                return audio[-1].t
            await asyncio.sleep(0.01)
        raise AssertionError(f"the bot did not say something and stop within {timeout} s; received {self.summary()}")

    async def wait_closed(self, timeout: float = 2.0) -> float:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.closed_at

    def summary(self) -> str:
        kinds = [r.kind for r in self.received]
        return f"{kinds.count('audio')} audio frames, others {[k for k in kinds if k != 'audio']}"

    async def _line(self) -> None:
        start, index = now(), 0
        while not self.closed.is_set():
            speaking = bool(self._to_say)
            frame = self._to_say.popleft() if speaking else SILENCE
            try:
                await self.send_audio(frame)
            except (ConnectionError, websockets.ConnectionClosed):
                return
            if speaking:
                self._said.append((now(), rms(frame) >= VOICED_RMS))
            index += 1
            await asyncio.sleep(max(0.0, start + index * FRAME_MS / 1000 - now()))

    async def _listen(self) -> None:
        try:
            async for kind, data in self.messages():
                self.received.append(Received(now(), kind, data))
        finally:
            self.closed_at = now()
            self.closed.set()

    async def send_audio(self, pcm: bytes) -> None:
        raise NotImplementedError

    async def press(self, key: str) -> None:
        raise NotImplementedError

    def messages(self):
        raise NotImplementedError


TWILIO_CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
ACCOUNT_SID = "AC" + "0" * 32


def twilio_start(stream_sid: str, call_sid: str, media_format: dict | None = None) -> dict:
    return {"event": "start", "streamSid": stream_sid, "start": {
        "streamSid": stream_sid, "accountSid": ACCOUNT_SID, "callSid": call_sid,
        "tracks": ["inbound"], "customParameters": {},
        "mediaFormat": media_format or {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }}  # fmt: skip


class TwilioCaller(Caller):
    """Sends what Twilio sends (shapes from twilio.com/docs/voice/media-streams/websocket-messages)
    and checks that what comes back is what Twilio accepts."""

    def __init__(self, ws, stream_sid: str, call_sid: str) -> None:
        super().__init__()
        self.ws, self.stream_sid, self.call_sid = ws, stream_sid, call_sid
        self.sequence = 0
        self.chunk = 0
        self.not_accepted: list[dict] = []  # messages Twilio would reject

    @classmethod
    async def connect(cls, url: str, call_sid: str | None = None, media_format: dict | None = None):
        call_sid = call_sid or "CA" + uuid.uuid4().hex
        caller = cls(await websockets.connect(url, compression=None), "MZ" + uuid.uuid4().hex, call_sid)
        await caller.send(TWILIO_CONNECTED)
        await caller.send(twilio_start(caller.stream_sid, call_sid, media_format))
        caller.begin()
        return caller

    async def send(self, message: dict) -> None:
        self.sequence += 1
        await self.ws.send(json.dumps({**message, "sequenceNumber": str(self.sequence)}))

    async def send_audio(self, pcm: bytes) -> None:
        self.chunk += 1
        await self.send({"event": "media", "streamSid": self.stream_sid, "media": {
            "track": "inbound", "chunk": str(self.chunk), "timestamp": str((self.chunk - 1) * FRAME_MS),
            "payload": base64.b64encode(pcm_to_ulaw(pcm)).decode("ascii"),
        }})  # fmt: skip

    async def press(self, key: str) -> None:
        await self.send(
            {"event": "dtmf", "streamSid": self.stream_sid, "dtmf": {"track": "inbound_track", "digit": key}}
        )

    async def hang_up(self) -> None:
        await self.send(
            {
                "event": "stop",
                "streamSid": self.stream_sid,
                "stop": {"accountSid": ACCOUNT_SID, "callSid": self.call_sid},
            }
        )

    async def messages(self):
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if not self.accepted(message):
                    self.not_accepted.append(message)
                elif message["event"] == "media":
                    yield "audio", ulaw_to_pcm(base64.b64decode(message["media"]["payload"]))
                else:
                    yield message["event"], (message.get("mark") or {}).get("name")
        except websockets.ConnectionClosed:
            pass

    def accepted(self, message: dict) -> bool:
        keys = TWILIO_OUTBOUND_KEYS.get(message.get("event"))
        if keys is None or set(message) != keys or message["streamSid"] != self.stream_sid:
            return False
        if message["event"] == "media":
            return set(message["media"]) == {"payload"} and isinstance(message["media"]["payload"], str)
        return message["event"] != "mark" or isinstance(message["mark"].get("name"), str)


HEADER = struct.Struct(">BH")


class AudioSocketCaller(Caller):
    """Does what Asterisk's AudioSocket() application does: the call UUID first, then 20 ms
    frames of 8 kHz signed 16-bit little-endian PCM."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, call_id: uuid.UUID) -> None:
        super().__init__()
        self.reader, self.writer, self.call_id = reader, writer, call_id

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1"):
        reader, writer = await asyncio.open_connection(host, port)
        caller = cls(reader, writer, uuid.uuid4())
        await caller.send_frame(0x01, caller.call_id.bytes)
        caller.begin()
        return caller

    async def send_frame(self, kind: int, payload: bytes = b"") -> None:
        self.writer.write(HEADER.pack(kind, len(payload)) + payload)
        await self.writer.drain()

    async def send_audio(self, pcm: bytes) -> None:
        await self.send_frame(0x10, pcm)

    async def press(self, key: str) -> None:
        await self.send_frame(0x03, key.encode("ascii"))

    async def hang_up(self) -> None:
        await self.send_frame(0x00)

    async def messages(self):
        try:
            while True:
                kind, length = HEADER.unpack(await self.reader.readexactly(HEADER.size))
                yield audiosocket_event(kind, await self.reader.readexactly(length))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass


def audiosocket_event(kind: int, payload: bytes) -> tuple[str, object]:
    if kind == 0x10:
        return "audio", payload
    return ("hangup", None) if kind == 0x00 and not payload else ("other", (kind, payload))


def audiosocket_events(data: bytes) -> list[tuple[str, object]]:
    """The frames in ``data``, which must hold whole frames only."""
    events = []
    while data:
        kind, length = HEADER.unpack(data[: HEADER.size])
        assert len(data) >= HEADER.size + length, f"truncated frame from the server: {data[:16]!r}"
        events.append(audiosocket_event(kind, data[HEADER.size : HEADER.size + length]))
        data = data[HEADER.size + length :]
    return events


def bot_frames(text: str, synthesizer) -> list[bytes]:
    """The 20 ms frames the bot should send when it says ``text``: a sentence at a time."""
    audio = [synthesizer.synthesize(sentence, TELEPHONY_RATE) for sentence in sentences([Reply(text)])]
    return [frame for pcm in audio for frame in frames(pcm, TELEPHONY_RATE)]


def assert_paced(audio: list[Received], slack_frames: int = 3) -> None:
    """Frames arrive one per 20 ms: never more ahead of the clock than a few, and not late overall."""
    assert len(audio) > 10, "too few frames to judge the pacing"
    start, step = audio[0].t, FRAME_MS / 1000
    for index, frame in enumerate(audio):
        assert index <= (frame.t - start) / step + slack_frames, f"frame {index} came {frame.t - start:.3f} s in"
    span, expected = audio[-1].t - start, (len(audio) - 1) * step
    assert expected * 0.95 - step <= span <= expected * 1.1 + 0.1, f"{len(audio)} frames took {span:.3f} s"
