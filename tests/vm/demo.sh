#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's main job, inside the VM: load cosi.ko, start cosid, apply
# examples/node.yaml with cosictl, and show what the controllers did to
# the OS and what they report.  Ends with the kernel's own YNL CLI reading
# the same store.
set -e
kver=${1:-$(uname -r)}
ctl=build/daemon/cosictl
say() { printf '\n$ %s\n' "$*"; }

insmod "build/kmod-$kver/cosi.ko"
echo "# cosi.ko loaded on $(uname -r)"
modprobe dummy
ip link add d0 type dummy
build/daemon/cosid --state-file /tmp/cosi-state.yaml \
	--hosts-path /tmp/cosi-hosts > /tmp/cosid.log 2>&1 &
pid=$!
while ! grep -q "cosid: ready" /tmp/cosid.log; do sleep 0.2; done
say "cosictl get rd"; $ctl get rd
say "cosictl apply -f examples/node.yaml"; $ctl apply -f examples/node.yaml
sleep 2
say "cosictl get sysctlstatuses"; $ctl get sysctlstatuses
say "cat /proc/sys/net/ipv4/ip_forward"; cat /proc/sys/net/ipv4/ip_forward
say "cosictl get hostnamestatus"; $ctl get hostnamestatus
say "hostname"; hostname
say "cosictl get links"; $ctl get links
say "cosictl get linkconfigstatus"; $ctl get linkconfigstatus
say "cat /tmp/cosi-hosts"; cat /tmp/cosi-hosts
say "cosictl get hostsfilestatus hosts -o yaml"; $ctl get hostsfilestatus hosts -o yaml
say "cosictl apply -f examples/node.yaml   # again: idempotent"
$ctl apply -f examples/node.yaml
say "cosictl delete sysctl net.core.somaxconn   # restores the original"
$ctl delete sysctl net.core.somaxconn
cat /proc/sys/net/core/somaxconn
say "cat /tmp/cosi-state.yaml   # saved desired config"; cat /tmp/cosi-state.yaml
say "cli.py --dump resource-get (the kernel's YNL CLI, same store)"
python3 build/ksrc/tools/net/ynl/cli.py --no-schema \
	--spec build/ynl-tree/Documentation/netlink/specs/cosi.yaml \
	--dump resource-get --json '{"namespace": "config", "type": "HostnameConfigs.cosi.dev"}'
kill -TERM $pid
wait $pid
echo "# cosid log:"; cat /tmp/cosid.log
rmmod cosi
