#!/usr/bin/env bash
# Bridge latencies as a user sees them, on a fresh `sec devnet` (1 s blocks on L1 and on the
# domains, deposits credited after 1 confirmation, a checkpoint every 5 s): the wall time of
# `sec bridge deposit` (L1 lock until the domain credited it), `sec pay` across domains (send
# until delivered) and `sec bridge withdraw` + `sec bridge finalize` (burn until paid on L1).
#
#   scripts/bridge-latency.sh [SEC_BINARY] [RUNS]     (default target/release/sec, 5 runs)
set -euo pipefail
SEC=${1:-target/release/sec}
RUNS=${2:-5}
DIR=$(mktemp -d)
trap 'kill $DEVNET 2>/dev/null || true; rm -rf "$DIR"' EXIT
"$SEC" devnet --datadir "$DIR" --rpc-addr 127.0.0.1:28545 --l1-addr 127.0.0.1:29545 \
  --explorer-addr 127.0.0.1:28080 >"$DIR/out" 2>/dev/null &
DEVNET=$!
until grep -q '^Ctrl-C stops it' "$DIR/out" 2>/dev/null; do sleep 0.5; done
KEY=$(grep '(1) 0x' "$DIR/out" | awk '{print $3}')
PAYER=$(grep '(2) 0x' "$DIR/out" | awk '{print $3}')
ME=$(grep '(1) 0x' "$DIR/out" | awk '{print $2}')
B=(--l1-rpc http://127.0.0.1:29545 --l1-deployment "$DIR/l1-deployment.json")
export RUST_BACKTRACE=0
SEC_KEY=$KEY "$SEC" home --rpc http://127.0.0.1:28545/domain/2 set >/dev/null
now() { date +%s.%N; }
for i in $(seq "$RUNS"); do
  t0=$(now)
  SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    deposit --token SEC --amount 10 --domain 2 >/dev/null 2>&1
  t1=$(now)
  SEC_KEY=$PAYER "$SEC" pay --rpc http://127.0.0.1:28545/domain/1 --to "$ME" --amount 1 >/dev/null
  t2=$(now)
  W=$(SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    withdraw --token SEC --amount 5 | awk 'NR == 1 {print $2}')
  SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    finalize --withdrawal "$W" >/dev/null 2>&1
  t3=$(now)
  awk -v i="$i" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN {
    printf "run %d: deposit %.2f s, cross-domain payment %.2f s, withdrawal to paid %.2f s\n",
      i, b - a, c - b, d - c }'
done
