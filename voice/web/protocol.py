"""The web page's websocket protocol (GET /ws), one JSON object per text frame; call audio in
binary frames.

The server knows the conversation from the session cookie alone: no message names a sender.

Page → server
  {"type": "message", "id": ID, "text": "..."}                   typed text (at most MAX_TEXT chars)
  {"type": "button", "id": ID, "payload": "/...", "title": "..."}   a tapped quick reply; refused unless
                                                                    the bot's latest message offered it
  {"type": "call_start"} / {"type": "call_end"}                  start / hang up the call
  {"type": "key", "key": "0".."9" | "*" | "#"}                   the on-screen keypad during a call
  binary frame                                                   call audio: 16 kHz mono 16-bit LE PCM
ID is the page's own message id (8–64 of A–Z a–z 0–9 _ -). The page keeps a message until it
is acknowledged and sends it again after a reconnect; an id already handled is not handled
twice (the ack says ``duplicate``).

Server → page
  {"type": "ready", "max_text": 500, "call": {"available": true} | {"available": false, "reason": R}}
        first, on every connection; R: "no_speech_model" | "no_voice"
  {"type": "history", "messages": [MESSAGE...]}   the whole conversation from the tracker store,
        after "ready"; the page replaces what it shows with it
  {"type": "ack", "id": ID, "duplicate": false}  the message arrived and is handled (or was)
  {"type": "typing", "on": true | false}         the bot is working on an answer
  {"type": "message", ...MESSAGE}               a new message in the conversation
  {"type": "error", "code": CODE, "id": ID?, "retry_after": s?}   the page words it (Chinese) itself:
        "too_long" | "rate_limited" | "bad_message" | "assistant_unavailable" | "call_unavailable" | "call_busy"
  {"type": "call", "state": "started" | "listening" | "thinking" | "speaking" | "ended", "reason"?: "..."}
  {"type": "heard", "text": "...", "final": false | true}   the caller's words as recognized, while
        speaking (partial) and at the end of the turn (final: it then also arrives as a message)
  {"type": "clear"}                              the caller cut the bot off: stop playing bot audio
  binary frame                                   bot audio during a call: 16 kHz mono 16-bit LE PCM

MESSAGE: {"from": "customer" | "bot" | "agent", "text": "...", "buttons": [{"title", "payload"}],
          "ts": epoch seconds, "id"?: ID (customer's), "agent"?: the agent's name, "via": "chat" | "call"}
        ("agent": a person at the agent desk, voice/desk/, who holds the conversation)
"""

import re
from typing import List

MAX_TEXT = 500
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CALL_RATE = 16000
KEYS = frozenset("0123456789*#")

ERRORS = frozenset(
    {"too_long", "rate_limited", "bad_message", "assistant_unavailable", "call_unavailable", "call_busy"}
)


def is_unicode(text: str) -> bool:
    """False for text with lone surrogates: JSON can carry them (a page's script may send one
    escaped), UTF-8 cannot, and no one types them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def customer_message(text: str, ts: float, via: str, message_id: "str | None" = None) -> dict:
    return {"from": "customer", "text": text, "ts": ts, "via": via, **({"id": message_id} if message_id else {})}


def bot_message(text: str, buttons: list, ts: float, via: str) -> dict:
    shown = [{"title": b.get("title"), "payload": b.get("payload")} for b in buttons if isinstance(b, dict)]
    return {"from": "bot", "text": text, "buttons": shown, "ts": ts, "via": via}


def agent_message(agent: str, text: str, ts: "float | None", via: str) -> dict:
    return {"from": "agent", "agent": agent, "text": text, "ts": ts, "via": via}


def shown_messages(said: List[dict]) -> List[dict]:
    """The tracker's messages (voice/rasa_channel.py ``history_of``) as the page shows them: a
    button as its title, keys pressed on a call as dots, an agent's words with their name, and no
    system messages or bot messages without words."""
    shown = []
    for message in said:
        via = "call" if message.get("channel") == "voice" else "chat"
        if message.get("from") == "customer":
            metadata = message.get("metadata") or {}
            if metadata.get("via") == "system":
                continue
            text = metadata.get("shown_as") or message.get("text") or ""
            if metadata.get("via") == "dtmf":
                text = "•" * len(text)
            shown.append(
                {"from": "customer", "text": text, "ts": message.get("ts"), "id": message.get("message_id"), "via": via}
            )
        elif message.get("from") == "agent":
            shown.append(agent_message(message.get("agent") or "", message.get("text") or "", message.get("ts"), via))
        elif message.get("from") == "bot":
            buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in message.get("buttons") or []]
            if not message.get("text") and not buttons:
                continue  # a custom payload (the hand-off to the desk): nothing to show
            shown.append(
                {
                    "from": "bot",
                    "text": message.get("text") or "",
                    "buttons": buttons,
                    "ts": message.get("ts"),
                    "via": via,
                }
            )
    return shown
