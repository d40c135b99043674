#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of cosictl (daemon/cosictl/cosictl.bash, printed by
# "cosictl completion bash", which must be that file): source it,
# set COMP_WORDS / COMP_CWORD as bash does, and check COMPREPLY.  Runs on
# the build host (commands, options, formats); with cosi.ko loaded (VM,
# from cosictl_vm.sh) also types, ids and finalizers when given
# "--kernel TYPE ID FINALIZER" of an existing resource.
#
#   tests/daemon/cosictl_completion.sh [--kernel TYPE ID FINALIZER]
#
# COSICTL=path overrides build/daemon/cosictl.  Prints "ok N - what" /
# "not ok N - what" and a "# Totals:" line; exits 0 only if all passed.

top=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${COSICTL:-$top/build/daemon/cosictl}
script=$("$CTL" completion bash)
# eval, not ". <(...)": the test VM's /dev has no /dev/fd.
eval "$script"
n=0
fails=0

# comp WORDS...: complete the last word (may be "") of "cosictl WORDS".
comp() {
	COMP_WORDS=(cosictl "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_cosictl "$CTL" "${@: -1}" "${COMP_WORDS[COMP_CWORD - 1]}"
	got="${COMPREPLY[*]}"
}

# expect WHAT WANT: COMPREPLY, space-joined, is WANT.
expect() {
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   want: '$2'"
		echo "#   got:  '$got'"
		fails=$((fails + 1))
	fi
}

got=$([ "$script" = "$(cat "$top/daemon/cosictl/cosictl.bash")" ] && echo same)
expect "completion bash prints daemon/cosictl/cosictl.bash" "same"
comp ""
expect "commands" "get watch wait apply diff delete finalizer define undefine completion version help"
comp completion ""
expect "completion: shells" "bash"
comp de
expect "commands by prefix" "delete define"
comp get x -o ""
expect "-o formats" "table wide yaml json jsonpath="
comp get x --output j
expect "--output formats by prefix" "json jsonpath="
comp delete --
expect "delete's options" "--namespace --selector --filename --wait --ignore-not-found --all --etcd --cluster --etcd-ca --etcd-cert --etcd-key --node --group --all-nodes --etcd-user --etcd-password-file --help"
comp apply --
expect "apply's options" "--selector --filename --dry-run --prune --etcd --cluster --etcd-ca --etcd-cert --etcd-key --node --group --all-nodes --etcd-user --etcd-password-file --help"
comp wait t x --
expect "wait's options" "--namespace --timeout --for --etcd --cluster --etcd-ca --etcd-cert --etcd-key --node --group --all-nodes --etcd-user --etcd-password-file --etcd-watch-idle --help"
comp diff --
expect "diff's options" "--selector --filename --prune --help"
comp wait t x --for ""
expect "--for conditions" "create delete"
comp finalizer r
expect "finalizer subcommand" "remove"
comp help wa
expect "help: commands" "watch wait"
comp apply -f ""
expect "-f: nothing offered (bash completes file names)" ""
comp frob ""
expect "unknown command: nothing" ""
# --opt=value: bash splits the word at "=" (COMP_WORDBREAKS), so COMP_WORDS
# holds "--output" "=" "j"; the shell replaces what follows the "=".
comp get x --output = j
expect "--output=j: formats (split at = as bash does)" "json jsonpath="
comp get x --output =
expect "--output=: every format" "table wide yaml json jsonpath="
comp wait t x --for = cr
expect "--for=cr: conditions" "create"
comp get x -o jsonpath =
got=${#COMPREPLY[@]}
expect "-o jsonpath=: no candidate" "0"
comp get t -- -
expect "after --: no options" ""
comp get t --namespace = x --
expect "options after --namespace=x" "--namespace --output --selector --watch --since --timeout --count --etcd --cluster --etcd-ca --etcd-cert --etcd-key --node --group --all-nodes --etcd-user --etcd-password-file --etcd-watch-idle --help"

if [ "$1" = "--kernel" ]; then
	type=$2 id=$3 fin=$4
	comp get ""
	case " $got " in *" $type "*) got=yes ;; esac
	expect "get: types from the kernel" "yes"
	comp get "${type:0:3}"
	case " $got " in *" $type "*) got=yes ;; esac
	expect "types by prefix" "yes"
	comp get "$type" "${id:0:1}"
	case " $got " in *" $id "*) got=yes ;; esac
	expect "ids of the type" "yes"
	comp -n nowhere get "$type" ""
	expect "ids in another namespace: none" ""
	comp --namespace = nowhere get "$type" ""
	expect "ids in another namespace (--namespace=, split): none" ""
	comp finalizer remove "$type" "$id" ""
	expect "finalizers of the resource" "$fin"
	comp get rd ""
	case " $got " in *" $type "*) got=yes ;; esac
	expect "get rd: types" "yes"
fi

echo "# Totals: pass:$((n - fails)) fail:$fails"
[ $fails -eq 0 ]
