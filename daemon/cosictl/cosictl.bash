# SPDX-License-Identifier: GPL-2.0
# bash completion for cosictl: commands, options, output formats, and
# (asking the kernel through "cosictl __complete") types, ids and
# finalizers.  Installed as /usr/share/bash-completion/completions/cosictl.

_cosictl()
{
	local IFS=$'\n'

	# The words after the command name, up to the current one.
	COMPREPLY=($("$1" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" \
		2>/dev/null))
	# jsonpath= goes on with a template: no space after it.
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
}

# Nothing offered: "-o default" falls back to file names (for -f).

complete -o default -F _cosictl cosictl
