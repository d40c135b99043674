#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's main job, inside the VM: load cosi.ko, define a type,
# create a resource, and show both with the kernel's own YNL CLI.
set -e
kver=${1:-$(uname -r)}
ynl() {
	python3 build/ksrc/tools/net/ynl/cli.py \
		--spec build/ynl-tree/Documentation/netlink/specs/cosi.yaml "$@"
}
insmod "build/kmod-$kver/cosi.ko"
echo "# cosi.ko loaded on $(uname -r)"
echo "# definition-set Links.net.cosi.dev"
ynl --do definition-set --json '{"type": "Links.net.cosi.dev", "alias": ["link"],
  "field": [{"name": "mtu", "type": "u64", "required": true},
            {"name": "up", "type": "bool"}],
  "print-column": [{"name": "MTU", "field": "mtu"}]}'
echo "# resource-create network/Links.net.cosi.dev/eth0"
ynl --do resource-create --json '{"namespace": "network", "type": "Links.net.cosi.dev",
  "id": "eth0", "labels": {"label": [{"key": "role", "value": "uplink"}]},
  "spec": {"field": [{"name": "mtu", "u64": 1500}, {"name": "up", "bool": 1}]}}'
echo "# resource-get --dump"
ynl --dump resource-get --json '{"namespace": "network", "type": "Links.net.cosi.dev"}'
echo "# definition-get --dump"
ynl --dump definition-get
rmmod cosi
