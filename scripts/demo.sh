#!/usr/bin/env bash
# The veil demo: a 4-node local network (3 validators, 1 observer) on
# loopback; a group with three members; anonymous transactions from each;
# the same head hash on every node; a revocation that makes the revoked
# member's next transaction fail with stale_epoch while the others go on;
# and the regulator opening one transaction and anyone verifying the
# opening. It stops the network and exits 0 when every step held.
#
# Usage: scripts/demo.sh [path/to/veil]   (make demo builds bin/veil first)
set -euo pipefail

VEIL=${1:-bin/veil}
VEIL=$(cd "$(dirname "$VEIL")" && pwd)/$(basename "$VEIL")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/veil-demo.XXXXXX")
NET=$WORK/net
TESTNET_PID=
cleanup() {
  if [ -n "$TESTNET_PID" ] && kill -0 "$TESTNET_PID" 2>/dev/null; then
    kill -INT "$TESTNET_PID"; wait "$TESTNET_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "DEMO FAILED: $*" >&2; exit 1; }
# field KEY: the value of a top-level KEY in the indented JSON that veil's
# --output json prints (one key per line), without quotes.
field() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1; }

step "1. Start a local network of 4 nodes (3 validators + 1 observer) with group 'acme'"
"$VEIL" testnet up --dir "$NET" --nodes 4 --group acme >"$WORK/testnet.out" 2>&1 &
TESTNET_PID=$!
for _ in $(seq 1 300); do
  grep -q "network of 4 nodes up" "$WORK/testnet.out" 2>/dev/null && break
  kill -0 "$TESTNET_PID" 2>/dev/null || { cat "$WORK/testnet.out"; fail "testnet exited"; }
  sleep 0.1
done
grep -q "network of 4 nodes up" "$WORK/testnet.out" || fail "network did not come up"
cat "$WORK/testnet.out"
mapfile -t NODES < <(grep '^node-' "$WORK/testnet.out" | awk '{print $2}')
export VEIL_NODE=${NODES[0]}
for _ in $(seq 1 100); do
  [ "$("$VEIL" status -o json | field leader)" != "" ] && break; sleep 0.1
done
"$VEIL" status

step "2. The issuer adds three members; each registration is an admin transaction on chain"
for m in alice bob carol; do
  "$VEIL" group add-member --dir "$NET/groups" --name acme --label $m --out "$WORK/$m.key" \
    --admin-key "$NET/groups/acme.admin.key"
done

step "3. Each member sends an anonymous transaction, each to a different node"
i=0
for m in alice bob carol; do
  node=${NODES[$i]}; i=$((i+1))
  "$VEIL" tx send --node "$node" --key "$WORK/$m.key" --group acme --topic orders \
    --data "order from a member of acme #$i" --wait -o json >"$WORK/$m.tx.json"
  echo "sent to $node: $(field id <"$WORK/$m.tx.json") committed at height $(field height <"$WORK/$m.tx.json")"
done
BOB_TX=$(field id <"$WORK/bob.tx.json")
"$VEIL" tx get "$BOB_TX"
echo "(the node knows the group and the topic, never the signer)"

step "4. All four nodes hold the same chain"
heads() { for n in "${NODES[@]}"; do "$VEIL" status --node "$n" -o json | field head_hash; done | sort -u; }
for _ in $(seq 1 50); do HEADS=$(heads); [ "$(echo "$HEADS" | wc -l)" = 1 ] && break; sleep 0.2; done
for n in "${NODES[@]}"; do
  st=$("$VEIL" status --node "$n" -o json)
  printf '%-7s %-9s height %s head %.16s…\n' "$(field node_id <<<"$st")" "$(field role <<<"$st")" "$(field height <<<"$st")" "$(field head_hash <<<"$st")"
done
[ "$(echo "$HEADS" | wc -l)" = 1 ] || fail "nodes report different head hashes"
echo "same head hash on all nodes"

step "5. The issuer revokes carol: the group moves to epoch 1"
"$VEIL" group revoke --dir "$NET/groups" --name acme --label carol --admin-key "$NET/groups/acme.admin.key"
"$VEIL" group show acme

step "6. carol's next transaction is refused with stale_epoch; she cannot update her key"
if out=$("$VEIL" tx send --key "$WORK/carol.key" --group acme --topic orders --data "after revocation" 2>&1); then
  fail "carol's transaction was accepted: $out"
fi
echo "$out"
echo "$out" | grep -q stale_epoch || fail "expected stale_epoch"
if out=$("$VEIL" group update-key --key "$WORK/carol.key" --group acme 2>&1); then fail "carol updated her key"; fi
echo "$out"

step "7. alice and bob bring their keys to epoch 1 from the chain and go on"
for m in alice bob; do
  "$VEIL" group update-key --key "$WORK/$m.key" --group acme
  "$VEIL" tx send --key "$WORK/$m.key" --group acme --topic orders --data "$m after the revocation" --wait
done

step "8. The regulator opens bob's earlier transaction and proves who signed it"
"$VEIL" audit open --opener-key "$NET/groups/acme.opener.key" --tx "$BOB_TX" -o json >"$WORK/open.json"
cat "$WORK/open.json"
[ "$(field label <"$WORK/open.json")" = bob ] || fail "the opening did not name bob"
PROOF=$(field proof <"$WORK/open.json")

step "9. Anyone checks the opening from public data; a false claim fails"
"$VEIL" audit verify --tx "$BOB_TX" --label bob --proof "$PROOF"
if "$VEIL" audit verify --tx "$BOB_TX" --label alice --proof "$PROOF" 2>/dev/null; then fail "a false opening verified"; fi
echo "the same proof does not name alice: refused"

step "10. Stop the network"
kill -INT "$TESTNET_PID"; wait "$TESTNET_PID"; TESTNET_PID=
echo
echo "demo complete: every step held"
