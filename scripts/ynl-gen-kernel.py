#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's ynl-gen-c.py (from build/ksrc, Debian's linux-source-6.12)
# with two fixes to its kernel policies, so that kmod/genl.[ch] can be
# generated from Documentation/netlink/specs/cosi.yaml alone:
#
#  - binary attributes with a max-len check: 6.12 raises "not implemented".
#    This is the 6.13 change ("netlink: add NLA_POLICY_MAX_LEN macro"),
#    emitting NLA_POLICY_MAX_LEN(); kmod/compat.h defines it for older
#    kernels.
#  - multi-attr string attributes: 6.12 (and later, so far) emits
#    NLA_STRING for them, which accepts a value without its NUL, where a
#    single string gets NLA_NUL_STRING.  A multi-attr attribute's policy is
#    its base type's, so it is rendered by the base type.
#
# Usage: ynl-gen-kernel.py <path to ynl-gen-c.py> <ynl-gen-c arguments...>
# Each fix checks that the generator still lacks it and fails otherwise,
# so a newer generator is noticed rather than patched twice.

import importlib.util
import inspect
import os
import sys


def load(path):
    # ynl-gen-c.py imports its lib/ from its own directory.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location('ynl_gen_c', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fix_binary_max_len(gen):
    orig = gen.TypeBinary._attr_policy
    if 'max-len' in inspect.getsource(orig):
        return

    def _attr_policy(self, policy):
        if set(self.checks) == {'max-len'}:
            return 'NLA_POLICY_MAX_LEN(' + self.get_limit_str('max-len') + ')'
        return orig(self, policy)

    gen.TypeBinary._attr_policy = _attr_policy


def fix_multi_attr_string(gen):
    if 'attr_policy' in gen.TypeMultiAttr.__dict__:
        sys.exit('ynl-gen-kernel: TypeMultiAttr.attr_policy exists, '
                 'check whether the multi-attr string fix is still needed')

    def attr_policy(self, cw):
        self.base_type.attr_policy(cw)

    gen.TypeMultiAttr.attr_policy = attr_policy


def main():
    gen = load(sys.argv[1])
    fix_binary_max_len(gen)
    fix_multi_attr_string(gen)
    sys.argv = [sys.argv[1]] + sys.argv[2:]
    gen.main()


if __name__ == '__main__':
    main()
