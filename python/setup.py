# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Build hook: cosi/_spec.py is generated from the family's YNL spec at
build time (metadata is in pyproject.toml).  The spec is $COSI_SPEC, else
cosi.yaml next to this file (in an sdist, which carries a copy), else
../Documentation/netlink/specs/cosi.yaml (in the cosi tree)."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_spec  # noqa: E402  pylint: disable=wrong-import-position


SDIST_SPEC = 'cosi.yaml'


def spec_path():
    path = os.environ.get('COSI_SPEC')
    if not path:
        path = os.path.join(HERE, SDIST_SPEC)
        if not os.path.isfile(path):
            path = os.path.join(HERE, '..', 'Documentation', 'netlink',
                                'specs', 'cosi.yaml')
    if not os.path.isfile(path):
        sys.exit('cosi: no YNL spec at %s (build from the cosi tree or an '
                 'sdist, or set COSI_SPEC)' % path)
    return path


class BuildPyWithSpec(build_py):
    def run(self):
        super().run()
        if not self.dry_run:
            out = os.path.join(self.build_lib, 'cosi', '_spec.py')
            self.mkpath(os.path.dirname(out))
            gen_spec.write(spec_path(), out)


class SdistWithSpec(sdist):
    """The sdist carries the spec, to build outside the cosi tree."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        self.copy_file(spec_path(), os.path.join(base_dir, SDIST_SPEC))


setup(cmdclass={'build_py': BuildPyWithSpec, 'sdist': SdistWithSpec})
