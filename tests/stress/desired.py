#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The desired state of a stress round, and whether the node reached it.

  desired.py gen ROUND LINKS HOSTS DIR
      writes DIR/apply.yaml (examples/node.yaml's kinds of documents, made
      bigger: a LinkConfig and a sysctl per link d1..dLINKS, HOSTS hosts
      entries, values that change with ROUND) and DIR/delete.yaml (the
      sysctls and hosts entries this round removes).
  desired.py check ROUND LINKS HOSTS CTL STATE HOSTSFILE
      exits 0 when the kernel, the OS and the state file match round
      ROUND; else prints what differs (a few lines) and exits 1.

Used by tests/stress/faults.sh and tests/stress/reload.sh.
"""
import json
import os
import subprocess
import sys

import yaml

CONFIG = "config"
T_SYSCTL = "SysctlConfigs.cosi.dev"
T_HOSTNAME = "HostnameConfigs.cosi.dev"
T_LINK = "LinkConfigs.cosi.dev"
T_HOSTS = "HostsEntries.cosi.dev"


def doc(typ, id_, spec):
    return {"metadata": {"namespace": CONFIG, "type": typ, "id": id_},
            "spec": spec}


def round_docs(r, links, hosts):
    """(desired documents, deleted documents) of round r."""
    want = [
        doc(T_SYSCTL, "net.ipv4.ip_forward", {"value": "1"}),
        doc(T_SYSCTL, "net.core.somaxconn", {"value": str(1000 + r)}),
        doc(T_HOSTNAME, "hostname",
            {"hostname": f"node-{r}", "domainname": "example.org"}),
        doc(T_LINK, "d0", {"up": True, "mtu": 1400}),
        doc(T_HOSTS, "gateway",
            {"address": "10.0.0.1", "names": ["gw", "gateway.example.org"]}),
    ]
    gone = []
    for i in range(1, links + 1):
        want.append(doc(T_LINK, f"d{i}",
                        {"up": True, "mtu": 1300 + (r * 7 + i) % 200}))
        s = doc(T_SYSCTL, f"net.ipv4.conf.d{i}.arp_ignore",
                {"value": str((r + i) % 3)})
        (gone if (i + r) % 5 == 0 else want).append(s)
    for j in range(hosts):
        h = doc(T_HOSTS, f"h{j}",
                {"address": f"10.{r % 250}.{j // 250}.{j % 250 + 1}",
                 "names": [f"h{j}", f"h{j}-r{r}.example.org"]})
        (gone if (j + r) % 10 == 0 else want).append(h)
    return want, gone


def gen(r, links, hosts, d):
    want, gone = round_docs(r, links, hosts)
    for name, docs in (("apply.yaml", want), ("delete.yaml", gone)):
        with open(os.path.join(d, name), "w") as f:
            yaml.safe_dump_all(docs, f, sort_keys=False)


def key(d):
    m = d["metadata"]
    return (m["type"], m["id"])


def get(ctl, typ, ns=None):
    """Resources of a type, in @ns or the type's default namespace."""
    out = subprocess.run([ctl, "get", typ, "-o", "json"] +
                         (["-n", ns] if ns else []),
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"cosictl get {typ}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def read(path):
    with open(path) as f:
        return f.read().strip()


def check(r, links, hosts, ctl, state, hostsfile):
    want, gone = round_docs(r, links, hosts)
    bad = []

    # The kernel: exactly the desired configs, none stuck in teardown,
    # no finalizer twice.
    have = {}
    for typ in (T_SYSCTL, T_HOSTNAME, T_LINK, T_HOSTS):
        for res in get(ctl, typ, CONFIG):
            have[key(res)] = res
    wanted = {key(x): x for x in want}
    for k in sorted(set(wanted) - set(have)):
        bad.append(f"config lost: {k}")
    for k in sorted(set(have) - set(wanted)):
        m = have[k]["metadata"]
        bad.append(f"config not deleted: {k} ({m['phase']}, "
                   f"finalizers {m['finalizers']})")
    for k in sorted(set(have) & set(wanted)):
        m = have[k]["metadata"]
        if have[k]["spec"] != wanted[k]["spec"]:
            bad.append(f"config differs: {k}: {have[k]['spec']}")
        if m["phase"] != "running":
            bad.append(f"config {k} is {m['phase']}")
        if len(m["finalizers"]) != len(set(m["finalizers"])):
            bad.append(f"finalizer twice on {k}: {m['finalizers']}")

    # Statuses: present for each config, none tearing down.
    st = {key(x): x for typ in ("sysctlstatus", "hostnamestatus",
                                "linkconfigstatus", "hostsfilestatus")
          for x in get(ctl, typ)}
    for k, x in st.items():
        if x["metadata"]["phase"] != "running":
            bad.append(f"status {k} is {x['metadata']['phase']}")
    for x in want:
        t, i = key(x)
        if t == T_SYSCTL:
            s = st.get(("SysctlStatuses.cosi.dev", i))
            if not s or s["spec"].get("value") != x["spec"]["value"]:
                bad.append(f"SysctlStatus {i}: {s and s['spec']}")
        if t == T_LINK:
            s = st.get(("LinkConfigStatuses.cosi.dev", i))
            if not s or s["spec"].get("applied") is not True:
                bad.append(f"LinkConfigStatus {i}: {s and s['spec']}")
    for x in gone:
        t, i = key(x)
        if t == T_SYSCTL and ("SysctlStatuses.cosi.dev", i) in st:
            bad.append(f"SysctlStatus {i} outlived its config")
    n_hosts = sum(1 for x in want if key(x)[0] == T_HOSTS)
    hs = st.get(("HostsFileStatuses.cosi.dev", "hosts"))
    if not hs or hs["spec"].get("entries") != n_hosts:
        bad.append(f"HostsFileStatus: {hs and hs['spec']}, want {n_hosts}")

    # The OS.
    for x in want + gone:
        t, i = key(x)
        if t != T_SYSCTL:
            continue
        v = read("/proc/sys/" + i.replace(".", "/"))
        exp = x["spec"]["value"] if x in want else "0"	# the original
        if v != exp:
            bad.append(f"sysctl {i} = {v}, want {exp}")
    for x in want:
        t, i = key(x)
        if t == T_HOSTNAME:
            if read("/proc/sys/kernel/hostname") != x["spec"]["hostname"]:
                bad.append("hostname " + read("/proc/sys/kernel/hostname"))
            if read("/proc/sys/kernel/domainname") != x["spec"]["domainname"]:
                bad.append("domainname " + read("/proc/sys/kernel/domainname"))
        if t == T_LINK:
            mtu = int(read(f"/sys/class/net/{i}/mtu"))
            up = int(read(f"/sys/class/net/{i}/flags"), 16) & 1
            if mtu != x["spec"]["mtu"] or not up:
                bad.append(f"link {i}: mtu {mtu} up {up}, want "
                           f"{x['spec']['mtu']} up")
    try:
        lines = [ln.split() for ln in read(hostsfile).splitlines()
                 if ln.strip() and not ln.startswith("#")]
    except OSError as e:
        lines = []
        bad.append(f"hosts file: {e}")
    names = {n: ln[0] for ln in lines for n in ln[1:]}
    for x in want:
        if key(x)[0] == T_HOSTS:
            for n in x["spec"]["names"]:
                if names.get(n) != x["spec"]["address"]:
                    bad.append(f"hosts file: {n} -> {names.get(n)}, "
                               f"want {x['spec']['address']}")
    for x in gone:
        if key(x)[0] == T_HOSTS and x["spec"]["names"][0] in names:
            bad.append(f"hosts file still has {x['spec']['names'][0]}")

    # The state file: the same documents as the kernel's config.
    try:
        with open(state) as f:
            saved = {key(x): x.get("spec") for x in yaml.safe_load_all(f)
                     if x}
    except OSError as e:
        saved = {}
        bad.append(f"state file: {e}")
    diff = sorted(k for k in set(saved) | set(wanted)
                  if k not in saved or k not in wanted or
                  saved[k] != wanted[k]["spec"])
    if diff:
        bad.append(f"state file differs ({len(saved)} documents): "
                   f"{diff[:3]}")

    for b in bad[:12]:
        print(b)
    if len(bad) > 12:
        print(f"... {len(bad) - 12} more")
    return 1 if bad else 0


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return 0
    if len(sys.argv) == 8 and sys.argv[1] == "check":
        return check(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                     *sys.argv[5:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
