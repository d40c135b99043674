#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drive every cosi operation with the kernel's own YNL CLI
# (tools/net/ynl/cli.py) and nothing but the YNL spec, and check the
# replies.  Runs where cosi.ko is loaded (in the VM: tests/vm/guest-tests.sh),
# as root, from anywhere in the repository; needs build/ksrc (make ksrc).
#
# Prints TAP and a kselftest "# Totals:" line; exits non-zero on failure.
# YNL_CLI= overrides the cli.py to use.

# guest-tests.sh runs "sh ynl-cli.sh": this script needs bash.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cli=${YNL_CLI:-$top/build/ksrc/tools/net/ynl/cli.py}
schemas=$(dirname "$cli")/../../../Documentation/netlink

ntest=0
npass=0
nfail=0
nskip=0

tmp=$(mktemp -d /tmp/ynl-cli.XXXXXX)
sub_pid=
cleanup() {
	[ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "TAP version 13"

totals() {
	echo "1..$ntest"
	echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
	[ "$nfail" -eq 0 ]
	exit
}

pass() {
	ntest=$((ntest + 1)) npass=$((npass + 1))
	echo "ok $ntest $1"
}

# fail NAME [DETAIL]: the last command and its output go to the TAP log.
fail() {
	ntest=$((ntest + 1)) nfail=$((nfail + 1))
	echo "not ok $ntest $1"
	[ -n "${2:-}" ] && echo "$2" | sed 's/^/# /'
	echo "# command: $last_cmd"
	echo "# exit status: $rc"
	head -n 40 <<<"$out" | sed 's/^/# | /'
}

skip() {
	ntest=$((ntest + 1)) nskip=$((nskip + 1))
	echo "ok $ntest $1 # SKIP $2"
}

if [ ! -f "$cli" ] || [ ! -f "$schemas/genetlink.yaml" ]; then
	last_cmd="test -f $cli" rc=1 out="missing: run make ksrc"
	fail "ynl cli and netlink schemas present"
	totals
fi

# The YNL tools expect the spec in a kernel-like tree: specs next to the
# netlink schemas (genetlink.yaml, which cli.py validates the spec against).
tree=$tmp/tree
mkdir -p "$tree/Documentation/netlink/specs"
touch "$tree/MAINTAINERS"
cp "$schemas"/*.yaml "$tree/Documentation/netlink/"
cp "$top/Documentation/netlink/specs/cosi.yaml" "$tree/Documentation/netlink/specs/"
spec=$tree/Documentation/netlink/specs/cosi.yaml

# Names unique to this run, so that a rerun or another user of the netns
# does not collide.
sfx=$$
NS=ynl-$sfx
T=YnlTest$sfx.cosi.dev
TS=YnlSecret$sfx.cosi.dev
A1=ynlt$sfx
A2=yt$sfx

# Formatted extack messages (naming the offending field) need 6.2+.
if printf '6.2\n%s\n' "$(uname -r)" | sort -V -C; then
	fmt_extack=1
else
	fmt_extack=0
fi

# Assertions are Python expressions over the cli's output:
#   r      the reply, decoded from cli.py --output-json
#   errno  the (positive) errno of a failed request, msg its extack message,
#          ext the whole extack dict
#   out    the raw output text
cat > "$tmp/q.py" <<'EOF'
import ast, json, re, sys

mode, expr = sys.argv[1], sys.argv[2]
out = sys.stdin.read()


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line[:1] in ('[', '{') or line == 'null':
            return json.loads(line)
    raise ValueError('no JSON in the output')


def labels(x):
    """A labels nest as a dict."""
    return {l['key']: l.get('value', '') for l in (x or {}).get('label', [])}


def fields(spec):
    """A spec as {field: value}; string lists as Python lists."""
    d = {}
    for f in (spec or {}).get('field', []):
        (k, v), = [(k, v) for k, v in f.items() if k != 'name']
        d[f['name']] = v.get('item', []) if k == 'strings' else v
    return d


def attrs(spec):
    """Which value attribute each spec field carries."""
    return {f['name']: [k for k in f if k != 'name'] for f in spec['field']}


def names(spec):
    return [f['name'] for f in (spec or {}).get('field', [])]


def ids(rs):
    return [x['id'] for x in rs]


def kinds(evs):
    return [e['event'] for e in evs]


def fins(r):
    return (r.get('finalizers') or {}).get('finalizer', [])


env = dict(out=out, labels=labels, fields=fields, attrs=attrs, names=names,
           ids=ids, kinds=kinds, fins=fins)
try:
    if mode == 'err':
        m = re.search(r'^\s*error: (-?\d+)\s*$', out, re.M)
        env['errno'] = -int(m.group(1)) if m else None
        m = re.search(r'^\s*extack: (\{.*\})\s*$', out, re.M)
        env['ext'] = ast.literal_eval(m.group(1)) if m else {}
        env['msg'] = env['ext'].get('msg', '')
    elif mode != 'text':
        env['r'] = parse_json(out)
    val = eval(expr, env)
except Exception as e:
    print(f'{type(e).__name__}: {e}', file=sys.stderr)
    sys.exit(2)
if mode == 'get':
    print(val if isinstance(val, (int, str)) else json.dumps(val))
    sys.exit(0)
sys.exit(0 if val else 1)
EOF

# Substitute this run's names into a request.
subst() {
	local s=$1
	s=${s//@KEY@/\"namespace\": \"$NS\", \"type\": \"$T\"}
	s=${s//@SKEY@/\"namespace\": \"$NS\", \"type\": \"$TS\"}
	s=${s//@NS@/$NS}
	s=${s//@TS@/$TS}
	s=${s//@T@/$T}
	s=${s//@A1@/$A1}
	s=${s//@A2@/$A2}
	printf '%s' "$s"
}

# ynl [--as-user] ARGS...: run cli.py; sets out (stdout and stderr) and rc.
# --as-user drops CAP_NET_ADMIN (from the bounding set, so also for root).
ynl() {
	local pre=() args=() a
	if [ "${1:-}" = --as-user ]; then
		pre=(setpriv --bounding-set -net_admin)
		shift
	fi
	for a in "$@"; do
		args+=("$(subst "$a")")
	done
	last_cmd="${pre[*]} cli.py --output-json ${args[*]}"
	out=$(timeout 120 "${pre[@]}" python3 "$cli" --spec "$spec" --output-json \
		"${args[@]}" 2>&1)
	rc=$?
}

q() {
	qerr=$(python3 "$tmp/q.py" "$1" "$2" <<<"$out" 2>&1 >/dev/null)
}

# check NAME EXPR: the last request succeeded and EXPR holds for its reply.
check() {
	if [ "$rc" -eq 0 ] && q ok "$2"; then
		pass "$1"
	else
		fail "$1" "expected success and: $2${qerr:+ ($qerr)}"
	fi
}

# check_err NAME ERRNO [EXPR]: the last request failed with ERRNO (and EXPR
# holds, with msg the extack message).
check_err() {
	if [ "$rc" -ne 0 ] && q err "errno == $2 and (${3:-True})"; then
		pass "$1"
	else
		fail "$1" "expected errno $2${3:+ and: $3}${qerr:+ ($qerr)}"
	fi
}

# check_text NAME EXPR: EXPR holds for the raw output (out).
check_text() {
	if [ "$rc" -eq 0 ] && q text "$2"; then
		pass "$1"
	else
		fail "$1" "expected: $2${qerr:+ ($qerr)}"
	fi
}

# get EXPR: print EXPR of the last reply (empty when it cannot be had).
get() {
	python3 "$tmp/q.py" get "$1" <<<"$out" 2>/dev/null
}

# A field named in an extack message, where the kernel can format one;
# on 6.1 the message is generic and the offset points at the attribute.
named() {
	if [ "$fmt_extack" = 1 ]; then
		echo "'$1' in msg"
	else
		echo "'bad-attr-offs' in ext or msg != ''"
	fi
}

EINVAL=22 ENOENT=2 EEXIST=17 ESTALE=116 EACCES=13 EBUSY=16 EPERM=1
ERANGE=34

# The spec loads, validates against genetlink.yaml, and names every op.
ynl --list-ops
check_text "spec validates and lists every op" \
	"all(f'\n{op} ' in '\n' + out for op in ['resource-get', 'resource-create',
	  'resource-update', 'resource-destroy', 'resource-teardown',
	  'finalizer-add', 'finalizer-remove', 'definition-set', 'definition-get',
	  'definition-delete', 'owner-claim', 'watch', 'watch-stop'])"

# --- definitions -----------------------------------------------------------

DEF='{"type": "@T@", "alias": ["@A1@", "@A2@"], "default-namespace": "@NS@",
  "sensitivity": "public",
  "field": [{"name": "mtu", "type": "u64", "required": true},
            {"name": "offset", "type": "s64"},
            {"name": "up", "type": "bool"},
            {"name": "name", "type": "string"},
            {"name": "mac", "type": "bytes"},
            {"name": "tags", "type": "string-list"}],
  "print-column": [{"name": "MTU", "field": "mtu"},
                   {"name": "Name", "field": "name"}]'
ynl --do definition-set --json "$DEF}"
check "definition-set: every field type, aliases, columns" \
	"r['type'] == '$T' and r['alias'] == ['$A1', '$A2']
	 and r['default-namespace'] == '$NS' and r['sensitivity'] == 'public'
	 and [(f['name'], f['type'], f.get('required', False)) for f in r['field']] ==
	     [('mtu', 'u64', True), ('offset', 's64', False), ('up', 'bool', False),
	      ('name', 'string', False), ('mac', 'bytes', False),
	      ('tags', 'string-list', False)]
	 and r['print-column'] == [{'name': 'MTU', 'field': 'mtu'},
	                           {'name': 'Name', 'field': 'name'}]
	 and r['resources'] == 0 and r['revision'] > 0"
def_rev=$(get "r['revision']")

ynl --do definition-set --json '{"type": "@TS@", "sensitivity": "sensitive",
  "field": [{"name": "token", "type": "bytes", "required": true}]}'
check "definition-set: sensitive type, default namespace" \
	"r['type'] == '$TS' and r['sensitivity'] == 'sensitive'
	 and r['default-namespace'] != '' and r['revision'] > ${def_rev:-0}
	 and 'alias' not in r and 'print-column' not in r"

ynl --do definition-set --json '{"type": "Ynl'$sfx'.other", "alias": ["@A2@X"],
  "field": [{"name": "x", "type": "u64"}],
  "print-column": [{"name": "X", "field": "nosuch"}]}'
check_err "definition-set: print column of an unknown field refused" \
	$EINVAL "$(named nosuch)"

ynl --do definition-set --json '{"type": "Ynl'$sfx'.other",
  "alias": ["'"${A1^^}"'"], "field": [{"name": "x", "type": "u64"}]}'
check_err "definition-set: alias taken by another type (any case)" $EEXIST

ynl --do definition-get --json '{"type": "@T@"}'
check "definition-get by type" \
	"r['type'] == '$T' and len(r['field']) == 6 and r['revision'] == ${def_rev:-0}"

ynl --do definition-get --json '{"type": "@A2@"}'
check "definition-get by alias" "r['type'] == '$T' and r['alias'][1] == '$A2'"

ynl --do definition-get --json '{"type": "'"${A1^^}"'"}'
check "definition-get by alias, other case" "r['type'] == '$T'"

ynl --do definition-get --json '{"type": "Nosuch'$sfx'.type"}'
check_err "definition-get of an undefined type" $ENOENT

ynl --dump definition-get
check "definition-get dump" \
	"sorted(d['type'] for d in r if d['type'] in ('$T', '$TS')) ==
	 sorted(['$T', '$TS'])
	 and [d['sensitivity'] for d in r if d['type'] == '$TS'] == ['sensitive']"

# --- create and read -------------------------------------------------------

# Fields in a shuffled order: the kernel stores them in schema order.
SPEC0='{"field": [{"name": "tags", "strings": {"item": ["a", "b c"]}},
  {"name": "mac", "bytes": "00a1b2ff"}, {"name": "mtu", "u64": 1500},
  {"name": "offset", "s64": -42}, {"name": "up", "bool": 1},
  {"name": "name", "string": "uplink port"}]}'
LAB0='{"label": [{"key": "role", "value": "uplink"},
  {"key": "mem", "value": "512Mi"}]}'
ynl --do resource-create --json '{@KEY@, "id": "eth0", "labels": '"$LAB0"',
  "annotations": {"label": [{"key": "note", "value": "first port"}]},
  "spec": '"$SPEC0"'}'
check "resource-create: labels, annotations, every spec field type" \
	"r['namespace'] == '$NS' and r['type'] == '$T' and r['id'] == 'eth0'
	 and r['version'] == 1 and r['phase'] == 'running'
	 and r.get('owner', '') == ''
	 and labels(r['labels']) == {'role': 'uplink', 'mem': '512Mi'}
	 and labels(r['annotations']) == {'note': 'first port'}
	 and fields(r['spec']) == {'mtu': 1500, 'offset': -42, 'up': 1,
	     'name': 'uplink port', 'mac': '00a1b2ff', 'tags': ['a', 'b c']}
	 and r['created'] == r['updated'] and r['created'] > 1600000000 * 10**9
	 and r['revision'] > ${def_rev:-0} and not fins(r)"
eth0_rev=$(get "r['revision']")
eth0_created=$(get "r['created']")
check "resource-create: spec in schema order, one value attribute each" \
	"names(r['spec']) == ['mtu', 'offset', 'up', 'name', 'mac', 'tags']
	 and attrs(r['spec']) == {'mtu': ['u64'], 'offset': ['s64'], 'up': ['bool'],
	     'name': ['string'], 'mac': ['bytes'], 'tags': ['strings']}"

ynl --do resource-create --json '{@KEY@, "id": "eth1",
  "labels": {"label": [{"key": "role", "value": "backup"},
                       {"key": "mem", "value": "2Gi"}]},
  "spec": {"field": [{"name": "mtu", "u64": 18446744073709551615},
                     {"name": "offset", "s64": -9223372036854775808}]}}'
check "resource-create: u64 and s64 extremes" \
	"fields(r['spec']) == {'mtu': 18446744073709551615,
	                       'offset': -9223372036854775808}
	 and r['revision'] > ${eth0_rev:-0}"

ynl --do resource-create --json '{@KEY@, "id": "lo",
  "labels": {"label": [{"key": "mem", "value": "lots"}]},
  "spec": {"field": [{"name": "mtu", "u64": 65536}]}}'
check "resource-create: third resource" \
	"r['id'] == 'lo' and r['version'] == 1 and 'annotations' not in r
	 or labels(r.get('annotations')) == {}"
rev0=$(get "r['revision']")

ynl --do resource-create --json '{@SKEY@, "id": "secret",
  "spec": {"field": [{"name": "token", "bytes": "deadbeef"}]}}'
check "resource-create: sensitive type" \
	"fields(r['spec']) == {'token': 'deadbeef'}"
rev0=$(get "r['revision']")

ynl --do resource-create --json '{@KEY@, "id": "eth0",
  "spec": {"field": [{"name": "mtu", "u64": 1}]}}'
check_err "resource-create of an existing resource" $EEXIST

ynl --do resource-create --json '{@KEY@, "id": "bad",
  "spec": {"field": [{"name": "offset", "s64": 1}]}}'
check_err "resource-create without a required field" $EINVAL "$(named mtu)"

ynl --do resource-create --json '{@KEY@, "id": "bad",
  "spec": {"field": [{"name": "mtu", "string": "1500"}]}}'
check_err "resource-create with a wrong value type" $EINVAL "$(named mtu)"

ynl --do resource-create --json '{@KEY@, "id": "bad",
  "spec": {"field": [{"name": "mtu", "u64": 1}, {"name": "speed", "u64": 1}]}}'
check_err "resource-create with an unknown field" $EINVAL "$(named speed)"

ynl --do resource-create --json '{"namespace": "@NS@", "type": "Nosuch'$sfx'.type",
  "id": "x", "spec": {"field": []}}'
check_err "resource-create of an undefined type" $ENOENT

ynl --do resource-get --json '{@KEY@, "id": "eth0"}'
check "resource-get do" \
	"r['id'] == 'eth0' and r['version'] == 1 and r['revision'] == ${eth0_rev:-0}
	 and r['created'] == ${eth0_created:-0}
	 and fields(r['spec'])['tags'] == ['a', 'b c']
	 and fields(r['spec'])['mac'] == '00a1b2ff'
	 and labels(r['annotations']) == {'note': 'first port'}"

ynl --do resource-get --json '{@KEY@, "id": "nosuch"}'
check_err "resource-get of a missing resource" $ENOENT

ynl --do resource-get --json '{"namespace": "@NS@x", "type": "@T@", "id": "eth0"}'
check_err "resource-get in another namespace" $ENOENT

# --- lists and label queries ------------------------------------------------

ynl --dump resource-get --json '{@KEY@}'
check "resource-get dump: sorted by id" "ids(r) == ['eth0', 'eth1', 'lo']
	 and r[0]['version'] == 1 and 'spec' in r[1]"

ynl --dump resource-get --json '{@KEY@, "id-prefix": "eth"}'
check "resource-get dump: id-prefix" "ids(r) == ['eth0', 'eth1']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "role", "op": "equal", "value": ["uplink"]}]}]}'
check "label query: equal" "ids(r) == ['eth0']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "role", "op": "in", "value": ["uplink", "backup"]}]}]}'
check "label query: in" "ids(r) == ['eth0', 'eth1']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "role", "op": "exists", "invert": true}]}]}'
check "label query: inverted exists matches a missing key" "ids(r) == ['lo']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "mem", "op": "lt-numeric", "value": ["1Gi"]}]}]}'
check "label query: lt-numeric with suffixes" "ids(r) == ['eth0']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "mem", "op": "lt-numeric", "value": ["1Gi"], "invert": true}]}]}'
check "label query: inverted numeric skips non-numbers" "ids(r) == ['eth1']"

ynl --dump resource-get --json '{@KEY@, "label-query": [{"term":
  [{"key": "mem", "op": "lte", "value": ["512Mi"]},
   {"key": "role", "op": "exists"}]}]}'
check "label query: bytewise lte, terms ANDed" "ids(r) == ['eth0', 'eth1']"
