#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Rounds of `cosictl --etcd apply --group G`, timed to each node's status.

usage: fleet_rounds.py ENDPOINT CLUSTER GROUP NODES ROUNDS BASE COSICTL PIDS

Run by bench/fleet.sh in the VM.  NODES: the node names (comma-separated),
all in GROUP, each running cosid (PIDS: their process ids, comma-separated)
and publishing its SysctlStatuses.  Each round applies
net.core.somaxconn = BASE + round to the group and watches
/cosi/CLUSTER/status/ with etcdctl (a peer of ours, from the revision
before the apply) until every node's SysctlStatus holds the value, then 2 s
more for late writes.  The latency of a node is from just before cosictl
starts to the arrival of its status event at etcdctl.

Prints RESULT lines (bench/report's format) for goal 10, suffixed with
_n<number of nodes>: apply_status_p50/p99 (all nodes' latencies of all
rounds), converge_p50 (a round's slowest node), put_status_p50/p99 (from
the desired key's event at the same watcher: the nodes' part, without
cosictl's), cosictl_apply_p50 (the apply command alone, to its exit),
writes_per_change (etcd
revisions under status/ per node and round: a txn is one), events_per_change
(keys written per node and round) and cpu_per_change (cosid's user+system
CPU per node and round, from /proc).  Exits 1 when a round does not
converge within 300 s.
"""
import base64
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

SYSCTL = "net.core.somaxconn"
SUFFIX = "/runtime/SysctlStatuses.cosi.dev/" + SYSCTL
TIMEOUT = 300.0
SETTLE = 2.0


def etcdctl(endpoint, *args):
    return subprocess.run(["etcdctl", "--endpoints=" + endpoint] +
                          list(args), check=True, capture_output=True,
                          env=dict(os.environ, ETCDCTL_API="3")).stdout


def revision(endpoint):
    out = etcdctl(endpoint, "get", "/cosi-bench-none", "-w", "json")
    return int(json.loads(out)["header"]["revision"])


def cpu_ticks(pids):
    t = 0
    for p in pids:
        with open("/proc/%s/stat" % p) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        t += int(fields[11]) + int(fields[12])	# utime, stime
    return t


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100.0))]


def reader(pipe, q):
    for line in pipe:
        q.put((time.monotonic(), line))
    q.put((time.monotonic(), None))


def one_round(endpoint, cluster, nodes, value, cosictl, group, doc_path):
    prefix = "/cosi/%s/status/" % cluster
    desired = "/cosi/%s/desired/groups/%s/config/SysctlConfigs.cosi.dev/%s" \
        % (cluster, group, SYSCTL)
    with open(doc_path, "w") as f:
        json.dump({"metadata": {"namespace": "config",
                                "type": "SysctlConfigs.cosi.dev",
                                "id": SYSCTL},
                   "spec": {"value": str(value)}}, f)
    rev = revision(endpoint)
    w = subprocess.Popen(["etcdctl", "--endpoints=" + endpoint, "watch",
                          "--prefix", "/cosi/%s/" % cluster,
                          "--rev", str(rev + 1),
                          "-w", "json"], stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, ETCDCTL_API="3"))
    q = queue.Queue()
    threading.Thread(target=reader, args=(w.stdout, q), daemon=True).start()
    t0 = time.monotonic()
    subprocess.run([cosictl, "--etcd", endpoint, "apply", "-f", doc_path,
                    "--group", group], check=True, stdout=subprocess.DEVNULL)
    t_apply = (time.monotonic() - t0) * 1e6
    lat, revs, events, t_put = {}, set(), 0, None
    end = t0 + TIMEOUT
    while True:
        try:
            t, line = q.get(timeout=max(0.05, end - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        resp = json.loads(line)
        for ev in resp.get("Events") or []:
            kv = ev["kv"]
            key = base64.b64decode(kv["key"]).decode()
            if key == desired:
                t_put = t
            if not key.startswith(prefix):
                continue
            events += 1
            revs.add(int(kv["mod_revision"]))
            node = key[len(prefix):].split("/", 1)[0]
            if not key.endswith(SUFFIX) or node not in nodes or \
               ev.get("type") == "DELETE" or "value" not in kv:
                continue
            doc = json.loads(base64.b64decode(kv["value"]))
            if doc["spec"].get("value") == str(value) and node not in lat:
                lat[node] = (t - t0) * 1e6
                if len(lat) == len(nodes):
                    end = min(end, time.monotonic() + SETTLE)
        if time.monotonic() >= end:
            break
    w.terminate()
    w.wait()
    if len(lat) != len(nodes):
        missing = sorted(set(nodes) - set(lat))
        sys.exit("fleet_rounds: value %d: no status from %d nodes in %d s: %s"
                 % (value, len(missing), TIMEOUT, " ".join(missing[:10])))
    if t_put is None:
        sys.exit("fleet_rounds: no event of %s" % desired)
    from_put = [(t0 + v / 1e6 - t_put) * 1e6 for v in lat.values()]
    return lat, len(revs), events, t_apply, from_put


def main():
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    endpoint, cluster, group, nodes, rounds, base, cosictl, pids = \
        sys.argv[1:]
    nodes = nodes.split(",")
    pids = pids.split(",")
    rounds, base = int(rounds), int(base)
    n = len(nodes)
    all_lat, slowest, applies, writes, events = [], [], [], 0, 0
    all_put = []
    hz = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as d:
        cpu0 = cpu_ticks(pids)
        for r in range(rounds):
            lat, w, e, a, p = one_round(endpoint, cluster, set(nodes),
                                        base + r, cosictl, group,
                                        os.path.join(d, "doc"))
            applies.append(a)
            all_put += p
            all_lat += lat.values()
            slowest.append(max(lat.values()))
            writes += w
            events += e
            print("# %d nodes, round %d: p50 %.0f us, slowest %.0f us, "
                  "%d revisions" % (n, r, pct(lat.values(), 50),
                                    max(lat.values()), w), flush=True)
        cpu = (cpu_ticks(pids) - cpu0) / hz * 1e6
    res = [("apply_status_p50", pct(all_lat, 50), "us"),
           ("apply_status_p99", pct(all_lat, 99), "us"),
           ("converge_p50", pct(slowest, 50), "us"),
           ("put_status_p50", pct(all_put, 50), "us"),
           ("put_status_p99", pct(all_put, 99), "us"),
           ("cosictl_apply_p50", pct(applies, 50), "us"),
           ("writes_per_change", writes / (n * rounds), "n"),
           ("events_per_change", events / (n * rounds), "n"),
           ("cpu_per_change", cpu / (n * rounds), "us")]
    for metric, value, unit in res:
        print("RESULT 10 cosid %s_n%d %.2f %s" % (metric, n, value, unit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
