#!/usr/bin/env bash
# Bridge latencies as a user sees them, on a fresh `sec devnet` (1 s blocks on L1 and on the
# domains, deposits credited after 1 confirmation, a checkpoint every 5 s): the wall time of
# `sec bridge deposit` (L1 lock until the domain credited it, and the part of it from the
# deposit's L1 block to the credit, as the command prints it), `sec pay` across domains (send
# until delivered) and `sec bridge withdraw` + `sec bridge finalize` (burn until paid on L1,
# and the part of it from the burn's domain block until a checkpoint on L1 covers it).
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
  CREDIT=$(SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    deposit --token SEC --amount 10 --domain 2 2>/dev/null |
    awk '/from its L1 block to the credit/ {print $1}')
  t1=$(now)
  SEC_KEY=$PAYER "$SEC" pay --rpc http://127.0.0.1:28545/domain/1 --to "$ME" --amount 1 >/dev/null
  t2=$(now)
  W=$(SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    withdraw --token SEC --amount 5 | awk 'NR == 1 {print $2}')
  # the burn is in a domain block from here (the command waited for its receipt)
  t3=$(now)
  PROVEN=$(SEC_KEY=$KEY "$SEC" bridge "${B[@]}" --rpc http://127.0.0.1:28545/domain/2 \
    finalize --withdrawal "$W" 2>/dev/null | awk '/finalizable/ {print $2}')
  t4=$(now)
  awk -v i="$i" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v l1="$CREDIT" \
    -v p="$PROVEN" 'BEGIN {
    printf "run %d: deposit %.2f s (L1 block to credit %.2f s), cross-domain payment %.2f s, withdrawal to paid %.2f s (domain block to finalizable %.2f s)\n",
      i, b - a, l1, c - b, e - c, p }'
done
