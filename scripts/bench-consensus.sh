#!/usr/bin/env bash
# make bench (scripts/bench.sh calls it): raft and bft side by side, one
# after the other in the same run, on the same network shape: 4 node
# processes on loopback, all 4 validators (raft: 4 voters, quorum 3; bft:
# SmartBFT n = 4, f = 1, quorum 3), `veil testnet up` with its fast timing
# (the same block_interval), the same load generator (`veil bench`). For
# each engine, on one network:
#   - time to form (start → every node sees a leader and 3 peers);
#   - saturation: `veil bench --rate max` for SECS, watched (every node's
#     metrics and status before and after, every node's height every
#     0.5 s): throughput committed on all nodes;
#   - half saturation (half of that engine's own saturation) for 2/3 SECS:
#     commit latency p50/p99 and the block time (mean, p50);
#   - 5 tx/s for 10 s (latency at a light load);
#   - failover, REPS times: under a steady RATE tx/s submitted to the
#     three others, SIGKILL the leader (from /v1/status .leader), time kill
#     → every survivor knows a new leader and kill → every survivor has
#     committed a block above the killed leader's height; then
#     `veil testnet start` it and time its catch-up onto the head.
# Each engine's figures land in WORK/ENGINE/*.json; the section
# "raft vs bft" (ratios bft ÷ raft) goes to OUT. bench.sh takes its
# 4-node rows from WORK/raft.
#
# Usage: scripts/bench-consensus.sh [path/to/veil] [OUT.md] [seconds] [failover reps] [WORK] [engines]
set -euo pipefail
VEIL=${1:-bin/veil}
VEIL=$(cd "$(dirname "$VEIL")" && pwd)/$(basename "$VEIL")
OUT=${2:-BENCHMARKS-consensus.md}
SECS=${3:-60}
REPS=${4:-3}
WORK=${5:-}
ENGINES=${6-raft bft} # "": only write OUT from WORK's figures
RATE=${FAILOVER_RATE:-20} # tx/s during the failover repetitions
KEEP=1
if [ -z "$WORK" ]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/veil-bench-consensus.XXXXXX"); KEEP=; fi
mkdir -p "$WORK"
TESTNET_PID=
stop_net() {
  if [ -n "$TESTNET_PID" ] && kill -0 "$TESTNET_PID" 2>/dev/null; then kill -INT "$TESTNET_PID"; wait "$TESTNET_PID" || true; fi
  TESTNET_PID=
}
cleanup() {
  stop_net
  rm -rf "$WORK"/*/net
  if [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
# `veil testnet up --consensus` is what makes a BFT network; a build
# without it measures raft alone and says so.
# (Read whole, not piped into grep -q: under pipefail, grep's early exit
# fails the pipeline when the help is still being written.)
HAS_CONSENSUS=
case "$("$VEIL" testnet up --help 2>&1 || true)" in *--consensus*) HAS_CONSENSUS=1 ;; esac

# watch.py NODES OUT PID: scrapes each node's /metrics and /v1/status
# until the load's first anonymous submission is verified (it registers
# members and signs first: that is not the saturation run), then samples
# every node's /v1/status height every 0.5 s while process PID runs, then
# scrapes again.
cat >"$WORK/watch.py" <<'PY'
import json, os, re, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
nodes = [u if u.startswith('http') else 'http://' + u for u in sys.argv[1].split(',')]
out, pid = sys.argv[2], int(sys.argv[3])
def get(url):
    with urllib.request.urlopen(url, timeout=5) as r: return r.read().decode()
def scrape():
    res = []
    for u in nodes:
        m = {}
        for line in get(u + '/metrics').splitlines():
            k = re.match(r'^(veil_raft_leader_changes_total|veil_signature_verifications_total|veil_api_busy_total|veil_raft_term|veil_group_signature_verify_seconds_sum|process_cpu_seconds_total)(\{[^}]*\})? ([0-9.e+]+)$', line)
            if k: m[k.group(1) + (k.group(2) or '')] = float(k.group(3))
        st = json.loads(get(u + '/v1/status'))
        m['status_view_changes'] = float((st.get('bft') or {}).get('view_changes') or 0)
        res.append(m)
    return res
def alive(p):
    try: os.kill(p, 0); return True
    except OSError: return False
def api_verified(snap): return sum(v for m in snap for k, v in m.items() if k == 'veil_signature_verifications_total{path="api"}')
# The run starts with the first anonymous submission (the load registers
# its members and signs first): wait for the first API verification.
before = scrape()
while alive(pid):
    now = scrape()
    if api_verified(now) > api_verified(before): break
    before = now
    time.sleep(0.2)
samples, t0, pool = [], time.time(), ThreadPoolExecutor(len(nodes))
while alive(pid):
    try:
        # All nodes at once: read one after another, the heights would
        # differ by the requests' latency, not by lag.
        hs = list(pool.map(lambda u: json.loads(get(u + '/v1/status'))['height'], nodes))
        samples.append(hs)
    except Exception:
        pass
    time.sleep(0.5)
json.dump({'before': before, 'after': scrape(), 'heights': samples, 'seconds': time.time() - t0}, open(out, 'w'))
PY

# failover.py NETDIR UP_OUT VEIL REPS RATE KEYS OUT: REPS times, under a
# steady RATE tx/s submitted to the three others, SIGKILL the leader and
# time kill → a new leader known to every survivor and kill → a block
# above the killed leader's height committed on every survivor; then
# start it again (`veil testnet start`) and time its catch-up.
cat >"$WORK/failover.py" <<'PY'
import json, os, signal, subprocess, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
netdir, upout, veil, reps, rate, keys, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
urls = {l.split()[0]: l.split()[1] for l in open(upout) if l.startswith('node-')}
pool = ThreadPoolExecutor(len(urls))
def status(u):
    try:
        with urllib.request.urlopen(u + '/v1/status', timeout=2) as r: return json.load(r)
    except Exception: return None
def statuses(ids): return dict(zip(ids, pool.map(lambda i: status(urls[i]), ids)))
def wait(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v: return v
        time.sleep(0.02)
    raise SystemExit(f'failover: {what} not within {timeout} s')
def settled():
    # Every node up, one leader known to all, 3 peers each, heights
    # within a block, the BFT engine running on every validator.
    st = statuses(list(urls))
    if any(s is None for s in st.values()): return None
    leaders = {s['leader'] for s in st.values()}
    hs = [s['height'] for s in st.values()]
    if len(leaders) != 1 or '' in leaders or any(s['peers'] != len(urls) - 1 for s in st.values()) or max(hs) - min(hs) > 1: return None
    if any(s.get('bft') and not s['bft'].get('running') for s in st.values()): return None
    return leaders.pop()
res = []
def one(rep):
    leader = wait(settled, 180, 'a settled network')
    others = [i for i in urls if i != leader]
    h0 = min(s['height'] for s in statuses(others).values())
    load = subprocess.Popen([veil, 'bench', '--nodes', ','.join(urls[i] for i in others), '--group', 'acme', '--keys', keys,
                             '--rate', rate, '--duration', '20s', '--output', 'json'], stdout=subprocess.PIPE, text=True)
    # Kill once the load is committing: three blocks on every survivor.
    wait(lambda: all(s and s['height'] >= h0 + 3 for s in statuses(others).values()), 60, 'the load committing')
    pid = int(open(f'{netdir}/nodes/{leader}/node.pid').read())
    # Terms (raft) or views (bft) the survivors went through: 1 is a
    # clean election or view change.
    def epoch(s): return s['bft']['view'] if s.get('bft') else s['term']
    e0 = max(epoch(s) for s in statuses(others).values() if s)
    hl = status(urls[leader])['height']
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    new_leader = block = None
    end = t0 + 120
    while time.monotonic() < end and (new_leader is None or block is None):
        st = statuses(others)
        now = time.monotonic() - t0
        if new_leader is None and all(s and s['leader'] not in ('', leader) for s in st.values()):
            new_leader = now
        if block is None and all(s and s['height'] > hl for s in st.values()):
            block = now
        time.sleep(0.02)
    e1 = max((epoch(s) for s in statuses(others).values() if s), default=e0)
    rep_json = json.loads(load.communicate()[0])
    r = {'killed': leader, 'height': hl, 'new_leader_s': new_leader, 'first_block_s': block, 'epochs': e1 - e0, 'load': rep_json}
    res.append(r)
    t1 = time.monotonic()
    subprocess.run([veil, 'testnet', 'start', leader, '--dir', netdir], check=True, stdout=subprocess.DEVNULL)
    wait(settled, 180, f'{leader} back on the head')
    r['catch_up_s'] = time.monotonic() - t1
    print(f'failover {rep + 1}/{reps}: killed {leader} at height {hl}: new leader known to all survivors after {new_leader} s, '
          f'a new block on all after {block} s; back on the head {r["catch_up_s"]:.2f} s after its restart; '
          f'{e1 - e0} terms/views; load lost {rep_json["lost"]}', file=sys.stderr)
# A repetition that times out ends the series: what it measured is kept,
# the timeout is reported ("error"), the network is not reused.
try:
    for rep in range(reps): one(rep)
except (SystemExit, Exception) as e:
    res.append({'error': str(e)})
    print(f'failover: {e}', file=sys.stderr)
json.dump(res, open(out, 'w'))
PY

# network ENGINE: one 4-validator network of ENGINE through all phases.
network() {
  local engine=$1 dir="$WORK/$1" flags=()
  mkdir -p "$dir"
  if [ -n "$HAS_CONSENSUS" ]; then flags=(--consensus "$engine"); fi
  echo "== $engine: 4-node loopback network, 4 validators" >&2
  local start; start=$(date +%s.%N)
  "$VEIL" testnet up --dir "$dir/net" --nodes 4 --validators 4 "${flags[@]}" --base-port 0 --group acme --member f0,f1,f2,f3 >"$dir/testnet.out" 2>&1 &
  TESTNET_PID=$!
  local deadline=$((SECONDS + 180))
  until grep -q "network of 4 nodes up" "$dir/testnet.out" 2>/dev/null; do
    kill -0 "$TESTNET_PID" || { cat "$dir/testnet.out" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "$engine: the nodes did not answer within 180 s" >&2; exit 1; }
    sleep 0.05
  done
  local nodes; nodes=$(grep '^node-' "$dir/testnet.out" | awk '{print $2}' | paste -sd,)
  for u in ${nodes//,/ }; do
    until "$VEIL" status --node "$u" -o json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['leader'] and d['peers']==3 else 1)"; do
      kill -0 "$TESTNET_PID" || exit 1
      [ $SECONDS -lt $deadline ] || { echo "$engine: $u saw no leader and 3 peers within 180 s" >&2; exit 1; }
      sleep 0.05
    done
  done
  python3 -c "print(f'{$(date +%s.%N)-$start:.2f}')" >"$dir/form.txt"
  awk -F'"' '/^block_interval/ {print $2; exit}' "$dir/net/nodes/node-1/node.toml" >"$dir/block_interval.txt"
  "$VEIL" status --node "${nodes%%,*}" -o json >"$dir/status.json"
  local common=(--nodes "$nodes" --group acme --dir "$dir/net/groups" --admin-key "$dir/net/groups/acme.admin.key" --members 8 --output json)
  echo "== $engine: saturation (--rate max, ${SECS}s)" >&2
  "$VEIL" bench "${common[@]}" --rate max --duration "${SECS}s" >"$dir/max.json" &
  local bench_pid=$!
  python3 "$WORK/watch.py" "$nodes" "$dir/max-watch.json" "$bench_pid"
  wait "$bench_pid"
  local half; half=$(python3 -c "import json; print(max(1, round(json.load(open('$dir/max.json'))['committed_per_s']/2)))")
  echo "== $engine: half saturation ($half tx/s, $((SECS*2/3))s)" >&2
  "$VEIL" bench "${common[@]}" --rate "$half" --duration "$((SECS*2/3))s" >"$dir/half.json"
  "$VEIL" bench "${common[@]}" --rate 5 --duration 10s >"$dir/low.json"
  echo "== $engine: leader SIGKILLed, $REPS times, at $RATE tx/s" >&2
  python3 "$WORK/failover.py" "$dir/net" "$dir/testnet.out" "$VEIL" "$REPS" "$RATE" \
    "$(ls "$dir"/net/members/f*.acme.key | paste -sd,)" "$dir/failover.json"
  stop_net
}

for e in $ENGINES; do
  if [ "$e" != raft ] && [ -z "$HAS_CONSENSUS" ]; then
    echo "== $e: not measured: this veil has no 'testnet up --consensus'" >&2
    continue
  fi
  # In a process of its own (set -e holds there, its network is stopped
  # on any exit): a bft network that fails is reported as not measured,
  # a raft one fails the run.
  rc=0
  ( trap stop_net EXIT; network "$e" ) &
  wait $! || rc=$?
  if [ $rc -ne 0 ]; then
    [ "$e" != raft ] || exit $rc
    echo "== $e: failed (exit $rc): reported as not measured" >&2
    echo "exit $rc" >"$WORK/$e/failed.txt"
  fi
done

python3 - "$WORK" "$OUT" "$SECS" "$REPS" "$RATE" <<'PY'
import json, os, statistics, sys
work, out, secs, reps, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
notes = []
def load(e):
    d = f'{work}/{e}'
    if os.path.exists(f'{d}/failed.txt'):
        notes.append(f'{e}: the network phase failed ({open(f"{d}/failed.txt").read().strip()}); figures it did not reach are not measured.')
    if not os.path.exists(f'{d}/form.txt'): return None
    r = {}
    for n in ('max', 'half', 'low', 'max-watch', 'failover', 'status'):
        try: r[n] = json.load(open(f'{d}/{n}.json'))
        except (OSError, ValueError): r[n] = None
    r['form'] = float(open(f'{d}/form.txt').read())
    r['block'] = open(f'{d}/block_interval.txt').read().strip()
    for x in r['failover'] or []:
        if 'error' in x: notes.append(f'{e} failover: {x["error"]} (that repetition and the rest not measured).')
        elif x['new_leader_s'] is None or x['first_block_s'] is None:
            notes.append(f'{e} failover: after killing {x["killed"]}, no new leader or no new block on every survivor within 120 s (median and max not given).')
    return r
raft, bft = load('raft'), load('bft')
def fmt(v, unit='', nd=0):
    return '—' if v is None else f'{v:,.{nd}f}{unit}'
def ratio(a, b):
    return '—' if a is None or b is None or not b else f'{a/b:.2f} ×'
def ms_s(xs):  # median and max of failover seconds, None if any rep saw none
    if not xs or any(x is None for x in xs): return None, None
    return statistics.median(xs), max(xs)
def delta(r, name):
    w = r['max-watch']
    tot = lambda snap: sum(v for m in snap for k, v in m.items() if k.split('{')[0] == name)
    return tot(w['after']) - tot(w['before'])
def fig(r):
    if r is None: return None
    fo = [x for x in r['failover'] or [] if 'error' not in x]
    # Medians over the repetitions done (a timeout ends the series).
    nl, nlx = ms_s([x['new_leader_s'] for x in fo])
    fb, fbx = ms_s([x['first_block_s'] for x in fo])
    cu, cux = ms_s([x['catch_up_s'] for x in fo if 'catch_up_s' in x])
    ep = [x.get('epochs') for x in fo]
    st = r['status'] or {}
    mx, half, low = r['max'] or {}, r['half'] or {}, r['low'] or {}
    f = {'form': r['form'], 'tps': mx.get('committed_per_s'), 'half_rate': half.get('submitted_per_s'),
         'p50': half.get('latency_p50_ms'), 'p99': half.get('latency_p99_ms'),
         'bt_mean': half.get('block_interval_mean_ms'), 'bt_p50': half.get('block_interval_p50_ms'),
         'low_p50': low.get('latency_p50_ms'), 'reps': len(fo),
         'ep': None if not ep or None in ep else '/'.join(str(x) for x in ep),
         'nl': nl, 'nlx': nlx, 'fb': fb, 'fbx': fbx, 'cu': cu, 'cux': cux,
         'lost': sum(x.get('lost', 0) for x in (mx, half, low)) + sum(x['load']['lost'] for x in fo),
         'changes': None, 'lag': None,
         'block': r['block'], 'validators': len(st.get('voters') or []), 'bft': st.get('bft')}
    if r['max-watch']:
        hs = r['max-watch']['heights']
        loaded = [h for h in hs if hs and max(h) > max(hs[0])]
        f['changes'] = delta(r, 'veil_raft_leader_changes_total') + delta(r, 'status_view_changes')
        f['lag'] = max((max(h) - min(h) for h in loaded), default=0)
    return f
R, B = fig(raft), fig(bft)
def g(f, k): return None if f is None else f[k]
shape = '4 node processes on loopback, all 4 validators: raft 4 voters (quorum 3)'
if R: shape += ' [status: %d voters]' % R['validators']
shape += '; bft n = 4, f = 1 (quorum 3)'
if B and B['bft']: shape += ' [status: n = %s, f = %s, quorum %s]' % (B['bft'].get('n'), B['bft'].get('f'), B['bft'].get('quorum'))
rows = [
 ('time to form (start → every node sees a leader and 3 peers)', g(R, 'form'), g(B, 'form'), ' s', 2),
 (f'throughput at saturation (`--rate max`, {secs} s), committed on all 4 nodes', g(R, 'tps'), g(B, 'tps'), ' tx/s', 1),
 ('block time at half saturation: mean gap between consecutive blocks', g(R, 'bt_mean'), g(B, 'bt_mean'), ' ms', 0),
 ('… p50 gap', g(R, 'bt_p50'), g(B, 'bt_p50'), ' ms', 0),
 ('commit latency at half saturation (submit → first commit), p50', g(R, 'p50'), g(B, 'p50'), ' ms', 0),
 ('… p99', g(R, 'p99'), g(B, 'p99'), ' ms', 0),
 ('commit latency at 5 tx/s, p50', g(R, 'low_p50'), g(B, 'low_p50'), ' ms', 0),
 (f'leader SIGKILLed ({reps} times: done raft {fmt(g(R, "reps"))}, bft {fmt(g(B, "reps"))}; {rate} tx/s to the others): kill → a new leader known to every survivor, median', g(R, 'nl'), g(B, 'nl'), ' s', 2),
 ('… max', g(R, 'nlx'), g(B, 'nlx'), ' s', 2),
 ('… kill → a block above the killed leader\'s height committed on every survivor, median', g(R, 'fb'), g(B, 'fb'), ' s', 2),
 ('… max', g(R, 'fbx'), g(B, 'fbx'), ' s', 2),
 ('… the killed validator restarted (`veil testnet start`) → back on the head, median', g(R, 'cu'), g(B, 'cu'), ' s', 2),
]
lines = ['## raft vs bft (4 validators, same run)', '',
 f'{shape}. Same run, same machine, one engine after the other, the same load generator (`veil bench`) and the same',
 f'block interval ({g(R, "block") or g(B, "block")}, the fast timing of `testnet up`). Half saturation is half of each engine\'s own saturation',
 f'({fmt(g(R, "half_rate"), " tx/s", 0)} raft, {fmt(g(B, "half_rate"), " tx/s", 0)} bft). Block time: gaps between the first commits of consecutive heights',
 'on the nodes\' event streams while the load submits. The baseline is raft in this run: bft ÷ raft.', '',
 '| figure | raft | bft | bft ÷ raft |', '|---|---|---|---|']
for name, a, b, unit, nd in rows:
    lines.append(f'| {name} | {fmt(a, unit, nd)} | {fmt(b, unit, nd)} | {ratio(b, a)} |')
lines += [
 f'| … raft terms / bft views the survivors went through, each kill (1: one clean election or view change) | {g(R, "ep") or "—"} | {g(B, "ep") or "—"} | |',
 f'| leader changes (raft) / view changes (bft) during the saturation run, all nodes | {fmt(g(R, "changes"))} | {fmt(g(B, "changes"))} | |',
 f'| max follower lag during the saturation run (heights every 0.5 s) | {fmt(g(R, "lag"), " blocks")} | {fmt(g(B, "lag"), " blocks")} | |',
 f'| lost (accepted, never committed on every node followed), all runs incl. failovers | {fmt(g(R, "lost"))} | {fmt(g(B, "lost"))} | |',
 '']
if B is None and not notes:
    notes.append('bft: not measured in this run (this veil build has no `testnet up --consensus`).')
lines += [*notes, ''] if notes else []
open(out, 'w').write('\n'.join(lines))
print('\n'.join(lines))
PY
