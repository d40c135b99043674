#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The BPF programs build as on a package builder (Debian's buildds,
# containers): without any kernel's BTF, /sys/kernel/btf hidden by an
# empty tmpfs in a mount namespace, from a copy of bpf/ and uapi/ with no
# build/vmlinux-* beside it; reproducibly (two copies in two directories
# give the same objects); and with the CO-RE relocations the programs
# need (bpftool gen min_core_btf: the kernel types and fields each
# object's relocations resolve to in each target kernel's BTF, those of
# bpf/cosi_vmlinux.h).  Runs on the host in seconds (make test).
#
#   tests/dist/bpf_build.sh
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/dist/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$check_out"' EXIT
OBJS="cosi_top cosi_follow cosi_portfilter cosi_specwatch"

# build DIR: bpf/'s objects in DIR/out, from DIR's copy of the sources.
build() {
	mkdir -p "$1" && cp -r "$TOP/bpf" "$TOP/uapi" "$1/" &&
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf &&
		! [ -e /sys/kernel/btf/vmlinux ] &&
		make -C "$1/bpf" OUT="$1/out" $2' sh "$1" \
		"$(for o in $OBJS; do printf '%s ' "$1/out/$o.bpf.o"; done)"
}
export -f build
export OBJS TOP

check "builds with /sys/kernel/btf hidden (copy 1)" bash -c 'build "$0"' "$tmp/a"
check "builds with /sys/kernel/btf hidden (copy 2, another path)" \
	bash -c 'build "$0"' "$tmp/b/elsewhere"
for o in $OBJS; do
	check "$o.bpf.o is reproducible" cmp "$tmp/a/out/$o.bpf.o" \
		"$tmp/b/elsewhere/out/$o.bpf.o"
done

# relocs OBJ KERNEL_BTF WANT...: OBJ's CO-RE relocations resolve, in
# KERNEL_BTF, to the members WANT ("struct.member"), and to no others.
relocs() {
	obj=$1 kbtf=$2
	shift 2
	bpftool gen min_core_btf "$kbtf" "$obj.min" "$obj" || return 1
	got=$(bpftool btf dump file "$obj.min" | awk '
		/^\[[0-9]+\] (STRUCT|UNION) / { s = $3; gsub("\x27", "", s); next }
		/^\[/ { s = "" }
		/^\t\x27/ && s != "" { m = $1; gsub("\x27", "", m); print s "." m }' |
		sort | tr '\n' ' ')
	want=$([ $# -eq 0 ] || printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || { echo "$obj: got '$got', want '$want'"; return 1; }
}
export -f relocs

kernels=$(ls -d "$TOP"/build/vmlinux-* 2>/dev/null)
[ -n "$kernels" ] || echo "# no build/vmlinux-* (make vmlinux-all): CO-RE checks not run"
for k in $kernels; do
	kv=${k##*/vmlinux-}
	for o in cosi_top cosi_follow; do
		check "$o: CO-RE relocations resolve in $kv" bash -c 'relocs "$@"' relocs \
			"$tmp/a/out/$o.bpf.o" "$k" net.ns ns_common.inum
	done
	check "cosi_specwatch: CO-RE relocations resolve in $kv" \
		bash -c 'relocs "$@"' relocs \
		"$tmp/a/out/cosi_specwatch.bpf.o" "$k" task_struct.nsproxy \
		nsproxy.net_ns
	# Packets are read at their wire offsets (UAPI headers): nothing
	# to relocate.
	check "cosi_portfilter: no CO-RE relocation in $kv" \
		bash -c 'relocs "$@"' relocs \
		"$tmp/a/out/cosi_portfilter.bpf.o" "$k"
done
totals
