"""Search over a big workspace: 1,000,000 messages in 200 channels, 100 typical queries, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py                      # both databases, writes bench/results-search.json
    .venv/bin/python bench/search.py --messages 100000 --databases sqlite

Each query goes through `hearth.workspaces.search.search` as the API calls it (the membership check, the
full-text match, the filters, the snippets and the JSON-ready objects), as a member of the workspace. The
figures are wall-clock times of one warm run of each query (after one run of all of them); the index's
size is the FTS5 tables' pages (SQLite) or the GIN index (PostgreSQL). PostgreSQL is a throwaway cluster
started as the tests start theirs (tests/servers.py).
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from hearth.extensions import db  # noqa: E402
from hearth.workspaces import search  # noqa: E402

BATCH = 20_000
AUTHORS = 50


def vocabulary(rng):
    """About 6,000 made-up words; a message draws from them with a Zipf-like skew, as people's words fall."""
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "pra", "gol", "ber", "tin", "zu", "fa"]
    words = set()
    while len(words) < 6000:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def sentence(rng, words, weights):
    return " ".join(rng.choices(words, weights, k=rng.randint(4, 20)))


def seed(url, count, channels, rng, words, weights):
    app = create_app(
        {"ENV": "testing", "SECRET_KEY": "bench-" + "x" * 40, "SQLALCHEMY_DATABASE_URI": url, "FILE_DIR": "/tmp"}
    )
    with app.app_context():
        upgrade()
        run = db.session.execute
        now = datetime.now(UTC).replace(tzinfo=None)
        run(
            sa.text(
                "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (:i, :u, :u, 'x', :t)"
            ),
            [{"i": i, "u": f"user{i}", "t": now} for i in range(1, AUTHORS + 1)],
        )
        run(sa.text("INSERT INTO workspaces (id, name, owner_id, created_at) VALUES (1, 'big', 1, :t)"), {"t": now})
        run(
            sa.text("INSERT INTO memberships (workspace_id, user_id, joined_at) VALUES (1, :u, :t)"),
            [{"u": i, "t": now} for i in range(1, AUTHORS + 1)],
        )
        run(
            sa.text("INSERT INTO channels (id, workspace_id, name, seq, created_at) VALUES (:i, 1, :n, 0, :t)"),
            [{"i": i, "n": f"channel-{i}", "t": now} for i in range(1, channels + 1)],
        )
        db.session.commit()
        started = time.monotonic()
        first = now - timedelta(seconds=count)
        insert = sa.text(
            "INSERT INTO messages (id, channel_id, author_id, seq, body, html, created_at, reply_count)"
            " VALUES (:i, :c, :a, :s, :b, '', :t, 0)"
        )
        seqs = [0] * (channels + 1)
        for start in range(1, count + 1, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, count + 1)):
                channel = rng.randint(1, channels)
                seqs[channel] += 1
                body = sentence(rng, words, weights)
                rows.append(
                    {"i": i, "c": channel, "a": rng.randint(1, AUTHORS), "s": seqs[channel], "b": body,
                     "t": first + timedelta(seconds=i)}
                )  # fmt: skip
            run(insert, rows)
            db.session.commit()
        load_seconds = time.monotonic() - started
        if db.engine.dialect.name == "postgresql":
            run(sa.text("ANALYZE"))
            db.session.commit()
    return app, load_seconds


def index_bytes(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            try:
                return db.session.scalar(sa.text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_messages%'"))
            except sa.exc.OperationalError:  # no dbstat in this SQLite: the FTS blocks' bytes
                db.session.rollback()
                return db.session.scalar(sa.text("SELECT SUM(LENGTH(block)) FROM search_messages_data"))
        return db.session.scalar(sa.text("SELECT pg_relation_size('ix_messages_search')"))


def queries(rng, words, channels):
    """100 queries as people type them: common and rare words, two words, a prefix, a phrase, from: and in:."""
    common, middling, rare = words[:50], words[200:1500], words[3000:]
    made = []
    made += [rng.choice(middling) for _ in range(30)]
    made += [rng.choice(rare) for _ in range(15)]
    made += [rng.choice(common) for _ in range(10)]
    made += [f"{rng.choice(middling)} {rng.choice(middling)}" for _ in range(15)]
    made += [f"{rng.choice(middling)} {rng.choice(middling)[:3]}" for _ in range(10)]
    made += [f'"{rng.choice(common)} {rng.choice(common)}"' for _ in range(5)]
    made += [f"{rng.choice(middling)} from:user{rng.randint(1, AUTHORS)}" for _ in range(8)]
    made += [f"{rng.choice(middling)} in:channel-{rng.randint(1, channels)}" for _ in range(7)]
    return made


def measure(app, qs):
    with app.app_context():
        for q in qs:  # warm the caches once, as a live server's are
            search.search(1, 1, q)
            db.session.rollback()
        timings, found = [], []
        for q in qs:
            started = time.perf_counter()
            page = search.search(1, 1, q)
            timings.append((time.perf_counter() - started) * 1000)
            found.append(len(page["results"]))
            db.session.rollback()
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
        "queries_with_results": sum(1 for n in found if n),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results-search.json"))
    args = parser.parse_args()
    results = {"messages": args.messages, "channels": args.channels, "when": datetime.now(UTC).isoformat()}
    for kind in args.databases.split(","):
        rng = random.Random(7)
        words = vocabulary(rng)
        weights = [1 / (rank + 10) for rank in range(len(words))]
        postgres = None
        with tempfile.TemporaryDirectory() as tmp:
            if kind == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
            else:
                from servers import Postgres

                postgres = Postgres()
                url = postgres.create_database("bench").replace("postgresql://", "postgresql+psycopg://")
            try:
                app, load = seed(url, args.messages, args.channels, rng, words, weights)
                figures = measure(app, queries(rng, words, args.channels))
                figures["index_mib"] = round(index_bytes(app) / 2**20, 1)
                figures["load_s"] = round(load, 1)
                with app.app_context():
                    db.engine.dispose()
            finally:
                if postgres is not None:
                    postgres.stop()
        results[kind] = figures
        print(kind, figures, flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
