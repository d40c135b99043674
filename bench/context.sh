#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The machine's context for bench/report (run.sh and fleet.sh source it):
# bench_context FILE prints "CONTEXT <key> <value>" lines (kernel, CPU,
# number of CPUs, KVM or TCG, slub_debug, date) and appends them to FILE.
bench_context() {
	{
		echo "CONTEXT kernel $(uname -r)"
		echo "CONTEXT cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
		echo "CONTEXT nproc $(nproc)"
		if dmesg | grep -q 'Hypervisor detected: KVM'; then
			echo "CONTEXT accel KVM"
		elif grep -qw hypervisor /proc/cpuinfo; then
			echo "CONTEXT accel TCG emulation"
		else
			echo "CONTEXT accel none"
		fi
		case " $(cat /proc/cmdline) " in
		*" slub_debug"*) echo "CONTEXT slub_debug on" ;;
		*) echo "CONTEXT slub_debug off" ;;
		esac
		echo "CONTEXT date $(date -u +%Y-%m-%d)"
	} | tee -a "$1"
}
