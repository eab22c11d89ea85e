"""`make bench-dialogue`: the scripted conversations in tests/bench/dialogues/ (a set apart from the
tests'), each run end to end against the real Rasa and action servers on a freshly seeded bank.

Prints task success (every expectation of the script met and the bank changed exactly as
scripted), mean customer turns per completed task, stuck turns (the bot's whole reply was its
previous question again) and empty replies. Targets: success >= 95 %, stuck 0, empty 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bot import build
from tests.scripted_conversations import Outcome, load_scripts, run_script, running_assistant

SCRIPTS = Path(__file__).parent / "dialogues"
TARGET_SUCCESS = 0.95


def report(outcomes: list[Outcome]) -> tuple[str, bool]:
    done = [o for o in outcomes if o.succeeded]
    success = len(done) / len(outcomes)
    stuck = sum(o.stuck_turns for o in outcomes)
    empty = sum(t.empty for o in outcomes for t in o.turns)
    turns = sum(len(o.turns) for o in done) / len(done) if done else 0.0
    styles = Counter(o.script.style for o in outcomes)
    lines = [
        f"conversations            {len(outcomes)} ({', '.join(f'{n} {s}' for s, n in sorted(styles.items()))})",
        f"task success             {len(done)}/{len(outcomes)} = {success:.1%}  (target >= {TARGET_SUCCESS:.0%})",
        f"mean turns per completed {turns:.1f}",
        f"stuck turns              {stuck}  (target 0)",
        f"empty replies            {empty}  (target 0)",
    ]
    for o in outcomes:
        if not o.succeeded or o.stuck_turns:
            lines += [f"\nFAILED {o.script.source}: {o.script.name}", *o.problems, o.transcript()]
    return "\n".join(lines), success >= TARGET_SUCCESS and stuck == 0 and empty == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.dialogue", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)  # only --help: the benchmark takes no options
    model = build.model_path()
    if not model.exists():
        print(f"no trained model at {model}; run `make train` first", file=sys.stderr)
        return 2
    scripts = load_scripts(SCRIPTS)
    with tempfile.TemporaryDirectory(prefix="bench-dialogue-") as tmp:
        directory = Path(tmp)
        bank_url = f"sqlite:///{directory / 'bank.db'}"
        with running_assistant(model, bank_url, directory) as webhook:
            outcomes = []
            for script in scripts:
                outcome = run_script(script, webhook, bank_url)
                print(f"{'ok  ' if outcome.succeeded else 'FAIL'} {script.source}: {script.name}", flush=True)
                outcomes.append(outcome)
    text, met = report(outcomes)
    print(text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
