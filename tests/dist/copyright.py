#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# debian/copyright agrees with the tree: every tracked file that names
# its license (SPDX-License-Identifier in its first lines; LICENSES/, the
# texts, aside) falls in a Files: paragraph (the last that matches, as
# DEP-5 says, through python3-debian) whose License is the same
# expression, and every license name used has its text in a standalone
# License: paragraph.  Runs on the host in seconds (make test).
#
#   tests/dist/copyright.py
import os
import re
import subprocess
import sys

from debian import copyright as dep5

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SPDX = re.compile(r'SPDX-License-Identifier:\s*(.*?)\s*(?:\*/|-->)?\s*$')
# DEP-5 short names -> SPDX: the only spellings that differ.
NAMES = {'GPL-2': 'GPL-2.0'}


def norm_spdx(expr):
    """An SPDX expression without parentheses (WITH binds tighter than
    OR, so none changes the meaning of the ones this tree uses)."""
    return ' '.join(expr.replace('(', ' ').replace(')', ' ').split())


def dep5_to_spdx(lic):
    """A DEP-5 License: synopsis as an SPDX expression."""
    out = []
    for alt in re.split(r'\s+or\s+', lic.strip()):
        m = re.fullmatch(r'\(?\s*(\S+)(?:\s+with\s+(\S+)\s+exception)?\s*\)?',
                         alt.strip())
        if not m:
            return None
        name = NAMES.get(m.group(1), m.group(1))
        out.append(name + (' WITH ' + m.group(2) if m.group(2) else ''))
    return ' OR '.join(out)


def spdx_of(path):
    try:
        with open(os.path.join(TOP, path), encoding='utf-8') as f:
            for _, line in zip(range(5), f):
                m = SPDX.search(line)
                if m:
                    return m.group(1)
    except (UnicodeDecodeError, IsADirectoryError):
        pass
    return None


def main():
    with open(os.path.join(TOP, 'debian', 'copyright'), encoding='utf-8') as f:
        c = dep5.Copyright(f, strict=True)
    files = subprocess.run(['git', '-C', TOP, 'ls-files', '-co',
                            '--exclude-standard'], check=True,
                           capture_output=True, text=True).stdout.split()
    n = fail = 0

    def result(ok, what):
        nonlocal n, fail
        n += 1
        fail += not ok
        print(('ok' if ok else 'not ok') + ' %d - %s' % (n, what))

    print('TAP version 13')
    checked = 0
    for path in sorted(files):
        if path.startswith('LICENSES/') or not os.path.isfile(os.path.join(TOP, path)):
            continue
        spdx = spdx_of(path)
        if spdx is None:
            continue
        checked += 1
        para = c.find_files_paragraph(path)
        got = dep5_to_spdx(para.license.synopsis) if para else None
        if got is None or norm_spdx(got) != norm_spdx(spdx):
            result(False, '%s: SPDX %s, debian/copyright says %s' %
                   (path, spdx, para.license.synopsis if para else 'nothing'))
    result(checked > 0 and fail == 0,
           '%d files with an SPDX line: debian/copyright says the same' % checked)
    # Each name used in a Files: paragraph has a standalone License: text.
    texts = {p.license.synopsis for p in c.all_license_paragraphs()}
    for para in c.all_files_paragraphs():
        for alt in re.split(r'\s+or\s+', para.license.synopsis):
            name = alt.strip().strip('()')
            result(name in texts, 'License: %s has its text (%s)' %
                   (name, ' '.join(para.files)))
    print('1..%d' % n)
    print('# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0' %
          (n - fail, fail))
    return 1 if fail else 0


if __name__ == '__main__':
    sys.exit(main())
