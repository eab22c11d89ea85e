"""`make validate` for a sources' root other than the repository's: Rasa's data validation (with
warnings as failures) of ``ROOT``'s domain, data and config, the responses actions utter counted as
used (bot/validate.py). The publish runs it in a child process, so the gateway never loads Rasa's
training code (TensorFlow).

    python -m bot.editing.data_check ROOT     exit 0 when the data is valid; Rasa says why not
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.editing.data_check ROOT", file=sys.stderr)
        return 2
    root = Path(args[0]).resolve()
    from rasa.__main__ import main as rasa_main
    from rasa.shared.core.domain import Domain

    from bot import validate

    missing = validate.check_wording(Domain.load(root / "bot" / "domain"))
    if missing:
        print(f"actions utter responses the domain lacks: {', '.join(missing)}", file=sys.stderr)
        return 1
    sys.argv = ["rasa", "data", "validate", "--fail-on-warnings"]
    sys.argv += ["--domain", str(root / "bot" / "domain"), "--data", str(root / "bot" / "data")]
    sys.argv += ["--config", str(root / "config.yml")]
    try:
        rasa_main()
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
