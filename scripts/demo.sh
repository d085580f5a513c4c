#!/usr/bin/env bash
# The veil demo: a 4-node local network (3 validators, 1 observer) on
# loopback with one group, 'payments' — or, with --consensus bft, a
# 5-node BFT network (4 validators on SmartBFT, f=1, and 1 observer). Members of two organisations get
# identity certificates from the consortium CA and join by transaction —
# each makes its secret in its own directory; the issuer answers by
# policy and never sees it. They send anonymous transactions and vote once
# each on a tagged topic (a second vote is refused, the tally counts
# members). The issuer revokes one member on chain (refused from then on;
# the others take their new keys from chain state). The regulator builds
# evidence from chain data that anyone checks offline against the CA, and
# an issuer's attempt to frame the revoked member is refused. Then the
# opener key is shared 2-of-3 among named authorities and erased: one
# authority alone cannot open, two open in public on chain, and anyone
# checks the threshold evidence offline. It stops the network and exits 0
# when every step held.
#
# The console (the node's /ui) is reachable while the demo runs; with
# --keep the network, and the regulator's audit console beside it, stay up
# after the story until Ctrl-C.
#
# On BFT the story is the same; step 19's failover is a view change: the
# demo prints the view and leader before and after, and how long the
# view change took.
#
# Usage: scripts/demo.sh [path/to/veil] [--keep] [--consensus raft|bft]
#        (make demo [KEEP=1] and make demo-bft [KEEP=1] build bin/veil first;
#        VEIL_CONSENSUS=bft is --consensus bft)
set -euo pipefail

KEEP=
VEIL=bin/veil
CONSENSUS=${VEIL_CONSENSUS:-raft}
while [ $# -gt 0 ]; do
  case $1 in
    --keep) KEEP=1 ;;
    --consensus) [ $# -ge 2 ] || { echo "demo.sh: --consensus needs raft or bft" >&2; exit 2; }; CONSENSUS=$2; shift ;;
    --consensus=*) CONSENSUS=${1#--consensus=} ;;
    -*) echo "demo.sh: unknown option $1 (usage: scripts/demo.sh [path/to/veil] [--keep] [--consensus raft|bft])" >&2; exit 2 ;;
    *) VEIL=$1 ;;
  esac
  shift
done
case $CONSENSUS in
  raft) N=4; VALIDATORS=3; ROLES="3 validators + 1 observer" ;;
  bft)  N=5; VALIDATORS=4; ROLES="4 BFT validators, f=1, + 1 observer" ;;  # 3f+1, and an observer for step 19
  *) echo "demo.sh: --consensus $CONSENSUS is neither raft nor bft" >&2; exit 2 ;;
esac
OBSERVER=node-$N
VEIL=$(cd "$(dirname "$VEIL")" && pwd)/$(basename "$VEIL")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/veil-demo.XXXXXX")
NET=$WORK/net
TESTNET_PID=
CONSOLE_PID=
JOIN_PIDS=()
cleanup() {
  local rc=$?
  # A failed run leaves no directory behind: show what the nodes said.
  if [ "$rc" -ne 0 ] && [ -d "$NET/nodes" ]; then
    for log in "$NET"/nodes/*/node.log; do
      echo "== $log: its last warnings and errors" >&2
      grep -E 'level=(WARN|ERROR)' "$log" | tail -20 >&2 || true
    done
  fi
  for p in "${JOIN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$CONSOLE_PID" ] && kill -INT "$CONSOLE_PID" 2>/dev/null && wait "$CONSOLE_PID" 2>/dev/null || true
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
# bftfield KEY: the value of KEY in the status's "bft" object (one level down).
bftfield() { sed -n '/^  "bft": {/,/^  }/p' | field2 "$1"; }
field2() { sed -n "s/^    \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -1; }
# refused CODE CMD…: CMD must fail with exit status 1 and the error code CODE.
refused() {
  local code=$1; shift
  local out rc=0
  out=$("$@" -o json 2>/dev/null) || rc=$?
  [ "$rc" = 1 ] || fail "expected exit 1 ($code) from: $* (got $rc): $out"
  echo "$out" | grep -q "\"code\": \"$code\"" || fail "expected code $code from: $*: $out"
  REFUSAL=$out
  echo "refused ($code): $(echo "$out" | sed -n 's/^    "message": "\(.*\)",\{0,1\}$/\1/p' | sed 's/\\"/"/g' | cut -c1-200)"
}

G=payments
ISSUER=$NET/groups                       # the issuer's directory (testnet puts it there)
ADMIN_KEY=$ISSUER/$G.admin.key           # the issuer's admin key: signs join responses and revocations
declare -A ORG=([alice]="Acme Bank" [bob]="Acme Bank" [carol]="Globex Insurance" [mallory]="Initech")
MEMBERS=(alice bob carol)

step "1. Start a local $CONSENSUS network of $N nodes ($ROLES) with group '$G' and no members yet"
"$VEIL" testnet up --dir "$NET" --nodes $N --consensus "$CONSENSUS" --base-port "${VEIL_BASE_PORT:-0}" --group $G >"$WORK/testnet.out" 2>&1 &
TESTNET_PID=$!
for _ in $(seq 1 300); do
  grep -q "network of $N nodes up" "$WORK/testnet.out" 2>/dev/null && break
  kill -0 "$TESTNET_PID" 2>/dev/null || { cat "$WORK/testnet.out"; fail "testnet exited"; }
  sleep 0.1
done
grep -q "network of $N nodes up" "$WORK/testnet.out" || fail "network did not come up"
cat "$WORK/testnet.out"
grep -q "network of $N nodes up .*: $VALIDATORS validators ($CONSENSUS, f=1), 1 observer at genesis" "$WORK/testnet.out" ||
  fail "the network is not $VALIDATORS $CONSENSUS validators (f=1) and 1 observer"
mapfile -t NODES < <(grep '^node-' "$WORK/testnet.out" | awk '{print $2}')
export VEIL_NODE=${NODES[0]}
for _ in $(seq 1 300); do
  [ "$("$VEIL" status -o json | field leader)" != "" ] && break; sleep 0.1
done
"$VEIL" status || fail "no leader once the network is up"
ST=$("$VEIL" status -o json)
ENGINE=$(field consensus <<<"$ST")   # a node from before the field existed runs raft
[ "${ENGINE:-raft}" = "$CONSENSUS" ] || fail "the node's status says consensus ${ENGINE:-raft}, not $CONSENSUS"
if [ "$CONSENSUS" = bft ]; then
  [ "$(bftfield n <<<"$ST")" = 4 ] && [ "$(bftfield f <<<"$ST")" = 1 ] && [ "$(bftfield quorum <<<"$ST")" = 3 ] ||
    fail "the BFT status is not n 4, f 1, quorum 3"
fi
echo "console: ${NODES[0]}/ui/ (every node serves it; open it in a browser while the demo runs${KEEP:+, and after it})"
# Public books: anyone may keep a copy of the issuer's registry (step 14 uses this one).
cp "$ISSUER/$G.registry" "$WORK/registry-at-genesis"

step "2. Four people, each in a directory of their own, get identity certificates from the consortium CA"
for m in alice bob carol mallory; do
  mkdir -p "$WORK/$m"
  "$VEIL" member request-cert --identity "$WORK/$m/$m.id" --org "${ORG[$m]}" --label $m --out "$WORK/$m/$m.csr" >/dev/null
  # Only the public request crosses to the CA, and only the certificate comes back.
  "$VEIL" ca issue-member --ca-cert "$NET/ca/ca.crt" --ca-key "$NET/ca/ca.key" --request "$WORK/$m/$m.csr" --out "$WORK/$m/$m.crt"
done

step "3. They join '$G' by transaction: each posts a join request made with its own secret y"
for m in alice carol; do   # these two wait for the issuer's answer
  "$VEIL" group join --node "${NODES[1]}" --group $G --identity "$WORK/$m/$m.id" --cert "$WORK/$m/$m.crt" \
    --out "$WORK/$m/$m.$G.key" --timeout 2m >"$WORK/$m/join.out" 2>&1 &
  JOIN_PIDS+=($!)
done
for m in bob mallory; do   # these two post and leave; they come back with --resume
  "$VEIL" group join --group $G --identity "$WORK/$m/$m.id" --cert "$WORK/$m/$m.crt" --out "$WORK/$m/$m.$G.key" --no-wait
done
pending() { "$VEIL" group issue --dir "$ISSUER" --name $G --pending -o json | grep -c '"label"'; }
for _ in $(seq 1 200); do [ "$(pending)" = 4 ] && break; sleep 0.1; done
[ "$(pending)" = 4 ] || fail "the four join requests are not all pending on chain"

step "4. The issuer lists the pending requests and answers by its policy: Acme Bank and Globex Insurance may join"
"$VEIL" group issue --dir "$ISSUER" --name $G --pending
echo "{\"groups\": {\"$G\": [\"Acme Bank\", \"Globex Insurance\"]}}" >"$WORK/policy.json"
cat "$WORK/policy.json"
"$VEIL" group issue --dir "$ISSUER" --name $G --admin-key "$ADMIN_KEY" --auto --policy "$WORK/policy.json" | tee "$WORK/issue.out"
for m in alice bob carol; do grep -q "^answered  *$m " "$WORK/issue.out" || fail "$m was not answered"; done
grep -q "^left pending  *mallory .*Initech.*may not join" "$WORK/issue.out" || fail "mallory was not left pending with the reason"

step "5. The members finish their keys on their own machines; bob resumes his join"
for p in "${JOIN_PIDS[@]}"; do wait "$p" || fail "a waiting join failed"; done
JOIN_PIDS=()
cat "$WORK/alice/join.out" "$WORK/carol/join.out"
"$VEIL" group join --group $G --out "$WORK/bob/bob.$G.key" --resume
for m in "${MEMBERS[@]}"; do
  [ -f "$WORK/$m/$m.$G.key" ] && [ ! -e "$WORK/$m/$m.$G.key.join" ] || fail "$m has no key, or kept its join secret"
done
if grep -rlE "MEMBER KEY|JOIN SECRET" "$ISSUER" "$NET/ca"; then fail "a member secret reached the issuer or the CA"; fi
echo "no member key or join secret anywhere on the issuer's or the CA's side"
"$VEIL" group show $G

step "6. Each member sends an anonymous transaction, each to a different node"
i=0
for m in "${MEMBERS[@]}"; do
  node=${NODES[$i]}; i=$((i+1))
  "$VEIL" tx send --node "$node" --key "$WORK/$m/$m.$G.key" --topic orders \
    --data "order from a member of $G #$i" --wait -o json >"$WORK/$m/tx.json"
  echo "sent to $node: $(field id <"$WORK/$m/tx.json") committed at height $(field height <"$WORK/$m/tx.json")"
done
"$VEIL" tx get "$(field id <"$WORK/bob/tx.json")"
echo "(the node knows the group and the topic, never the signer)"

step "7. All $N nodes hold the same chain"
heads() { for n in "${NODES[@]}"; do "$VEIL" status --node "$n" -o json | field head_hash; done | sort -u; }
for _ in $(seq 1 50); do HEADS=$(heads); [ "$(echo "$HEADS" | wc -l)" = 1 ] && break; sleep 0.2; done
for n in "${NODES[@]}"; do
  st=$("$VEIL" status --node "$n" -o json)
  printf '%-7s %-9s height %s head %.16s…\n' "$(field node_id <<<"$st")" "$(field role <<<"$st")" "$(field height <<<"$st")" "$(field head_hash <<<"$st")"
done
[ "$(echo "$HEADS" | wc -l)" = 1 ] || fail "nodes report different head hashes"
echo "same head hash on all nodes"

step "8. An anonymous vote: one vote per member on a tagged topic; a second vote is refused"
"$VEIL" topic set --admin-key "$NET/admin.key" --topic vote-1 --groups $G --tagged --closes-in 500 | tee "$WORK/topic-set.out"
RULE_HEIGHT=$(sed -n 's/.*rule set at height \([0-9]*\).*/\1/p' "$WORK/topic-set.out")
[ -n "$RULE_HEIGHT" ] || fail "topic set printed no height"
# The votes go to other nodes than the one that saw the rule commit: each
# must have applied it too, or its tx send would sign untagged (the topic
# has no rule there yet) and the leader would refuse the vote.
for n in "${NODES[@]}"; do
  for _ in $(seq 1 50); do [ "$("$VEIL" status --node "$n" -o json | field height)" -ge "$RULE_HEIGHT" ] && break; sleep 0.1; done
done
i=0
for m in "${MEMBERS[@]}"; do
  i=$((i+1)); vote=yes; [ $m = carol ] && vote=no
  "$VEIL" tx send --node "${NODES[$i]}" --key "$WORK/$m/$m.$G.key" --topic vote-1 --data $vote --wait -o json >"$WORK/$m/vote.json"
  echo "$m voted $vote (anonymously): $(field id <"$WORK/$m/vote.json"), tag $(field tag <"$WORK/$m/vote.json" | cut -c1-16)…"
done
ALICE_VOTE=$(field id <"$WORK/alice/vote.json")
refused already_acted "$VEIL" tx send --node "${NODES[2]}" --key "$WORK/alice/alice.$G.key" --topic vote-1 --data no --wait
"$VEIL" topic show vote-1 | tee "$WORK/topic.out"
grep -q "tally   3 members acted" "$WORK/topic.out" || fail "the tally is not 3 members"
echo "4 votes were sent, 3 members voted: the tally counts members, not transactions"

step "9. The issuer revokes carol on chain: the group moves to epoch 1"
"$VEIL" group revoke --dir "$ISSUER" --name $G --label carol --admin-key "$ADMIN_KEY"
"$VEIL" group show $G

step "10. carol is refused: she gets no new key, and her old one no longer signs for the group"
refused revoked "$VEIL" tx send --key "$WORK/carol/carol.$G.key" --topic orders --data "after revocation"
refused revoked "$VEIL" group update-key --key "$WORK/carol/carol.$G.key"
HEIGHT=$("$VEIL" status -o json | field height)
OLD=$("$VEIL" tx sign --key "$WORK/carol/carol.$G.key" --chain-id veil-local --topic orders --data "signed offline" --height "$HEIGHT" -o json | field tx)
refused stale_epoch "$VEIL" tx send --tx "$OLD"

step "11. alice and bob go on at epoch 1: bob updates from the chain, alice's tx send does it by itself"
"$VEIL" group update-key --key "$WORK/bob/bob.$G.key"
"$VEIL" tx send --key "$WORK/bob/bob.$G.key" --topic orders --data "bob after the revocation" --wait -o json >"$WORK/bob/tx1.json"
"$VEIL" tx send --key "$WORK/alice/alice.$G.key" --topic orders --data "alice after the revocation" --wait
[ "$(field epoch <"$WORK/bob/tx1.json")" = 1 ] || fail "bob's transaction is not at epoch 1"
BOB_TX=$(field id <"$WORK/bob/tx1.json")

step "12. The regulator opens two transactions and builds the evidence from chain data alone"
mkdir -p "$WORK/regulator"
cp "$ISSUER/$G.opener.key" "$WORK/regulator/"   # the opener key is the regulator's, not the issuer's
"$VEIL" audit open --opener-key "$WORK/regulator/$G.opener.key" --tx "$BOB_TX" --out "$WORK/regulator/bob.evidence.json"
"$VEIL" audit open --opener-key "$WORK/regulator/$G.opener.key" --tx "$ALICE_VOTE" --out "$WORK/regulator/vote.evidence.json" -o json >"$WORK/regulator/vote.json"
[ "$(field label <"$WORK/regulator/vote.json")" = alice ] || fail "the vote did not open to alice"
echo "vote $ALICE_VOTE (tagged, epoch 0) was alice's ($(field org <"$WORK/regulator/vote.json"))"

step "13. Anyone checks the evidence offline, with public files only: the evidence and the CA certificate"
PUB=$WORK/public
mkdir -p "$PUB"
cp "$WORK/regulator/bob.evidence.json" "$WORK/regulator/vote.evidence.json" "$NET/ca/ca.crt" "$PUB/"
ls "$PUB"
(
  cd "$PUB"
  unset VEIL_NODE
  "$VEIL" audit check --evidence bob.evidence.json --ca ca.crt
  "$VEIL" audit check --evidence vote.evidence.json --ca ca.crt -o json >vote.check.json
  [ "$(field label <vote.check.json)" = alice ] && [ "$(field org <vote.check.json)" = "Acme Bank" ] || fail "the vote's evidence does not name alice of Acme Bank"
  echo "vote.evidence.json: valid, signed by alice of Acme Bank"
  rm vote.check.json
)

step "14. The issuer tries to frame carol: a key of its own under her label, a signature, evidence — refused"
FRAME=$WORK/issuer-frame
mkdir -p "$FRAME"
cp "$ISSUER/$G.issuer.key" "$ISSUER/$G.gpk" "$FRAME/"
cp "$WORK/registry-at-genesis" "$FRAME/$G.registry"   # books without carol in them
# The issuer has no key of carol's: it makes an identity key and a secret y' of its own ...
"$VEIL" member keygen --out "$FRAME/fake.id" >/dev/null
"$VEIL" group join-request --gpk "$FRAME/$G.gpk" --label carol --identity "$FRAME/fake.id" --out "$FRAME/carol.req" >/dev/null
# ... certifies itself under carol's label with γ, and signs as "carol".
"$VEIL" group issue --dir "$FRAME" --name $G --request "$FRAME/carol.req" --out "$FRAME/carol.resp" >/dev/null
"$VEIL" group join-finish --request-secret "$FRAME/carol.req.secret" --response "$FRAME/carol.resp" --out "$FRAME/carol.key" >/dev/null
CLAIM="carol pays 1000 to the issuer"
SIG=$("$VEIL" sign --key "$FRAME/carol.key" --message "$CLAIM")
# The evidence: its own opening and join record, with carol's real certificate from the chain.
"$VEIL" group show $G --member carol --cert-out "$FRAME/carol.crt" -o json >"$FRAME/carol.json"
"$VEIL" audit evidence --opener-key "$ISSUER/$G.opener.key" --registry "$FRAME/$G.registry" \
  --message "$CLAIM" --signature "$SIG" --cert "$FRAME/carol.crt" --out "$FRAME/frame.json" 2>/dev/null
echo "carol's certified identity key is $(field identity_key <"$FRAME/carol.json")"
cp "$FRAME/frame.json" "$PUB/"
cd "$PUB"
refused not_accountable "$VEIL" audit check --evidence frame.json --ca ca.crt
cd "$WORK"
echo "$REFUSAL" | grep -q '"condition": 5' || fail "the frame was not refused on condition 5"
echo "condition 5 failed: the frame's join record is signed by the issuer's own key, not by carol's certified one"

step "15. Three opening authorities get certificates; the opener key is shared 2-of-3 among them and erased"
AUTH="regulator acme-audit globex-audit"
for a in $AUTH; do
  mkdir -p "$WORK/$a"
  "$VEIL" member request-cert --identity "$WORK/$a/$a.id" --org "Authority $a" --label $a --out "$WORK/$a/$a.csr" >/dev/null
  "$VEIL" ca issue-member --ca-cert "$NET/ca/ca.crt" --ca-key "$NET/ca/ca.key" --request "$WORK/$a/$a.csr" --out "$WORK/$a/$a.crt" >/dev/null
done
rm "$ISSUER/$G.opener.key"   # the copy step 14's dishonest issuer used; from here only the dealer's exists
"$VEIL" audit committee deal --group $G --opener-key "$WORK/regulator/$G.opener.key" --threshold 2 \
  --authority regulator="$WORK/regulator/regulator.crt" --authority acme-audit="$WORK/acme-audit/acme-audit.crt" \
  --authority globex-audit="$WORK/globex-audit/globex-audit.crt" --admin-key "$NET/admin.key" \
  --out "$WORK/dealer" --wait --erase-opener-key -o json >"$WORK/dealer.json" &
DEALER=$!
for _ in $(seq 1 300); do "$VEIL" audit committee show --group $G 2>/dev/null | grep -q '^pending: [0-9a-f]' && break; sleep 0.1; done
for a in $AUTH; do install -m 600 "$WORK/dealer/$a.share" "$WORK/$a/$a.share"; done   # the private channel
for a in $AUTH; do
  "$VEIL" audit share accept --share "$WORK/$a/$a.share" --identity "$WORK/$a/$a.id" \
    --expect-threshold 2 --expect-authorities regulator,acme-audit,globex-audit
done
wait $DEALER || fail "the committee did not activate"
[ "$(field state <"$WORK/dealer.json")" = active ] || fail "the committee is not active"
[ ! -e "$WORK/regulator/$G.opener.key" ] || fail "the opener key outlived the activation"
"$VEIL" audit committee show --group $G
echo "no single opener key exists any more: an opening needs 2 of the 3 authorities, in public"

step "16. One authority alone cannot open: its consent is on chain, its share is not released"
"$VEIL" tx send --key "$WORK/alice/alice.$G.key" --topic orders --data "alice, under a committee" --wait -o json >"$WORK/alice/tx2.json"
TX=$(field id <"$WORK/alice/tx2.json")
"$VEIL" audit consent --tx "$TX" --share "$WORK/regulator/regulator.share" --identity "$WORK/regulator/regulator.id"
refused release_refused "$VEIL" audit release --tx "$TX" --share "$WORK/regulator/regulator.share" --identity "$WORK/regulator/regulator.id"
"$VEIL" audit openings --tx "$TX"

step "17. A second authority consents, both release: the opening is on chain, and public"
"$VEIL" audit consent --tx "$TX" --share "$WORK/acme-audit/acme-audit.share" --identity "$WORK/acme-audit/acme-audit.id"
"$VEIL" audit release --tx "$TX" --share "$WORK/regulator/regulator.share" --identity "$WORK/regulator/regulator.id"
"$VEIL" audit release --tx "$TX" --share "$WORK/acme-audit/acme-audit.share" --identity "$WORK/acme-audit/acme-audit.id" -o json >"$WORK/release.json"
[ "$(field signer <"$WORK/release.json")" = alice ] || fail "the threshold opening did not name alice"
"$VEIL" audit openings --tx "$TX"                      # the record: who consented, who released, who signed
"$VEIL" audit open --tx "$TX" --out "$PUB/threshold.evidence.json"   # no opener key: the evidence of the threshold opening

step "18. Anyone checks the threshold evidence offline: who signed, and which authorities opened it"
(
  cd "$PUB"
  unset VEIL_NODE
  "$VEIL" audit check --evidence threshold.evidence.json --ca ca.crt
  "$VEIL" audit check --evidence threshold.evidence.json --ca ca.crt -o json >threshold.check.json
  [ "$(field label <threshold.check.json)" = alice ] || fail "the threshold evidence does not name alice"
  rm threshold.check.json
)

if [ "$CONSENSUS" = bft ]; then
  step "19. Operations: the observer $OBSERVER becomes a validator by admin transaction (5 validators, still f=1); the leader stops, a view change makes another validator leader and the chain commits; it returns and catches up"
else
  step "19. Operations: the observer $OBSERVER becomes a validator by admin transaction; the leader stops, the others elect a new one and commit; it returns and catches up"
fi
if [ "$CONSENSUS" = bft ]; then
  # A BFT validator has no raft address: the certificate is given.
  WHO=(--cert "$NET/nodes/$OBSERVER/node.crt")
else
  # raft: the certificate is read from the observer's raft port.
  RAFTN=$(sed -n 's/^raft_addr = "\(.*\)"$/\1/p' "$NET/nodes/$OBSERVER/node.toml")
  [ -n "$RAFTN" ] || fail "$OBSERVER's raft address is not in its node.toml"
  WHO=(--raft-addr "$RAFTN")
fi
"$VEIL" validator add --admin-key "$NET/admin.key" --id $OBSERVER "${WHO[@]}" --wait --timeout 60s
"$VEIL" validator list
# view VIEWER: "view V" of the BFT status at node URL VIEWER (empty on raft).
view() { [ "$CONSENSUS" = bft ] && echo "view $("$VEIL" status --node "$1" -o json 2>/dev/null | bftfield view)" || true; }
if [ "$CONSENSUS" = bft ]; then
  # The new validator counts once the chain's view of it does: n 5, f 1, quorum 4.
  for _ in $(seq 1 300); do [ "$("$VEIL" status -o json | bftfield n)" = 5 ] && break; sleep 0.1; done
  ST=$("$VEIL" status -o json)
  [ "$(bftfield n <<<"$ST")" = 5 ] && [ "$(bftfield f <<<"$ST")" = 1 ] && [ "$(bftfield quorum <<<"$ST")" = 4 ] ||
    fail "after the validator add the BFT status is not n 5, f 1, quorum 4: $ST"
fi
LEADER=$("$VEIL" status -o json | field leader) || true
[ -n "$LEADER" ] || fail "no leader before the failover"
OTHER=${NODES[0]}; [ "$LEADER" = node-1 ] && OTHER=${NODES[1]}
BEFORE=$(view "$OTHER")
echo "before: ${BEFORE:+$BEFORE, }$LEADER leads"
STOPPED_AT=$EPOCHREALTIME
"$VEIL" testnet stop "$LEADER" --dir "$NET"
NEW=
for _ in $(seq 1 600); do   # raft elects within about a second; a BFT view change takes a few
  NEW=$("$VEIL" status --node "$OTHER" -o json 2>/dev/null | field leader) || true
  [ -n "$NEW" ] && [ "$NEW" != "$LEADER" ] && break; sleep 0.1
done
[ -n "$NEW" ] && [ "$NEW" != "$LEADER" ] || fail "no new leader after $LEADER stopped"
AFTER=$(view "$OTHER")
TOOK=$(awk -v a="$STOPPED_AT" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "after:  ${AFTER:+$AFTER, }$NEW leads ($LEADER stopped; a new leader known ${TOOK} s after the stop began)"
if [ "$CONSENSUS" = bft ]; then
  [ "${AFTER#view }" -gt "${BEFORE#view }" ] || fail "the leader changed but the view did not move on ($BEFORE → $AFTER)"
fi
"$VEIL" tx send --node "$OTHER" --key "$WORK/alice/alice.$G.key" --topic orders \
  --data "after the failover" --wait -o json >"$WORK/alice/failover.json"
H=$(field height <"$WORK/alice/failover.json")
echo "committed at height $H without $LEADER"
"$VEIL" testnet start "$LEADER" --dir "$NET"
BACK=${NODES[$((${LEADER#node-} - 1))]}
for _ in $(seq 1 200); do
  [ "$("$VEIL" status --node "$BACK" -o json 2>/dev/null | field height)" -ge "$H" ] 2>/dev/null && break; sleep 0.1
done
[ "$("$VEIL" status --node "$BACK" -o json 2>/dev/null | field height)" -ge "$H" ] || fail "$LEADER did not catch up to height $H"
"$VEIL" status --node "$BACK"

if [ -n "$KEEP" ]; then
  step "The network stays up (--keep): Ctrl-C stops it"
  "$VEIL" audit console --node "${NODES[0]}" --ca "$NET/ca/ca.crt" --log "$WORK/regulator/audit.log" -o json >"$WORK/console.json" 2>"$WORK/console.err" &
  CONSOLE_PID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/console.json" ] && break; sleep 0.1; done
  echo "console:        ${NODES[0]}/ui/"
  echo "audit console:  $(field url <"$WORK/console.json")  (the regulator's: evidence checks, the threshold opening's evidence)"
  echo "nodes:          ${NODES[*]}"
  trap 'echo; echo stopping' INT
  wait "$TESTNET_PID" || true
  trap - INT
fi

step "20. Stop the network"
if kill -0 "$TESTNET_PID" 2>/dev/null; then kill -INT "$TESTNET_PID"; wait "$TESTNET_PID"; fi
TESTNET_PID=
echo
echo "demo complete: every step held"
