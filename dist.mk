# SPDX-License-Identifier: GPL-2.0
# Distribution: the DKMS source tree, the man pages, the Debian packages
# (debian/), and their tests.  Included by the top-level Makefile.

# The version of every package, of cosi.ko (MODULE_VERSION), cosictl
# and the .pc files: VERSION, the one place it is written.
COSI_VERSION := $(shell cat VERSION)
MANDIR	?= $(PREFIX)/share/man
PYTHON	?= python3

.PHONY: install-dkms man install-man deb lintian test-dkms
export TEST_KVERS

# /usr/src/cosi-<version>: what dkms.conf builds cosi.ko from (kmod/ and
# the UAPI headers it includes: cosi.h, cosi_bpf.h), for `dkms add/build/
# install cosi/<version>`.
# Debian's cosi-dkms ships this tree.
DKMS_SRC = $(DESTDIR)/usr/src/cosi-$(COSI_VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kmod/include/cosi $(DKMS_SRC)/uapi/linux
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 0644 kmod/include/cosi/*.h $(DKMS_SRC)/kmod/include/cosi/
	install -m 0644 uapi/linux/*.h $(DKMS_SRC)/uapi/linux/
	install -m 0644 VERSION $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(COSI_VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

# Man pages: Documentation/man/<page>.<section>.rst, written as man pages
# (NAME from the title and subtitle, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT
# STATUS, FILES, SEE ALSO; tests/dist/manpages.sh checks them), converted
# by docutils' rst2man (python3-docutils) with the version from VERSION;
# --strict: any docutils warning fails the build.  Generated at build
# time, never committed.
RST2MAN	?= rst2man
MAN_PAGES := $(addprefix $(BUILD)/man/,cosid.8 cosictl.1 cosi-top.8 cosi-follow.8)
man: $(MAN_PAGES)
$(BUILD)/man/%: Documentation/man/%.rst VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(COSI_VERSION)/' $< | \
		$(RST2MAN) --strict --input-encoding=utf-8 - > $@.tmp || \
		{ rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

install-man: man
	@set -e; for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done

# The Debian packages (debian/), built as on a buildd: dpkg-buildpackage
# -us -uc -b in a copy of the tree's files (tracked and new, not build/),
# build/deb/cosi-<version>/, so that its outputs (which dpkg-buildpackage
# writes to the parent directory) land in build/deb/.  Then lintian on
# the .changes (debian/*.lintian-overrides say why each override is
# there); a tag it reports fails the target.  The build's PATH is
# sbuild's, as on a buildd: a python3 ahead of Debian's (pyenv, a venv)
# would build python3-cosi for an interpreter the package is not for.
DEB_DIR	:= $(BUILD)/deb
DEB_SRC	:= $(DEB_DIR)/cosi-$(COSI_VERSION)
DEB_PATH := /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
deb:
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(COSI_VERSION)" ] || \
		{ echo "deb: debian/changelog is $$v, VERSION says $(COSI_VERSION)"; exit 1; }
	@v=$$(sed -n 's/^version = "\(.*\)"/\1/p' python/pyproject.toml); \
		[ "$$v" = "$(COSI_VERSION)" ] || \
		{ echo "deb: python/pyproject.toml is $$v, VERSION says $(COSI_VERSION)"; exit 1; }
	rm -rf $(DEB_DIR); mkdir -p $(DEB_SRC)
	git ls-files -z -co --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && PATH=$(DEB_PATH) dpkg-buildpackage -us -uc -b \
		> $(DEB_DIR)/build.log 2>&1 || \
		{ tail -n 40 $(DEB_DIR)/build.log; exit 1; }
	@ls $(DEB_DIR)/*.deb

lintian: deb
	lintian --fail-on warning,info --display-info $(DEB_DIR)/cosi_$(COSI_VERSION)_*.changes

# cosi-dkms through dkms for each target kernel, on this host, in
# build/dist (tests/dist/dkms.sh); `make test` runs it, then
# tests/dist/install.sh in each kernel's VM.
test-dkms: deb
	tests/dist/dkms.sh
