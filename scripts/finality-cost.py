#!/usr/bin/env python3
"""Cost of marking a run of 300 new blocks final, at 300, 100,000 and 300,000 indexed blocks, in
SQLite (Python's sqlite3 module, WAL, synchronous NORMAL, as the indexer opens it): the
statement the indexer ran before its finality watermark, which reads every block of the domain
from block 0, against the one it runs now, a primary-key range over the new blocks. Median of
20 runs of the UPDATE and its commit. The `blocks` table here has only the columns involved."""
import os
import sqlite3
import tempfile
import time

OLD = "UPDATE blocks SET final = 1 WHERE domain = ? AND number <= ? AND final = 0"
NEW = "UPDATE blocks SET final = 1 WHERE domain = ? AND number > ? AND number <= ?"

for height in (300, 100_000, 300_000):
    path = os.path.join(tempfile.mkdtemp(), "blocks.db")
    c = sqlite3.connect(path)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=NORMAL")
    c.execute(
        "CREATE TABLE blocks (domain BIGINT NOT NULL, number BIGINT NOT NULL, hash BLOB NOT NULL,"
        " final BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (domain, number))"
    )
    c.executemany(
        "INSERT INTO blocks VALUES (0, ?, ?, 1)", ((n, os.urandom(32)) for n in range(height))
    )
    c.commit()
    medians = {}
    for name, sql, params in [
        ("before", OLD, (0, height + 299)),
        ("now", NEW, (0, height - 1, height + 299)),
    ]:
        times = []
        for _ in range(20):
            c.executemany(
                "INSERT OR REPLACE INTO blocks VALUES (0, ?, ?, 0)",
                ((n, os.urandom(32)) for n in range(height, height + 300)),
            )
            c.commit()
            started = time.perf_counter()
            c.execute(sql, params)
            c.commit()
            times.append(time.perf_counter() - started)
        times.sort()
        medians[name] = times[len(times) // 2] * 1000
    print(f"{height:>7} blocks: before {medians['before']:.2f} ms, now {medians['now']:.2f} ms")
    c.close()
