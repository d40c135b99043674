#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Rounds of `cosictl --etcd apply --group G`, timed to each node's status.

usage: fleet_rounds.py ENDPOINT CLUSTER GROUP NODES ROUNDS BASE COSICTL PIDS
                      ETCD_PIDS

Run by bench/fleet.sh in the VM.  NODES: the node names (comma-separated),
all in GROUP, each running cosid (PIDS: their process ids, comma-separated)
and publishing its SysctlStatuses; ETCD_PIDS: etcd's members.  One `etcdctl watch` (a peer of ours)
of /cosi/CLUSTER/ follows every round: it is known to be established
before the first round starts (a sentinel key /cosi/CLUSTER/bench-sync,
outside the prefixes cosid watches, is put and its event awaited), so
an event's arrival time is not its replay at the watcher's start.  Each
round applies net.core.somaxconn = BASE + round to the group and reads
events until every node's SysctlStatus holds the value, then SETTLE s
more; after the last round the sentinel is put again and the events up
to it are read, so every status write between the first apply and that
put is counted once.  The latency of a node is from just before cosictl
starts to the arrival of its status event at etcdctl.

Prints RESULT lines (bench/report's format) for goal 10, of system
FLEET_KIND (environment; default cosid, "peer" for bench/fleet_peer.c
as the node), suffixed with
_n<number of nodes>: apply_status_p50/p99 (all nodes' latencies of all
rounds), converge_p50/p99 (a round's slowest node), put_status_p50/p99
(from the desired key's event at the same watcher: the nodes' part,
without cosictl's), cosictl_apply_p50 (the apply command alone, to its
exit), writes_per_change (etcd revisions under status/ per node and
round: a txn is one), events_per_change (keys written per node and
round), cpu_per_change and etcd_cpu_per_change (cosid's and etcd's
user+system CPU per node and round, from /proc) and change_cpu_floor:
the CPU time cosid and etcd spent on a round's changes (their CPU over
the rounds less their idle rate, measured for IDLE s before the first
round, over the rounds' time), divided by the guest's CPUs: no
schedule of that work on this guest ends a round sooner;
etcd_change_cpu_floor: etcd's part of it alone.  Percentiles
are nearest-rank.  Exits 1 when a round does
not converge within 300 s.
"""
import base64
import collections
import json
import math
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
IDLE = 10.0


def etcdctl(endpoint, *args):
    """etcdctl ARGS; tried 10 times: on a loaded guest its 5 s may pass."""
    for _ in range(10):
        r = subprocess.run(["etcdctl", "--endpoints=" + endpoint] +
                           list(args), capture_output=True,
                           env=dict(os.environ, ETCDCTL_API="3"))
        if r.returncode == 0:
            return r.stdout
        time.sleep(1)
    sys.exit("fleet_rounds: etcdctl %s failed 10 times: %s"
             % (args[0], r.stderr.decode(errors="replace").strip()))


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
    """The nearest-rank p-th percentile of v."""
    v = sorted(v)
    return v[max(0, math.ceil(len(v) * p / 100.0) - 1)]


def reader(pipe, q):
    for line in pipe:
        q.put((time.monotonic(), line))
    q.put((time.monotonic(), None))


class Watch:
    """`etcdctl watch --prefix PREFIX --rev REV -w json`: its events, each
    with the time its response line arrived."""

    def __init__(self, endpoint, prefix, rev):
        self.p = subprocess.Popen(["etcdctl", "--endpoints=" + endpoint,
                                   "watch", "--prefix", prefix,
                                   "--rev", str(rev), "-w", "json"],
                                  stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, ETCDCTL_API="3"))
        self.q = queue.Queue()
        self.pending = collections.deque()
        threading.Thread(target=reader, args=(self.p.stdout, self.q),
                         daemon=True).start()

    def events(self, end):
        """(arrival, key, event) until monotonic time end; exits when
        etcdctl ends.  A caller that stops early leaves the rest of a
        response's events to the next call."""
        while True:
            while self.pending:
                yield self.pending.popleft()
            try:
                t, line = self.q.get(timeout=max(0.0, end -
                                                 time.monotonic()))
            except queue.Empty:
                return
            if line is None:
                sys.exit("fleet_rounds: etcdctl watch ended (status %s)"
                         % self.p.wait())
            for ev in json.loads(line).get("Events") or []:
                self.pending.append(
                    (t, base64.b64decode(ev["kv"]["key"]).decode(), ev))

    def stop(self):
        self.p.terminate()
        self.p.wait()


class Tally:
    """Status writes (revisions) and keys written under status/."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.revs, self.events = set(), 0

    def add(self, key, ev):
        if key.startswith(self.prefix):
            self.events += 1
            self.revs.add(int(ev["kv"]["mod_revision"]))

    def take(self):
        r = (len(self.revs), self.events)
        self.revs, self.events = set(), 0
        return r


def sync(endpoint, w, key, tally, token):
    """Put key = token and read w's events up to its own: every event
    before it is then read (and tallied)."""
    etcdctl(endpoint, "put", key, token)
    for _, k, ev in w.events(time.monotonic() + TIMEOUT):
        if k == key and "value" in ev["kv"] and \
           base64.b64decode(ev["kv"]["value"]).decode() == token:
            return
        tally.add(k, ev)
    sys.exit("fleet_rounds: the watch did not see %s in %d s"
             % (key, TIMEOUT))


def one_round(endpoint, w, tally, cluster, nodes, value, cosictl, group,
              doc_path):
    prefix = "/cosi/%s/status/" % cluster
    desired = "/cosi/%s/desired/groups/%s/config/SysctlConfigs.cosi.dev/%s" \
        % (cluster, group, SYSCTL)
    with open(doc_path, "w") as f:
        json.dump({"metadata": {"namespace": "config",
                                "type": "SysctlConfigs.cosi.dev",
                                "id": SYSCTL},
                   "spec": {"value": str(value)}}, f)
    t0 = time.monotonic()
    # An overloaded etcd (200 nodes in one TCG guest) may time a request
    # out (cosictl's 5 s): try again, within the round's time.  A retry
    # after an apply that did land says "unchanged".
    for attempt in range(3):
        rc = subprocess.run([cosictl, "--etcd", endpoint, "apply", "-f",
                             doc_path, "--group", group],
                            stdout=subprocess.DEVNULL).returncode
        if rc == 0:
            break
        print("# value %d: cosictl apply exit %d (attempt %d)"
              % (value, rc, attempt + 1), flush=True)
    else:
        sys.exit("fleet_rounds: cosictl apply failed 3 times")
    t_apply = (time.monotonic() - t0) * 1e6
    lat, t_put = {}, None
    end = t0 + TIMEOUT
    for t, key, ev in w.events(end):
        kv = ev["kv"]
        if key == desired and "value" in kv:
            t_put = t
        if not key.startswith(prefix):
            continue
        tally.add(key, ev)
        node = key[len(prefix):].split("/", 1)[0]
        # A delete: "type" DELETE (1); its kv has no value.
        if not key.endswith(SUFFIX) or node not in nodes or \
           ev.get("type") in ("DELETE", 1) or "value" not in kv:
            continue
        doc = json.loads(base64.b64decode(kv["value"]))
        if doc["spec"].get("value") == str(value) and node not in lat:
            lat[node] = (t - t0) * 1e6
            if len(lat) == len(nodes):
                break
    if len(lat) != len(nodes):
        missing = sorted(set(nodes) - set(lat))
        sys.exit("fleet_rounds: value %d: no status from %d nodes in %d s: %s"
                 % (value, len(missing), TIMEOUT, " ".join(missing[:10])))
    if t_put is None:
        sys.exit("fleet_rounds: no event of %s" % desired)
    # Late writes of this round: counted with it.
    for _, key, ev in w.events(time.monotonic() + SETTLE):
        tally.add(key, ev)
    from_put = [(t0 + v / 1e6 - t_put) * 1e6 for v in lat.values()]
    return lat, t_apply, from_put


def floor(cpu_us, idle_rate, seconds):
    """CPU (us) spent beyond the idle rate (CPU s per s) over seconds."""
    return max(0.0, cpu_us - idle_rate * seconds * 1e6)


def main():
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    endpoint, cluster, group, nodes, rounds, base, cosictl, pids, epids = \
        sys.argv[1:]
    nodes = nodes.split(",")
    pids = pids.split(",")
    epids = epids.split(",")
    rounds, base = int(rounds), int(base)
    kind = os.environ.get("FLEET_KIND", "cosid")
    n = len(nodes)
    all_lat, slowest, applies, writes, events = [], [], [], 0, 0
    all_put = []
    hz = os.sysconf("SC_CLK_TCK")
    tally = Tally("/cosi/%s/status/" % cluster)
    sync_key = "/cosi/%s/bench-sync" % cluster
    w = Watch(endpoint, "/cosi/%s/" % cluster, revision(endpoint) + 1)
    try:
        with tempfile.TemporaryDirectory() as d:
            sync(endpoint, w, sync_key, tally, "start-%d" % base)
            tally.take()	# before the first apply: not the rounds'
            t_idle = time.monotonic()
            idle0, eidle0 = cpu_ticks(pids), cpu_ticks(epids)
            time.sleep(IDLE)
            t_idle = time.monotonic() - t_idle
            idle_rate = (cpu_ticks(pids) - idle0) / hz / t_idle
            eidle_rate = (cpu_ticks(epids) - eidle0) / hz / t_idle
            t_rounds = time.monotonic()
            cpu0, ecpu0 = cpu_ticks(pids), cpu_ticks(epids)
            for r in range(rounds):
                lat, a, p = one_round(endpoint, w, tally, cluster,
                                      set(nodes), base + r, cosictl, group,
                                      os.path.join(d, "doc"))
                if r == rounds - 1:	# its late writes: up to the sync
                    sync(endpoint, w, sync_key, tally, "end-%d" % base)
                wr, e = tally.take()
                applies.append(a)
                all_put += p
                all_lat += lat.values()
                slowest.append(max(lat.values()))
                writes += wr
                events += e
                print("# %d nodes, round %d: p50 %.0f us, slowest %.0f us, "
                      "%d revisions" % (n, r, pct(lat.values(), 50),
                                        max(lat.values()), wr), flush=True)
            cpu = (cpu_ticks(pids) - cpu0) / hz * 1e6
            ecpu = (cpu_ticks(epids) - ecpu0) / hz * 1e6
            t_rounds = time.monotonic() - t_rounds
    finally:
        w.stop()
    etcdctl(endpoint, "del", sync_key)
    res = [("apply_status_p50", pct(all_lat, 50), "us"),
           ("apply_status_p99", pct(all_lat, 99), "us"),
           ("converge_p50", pct(slowest, 50), "us"),
           ("converge_p99", pct(slowest, 99), "us"),
           ("put_status_p50", pct(all_put, 50), "us"),
           ("put_status_p99", pct(all_put, 99), "us"),
           ("cosictl_apply_p50", pct(applies, 50), "us"),
           ("writes_per_change", writes / (n * rounds), "n"),
           ("events_per_change", events / (n * rounds), "n"),
           ("cpu_per_change", cpu / (n * rounds), "us"),
           ("etcd_cpu_per_change", ecpu / (n * rounds), "us"),
           ("change_cpu_floor", (floor(cpu, idle_rate, t_rounds) +
                                 floor(ecpu, eidle_rate, t_rounds)) /
            rounds / os.cpu_count(), "us"),
           ("etcd_change_cpu_floor", floor(ecpu, eidle_rate, t_rounds) /
            rounds / os.cpu_count(), "us")]
    for metric, value, unit in res:
        print("RESULT 10 %s %s_n%d %.2f %s" % (kind, metric, n, value,
                                                unit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
