"""Staff commands for the FAQ (the Makefile's faq-* targets call these).

python -m bot.faq validate [FILE]        check the source (or any .yml/.csv/.xlsx)
python -m bot.faq import FILE            validate a sheet, then make it the source
python -m bot.faq export FILE            write the source as .csv or .xlsx
python -m bot.faq snapshot               refresh Rasa's `faq` examples (engineers; retrains all)
python -m bot.faq reload                 load the newest model into the running server
python -m bot.faq eval FAQ QUERIES       accuracy on a bq_faq_dev-style benchmark
"""

import argparse
import sys
import time
from pathlib import Path

from bot.faq import checks, rasa_data, sheets
from bot.processes import ManageError
from nlu import faq_source


def read_any(path: Path) -> list[faq_source.Faq]:
    if not path.exists():
        raise faq_source.FaqFormatError(f"{path}: no such file")
    if path.suffix.lower() in (".yml", ".yaml"):
        return faq_source.load(path)
    return sheets.read(path)


def report(path: Path, faqs: list[faq_source.Faq]) -> bool:
    found = checks.problems(faqs)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        print(f"{faq_source.shown(path)}: {len(found)} problem(s); nothing was changed", file=sys.stderr)
        return False
    enabled = [f for f in faqs if f.enabled]
    print(
        f"{faq_source.shown(path)}: {len(faqs)} FAQs ({len(enabled)} enabled), "
        f"{sum(len(f.questions) for f in faqs)} phrasings: OK"
    )
    return True


def cmd_validate(args) -> int:
    path = Path(args.file) if args.file else faq_source.SOURCE
    return 0 if report(path, read_any(path)) else 1


def cmd_import(args) -> int:
    path = Path(args.file)
    faqs = read_any(path)
    if not report(path, faqs):
        return 1
    faq_source.dump(faqs)
    print(f"wrote {faq_source.shown(faq_source.SOURCE)}; next: make faq-reload (it trains first)")
    return 0


def cmd_export(args) -> int:
    faqs = faq_source.load()
    sheets.write(faqs, Path(args.file))
    print(f"wrote {len(faqs)} FAQs to {args.file}")
    return 0


def cmd_snapshot(_args) -> int:
    faqs = faq_source.load()
    if not report(faq_source.SOURCE, faqs):
        return 1
    rasa_data.write_snapshot(faqs)
    print(f"wrote {faq_source.shown(rasa_data.NLU_FILE)}; the next training retrains everything")
    return 0


def cmd_reload(_args) -> int:
    from bot import build
    from bot.faq import reload

    started = time.monotonic()
    reload.api_token()  # fail before a long training, not after it
    model = build.train()  # no-op when the model for the current sources exists
    reload.load_model(model)
    print(
        f"the running server now uses {model.name} (FAQ source {faq_source.shown(faq_source.SOURCE)}); "
        f"{time.monotonic() - started:.0f} s"
    )
    return 0


def cmd_eval(args) -> int:
    from bot.faq import evaluate

    evaluate.run(Path(args.faq), Path(args.queries), Path(args.config))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.faq", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate").add_argument("file", nargs="?")
    commands.add_parser("import").add_argument("file")
    commands.add_parser("export").add_argument("file")
    commands.add_parser("snapshot")
    commands.add_parser("reload")
    evaluation = commands.add_parser("eval")
    evaluation.add_argument("faq")
    evaluation.add_argument("queries")
    evaluation.add_argument(
        "--config",
        default=str(faq_source.REPO_ROOT / "config.yml"),
        help="Rasa config whose NLU pipeline is evaluated (default: config.yml)",
    )
    args = parser.parse_args(argv)
    handler = {
        "validate": cmd_validate,
        "import": cmd_import,
        "export": cmd_export,
        "snapshot": cmd_snapshot,
        "reload": cmd_reload,
        "eval": cmd_eval,
    }[args.command]
    try:
        return handler(args)
    except (faq_source.FaqFormatError, ManageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
