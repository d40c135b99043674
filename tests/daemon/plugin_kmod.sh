#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The example external controller (examples/controllers/kmod, cosi-kmod)
# beside cosid, inside the VM as root with cosi.ko loaded: cosi-kmod is
# built against the libraries installed into build/stage (`make
# examples`) and cosid/cosictl are the shared-library builds
# (build/daemon), so this also runs the installed libcosi.so.1 and
# libcosi-runtime.so.1.  It loads and unloads real modules (nlmon, ifb)
# of the running kernel, and checks that ownership holds both ways:
# only what cosi-kmod loaded is unloaded at delete (not a module the
# admin loaded after a failed load, not one a second spelling asks for),
# cosictl cannot write or delete cosi-kmod's statuses, cosi-kmod cannot
# claim cosid's controller names, and a writer without CAP_SYS_ADMIN
# cannot ask for a module.
#
# Fresh network and mount namespaces: a fresh cosi store.  Prints
# "ok N - what" / "not ok N - what" and a "# Totals:" line.

top=$(pwd)
if [ -z "$COSI_PLUGIN_INNER" ]; then
	exec env COSI_PLUGIN_INNER=1 unshare --net --uts --mount sh "$0" "$@"
fi
TMP_NAME=plugin_kmod
COSID_BUILD=${COSID_BUILD:-$top/build/daemon}
. "$top/tests/daemon/cosid.sh"

KMOD=$top/build/examples/cosi-kmod
STAGE_LIB=$top/build/stage/lib
KLOG=$T/cosi-kmod.log
kpid=
M=nlmon			# loaded by cosi-kmod, unloaded at delete
P=ifb			# loaded before: left loaded at delete
F=dummy			# its load fails (bad parameter), the admin loads it
N=sch_netem		# one module, two spellings ('-' refused)
OWNER=example.org/kmod	# cosi-kmod's default owner name

mount -t sysfs sysfs /sys
ip link set lo up

on_fail() {
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && head -n 15 "$f" | show "$(basename "$f")"
	done
	[ -s "$LOG" ] && tail -n 10 "$LOG" | show cosid
	[ -s "$KLOG" ] && tail -n 10 "$KLOG" | show cosi-kmod
}

# jp TYPE ID TEMPLATE: a jsonpath of one resource.
jp() { "$CTL" get "$1" "$2" -o "jsonpath=$3" 2>/dev/null; }
is() { [ "$(jp "$2" "$3" "$4")" = "$1" ]; }	# is WANT TYPE ID TEMPLATE
absent() { ! "$CTL" get "$1" "$2" > /dev/null 2>&1; }
loaded() { [ -d "/sys/module/$1" ]; }
unloaded() { ! loaded "$1"; }
kmod_ready() { [ "$(grep -c 'cosi-kmod: ready' "$KLOG")" -ge "${1:-1}" ]; }
start_kmod() {
	LD_LIBRARY_PATH=$STAGE_LIB "$KMOD" "$@" >> "$KLOG" 2>&1 &
	kpid=$!
}
# module ID [PARAMETERS]: a ModuleConfig manifest.
module() {
	printf 'metadata:\n  namespace: config\n  type: ModuleConfigs.example.org\n  id: %s\nspec:\n  parameters: "%s"\n' \
		"$1" "${2:-}"
}

for f in "$KMOD" "$STAGE_LIB/libcosi-runtime.so.1" "$COSID"; do
	if [ ! -e "$f" ]; then
		fail "$f is built (make examples daemon)"
		totals
		exit
	fi
done
kdir=/lib/modules/$(uname -r)
for m in "$M" "$P" "$F" "$N"; do
	if ! modinfo "$m" > /dev/null 2>&1; then
		skip "no $m module for $(uname -r) under $kdir"
		totals
		exit
	fi
	rmmod "$m" 2>/dev/null
done

# --- both daemons up, each on the shared libraries it was linked with
start_cosid
wait_for 60 "cosid starts" ready
check "cosid runs on build/daemon/lib/libcosi-runtime.so.1" \
	grep -q "$top/build/daemon/lib/libcosi-runtime.so.1" "/proc/$pid/maps"
start_kmod
wait_for 30 "cosi-kmod starts beside cosid" kmod_ready
check "cosi-kmod runs on the installed libcosi-runtime.so.1 and libcosi.so.1" \
	sh -c "grep -q '$STAGE_LIB/libcosi-runtime.so.1' /proc/$kpid/maps &&
	       grep -q '$STAGE_LIB/libcosi.so.1' /proc/$kpid/maps"
check "cosi-kmod defined its types" \
	sh -c "'$CTL' get rd | grep -q ModuleStatuses.example.org"

# --- a config is applied: the module is loaded, the status owned by kmod
module "$M" | ctl apply -f -
check "a ModuleConfig is applied with cosictl" [ $? -eq 0 ]
wait_for 30 "cosi-kmod loads $M" loaded "$M"
wait_for 30 "its ModuleStatus says loaded" is true modulestatus "$M" '{.spec.loaded}'
check "ours (cosi-kmod loaded it)" \
	is true modulestatus "$M" '{.spec.ours}'
check "the status is owned by $OWNER" \
	is "$OWNER" modulestatus "$M" '{.metadata.owner}'

# --- cosid reconciles beside it
printf 'metadata:\n  namespace: config\n  type: SysctlConfigs.cosi.dev\n  id: net.ipv4.ip_forward\nspec:\n  value: "1"\n' |
	ctl apply -f -
wait_for 30 "cosid's sysctl controller still reconciles" \
	is 1 sysctlstatus net.ipv4.ip_forward '{.spec.value}'
check "its status is owned by sysctl" \
	is sysctl sysctlstatus net.ipv4.ip_forward '{.metadata.owner}'

# --- ownership, cosictl -> the plugin's statuses
v=$(jp modulestatus "$M" '{.metadata.version}')
printf 'metadata:\n  namespace: runtime\n  type: ModuleStatuses.example.org\n  id: %s\nspec:\n  loaded: false\n' "$M" |
	ctl apply -f -
check "cosictl cannot overwrite the plugin's status" [ $? -ne 0 ]
check "the refusal says why" grep -qi "owner\|permission" "$T/err"
check_fails "cosictl cannot delete it" ctl delete modulestatus "$M"
check "... refused by the kernel: owned by another" grep -q "owned by" "$T/err"
check "the status is untouched" is "$v" modulestatus "$M" '{.metadata.version}'

# --- ownership, the plugin -> cosid's names (and a second instance)
sv=$(jp sysctlstatus net.ipv4.ip_forward '{.metadata.version}')
LD_LIBRARY_PATH=$STAGE_LIB "$KMOD" --name sysctl > "$T/out" 2> "$T/err"
check "a plugin cannot claim cosid's controller name" [ $? -eq 1 ]
check "... and says the name is claimed" grep -q 'owner name "sysctl" is claimed' "$T/err"
check "cosid's status is untouched" \
	is "$sv" sysctlstatus net.ipv4.ip_forward '{.metadata.version}'
LD_LIBRARY_PATH=$STAGE_LIB "$KMOD" > "$T/out" 2> "$T/err"
check "a second cosi-kmod cannot take over $OWNER" [ $? -eq 1 ]

# --- only CAP_SYS_ADMIN may ask for a module
module dummy | setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin \
	"$CTL" apply -f - > "$T/out" 2> "$T/err"
check "a writer without CAP_SYS_ADMIN cannot write a ModuleConfig" [ $? -ne 0 ]
check "... refused by the kernel" grep -qi "not permitted\|permission" "$T/err"
check "... nothing was created" absent module dummy

# --- a module that does not exist: an error in the status, no retry loop
module cosi_no_such_module | ctl apply -f -
wait_for 30 "an unknown module is reported in the status" \
	sh -c "[ -n \"\$('$CTL' get modulestatus cosi_no_such_module -o 'jsonpath={.spec.error}')\" ]"
check "... as not loaded" is false modulestatus cosi_no_such_module '{.spec.loaded}'

# --- a module loaded before stays loaded when its config goes
modprobe "$P"
module "$P" | ctl apply -f -
wait_for 30 "a module loaded before is reported loaded" \
	is true modulestatus "$P" '{.spec.loaded}'
check "... and not ours" is false modulestatus "$P" '{.spec.ours}'
ctl delete module "$P" --wait 30
check "its config is deleted" [ $? -eq 0 ]
check "... and it stays loaded" loaded "$P"
check "... its status is gone" absent modulestatus "$P"

# --- a load that fails, then the admin loads it: not ours, left loaded
module "$F" "numdummies=abc" | ctl apply -f -
wait_for 30 "a load refused for its parameters is reported in the status" \
	sh -c "[ -n \"\$('$CTL' get modulestatus $F -o 'jsonpath={.spec.error}')\" ]"
check "... as not loaded" is false modulestatus "$F" '{.spec.loaded}'
check "... and not ours" is false modulestatus "$F" '{.spec.ours}'
check "the library logs it under the plugin's own name" \
	grep -q "^cosi-kmod: $OWNER: $F: " "$KLOG"
check "... and nothing as cosid" sh -c "! grep -q '^cosid' '$KLOG'"
modprobe "$F" numdummies=0
check "the admin loads $F by hand" loaded "$F"
ctl delete module "$F" --wait 30
check "its config is deleted" [ $? -eq 0 ]
check "... and $F, loaded by the admin, stays loaded" loaded "$F"
rmmod "$F" 2>/dev/null

# --- a parameter change on a loaded module is said, not dropped
module "$P" "numifbs=3" | ctl apply -f -
wait_for 30 "parameters of a module loaded by another are reported not applied" \
	sh -c "'$CTL' get modulestatus $P -o 'jsonpath={.spec.error}' | grep -q 'parameters not applied'"
ctl delete module "$P" --wait 30
check "... its config is deleted, $P stays" loaded "$P"

# --- one module, two spellings: '-' refused, the '_' config keeps it
module "$N" | ctl apply -f -
wait_for 30 "cosi-kmod loads $N" is true modulestatus "$N" '{.spec.ours}'
alt=$(echo "$N" | tr _ -)
module "$alt" | ctl apply -f -
wait_for 30 "a config spelled $alt is refused in its status" \
	sh -c "'$CTL' get modulestatus $alt -o 'jsonpath={.spec.error}' | grep -q \"spell '-' as '_'\""
check "... as not ours" is false modulestatus "$alt" '{.spec.ours}'
ctl delete module "$alt" --wait 30
check "deleting the $alt config leaves $N loaded" loaded "$N"
check "... and its status ours" is true modulestatus "$N" '{.spec.ours}'
ctl delete module "$N" --wait 30
check "deleting the $N config unloads it" unloaded "$N"

# --- killed and restarted: the record survives, the claim comes back
kill -9 "$kpid"
wait "$kpid" 2>/dev/null
start_kmod
wait_for 30 "cosi-kmod restarts and claims $OWNER again" kmod_ready 2
check "the restarted controller keeps ours=true for $M" \
	is true modulestatus "$M" '{.spec.ours}'
ctl delete module "$M" --wait 30
check "deleting the config waits for the controller" [ $? -eq 0 ]
check "... which unloaded $M" unloaded "$M"
check "... and destroyed its status" absent modulestatus "$M"

# --- stop
kill -TERM "$kpid"
wait "$kpid"
check "cosi-kmod exits 0 on SIGTERM" [ $? -eq 0 ]
kpid=
stop_cosid TERM
check "cosid exits 0 on SIGTERM" [ $? -eq 0 ]
rmmod "$P" 2>/dev/null
totals
