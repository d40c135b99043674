/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bash completion script, cosictl.bash, as a NUL-terminated string
 * (cosictl_bash_completion): "cosictl completion bash" prints the very
 * file that is installed.  COSICTL_BASH is its path (daemon/Makefile).
 */
	.section .rodata
	.globl cosictl_bash_completion
	.type cosictl_bash_completion, @object
cosictl_bash_completion:
	.incbin COSICTL_BASH
	.byte 0
	.size cosictl_bash_completion, . - cosictl_bash_completion
	.section .note.GNU-stack, "", @progbits
