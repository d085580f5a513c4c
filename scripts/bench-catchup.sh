#!/usr/bin/env bash
# make bench (scripts/bench.sh calls it): a new observer catching up from
# genesis. Appends a section to BENCHMARKS.md:
#   - a 4-node loopback network (3 validators and the observer node-4:
#     `veil testnet up --nodes 4`) takes `veil bench --rate max` for SECS;
#   - the network stops, node-4's data directory is deleted, the network
#     starts again: node-4 comes back empty, raft hands it a snapshot (the
#     chain head) and it fetches every block by block sync, verifying each
#     signature once on its pool (verify-ahead);
#   - the time from the restart until node-4 reaches the head, and the CPU
#     every node used meanwhile, against the verify-bound ceiling cores ÷
#     Verify, Verify measured by `go test -bench` in this same run.
#
# Usage: scripts/bench-catchup.sh [path/to/veil] [BENCHMARKS.md] [seconds]
set -euo pipefail
VEIL=${1:-bin/veil}
VEIL=$(cd "$(dirname "$VEIL")" && pwd)/$(basename "$VEIL")
OUT=${2:-BENCHMARKS.md}
SECS=${3:-60}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/veil-bench-catchup.XXXXXX")
TESTNET_PID=
stop_net() {
  if [ -n "$TESTNET_PID" ] && kill -0 "$TESTNET_PID" 2>/dev/null; then kill -INT "$TESTNET_PID"; wait "$TESTNET_PID" || true; fi
  TESTNET_PID=
}
cleanup() { stop_net; rm -rf "$WORK"; }
trap cleanup EXIT
up() { # up LOG: start (or resume) the network, wait until every node answers
  "$VEIL" testnet up --dir "$WORK/net" --nodes 4 --base-port 0 --group acme >"$1" 2>&1 &
  TESTNET_PID=$!
  until grep -q "network of 4 nodes up" "$1" 2>/dev/null; do
    kill -0 "$TESTNET_PID" || { cat "$1" >&2; exit 1; }; sleep 0.05
  done
}

echo "== catch-up: load a 4-node network for ${SECS}s" >&2
up "$WORK/up1.out"
NODES=$(grep '^node-' "$WORK/up1.out" | awk '{print $2}' | paste -sd,)
"$VEIL" bench --nodes "$NODES" --group acme --dir "$WORK/net/groups" --admin-key "$WORK/net/groups/acme.admin.key" \
  --members 8 --output json --rate max --duration "${SECS}s" >"$WORK/load.json"
stop_net
rm -rf "$WORK/net/nodes/node-4/data"

echo "== catch-up: node-4 from an empty data directory" >&2
START=$(date +%s.%N)
up "$WORK/up2.out"
python3 - "$WORK/up2.out" "$START" >"$WORK/catchup.json" <<'PY'
import json, os, subprocess, sys, time, urllib.request
urls = dict(l.split()[:2] for l in open(sys.argv[1]) if l.startswith('node-'))
start = float(sys.argv[2])
def height(u): return json.load(urllib.request.urlopen(u + '/v1/status', timeout=5))['height']
target = max(height(u) for n, u in urls.items() if n != 'node-4')
while height(urls['node-4']) < target: time.sleep(0.05)
secs = time.time() - start
tick, cpu = os.sysconf('SC_CLK_TCK'), {}
for line in subprocess.run(['pgrep', '-af', 'veil node start'], capture_output=True, text=True).stdout.splitlines():
    pid, node = line.split()[0], line.split('/nodes/')[1].split('/')[0]
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    cpu[node] = (int(f[11]) + int(f[12])) / tick
json.dump({'blocks': target, 'seconds': secs, 'cpu': cpu}, sys.stdout)
PY
stop_net

go test -run '^$' -bench 'Verify/bls12-381$' -benchtime 2s -count 1 ./groupsig/ | tee "$WORK/verify.txt" >&2

python3 - "$WORK" "$(nproc)" "$OUT" <<'PY'
import json, re, sys
work, cores, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
load, c = json.load(open(f'{work}/load.json')), json.load(open(f'{work}/catchup.json'))
verify = next(float(m.group(1)) for m in map(re.compile(r'^BenchmarkVerify/bls12-381\S*\s+\d+\s+([\d.]+) ns/op').match, open(f'{work}/verify.txt')) if m) / 1e9
txs, secs = load['committed'], c['seconds']
ceiling = cores / verify
others = sum(v for k, v in c['cpu'].items() if k != 'node-4')
ratio = txs / secs / ceiling
rows = ['', '## A new observer catching up', '',
  'A 4-node network (3 validators, observer node-4) takes `veil bench --rate max`; then it stops, node-4\'s data directory is',
  'deleted, and it starts again: node-4 gets a raft snapshot (the chain head) and fetches every block by block sync, verifying',
  'the next blocks\' signatures on its pool while the current one commits. Timed from the restart (all four processes start)',
  f'until node-4 reaches the head. The ceiling is {cores} cores ÷ Verify ({verify*1e3:.2f} ms, `go test -bench` in this run).', '',
  '| figure | value | ratio |', '|---|---|---|',
  f'| chain caught up | {c["blocks"]} blocks, {txs} anonymous txs | |',
  f'| node-4 from empty to the head | {secs:.1f} s: {c["blocks"]/secs:.1f} blocks/s, {txs/secs:.0f} tx/s | {ratio:.2f} × the verify-bound ceiling ({ceiling:.0f} tx/s) (goal ≥ 0.9: {"met" if ratio >= 0.9 else "MISSED"}) |',
  f'| CPU meanwhile: node-4 / the three others together | {c["cpu"].get("node-4", 0):.1f} / {others:.1f} s | node-4: {c["cpu"].get("node-4", 0)*1e3/txs:.2f} ms a tx |', '']
open(out, 'a').write('\n'.join(rows))
print('\n'.join(rows))
PY
