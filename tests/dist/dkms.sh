#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cosi-dkms through DKMS, on the build host: the package's source tree
# (dpkg-deb -x of the built cosi-dkms .deb) is added to a private DKMS
# tree and "dkms autoinstall -k KVER" (what DKMS's kernel postinst hook
# runs at each kernel install) builds and installs cosi.ko for each
# kernel.  Everything stays in OUT (--dkmstree, --sourcetree,
# --installtree, --no-depmod, a throwaway signing key): the host's
# /var/lib/dkms and /lib/modules are not touched.  tests/dist/install.sh
# then loads OUT/modules/KVER/updates/dkms/cosi.ko* in the VM.  The
# .debs come from build/deb (make deb), OUT is build/dist.
#
#   tests/dist/dkms.sh [KVER...]     (default: $TEST_KVERS, make's)
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
deb_dir=$top/build/deb out=$top/build/dist
# shellcheck disable=SC2086	# a list of kernels
[ $# -gt 0 ] || set -- $TEST_KVERS
[ $# -gt 0 ] || { echo "dkms.sh: no kernel given (TEST_KVERS)"; exit 2; }
deb=$(ls "$deb_dir"/cosi-dkms_*_all.deb)
ver=$(dpkg-deb -f "$deb" Version)
rm -rf "$out"
mkdir -p "$out/tree"
dpkg-deb -x "$deb" "$out/root"
src=$out/root/usr/src/cosi-$ver
export mok_signing_key=$out/mok.key mok_certificate=$out/mok.pub
dkms=(dkms --dkmstree "$out/tree" --sourcetree "$out/root/usr/src"
      --installtree "$out/modules" --no-depmod)

check "cosi-dkms $ver: dkms.conf says cosi $ver" \
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf"
check "dkms add cosi/$ver" "${dkms[@]}" add -m cosi -v "$ver"
# BUILD_EXCLUSIVE_KERNEL: 6.1 and later are built, older kernels skipped
# (dkms build exits 77, what the package's postinst calls "Skipped.").
excl=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$src/dkms.conf")
check "dkms.conf: BUILD_EXCLUSIVE_KERNEL builds 6.1, 6.12, 6.10, 7.0, skips 6.0, 5.10" \
	bash -c 'for k in 6.1.0-57-amd64 6.12.118+deb12-amd64 6.10.1 7.0.1; do
			[[ $k =~ $1 ]] || exit 1; done
		 for k in 6.0.9 5.10.0-30-amd64 5.19.17; do
			[[ $k =~ $1 ]] && exit 1; done; exit 0' sh "$excl"
check "5.10.0-30-amd64: dkms build skips it (exit 77)" \
	bash -c '"$@" > /dev/null 2>&1; [ $? -eq 77 ]' sh \
	"${dkms[@]}" build -m cosi -v "$ver" -k 5.10.0-30-amd64
for k in "$@"; do
	mkdir -p "$out/modules/$k"
	start=$(date +%s)
	check "$k: dkms autoinstall (the kernel postinst hook)" \
		"${dkms[@]}" autoinstall -k "$k"
	echo "# $k: dkms autoinstall took $(( $(date +%s) - start )) s"
	ko=$(ls "$out/modules/$k"/updates/dkms/cosi.ko* 2>/dev/null)
	check "$k: cosi.ko installed in updates/dkms" test -n "$ko"
	check "$k: dkms status: installed" \
		bash -c '"$@" | grep -q ": installed$"' sh \
		"${dkms[@]}" status -m cosi -v "$ver" -k "$k"
	check "$k: built for $k (vermagic)" \
		bash -c '[[ "$(modinfo -F vermagic "$1")" == "$2 "* ]]' sh "$ko" "$k"
	check "$k: modinfo version is the package's, $ver" \
		bash -c '[ "$(modinfo -F version "$1")" = "$2" ]' sh "$ko" "$ver"
	check "$k: modinfo srcversion is set" \
		bash -c '[ -n "$(modinfo -F srcversion "$1")" ]' sh "$ko"
	# Module BTF comes from the headers' vmlinux when they ship one.
	case $ko in *.xz) xz -dc "$ko" ;; *.zst) zstd -qdc "$ko" ;; *) cat "$ko" ;; esac \
		> "$out/cosi-$k.ko"
	if [ -f "/usr/src/linux-headers-$k/vmlinux" ]; then
		check "$k: module BTF (headers ship vmlinux)" \
			bash -c 'readelf -S "$1" | grep -q "\.BTF"' sh "$out/cosi-$k.ko"
	else
		check "$k: no module BTF: the headers have no vmlinux (documented)" \
			bash -c 'readelf -S "$1" > "$1.sections" &&
				 ! grep -q "\.BTF" "$1.sections"' sh "$out/cosi-$k.ko"
	fi
done
totals
