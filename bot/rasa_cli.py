"""Rasa's command line with bot.rasa_speedups installed: ``python -m bot.rasa_cli run ...``
takes the same arguments as ``rasa run ...``. The Rasa server and shell are started this way."""

from bot import rasa_speedups


def main() -> None:
    rasa_speedups.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
