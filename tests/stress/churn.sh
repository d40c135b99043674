#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn at scale: thousands of dummy links with addresses and routes are
# created, flapped, renamed, deleted and re-created (ip -batch) while
# cosid mirrors them into LinkStatus and two watchers (view_check) follow
# LinkStatus through libcosi's resumable stream: a fast one, and a slow
# one (it sleeps on every event and has a tiny receive buffer) that must
# overflow and resume.  Once the churn stops and cosid settles:
#  - cosid is still running, with no fatal error or sanitizer report;
#  - each watcher's view equals a fresh list (no lost, no phantom, no
#    stale resource) and the kernel's links; the slow one overflowed;
#  - the set of LinkStatuses equals the kernel's links, MTUs included.
#
# Inside the VM, as root with cosi.ko loaded, from the top of the repo:
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          bash tests/stress/churn.sh'
# Sizes: STRESS_LINKS (2000), STRESS_FLAPS (rounds, 5), STRESS_SLOW_US
# (the slow watcher's sleep per event, 10000), STRESS_SLOW_RCVBUF (4096),
# STRESS_HISTORY (the netns' event history, cosi.ko's history_size for
# this netns only: 1024, short enough that the slow watcher must also
# bootstrap again), STRESS_SEED.  Prints TAP-style lines, "# figures:
# ..." and "# Totals:".

top=$(pwd)
P=/sys/module/cosi/parameters/history_size
if [ -z "$COSI_STRESS_INNER" ]; then
	# history_size is read when a netns is set up: the one unshare makes.
	old=$(cat $P)
	echo "${STRESS_HISTORY:-1024}" > $P
	exec env COSI_STRESS_INNER=1 COSI_OLD_HISTORY="$old" \
		unshare --net --uts --mount bash "$0" "$@"
fi
echo "$COSI_OLD_HISTORY" > $P
. "$top/tests/stress/lib.sh"

LINKS=${STRESS_LINKS:-2000}
FLAPS=${STRESS_FLAPS:-5}
SLOW_US=${STRESS_SLOW_US:-10000}
SLOW_RCVBUF=${STRESS_SLOW_RCVBUF:-4096}
seed_random
echo "# churn: $LINKS links, $FLAPS flap rounds, history ${STRESS_HISTORY:-1024}, seed $seed"

netns_setup

# The LinkStatus set against the kernel's links (ip -j link): names and
# MTUs; prints the differences.
links_match() {
	"$CTL" get links -o json > "$T/ls.json" 2> "$T/err" &&
	ip -j link show > "$T/ip.json" &&
	python3 - "$T/ls.json" "$T/ip.json" > "$T/out" <<'EOF'
import json, sys
ls = {r["metadata"]["id"]: r["spec"].get("mtu") for r in json.load(open(sys.argv[1]))}
ip = {l["ifname"]: l["mtu"] for l in json.load(open(sys.argv[2]))}
missing = sorted(set(ip) - set(ls))
extra = sorted(set(ls) - set(ip))
mtu = sorted(k for k in set(ip) & set(ls) if ip[k] != ls[k])
for what, v in (("missing", missing), ("extra", extra), ("mtu differs", mtu)):
    if v:
        print(f"{what}: {len(v)}: {' '.join(v[:10])}")
print(f"links={len(ip)} statuses={len(ls)}")
sys.exit(1 if missing or extra or mtu else 0)
EOF
}

start_cosid
wait_for 120 "cosid starts" ready || { totals; exit 1; }

"$VC" --name fast --links --ready "$T/fast.ready" > "$T/fast.out" 2>&1 &
vc_fast=$!
"$VC" --name slow --links --slow-us "$SLOW_US" --rcvbuf "$SLOW_RCVBUF" \
	--min-resumes 1 --ready "$T/slow.ready" > "$T/slow.out" 2>&1 &
vc_slow=$!
wait_for 60 "both watchers are bootstrapped" \
	test -e "$T/fast.ready" -a -e "$T/slow.ready"

# Links s0..sN-1, each up with an address (a prefix route) and a route.
start=$SECONDS
for ((i = 0; i < LINKS; i++)); do
	a=$((i / 250)) b=$((i % 250))
	echo "link add s$i type dummy"
	echo "link set s$i up"
	echo "address add 10.$a.$b.1/24 dev s$i"
	echo "route add 172.16.$a.$b/32 dev s$i"
done > "$T/create.batch"
check "$LINKS links with addresses and routes are created" \
	ip -batch "$T/create.batch"
create_s=$((SECONDS - start))

# Each round: every link goes down and up with a new MTU; a random
# tenth is deleted and re-created, another tenth renamed and back.
ops=0
start=$SECONDS
for ((r = 1; r <= FLAPS; r++)); do
	for ((i = 0; i < LINKS; i++)); do
		mtu=$((1280 + r * 10 + i % 7))
		case $((RANDOM % 10)) in	# no subshell: 2000 a round
		0)	echo "link del s$i"
			echo "link add s$i mtu $mtu type dummy"
			echo "link set s$i up"
			ops=$((ops + 3)) ;;
		1)	echo "link set s$i down"
			echo "link set s$i name r$i"
			echo "link set r$i name s$i mtu $mtu up"
			ops=$((ops + 3)) ;;
		*)	echo "link set s$i down"
			echo "link set s$i mtu $mtu up"
			ops=$((ops + 2)) ;;
		esac
	done > "$T/flap.batch"
	t0=$SECONDS
	ip -batch "$T/flap.batch" > "$T/out" 2>&1 || break
	echo "# flap round $r: $((SECONDS - t0)) s"
done
check "$FLAPS flap rounds ($ops link operations)" [ "$r" -gt "$FLAPS" ]
churn_s=$((SECONDS - start))

wait_for 600 "LinkStatus settles to the kernel's links and MTUs" links_match
settle_s=$waited
grep '^links=' "$T/out" | sed 's/^/# /'

kill -USR1 "$vc_fast" "$vc_slow"
wait "$vc_fast"
rc_fast=$?
wait "$vc_slow"
rc_slow=$?
sed 's/^/# /' "$T/fast.out" "$T/slow.out"
check "the fast watcher's view equals the store and the kernel" \
	[ $rc_fast = 0 ]
check "the slow watcher overflowed, resumed, and its view equals the store and the kernel" \
	[ $rc_slow = 0 ]
check "cosid is still running" kill -0 "$pid"
check "cosid logged no fatal error and no sanitizer report" log_clean
overflows=$(grep -c "input watches overflowed" "$LOG")
stop_cosid TERM
check "cosid stops cleanly, sanitizers quiet" [ $? = 0 ]

vc_stat() {	# stat NAME FIELD
	sed -n "s/^view_check $1: .*\b$2=\([0-9]*\).*/\1/p" "$T/$1.out"
}
echo "# figures: links=$LINKS flap_rounds=$FLAPS link_ops=$ops" \
	"create_s=$create_s churn_s=$churn_s settle_s=$settle_s" \
	"cosid_input_overflows=$overflows" \
	"fast: events=$(vc_stat fast events) resumes=$(vc_stat fast resumes) bootstraps=$(vc_stat fast bootstraps)" \
	"slow: events=$(vc_stat slow events) resumes=$(vc_stat slow resumes) bootstraps=$(vc_stat slow bootstraps) vanished=$(vc_stat slow vanished)"
totals
