#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything cosi needs to build and test on Debian 12 (bookworm).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(
	build-essential make gcc pkg-config bc flex bison libelf-dev dwarves
	kmod xz-utils zstd cpio busybox-static
	linux-headers-6.12-amd64 linux-image-6.12-amd64
	linux-headers-amd64 linux-image-amd64 linux-source-6.12
	qemu-system-x86
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev
	libsystemd-dev libyaml-dev libjson-c-dev libkmod-dev
	python3 python3-yaml python3-jsonschema perl
	python3-pyroute2 python3-setuptools python3-venv python3-pip
	iproute2 procps util-linux
	bpftrace linux-perf clang llvm bpftool libbpf-dev
	etcd-server etcd-client libcurl4-openssl-dev libssl-dev openssl
	libmicrohttpd-dev libgnutls28-dev curl
	clang-14 libclang-rt-14-dev
	dpkg-dev debhelper dh-dkms dkms fakeroot lintian python3-docutils
	dh-python pybuild-plugin-pyproject python3-wheel python3-debian
	man-db strace systemd
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
# cosi-apiserver's tests drive the kubectl on the machine; Debian's when
# there is none (an older kubectl, which the tests accept too).
command -v kubectl > /dev/null || missing+=(kubernetes-client)
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present (and kubectl)"
	exit 0
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
