# SPDX-License-Identifier: GPL-2.0
# Distribution: the DKMS source tree, the man pages, the Debian packages
# (debian/), and their tests.  Included by the top-level Makefile.

# The version of every package: cosictl's (cosictl version).
COSI_VERSION := $(shell sed -n 's/^\#define COSICTL_VERSION_STR[^"]*"\(.*\)"/\1/p' \
			daemon/cosictl/cosictl.h)
PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
PYTHON	?= python3

.PHONY: install-dkms man install-man deb lintian test-dkms

# /usr/src/cosi-<version>: what dkms.conf builds cosi.ko from (kmod/ and
# the UAPI header it includes), for `dkms add/build/install cosi/<version>`.
# Debian's cosi-dkms ships this tree.
DKMS_SRC = $(DESTDIR)/usr/src/cosi-$(COSI_VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kmod/include/cosi $(DKMS_SRC)/uapi/linux
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 0644 kmod/include/cosi/*.h $(DKMS_SRC)/kmod/include/cosi/
	install -m 0644 uapi/linux/cosi.h $(DKMS_SRC)/uapi/linux/
	sed 's/#MODULE_VERSION#/$(COSI_VERSION)/' dkms.conf > $(DKMS_SRC)/dkms.conf

# cosid(8) and cosictl(1) from Documentation/*.rst (docutils), generated
# at build time, never committed.
MAN_PAGES := $(BUILD)/man/cosid.8 $(BUILD)/man/cosictl.1
man: $(MAN_PAGES)
$(BUILD)/man/cosid.8: Documentation/cosid.rst scripts/rst2man.py
	@mkdir -p $(dir $@)
	$(PYTHON) scripts/rst2man.py 8 $(COSI_VERSION) $< $@
$(BUILD)/man/cosictl.1: Documentation/cosictl.rst scripts/rst2man.py
	@mkdir -p $(dir $@)
	$(PYTHON) scripts/rst2man.py 1 $(COSI_VERSION) $< $@

install-man: man
	install -D -m 0644 $(BUILD)/man/cosid.8 $(DESTDIR)$(MANDIR)/man8/cosid.8
	install -D -m 0644 $(BUILD)/man/cosictl.1 $(DESTDIR)$(MANDIR)/man1/cosictl.1
