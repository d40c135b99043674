# SPDX-License-Identifier: GPL-2.0
# bash completion for cosictl: commands, options, output formats, and
# (asking the kernel through "cosictl __complete") types, ids and
# finalizers.  Installed as /usr/share/bash-completion/completions/cosictl.

_cosictl()
{
	local IFS=$'\n' i w glue=
	local -a words=()

	# The words after the command name, up to the current one.  Bash
	# splits "--namespace=x" at "=" (COMP_WORDBREAKS) into "--namespace",
	# "=", "x": join them again, so that cosictl sees the word as typed
	# (a lone "=" is never a cosictl word of its own).
	for ((i = 1; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ ${#words[@]} -gt 0 && ( -n $glue || $w =~ ^=+$ ) ]]; then
			words[${#words[@]} - 1]+=$w
			[[ $w =~ ^=+$ ]] && glue=1 || glue=
		else
			words+=("$w")
			glue=
		fi
	done
	COMPREPLY=($("$1" __complete "${words[@]}" 2>/dev/null))
	# The shell replaces only what follows the last "=" of the word.
	w=${words[${#words[@]} - 1]}
	if [[ $w == *=* ]]; then
		COMPREPLY=("${COMPREPLY[@]#"${w%=*}="}")
		# Nothing left to insert: no candidate (bash's default then).
		[[ ${#COMPREPLY[@]} -eq 1 && -z ${COMPREPLY[0]} ]] &&
			COMPREPLY=()
	fi
	# jsonpath= goes on with a template: no space after it.
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
}

# Nothing offered: "-o default" falls back to file names (for -f).

complete -o default -F _cosictl cosictl
