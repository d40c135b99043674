#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, installed and run in the VM (the guest's root is a
# tmpfs overlay: all of it is gone at power-off).  Needs `make deb` and
# `make test-dkms` (build/deb, build/dist).  In order:
#  - the suite's cosi.ko is replaced by the one DKMS built from cosi-dkms
#    for this kernel (tests/dist/dkms.sh);
#  - dpkg -i the userspace packages; the installed unit passes
#    systemd-analyze verify (its binaries and man pages exist now); the man
#    pages, the bash completion (= cosictl completion bash), the shared
#    libraries (ldd), libcosi-dev (a program built with pkg-config) and
#    python3-cosi's cosi/_spec.py (what gen_spec.py makes of the spec);
#  - cosid started as cosid.service would start it: its ExecStart line,
#    its CapabilityBoundingSet (setpriv), NoNewPrivileges, and
#    ProtectSystem=strict (/ read-only in a mount namespace but
#    StateDirectory, RuntimeDirectory and a private /tmp), under strace;
#  - cosictl get rd lists cosid's definitions, and python3-cosi (the
#    installed package, imported from outside the tree) lists the same;
#    the packaged example node.yaml is applied and every controller does
#    its work under those limits, then deleted (sysctls restored);
#  - python3-cosi's example controller cosi-pyfiles, as shipped, writes
#    and removes a file for its config;
#  - every system call cosid made is in the unit's SystemCallFilter, every
#    socket family in RestrictAddressFamilies;
#  - dpkg --purge, and the suite's cosi.ko is loaded again.
#
#   tests/dist/install.sh KVER
# shellcheck disable=SC2016	# sh -c scripts take their arguments
. "$(dirname "$0")/lib.sh"
kver=$1
top=$(pwd)
deb=$top/build/deb
work=/tmp/dist-install
unit=/lib/systemd/system/cosid.service
pkgs="libcosi1 libcosi-runtime1 libcosi-dev cosid cosictl cosi-bpf-tools python3-cosi"
pydir=/usr/lib/python3/dist-packages/cosi
pyfiles=/usr/share/doc/python3-cosi/examples/cosi-pyfiles
rm -rf "$work"
mkdir -p "$work"

# wait_for WHAT CMD...: CMD succeeds within 20 s (the last try's output
# shows on failure).
wait_for() {
	what=$1
	shift
	check "$what" sh -c 'i=0; until "$@" > /dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { "$@"; exit 1; }; sleep 0.2
	done' sh "$@"
}

ko=$(ls "$top/build/dist/modules/$kver"/updates/dkms/cosi.ko* 2>/dev/null)
check "a DKMS-built cosi.ko for $kver (make test-dkms)" test -n "$ko"
[ -n "$ko" ] || { totals; exit 1; }
check "rmmod the suite's cosi" rmmod cosi
check "insmod the DKMS-built cosi.ko" insmod "$ko"
# BPF kfuncs need vmlinux BTF and resolve_btfids in the kernel tree DKMS
# built against (kmod/Kbuild): Debian's 6.12 headers have both, 6.1's not.
if [ -f "/usr/src/linux-headers-$kver/vmlinux" ]; then
	check "the DKMS-built cosi.ko has the BPF kfuncs" sh -c \
		'bpftool btf dump file /sys/kernel/btf/cosi | grep -q "FUNC .bpf_cosi_lookup."'
else
	check "the DKMS-built cosi.ko says it has no BPF kfuncs" sh -c \
		'dmesg | grep -q "cosi: built without BPF kfuncs"'
fi

# man-db's trigger would index every man page again (minutes under TCG);
# its documented switch (man-db/auto-update) is the file removed here.
rm -f /var/lib/man-db/auto-update
debs=
for p in $pkgs; do debs="$debs $(ls "$deb/${p}"_*.deb)"; done
# shellcheck disable=SC2086
check "dpkg -i $pkgs" dpkg -i $debs
check "systemd-analyze verify $unit" systemd-analyze verify "$unit"
# The fleet-mode drop-in as shipped: systemd reads it beside the unit
# (verify loads drop-ins from the unit file's directory) without a word.
dropin=/usr/share/doc/cosid/examples/fleet/cosid-fleet.conf
check "systemd-analyze verify: cosid.service with the fleet drop-in" sh -c \
	'mkdir -p $0/u/cosid.service.d && cp $1 $0/u/ && cp $2 $0/u/cosid.service.d/fleet.conf &&
	 systemd-analyze verify $0/u/cosid.service > $0/verify 2>&1; rc=$?
	 sed "s/^/#   /" $0/verify; [ $rc = 0 ] && ! grep -q fleet.conf $0/verify' \
	"$work" "$unit" "$dropin"
check "cosid.service neither enabled nor started at install" sh -c \
	'! [ -e /etc/systemd/system/multi-user.target.wants/cosid.service ] && ! pgrep -x cosid'
check "man cosid(8), cosictl(1)" sh -c 'man -w 8 cosid && man -w 1 cosictl'
check "installed completion = cosictl completion bash" sh -c \
	'/usr/bin/cosictl completion bash | cmp - /usr/share/bash-completion/completions/cosictl'
check "cosictl, cosid use the packaged libraries" sh -c \
	'ldd /usr/bin/cosictl | grep "libcosi.so.1 => /.*lib/x86_64-linux-gnu/libcosi.so.1" &&
	 ldd /usr/sbin/cosid | grep "libcosi-runtime.so.1 => /.*lib/x86_64-linux-gnu/libcosi-runtime.so.1" ||
	 { ldd /usr/sbin/cosid; exit 1; }'
check "libcosi-dev: build a program with pkg-config libcosi" sh -c \
	"cc -Wall -Werror -o $work/list_types $top/tests/dist/list_types.c \
	 \$(pkg-config --cflags --libs libcosi)"
# The numbers were generated at package build time from this tree's spec.
check "python3-cosi: $pydir/_spec.py = gen_spec.py of the spec" sh -c \
	"python3 $top/python/gen_spec.py $top/Documentation/netlink/specs/cosi.yaml \
	 $work/_spec.py && grep -v '^# Generated by' $work/_spec.py > $work/a && \
	 grep -v '^# Generated by' $pydir/_spec.py | cmp $work/a -"

# cosid as the unit runs it.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' |
	sed 's/cap_/+/g; s/ /,/g')
mkdir -p /var/lib/cosi /run/cosi
modprobe dummy
ip link add d0 type dummy
fwd=$(cat /proc/sys/net/ipv4/ip_forward)
host=$(hostname)
# shellcheck disable=SC2086
unshare -m sh -c 'for d in /var/lib/cosi /run/cosi /tmp; do
		mount --bind $d $d || exit 1; done
	mount -o remount,bind,ro / || exit 1
	exec "$@"' sh setpriv --no-new-privs --inh-caps=-all \
	--bounding-set=-all,"$caps" \
	strace -f -qq -o "$work/cosid.strace" $exec_start > "$work/cosid.log" 2>&1 &
tracer=$!
wait_for "cosid (unit's ExecStart, caps $caps, read-only /) ready" \
	grep -q "cosid: ready" "$work/cosid.log"
grep -q "cosid: ready" "$work/cosid.log" || sed 's/^/#   /' "$work/cosid.log" | tail -n 20
check "cosictl get rd lists cosid's definitions" sh -c \
	'/usr/bin/cosictl get rd > '"$work"'/rd &&
	 for t in SysctlConfigs HostnameConfigs LinkConfigs HostsEntries; do
		grep -q "^$t.cosi.dev " '"$work"'/rd || exit 1; done'
check "the libcosi-dev program lists them too" sh -c \
	"$work/list_types | grep -qx HostsEntries.cosi.dev"
# From /, so that the import finds the installed package, not python/.
check "python3-cosi (installed, imported from /) lists the same definitions" sh -c \
	'cd / && python3 -c "import cosi
assert cosi.__file__ == \"$1/__init__.py\", cosi.__file__
with cosi.Client() as c:
    print(*(d.type for d in c.definitions()), sep=\"\\n\")" |
	 LC_ALL=C sort > $0/rd.py && [ -s $0/rd.py ] &&
	 sed 1d $0/rd | cut -d" " -f1 | LC_ALL=C sort | diff - $0/rd.py' "$work" "$pydir"
check "the fleet's etcd role script is installed" \
	sh -n /usr/share/doc/cosid/examples/fleet/etcd-roles.sh
example=/usr/share/doc/cosid/examples/node.yaml
check "cosictl apply -f $example" /usr/bin/cosictl apply -f $example
wait_for "sysctl controller: net.ipv4.ip_forward = 1" \
	grep -qx 1 /proc/sys/net/ipv4/ip_forward
wait_for "hostname controller: node-1" sh -c '[ "$(hostname)" = node-1 ]'
wait_for "link-config controller: d0 mtu 1400, up" sh -c \
	'ip link show d0 | grep -q "mtu 1400" && ip link show d0 | grep -q "UP"'
wait_for "hosts controller: /run/cosi/hosts" \
	grep -q "^10.0.0.1[[:space:]].*gw" /run/cosi/hosts
wait_for "config-saver: the state file in StateDirectory" \
	grep -q "hostname: node-1" /var/lib/cosi/config.yaml
check "cosictl delete -f $example" /usr/bin/cosictl delete -f $example
wait_for "net.ipv4.ip_forward restored ($fwd)" grep -qx "$fwd" /proc/sys/net/ipv4/ip_forward

# The shipped example controller on the installed package: a config's
# file written, then removed (with its finalizer) when it is deleted.
mkdir -p "$work/pyfiles"
"$pyfiles" --root "$work/pyfiles" 2> "$work/pyfiles.log" &
pyfiles_pid=$!
wait_for "$pyfiles started: its types defined" /usr/bin/cosictl get rd pyfilestatus
printf 'metadata: {type: pyfile, id: motd}\nspec: {content: "hello"}\n' > "$work/motd.yaml"
check "cosictl apply -f motd.yaml (a pyfile)" /usr/bin/cosictl apply -f "$work/motd.yaml"
wait_for "cosi-pyfiles wrote $work/pyfiles/motd" grep -qx hello "$work/pyfiles/motd"
check "cosictl delete -f motd.yaml: cosi-pyfiles removed the file" sh -c \
	"/usr/bin/cosictl delete -f $work/motd.yaml && ! [ -e $work/pyfiles/motd ]"
kill -TERM $pyfiles_pid
i=0
while kill -0 $pyfiles_pid 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.2; done
kill -KILL $pyfiles_pid 2>/dev/null
wait $pyfiles_pid
rc=$?
check "cosi-pyfiles exits 0 on SIGTERM" test $rc -eq 0
[ -s "$work/pyfiles.log" ] && sed 's/^/#   /' "$work/pyfiles.log" | tail -n 20

# The hostname controller leaves the name set at teardown (controllers.rst):
# put the VM's back for the tests that follow.
echo "$host" > /proc/sys/kernel/hostname	# "(none)" too, which hostname(1) refuses
cosid=$(pgrep -P $tracer -x cosid)
check "SIGTERM to cosid" kill -TERM "$cosid"
i=0
while kill -0 $tracer 2>/dev/null && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.2; done
if kill -0 $tracer 2>/dev/null; then
	pkill -KILL -P $tracer
	kill -KILL $tracer
fi
wait $tracer
check "cosid exits 0 on SIGTERM" test $? -eq 0

# System calls and socket families against the unit's filters.
allowed() {
	systemd-analyze syscall-filter "$1" | sed '1d; s/^ *//; /^#/d; /^$/d' |
	while read -r s; do
		case $s in @*) allowed "$s" ;; *) echo "$s" ;; esac
	done
}
for g in $(sed -n 's/^SystemCallFilter=//p' "$unit"); do
	case $g in @*) allowed "$g" ;; *) echo "$g" ;; esac
done | sort -u > "$work/allowed"
sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$work/cosid.strace" | sort -u > "$work/used"
check "cosid's system calls ($(wc -l < "$work/used")) are in SystemCallFilter" \
	sh -c "[ -s $work/used ] && [ -s $work/allowed ] &&
	       ! comm -23 $work/used $work/allowed | grep ."
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
sed -n 's/.* socket(\(AF_[A-Z0-9]*\),.*/\1/p' "$work/cosid.strace" | sort -u > "$work/families"
check "cosid's sockets ($(tr '\n' ' ' < "$work/families")) are in RestrictAddressFamilies" \
	sh -c '[ -s '"$work"'/families ] && for f in $(cat '"$work"'/families); do
		case " $0 " in *" $f "*) ;; *) exit 1 ;; esac; done' "$families"

ip link del d0
# shellcheck disable=SC2086
check "dpkg --purge" dpkg --purge $pkgs
check "purged: no cosid, cosictl, libcosi, python3-cosi" sh -c \
	'! [ -e /usr/sbin/cosid ] && ! [ -e /usr/bin/cosictl ] && ! ls /usr/lib/*/libcosi.so* 2>/dev/null &&
	 ! [ -e $0 ]' "$pydir"
check "rmmod the DKMS-built cosi" rmmod cosi
check "insmod the suite's cosi.ko again" insmod "$top/build/kmod-$kver/cosi.ko"
totals
