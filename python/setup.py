# SPDX-License-Identifier: GPL-2.0
"""Build hook: cosi/_spec.py is generated from the family's YNL spec at
build time (metadata is in pyproject.toml).  The spec is
../Documentation/netlink/specs/cosi.yaml, or $COSI_SPEC."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_spec  # noqa: E402  pylint: disable=wrong-import-position


def spec_path():
    path = os.environ.get('COSI_SPEC') or os.path.join(
        HERE, '..', 'Documentation', 'netlink', 'specs', 'cosi.yaml')
    if not os.path.isfile(path):
        sys.exit('cosi: no YNL spec at %s (build from the cosi tree, or '
                 'set COSI_SPEC)' % path)
    return path


class BuildPyWithSpec(build_py):
    def run(self):
        super().run()
        if not self.dry_run:
            out = os.path.join(self.build_lib, 'cosi', '_spec.py')
            self.mkpath(os.path.dirname(out))
            gen_spec.write(spec_path(), out)


setup(cmdclass={'build_py': BuildPyWithSpec})
