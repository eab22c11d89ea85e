"""Phone calls into the assistant.

    python -m voice call                      microphone and speaker (make call)
    python -m voice call-file IN.wav OUT_DIR  a WAV file as the caller (make call-file)
    python -m voice serve                     Twilio Media Streams websocket + Asterisk AudioSocket servers

The Rasa server comes from RASA_URL, or is started here with its action server.
The Chinese Vosk model is the one `make setup` installs (vosk-model-small-cn-0.22), or VOSK_MODEL.
"""

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import List, Optional, Tuple

from bot.processes import ManageError
from voice.audio import WIDEBAND_RATE, AudioFormatError
from voice.backend import running_assistant
from voice.calls import services_from_env
from voice.stt import ModelMissing
from voice.transports.microphone import NoAudioDevice
from voice.tts import TtsUnavailable

HOST = "127.0.0.1"
SERVER_WARM_RECOGNIZERS = 8  # calls that start at full speed; more are made as needed


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


async def _serve(args, url: str) -> int:
    from voice.transports import audiosocket, twilio

    services = services_from_env(assistant_url=url, warm_recognizers=SERVER_WARM_RECOGNIZERS)
    print(f"Twilio Media Streams: ws://{args.host}:{args.twilio_port}", flush=True)
    print(f"Asterisk AudioSocket: {args.host}:{args.audiosocket_port}", flush=True)
    await asyncio.gather(
        twilio.serve(services, args.host, args.twilio_port),
        audiosocket.serve(services, args.host, args.audiosocket_port),
    )
    return 0


def preflight(args) -> None:
    """Fail in seconds, before the assistant starts, when the call cannot work anyway."""
    from voice.stt import load_model
    from voice.tts import EspeakSynthesizer

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
    serve = sub.add_parser("serve", help="telephony servers: Twilio Media Streams and AudioSocket")
    serve.add_argument("--host", default=HOST)
    serve.add_argument("--twilio-port", type=int, default=8765)
    serve.add_argument("--audiosocket-port", type=int, default=9092)
    return parser


async def _run(args, url: str) -> int:
    if args.command == "call-file":
        return await _call_file(args, url)
    if args.command == "call":
        return await _call_microphone(url)
    return await _serve(args, url)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        preflight(args)
        with running_assistant() as url:
            return asyncio.run(_run(args, url))
    except (ModelMissing, TtsUnavailable, AudioFormatError, NoAudioDevice, ManageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
