#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The peers of the cosi benchmarks (Documentation/benchmarks-peers.rst):
# the same measurements against cosi (libcosi), the baseline unix-socket
# store (bench/baseline) and etcd, and the time cosid takes to apply a
# manifest.  Runs in the VM as root with cosi.ko loaded, from the top of
# the repository, after `make -C bench` and `make daemon`:
#
#   tests/vm/run --kernel K --mem 4G -- sh -c \
#       'insmod build/kmod-K/cosi.ko && sh bench/peers.sh'
#
# Prints "RESULT <goal> <system> <metric> <value> <unit>" lines and
# comments starting with '#'.  Exits non-zero when a peer cannot run.
# PEERS_ARGS: options for every peer_bench (see bench/peers/driver.c).
# PEERS_GOALS: the goals to run, "7 8" by default ("8": cosid's apply and
# its sysctl -w peer alone, without etcd).
#
# The clients and the servers run on CPU 0 (the drivers' watcher threads
# move to CPU 1): under TCG a wake-up across vCPUs costs milliseconds,
# which would bill the emulator, not the placement, to the userspace
# stores.  PEERS_PIN=0 leaves them unpinned.

top=$(pwd)
B=${BENCH_BUILD:-$top/build/bench}
D=${DAEMON_BUILD:-$top/build/daemon}
ARGS=${PEERS_ARGS:-}
GOALS=${PEERS_GOALS:-7 8}
PIN="taskset -c 0"
[ "${PEERS_PIN:-1}" = 0 ] && PIN=

die() {
	echo "peers.sh: $*" >&2
	exit 1
}

goal() {
	case " $GOALS " in *" $1 "*) return 0 ;; esac
	return 1
}

# --- goal 8, in fresh network, UTS and mount namespaces (as cosid_e2e.sh)
if [ "${1:-}" = --cosid-inner ]; then
	T=$2
	mount -t sysfs sysfs /sys || die "cannot mount sysfs"
	ip link set lo up
	$PIN "$D/cosid" --state-file "$T/state.yaml" --hosts-path "$T/hosts" \
		> "$T/cosid.log" 2>&1 &
	pid=$!
	i=0
	until grep -q "cosid: ready" "$T/cosid.log"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
			sed 's/^/# cosid: /' "$T/cosid.log"
			kill $pid 2>/dev/null
			die "cosid did not start"
		fi
		sleep 0.1
	done
	$PIN "$B/cosid_apply_bench" -n "${PEERS_APPLIES:-30}" \
		-S "$(command -v sysctl)" "$D/cosictl"
	rc=$?
	kill $pid
	wait $pid || { sed 's/^/# cosid: /' "$T/cosid.log"; rc=1; }
	exit $rc
fi

T=$(mktemp -d /tmp/peers.XXXXXX) || die "mktemp"
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	umount "$T/etcd" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bins=cosid_apply_bench
goal 7 && bins="ustore_server ustore_test peer_bench_cosi peer_bench_ustore \
	peer_bench_etcd $bins"
for f in $bins; do
	[ -x "$B/$f" ] || die "$B/$f missing: run make -C bench"
done
for f in "$D/cosid" "$D/cosictl"; do
	[ -x "$f" ] || die "$f missing: run make daemon"
done
if goal 7; then
	command -v etcd > /dev/null ||
		die "etcd missing: apt-get install etcd-server"
fi
command -v sysctl > /dev/null || die "sysctl missing: apt-get install procps"
[ -d /sys/module/cosi ] || die "cosi.ko is not loaded"
ip link set lo up

echo "# peers: kernel $(uname -r), $(nproc) CPUs${GOALS:+, goals $GOALS}"
goal 7 && echo "# peers: $(etcd --version | head -n1)"
if [ -n "$PIN" ]; then
	echo "# peers: clients, servers and cosid pinned to CPU 0, watchers on CPU 1"
else
	echo "# peers: unpinned"
fi

# --- goal 7: the baseline store, cosi through libcosi, etcd
if goal 7; then
# the baseline store: its self-test, then the figures
if ! "$B/ustore_test" "$B/ustore_server" > "$T/ustore_test.log" 2>&1; then
	sed 's/^/# /' "$T/ustore_test.log"
	die "the ustore self-test failed"
fi
echo "# ustore self-test: $(tail -n1 "$T/ustore_test.log" | sed 's/^# //')"
$PIN "$B/ustore_server" "$T/ustore.sock" &
us=$!
pids="$pids $us"
i=0
until [ -S "$T/ustore.sock" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && die "ustore_server did not start"
	sleep 0.1
done
# shellcheck disable=SC2086
USTORE_SOCK=$T/ustore.sock $PIN "$B/peer_bench_ustore" $ARGS ||
	die "the ustore peer failed"
kill $us
wait $us 2>/dev/null

# --- cosi through libcosi, measured the same way (its own network namespace)
# shellcheck disable=SC2086
$PIN "$B/peer_bench_cosi" $ARGS || die "the cosi peer failed"

# --- etcd: one member on loopback, its data on tmpfs (etcd 3.4 has no
# --unsafe-no-fsync: tmpfs is what makes its fsyncs cheap)
mkdir -p "$T/etcd"
mount -t tmpfs -o size=1g tmpfs "$T/etcd" ||
	echo "# etcd: cannot mount a tmpfs, data in $T"
$PIN etcd --name peers --data-dir "$T/etcd/data" \
	--listen-client-urls http://127.0.0.1:2379 \
	--advertise-client-urls http://127.0.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380 \
	--initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster peers=http://127.0.0.1:2380 \
	--logger zap --log-outputs "$T/etcd.log" > /dev/null 2>&1 &
ep=$!
pids="$pids $ep"
i=0
until ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2379 \
		endpoint health > /dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 120 ] || ! kill -0 $ep 2>/dev/null; then
		tail -n 5 "$T/etcd.log" | sed 's/^/# etcd: /'
		die "etcd did not start"
	fi
	sleep 0.5
done
# shellcheck disable=SC2086
ETCD_URL=http://127.0.0.1:2379 $PIN "$B/peer_bench_etcd" $ARGS ||
	die "the etcd peer failed"
kill $ep
wait $ep 2>/dev/null
fi	# goal 7

goal 8 || exit 0

# --- cosid: cosictl apply -> /proc/sys and -> SysctlStatus
mkdir -p "$T/cosid"
env BENCH_BUILD="$B" DAEMON_BUILD="$D" \
	unshare --net --uts --mount sh "$0" --cosid-inner "$T/cosid" ||
	die "the cosid apply benchmark failed"
