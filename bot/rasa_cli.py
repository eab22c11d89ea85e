"""Rasa's command line with bot.rasa_speedups installed: ``python -m bot.rasa_cli run ...``
takes the same arguments as ``rasa run ...``. The tracker store is used without Rasa's fail-safe
wrapper (bot/tracker_store.py). The Rasa server, shell and training run this way;
training also prints each component's elapsed time (bot.train_timing)."""

import sys

from bot import rasa_speedups, tracker_store


def main() -> None:
    rasa_speedups.install()
    tracker_store.install()
    if sys.argv[1:2] == ["train"]:
        from bot import train_timing

        train_timing.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
