/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every set of bpf_kfuncs.c has: the release and the readers of a
 * version.  Included once in each set (no include guard).
 */
BTF_ID_FLAGS(func, bpf_cosi_res_release, KF_RELEASE)
BTF_ID_FLAGS(func, bpf_cosi_res_version, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_revision, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_phase, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_spec_u64, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_spec_s64, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_spec_bool, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_spec_str, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_spec_bytes, COSI_KF_READ)
BTF_ID_FLAGS(func, bpf_cosi_res_label, COSI_KF_READ)
