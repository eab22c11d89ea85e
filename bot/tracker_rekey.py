"""``make tracker-rekey``: every event in the tracker store encrypted again with the current key — after
a new key is put first in TRACKER_ENCRYPTION_KEY (the old one still listed after it), or for events
stored in the clear before encryption was on. Safe while the assistant runs: Rasa only appends rows, and
a row being rewritten reads with either key until the old key is dropped. Then the old key can go."""

import argparse
import sys

import sqlalchemy as sa

from bot.event_cipher import EventCipher, EventCipherError
from bot.review.store import resolve_tracker_url

BATCH_ROWS = 500
_EVENTS = sa.table("events", sa.column("id", sa.Integer), sa.column("data", sa.Text))


def rekey(url: str, cipher: EventCipher, batch_rows: int = BATCH_ROWS) -> int:
    """Rewrites each event's data under ``cipher``'s first key, a batch per transaction; the rows done."""
    engine = sa.create_engine(url, future=True)
    done, last_id = 0, 0
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        while True:
            with engine.begin() as connection:
                query = sa.select(_EVENTS.c.id, _EVENTS.c.data).where(_EVENTS.c.id > last_id)
                rows = connection.execute(query.order_by(_EVENTS.c.id).limit(batch_rows)).all()
                for row in rows:
                    if row.data is not None:
                        update = _EVENTS.update().where(_EVENTS.c.id == row.id)
                        connection.execute(update.values(data=cipher.reencrypt(row.data)))
            if not rows:
                return done
            done, last_id = done + len(rows), rows[-1].id
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make tracker-rekey", description=__doc__)
    parser.add_argument(
        "--url", help="the tracker store's SQLAlchemy URL (default: TRACKER_STORE_URL, else var/tracker.db)"
    )
    args = parser.parse_args(argv)
    url = resolve_tracker_url(args.url)
    try:
        done = rekey(url, EventCipher.from_env())
    except EventCipherError as error:
        print(f"error: {error}; nothing after the last batch was changed", file=sys.stderr)
        return 1
    print(f"{done} events encrypted with the current key in {sa.engine.make_url(url).render_as_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
