#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A man page from one of Documentation/*.rst, through docutils' manpage
writer (what rst2man runs).  The documents are written for Sphinx: their
:doc: references become "page(section)" for the pages that are man pages
and the document's name otherwise, and the title "cosid: what it is" gives
the NAME line.  Any docutils warning fails (a broken page is not shipped).

A page may be one section of a document: --part TITLE "what it is"
(cosi-top and cosi-follow are sections of tracing.rst).

usage: rst2man.py [--part TITLE WHAT] SECTION VERSION DOC.rst OUT
"""
import io
import os
import sys

from docutils import nodes
from docutils.core import publish_doctree, publish_from_doctree
from docutils.parsers.rst import roles
from docutils.utils import SystemMessage
from docutils.writers import manpage

# Documents that are man pages, and their sections.
MAN_PAGES = {"cosid": "8", "cosictl": "1"}


def doc_role(name, rawtext, text, lineno, inliner, options=None,
             content=None):
    ref = text.strip()
    if "<" in ref:			# :doc:`title <name>`
        ref = ref.split("<", 1)[1].rstrip(">").strip()
    ref = os.path.basename(ref)
    # Documents that are not man pages are named as they are in the
    # source tree: the packages ship only some of them.
    label = (f"{ref}({MAN_PAGES[ref]})" if ref in MAN_PAGES
             else f"{ref} (Documentation/{ref}.rst in cosi's source)")
    return [nodes.strong(rawtext, label)], []


def tables_to_lists(tree):
    """Two-column tables become definition lists: groff's tbl cannot break
    a long table across man's one endless page (it draws stray rules)."""
    for table in list(tree.traverse(nodes.table)):
        group = table.next_node(nodes.tgroup)
        if group is None or group["cols"] != 2:
            continue
        dl = nodes.definition_list()
        for row in group.traverse(nodes.row):
            if isinstance(row.parent, nodes.thead):
                continue
            term, body = row.children
            item = nodes.definition_list_item()
            item += nodes.term("", "", *[c for p in term.children
                                         for c in p.children])
            item += nodes.definition("", *body.children)
            dl += item
        table.replace_self(dl)


def main():
    args = sys.argv[1:]
    part = None
    if args[:1] == ["--part"] and len(args) > 2:
        part, what = args[1:3]
        args = args[3:]
    if len(args) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    section, version, src, out = args
    roles.register_local_role("doc", doc_role)
    settings = {"halt_level": 2, "report_level": 2,
                "input_encoding": "utf-8", "output_encoding": "utf-8",
                "warning_stream": io.StringIO()}
    try:
        with open(src, encoding="utf-8") as f:
            tree = publish_doctree(f.read(), source_path=src,
                                   settings_overrides=settings)
    except (OSError, SystemMessage) as e:
        sys.exit(f"rst2man: {e}")
    if part:
        found = [sec for sec in tree.traverse(nodes.section)
                 if sec[0].astext() == part]
        if not found:
            sys.exit(f"rst2man: {src}: no section {part!r}")
        tree.children = [nodes.title(text=f"{part}: {what}")]
        tree.extend(found[0].children[1:])
    tables_to_lists(tree)
    title = tree.next_node(nodes.title)
    name, _, what = title.astext().partition(": ")
    if not what:
        sys.exit(f"{src}: the title is not 'name: what it is'")
    title.children = [nodes.Text(name)]
    tree.insert(tree.index(title) + 1, nodes.subtitle(text=what))
    info = nodes.docinfo()
    for field, value in (("manual_section", section),
                         ("version", f"cosi {version}"),
                         ("manual_group", "cosi")):
        info += nodes.field("", nodes.field_name(text=field),
                            nodes.field_body("", nodes.paragraph(text=value)))
    tree.insert(tree.index(title) + 2, info)
    page = publish_from_doctree(tree, writer=manpage.Writer(),
                                settings_overrides=settings)
    with open(out + ".tmp", "wb") as f:
        f.write(page)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
