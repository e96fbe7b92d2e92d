#!/usr/bin/env python3
"""What SQLite itself costs per indexed transaction, without the indexer around it.

Inserts N rows shaped like the bench's (an ERC-20 transfer: one transaction, one log, one token
transfer; 1,000 senders and 1,000 recipients over 4 domains) into the indexer's own schema
(indexer/migrations/0001_chain.sql) with INSERT .. SELECT from a temporary table, CHUNK
transactions per commit, the indexer's pragmas, and a PASSIVE checkpoint after each commit.

    python3 scripts/sqlite-insert-floor.py VARIANT     # base, nosec, nohash, prefix, noaddr, worowid, deferred
    N=1000000 CHUNK=17000 PS=4096 CACHE=262144 MMAP=17179869184 python3 ...

Variants change only the schema: nosec drops every secondary index, nohash the transactions-by-hash
index, prefix indexes an 8-byte prefix of the hash, noaddr drops the by-sender and by-recipient
indexes, worowid makes the three tables WITHOUT ROWID, deferred loads without the secondary indexes
of the three tables and creates them after the last commit (their time is counted). The database
is written to $TMPDIR.
"""
import sqlite3, sys, time, os, re, tempfile
variant = sys.argv[1]
N = int(os.environ.get("N", "1000000")); CHUNK = int(os.environ.get("CHUNK", "17000"))
path = os.path.join(tempfile.gettempdir(), f"insert-floor-{variant}.db")
for s in ("", "-wal", "-shm"):
    try: os.remove(path + s)
    except FileNotFoundError: pass
schema = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "indexer", "migrations", "0001_chain.sql")).read()
if variant == "nohash":
    schema = schema.replace("CREATE INDEX transactions_by_hash ON transactions (hash);", "")
if variant == "prefix":
    schema = schema.replace("CREATE INDEX transactions_by_hash ON transactions (hash);",
        "CREATE INDEX transactions_by_hash ON transactions (substr(hash, 1, 8));")
if variant == "noaddr":
    for ix in ["transactions_by_from", "token_transfers_by_from", "token_transfers_by_to"]:
        schema = re.sub(rf"CREATE INDEX {ix} [^;]*;", "", schema)
deferred = []
if variant == "deferred":
    for table in ["transactions", "logs", "token_transfers"]:
        deferred += re.findall(rf"CREATE INDEX \w+ ON {table} [^;]*;", schema)
    for ix in deferred:
        schema = schema.replace(ix, "")
if variant == "nosec":
    schema = re.sub(r"CREATE INDEX [^;]*;", "", schema)
if variant == "worowid":
    schema = schema.replace("PRIMARY KEY (domain, block_number, tx_index)\n);", "PRIMARY KEY (domain, block_number, tx_index)\n) WITHOUT ROWID;")
    schema = schema.replace("PRIMARY KEY (domain, block_number, log_index)\n);", "PRIMARY KEY (domain, block_number, log_index)\n) WITHOUT ROWID;")
    schema = schema.replace("PRIMARY KEY (domain, block_number, log_index, batch_index)\n);", "PRIMARY KEY (domain, block_number, log_index, batch_index)\n) WITHOUT ROWID;")
db = sqlite3.connect(path, isolation_level=None)
db.execute(f"PRAGMA page_size = {os.environ.get('PS', '4096')}")
for p in ["journal_mode = WAL", "synchronous = NORMAL", f"cache_size = -{os.environ.get('CACHE', '262144')}",
          f"mmap_size = {os.environ.get('MMAP', '17179869184')}", "temp_store = MEMORY", "wal_autocheckpoint = 0", f"threads = {os.environ.get('THREADS', '0')}"]:
    db.execute("PRAGMA " + p)
db.executescript(schema)
db.executescript(f"""
CREATE TEMP TABLE senders AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i < 999) SELECT i, randomblob(20) a FROM c;
CREATE TEMP TABLE rcpts AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i < 999) SELECT i, randomblob(20) a FROM c;
CREATE TEMP TABLE tokens4 AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i < 3) SELECT i, randomblob(20) a FROM c;
CREATE TEMP TABLE src AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i < {N-1})
  SELECT i, i % 4 AS d, (i/4)/5000 AS b, (i/4)%5000 AS x, randomblob(32) AS h, (i/4)%1000 AS s, ((i/4)+(i/4)/1000)%1000 AS r FROM c;
""")
import resource
ps = int(os.environ.get("PS", "4096")); t0 = time.time(); tins = 0; tcom = 0; tck = 0; cpu_ck = 0; frames = 0
for k in range(0, N, CHUNK):
    a = time.time()
    db.execute("BEGIN")
    w = f"FROM src JOIN senders s ON s.i = src.s JOIN rcpts r ON r.i = src.r JOIN tokens4 t ON t.i = src.d WHERE src.i >= {k} AND src.i < {k+CHUNK} ORDER BY src.d, src.b, src.x"
    db.execute(f"""INSERT INTO transactions SELECT d, b, x, h, s.a, t.a, zeroblob(32), src.s, 60000, 2,
        zeroblob(32), zeroblob(32), randomblob(68), 1700000000 + b, 1, 35000, 35000*x, zeroblob(32), NULL, x, 1 {w}""")
    db.execute(f"""INSERT INTO logs SELECT d, b, x, x, h, t.a, randomblob(32), zeroblob(32), zeroblob(32), NULL, zeroblob(32) {w}""")
    db.execute(f"""INSERT INTO token_transfers SELECT d, b, x, 0, h, 1700000000 + b, t.a, s.a, r.a, zeroblob(32), NULL {w}""")
    c = time.time()
    db.execute("COMMIT")
    e = time.time()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    frames += db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ck += (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    f = time.time()
    tins += c - a; tcom += e - c; tck += f - e
tix = time.time()
if deferred:
    db.execute("BEGIN")
    for ix in deferred:
        db.execute(ix)
    db.execute("COMMIT")
    frames += db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
tix = time.time() - tix; tcom += tix
tot = time.time() - t0
if deferred: print(f"indexes created after the load: {tix:.1f}s")
print(f"frames {frames} ({frames*ps/1e9:.1f} GB) ckpt cpu {cpu_ck:.1f}s"); print(f"{variant}: total {tot:.1f}s ins {tins:.1f} commit {tcom:.1f} ckpt {tck:.1f}  -> {N/(tins+tcom)*1:.0f} tx/s excl ckpt, {1e6*(tins+tcom)/N:.1f} us/tx; size {os.path.getsize(path)/1e6:.0f} MB")
for s in ("", "-wal", "-shm"):
    try: os.remove(path + s)
    except FileNotFoundError: pass
