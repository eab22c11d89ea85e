"""Phone calls into the assistant.

    python -m voice call                      microphone and speaker (make call)
    python -m voice call-file IN.wav OUT_DIR  a WAV file as the caller (make call-file)
    python -m voice serve                     the web page (chat and calls), Twilio Media Streams
                                              websocket and Asterisk AudioSocket servers

The Rasa server comes from RASA_URL (its channels' token in RASA_CHANNEL_TOKEN), or is started
here with its action server.
The Chinese Vosk model is the one `make setup` installs (vosk-model-small-cn-0.22), or VOSK_MODEL.
"""

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Awaitable, List, Optional, Tuple

from bot.processes import REPO_ROOT, ManageError, port_from_env
from bot.servers import CHANNEL_TOKEN_ENV
from voice.assistant import RasaAssistant
from voice.audio import TELEPHONY_RATE, WIDEBAND_RATE, AudioFormatError
from voice.backend import running_assistant
from voice.calls import CallServices, services_from_env
from voice.stt import ModelMissing
from voice.transports.microphone import NoAudioDevice
from voice.tts import TtsUnavailable

HOST = "127.0.0.1"
SERVER_WARM_RECOGNIZERS = 4  # calls per sample rate that start at full speed; more are made as needed
WARM_BEFORE_SERVING = 1  # the rest are readied while the servers already serve
DEFAULT_WEB_PORT = 8080


def dtmf_schedule(specs: List[str]) -> List[Tuple[float, str]]:
    """``["12.5:1234#"]`` → ``[(12.5, "1234#")]``: keys pressed at a call time in seconds."""
    schedule = []
    for spec in specs:
        at, sep, keys = spec.partition(":")
        try:
            schedule.append((float(at), keys))
        except ValueError:
            raise SystemExit(f"error: --dtmf {spec!r}: expected SECONDS:KEYS, e.g. 12.5:1234#") from None
        if not sep or not keys:
            raise SystemExit(f"error: --dtmf {spec!r}: expected SECONDS:KEYS, e.g. 12.5:1234#")
    return schedule


async def _call_file(args, url: str) -> int:
    from voice.transports.wavfile import FileCall, run_file_call

    services = services_from_env(assistant_url=url)  # file calls run at 8 kHz, like a phone line
    call = FileCall(Path(args.wav), dtmf_schedule(args.dtmf), args.tail)
    try:
        record, *_ = await run_file_call(services, call, Path(args.out))
    finally:
        await services.assistant.close()
    print(record.transcript(), end="")
    print(f"Wrote {args.out}/bot.wav, call.wav, transcript.txt, call.json")
    return 0


async def _call_microphone(url: str) -> int:
    from voice.transports.microphone import run_microphone_call

    services = services_from_env(assistant_url=url, sample_rates=(WIDEBAND_RATE,))
    try:
        await run_microphone_call(services)
    finally:
        await services.assistant.close()
    return 0


def speech_services(url: str, token: Optional[str], warm: int) -> Tuple[Optional[CallServices], str]:
    """The call pipeline, or None and why not: the web page's chat works without it."""
    try:
        services = services_from_env(
            assistant_url=url, warm_recognizers=warm,
            sample_rates=(TELEPHONY_RATE, WIDEBAND_RATE), channel_token=token,
        )  # fmt: skip
    except ModelMissing as exc:
        print(f"warning: no calls (web page, Twilio, AudioSocket): {exc}", file=sys.stderr, flush=True)
        return None, "no_speech_model"
    except TtsUnavailable as exc:
        print(f"warning: no calls (web page, Twilio, AudioSocket): {exc}", file=sys.stderr, flush=True)
        return None, "no_voice"
    return services, ""


async def _serve(args, url: str, token: Optional[str]) -> int:
    from bot.editing.workspace import Workspace
    from bot.review import ConversationStore
    from voice.desk.accounts import StaffStore
    from voice.desk.desk import Desk
    from voice.desk.hours import ServiceHours
    from voice.transports import audiosocket, twilio
    from voice.web.gateway import WebGateway
    from voice.web.limits import RateLimit
    from voice.web.server import create_app, serve
    from voice.web.sessions import SessionCookies, load_key

    calls, unavailable = speech_services(url, token, args.warm)
    chat = RasaAssistant(url, channel="web", token=token)
    call_assistant = calls.assistant if calls is not None and isinstance(calls.assistant, RasaAssistant) else None
    desk = Desk(
        chat, call_assistant, ServiceHours.from_env(),
        max_per_agent=int(os.environ.get("DESK_MAX_PER_AGENT", "3")),
    )  # fmt: skip
    for assistant in (chat, call_assistant):
        if assistant is not None:
            assistant.desk_status = desk.status  # the bot hands over only when someone can take it
    gateway = WebGateway(
        chat, calls, unavailable,
        per_session=RateLimit(*_limit("WEB_RATE_PER_SESSION", "30/10")),
        per_address=RateLimit(*_limit("WEB_RATE_PER_ADDRESS", "120/40")),
        desk=desk,
    )  # fmt: skip
    if calls is not None:
        calls.desk = desk
    cookies = SessionCookies(load_key(REPO_ROOT / "var" / "web-session.key"))
    origins = [o.strip() for o in os.environ.get("WEB_ORIGINS", "").split(",") if o.strip()]
    secure = os.environ.get("WEB_SECURE_COOKIES", "") == "1"
    conversations = ConversationStore.from_env()  # TRACKER_STORE_URL, as Rasa's endpoints have it
    app = create_app(
        gateway,
        cookies,
        origins,
        secure,
        staff=StaffStore(),
        conversations=conversations,
        workspace=Workspace.from_env(),
    )
    runner = await serve(app, args.host, args.web_port)
    print(f"Web page (chat and calls): http://{args.host}:{args.web_port}/", flush=True)
    print(f"Agent desk (staff, `make staff-add`): http://{args.host}:{args.web_port}/staff/desk", flush=True)
    print(f"Staff console (editors): http://{args.host}:{args.web_port}/staff/console/review", flush=True)
    stopping = asyncio.Event()  # SIGTERM (a deployment, `make serve` stopping): close the pages and calls
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    jobs: List[Awaitable[object]] = [stopping.wait()]
    if calls is not None:
        warming = asyncio.ensure_future(asyncio.to_thread(calls.warm_up, SERVER_WARM_RECOGNIZERS))
        warming.add_done_callback(lambda job: job.cancelled() or job.exception())  # a failure only costs speed
        print(f"Twilio Media Streams: ws://{args.host}:{args.twilio_port}", flush=True)
        print(f"Asterisk AudioSocket: {args.host}:{args.audiosocket_port}", flush=True)
        jobs += [
            twilio.serve(calls, args.host, args.twilio_port),
            audiosocket.serve(calls, args.host, args.audiosocket_port),
        ]
    running = [asyncio.ensure_future(job) for job in jobs]
    try:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for job in done - {running[0]}:
            job.result()  # a server that failed to start says why
    finally:
        await runner.cleanup()  # hangs up the page's calls and closes its websockets
        conversations.close()
        for job in running:
            job.cancel()
    return 0


def _limit(name: str, default: str) -> Tuple[float, int]:
    """``PER_MINUTE/BURST`` from the environment, e.g. WEB_RATE_PER_SESSION=30/10."""
    value = os.environ.get(name, default)
    per_minute, _, burst = value.partition("/")
    try:
        return float(per_minute), int(burst)
    except ValueError:
        raise SystemExit(f"error: {name}={value!r}: expected MESSAGES_PER_MINUTE/BURST, e.g. {default}") from None


def preflight(args) -> None:
    """Fail in seconds, before the assistant starts, when the call cannot work anyway."""
    from voice.stt import load_model
    from voice.tts import EspeakSynthesizer

    if args.command == "serve":
        return  # serves the web chat without speech; says what calls lack (speech_services)
    load_model()
    EspeakSynthesizer().check()
    if args.command == "call":
        from voice.transports.microphone import open_stream

        open_stream(lambda *_: None, 16000).close()
    if args.command == "call-file":
        from voice.audio import read_wav

        read_wav(Path(args.wav))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m voice", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("call", help="talk through the microphone and speaker")
    file_call = sub.add_parser("call-file", help="a WAV file (any rate) as the caller's audio")
    file_call.add_argument("wav")
    file_call.add_argument("out", help="directory for bot.wav, call.wav, transcript.txt, call.json")
    file_call.add_argument("--dtmf", action="append", default=[], metavar="SECONDS:KEYS")
    file_call.add_argument(
        "--tail", type=float, help="seconds of silence after the WAV (default: until the bot is done)"
    )
    serve = sub.add_parser("serve", help="the web page, and the Twilio Media Streams and AudioSocket servers")
    serve.add_argument("--host", default=HOST)
    serve.add_argument("--web-port", type=int, default=port_from_env("WEB_PORT", DEFAULT_WEB_PORT))
    serve.add_argument("--twilio-port", type=int, default=8765)
    serve.add_argument("--audiosocket-port", type=int, default=9092)
    serve.add_argument(
        "--warm", type=int, default=WARM_BEFORE_SERVING, help="recognizers per sample rate readied before serving"
    )
    return parser


async def _run(args, url: str, token: Optional[str]) -> int:
    if args.command == "call-file":
        return await _call_file(args, url)
    if args.command == "call":
        return await _call_microphone(url)
    return await _serve(args, url, token)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # A server's Rasa takes only requests with a token (bot/credentials-serve.yml): the one given
    # with RASA_URL, else a new one for the Rasa server started here.
    token = None
    if args.command == "serve":
        token = os.environ.get(CHANNEL_TOKEN_ENV) if os.environ.get("RASA_URL") else secrets.token_urlsafe(32)
    try:
        preflight(args)
        with running_assistant(channel_token=token) as url:
            return asyncio.run(_run(args, url, token))
    except (ModelMissing, TtsUnavailable, AudioFormatError, NoAudioDevice, ManageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
