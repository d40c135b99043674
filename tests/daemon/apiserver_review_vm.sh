#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cosi-apiserver's edges: inputs and orderings tests/daemon/apiserver_vm.sh
# does not cover (from a review).  Inside the VM as root with
# cosi.ko loaded, from the top of the tree.  The whole script runs again
# in a network namespace of its own whose event history holds 16 events
# (history_size is read when a netns is made), so that "the history no
# longer reaches back" is quick to reach.  No cosid: the apiserver and
# cosictl talk to the kernel.

top=$(pwd)
hs=/sys/module/cosi/parameters/history_size
if [ -z "${REVK_IN_NETNS:-}" ]; then
	old_hs=$(cat $hs)
	echo 16 > $hs
	REVK_IN_NETNS=1 unshare -n sh "$0" "$@"
	rc=$?
	echo "$old_hs" > $hs
	exit $rc
fi
ip link set lo up
# Small segments: a stalled reader fills the server's socket sooner (8).
ip link set lo mtu 1500

TMP_NAME=apiserver_review
. "$top/tests/daemon/cosid.sh"
API=$B/cosi-apiserver
KUBECTL=${KUBECTL:-kubectl}
PORT=16444
URL=https://127.0.0.1:$PORT
P=$T/pki
KC=$T/kubeconfig
RO='Authorization: Bearer tok-reader-0123456789abcdef'
OP='Authorization: Bearer tok-operator-0123456789abcdef'
apid=
spid=
trap 'kill -9 $apid $spid 2>/dev/null' EXIT

on_fail() {
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && head -n 15 "$f" | show "$(basename "$f")"
	done
	[ -s "$T/api.log" ] && tail -n 15 "$T/api.log" | show apiserver
}
out_has() { grep -q -- "$1" "$T/out"; }
py() { python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)"; }

# The apiserver_vm.sh helpers this script shares (certificates, start).
eval "$(sed -n '/^mkpki() {/,/^}/p; /^start_api() {/,/^}/p; /^stop_api() {/,/^}/p; /^curl_code() {/,/^}/p; /^kubeconfig() {/,/^}/p' \
	"$top/tests/daemon/apiserver_vm.sh")"
check "certificates made with openssl" mkpki "$P"
printf '%s,operator,tok-op\n%s,read-only,tok-ro\n' \
	tok-operator-0123456789abcdef tok-reader-0123456789abcdef > "$T/tokens"
check "kubeconfig written with kubectl config" kubeconfig

cat > "$T/kt.yaml" <<'YAML'
type: Tests.kube.cosi.dev
aliases: [kt]
default-namespace: kube
fields:
  - {name: note, type: string}
columns:
  - {name: NOTE, field: note}
YAML
cat > "$T/secret.yaml" <<'YAML'
type: Secrets.kube.cosi.dev
aliases: [ksecret, ksecrets]
default-namespace: config
sensitivity: sensitive
fields:
  - {name: data, type: string}
YAML
printf 'metadata: {type: Secrets.kube.cosi.dev, id: s1}\nspec: {data: hunter2}\n' > "$T/s1.yaml"
check "define a public and a sensitive type, write a secret" eval \
	'ctl define -f "$T/kt.yaml" && ctl define -f "$T/secret.yaml" && ctl apply -f "$T/s1.yaml"'
printf 'metadata: {type: kt, id: quiet}\nspec: {note: "q"}\n' > "$T/quiet.yaml"
check "a resource in namespace kube" ctl apply -f "$T/quiet.yaml"

start_api --watch-max 60
check "cosi-apiserver starts" kill -0 "$apid"
C="--cacert $P/ca.crt"
KT=$URL/apis/cosi.dev/v1alpha1/namespaces/kube/tests
SEC=$URL/apis/cosi.dev/v1alpha1/namespaces/config/secrets/s1

# 1. Roles on one keep-alive connection (one thread): each request runs
# with its own role's capabilities, whichever came before.
curl -s $C -o /dev/null -w '%{http_code} %{num_connects}\n' -H "$RO" "$SEC" \
	--next -s $C -o /dev/null -w '%{http_code} %{num_connects}\n' -H "$OP" "$SEC" \
	--next -s $C -o /dev/null -w '%{http_code} %{num_connects}\n' -H "$RO" "$SEC" \
	--next -s $C -o /dev/null -w '%{http_code} %{num_connects}\n' -H "$RO" "$SEC?watch=1&timeoutSeconds=1" \
	--next -s $C -o /dev/null -w '%{http_code} %{num_connects}\n' -H "$OP" "$SEC" \
	> "$T/out" 2> "$T/err"
check "roles in turn: read-only 403, operator 200, read-only 403, read-only watch 403, operator 200" \
	[ "$(awk '{ printf "%s ", $1 }' "$T/out")" = "403 200 403 403 200 " ]
# Kept alive: answered at the handler's first call, libmicrohttpd would
# take the reply as an early one and close the connection after it, so
# that every request of kubectl cost a TCP connection, a TLS handshake
# and a thread.
check "keep-alive: those five requests on one connection ($(awk '{ printf "%s", $2 }' "$T/out") connects)" \
	[ "$(awk '{ printf "%s ", $2 }' "$T/out")" = "1 0 0 0 0 " ]

# 1b. TLS versions: Kubernetes' apiserver serves TLS 1.2 and 1.3 only;
# libmicrohttpd's default GnuTLS priorities would accept 1.0 and 1.1.
cat > "$T/tls.py" <<EOF
import socket, ssl, warnings
warnings.simplefilter("ignore")
for v in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ctx.maximum_version = v
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", $PORT)))
        print(v.name, "accepted", s.version())
        s.close()
    except (ssl.SSLError, OSError) as e:
        print(v.name, "refused")
EOF
python3 "$T/tls.py" > "$T/out" 2> "$T/err"
check "TLS 1.0 and 1.1 refused" eval '! grep -q accepted "$T/out"'

# 1c. Tokens: one line per token (a second would shadow the first's
# role); blanks after the header's token are not the token's.
printf '%s,operator\n%s,read-only\n' tok-operator-0123456789abcdef \
	tok-operator-0123456789abcdef > "$T/dup"
"$API" --listen 127.0.0.1:16445 --tls-cert "$P/server.crt" \
	--tls-key "$P/server.key" --token-file "$T/dup" > "$T/out" 2>&1
check "a token file with one token twice is refused, naming both lines" \
	eval 'out_has "dup:2: the same token as line 1"'
check "Authorization: Bearer TOKEN with trailing blanks: the token's role (200)" \
	curl_code 200 -H "$OP   " "$SEC"

# 2. A list's resourceVersion on a quiet type in a busy netns.  Were it
# the revision of its newest item, 30 changes of the same type in another
# namespace since would push it out of the 16-event history, so that a
# watch from it (what kubectl get -w and every informer do) were answered
# 410 Expired, and listing again gave the same resourceVersion: a client
# could never start its watch.  It is the store's revision.
i=0
: > "$T/busy.yaml"
while [ $i -lt 30 ]; do
	printf -- '---\nmetadata: {namespace: busy, type: kt, id: b%02d}\nspec: {note: "%0400d"}\n' $i $i >> "$T/busy.yaml"
	i=$((i + 1))
done
check "30 changes in namespace busy" ctl apply -f "$T/busy.yaml"
curl -s $C -H "$OP" -o "$T/out" "$KT"
rv=$(python3 -c "import json; print(json.load(open('$T/out'))['metadata']['resourceVersion'])")
check "the list of namespace kube: one item (resourceVersion $rv)" py 'len(d["items"]) == 1'
check "a watch from the list's resourceVersion is served (not 410)" \
	curl_code 200 -H "$OP" "$KT?watch=1&resourceVersion=$rv&timeoutSeconds=1"
check "... and carries no ERROR event" eval '! out_has "\"ERROR\""'
HOME=$T timeout 8 "$KUBECTL" --kubeconfig "$KC" --cache-dir "$T/kcache" \
	get kt -n kube -w --output-watch-events > "$T/out" 2> "$T/err"
cat "$T/err" >> "$T/out"
check "kubectl get kt -n kube -w: the row, no Expired error" eval \
	'out_has "quiet" && ! out_has "Expired"'

# 2b. A label-selector watch, as Kubernetes sends it: an object that
# stops matching is DELETED for the watcher, one that starts matching is
# ADDED (the client never had it), not MODIFIED.
lab() { printf 'metadata: {namespace: sel, type: kt, id: m1, labels: {tier: %s}}\nspec: {note: "n"}\n' "$1" > "$T/m1.yaml" && ctl apply -f "$T/m1.yaml"; }
curl -s -N $C -H "$OP" --max-time 30 -o "$T/sel.out" \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/sel/tests?watch=1&labelSelector=tier%3Dfront&timeoutSeconds=12" &
selpid=$!
sleep 2
lab front; sleep 1; lab back; sleep 1; lab front
wait $selpid
python3 -c "import json; print(' '.join(json.loads(l)['type'] for l in open('$T/sel.out')))" > "$T/out" 2> "$T/err"
check "labelSelector watch: ADDED, DELETED (left the selector), ADDED (entered it): $(cat "$T/out")" \
	[ "$(cat "$T/out")" = "ADDED DELETED ADDED" ]

# 2c. A client that asks for its initial events by watch
# (sendInitialEvents=true, resourceVersionMatch=NotOlderThan: client-go's
# WatchList) waits for a BOOKMARK annotated k8s.io/initial-events-end; a
# server without the feature must refuse the parameters (as Kubernetes
# servers with it off do, with 4xx, so client-go falls back to list+watch)
# or send that bookmark (ignored, the client would wait for ever).
curl -s $C -H "$OP" --max-time 10 -o "$T/out" -w '%{http_code}' \
	"$KT?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2" > "$T/code"
check "sendInitialEvents=true: refused (4xx) or ends its initial events with the initial-events-end BOOKMARK" eval \
	'case $(cat "$T/code") in 4*) true ;; *) grep -q "\"BOOKMARK\".*initial-events-end" "$T/out" ;; esac'

# 3. Path segments and query values: an escaped NUL would end the
# segment where it is unescaped, so that another name than the one asked
# for is served.  400, as no name holds a NUL.
check "a name with %00 in it is not another name (400, not the object)" \
	curl_code 400 -H "$OP" "$KT/quiet%00junk"
check "a plural with %00 in it is not another resource (400)" \
	curl_code 400 -H "$OP" "$URL/apis/cosi.dev/v1alpha1/namespaces/kube/tests%00x/quiet"
check "a fieldSelector with %00 in it is not a shorter name (400)" \
	curl_code 400 -H "$OP" "$KT?fieldSelector=metadata.name%3Dquiet%00junk"
check "empty path segments (//apis///cosi.dev//): 404" \
	curl_code 404 -H "$OP" "$URL//apis///cosi.dev//"

# 4. An empty fieldSelector name: the list matches nothing; the watch
# must not widen to every resource of the namespace.
check "list with fieldSelector=metadata.name= : no items" eval \
	'curl_code 200 -H "$OP" "$URL/apis/cosi.dev/v1alpha1/namespaces/busy/tests?fieldSelector=metadata.name%3D" &&
	 py "len(d[\"items\"]) == 0"'
curl -s $C -H "$OP" -o "$T/out" --max-time 10 \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/busy/tests?watch=1&fieldSelector=metadata.name%3D&timeoutSeconds=1"
check "watch with fieldSelector=metadata.name= : no events either (not all 30)" \
	eval '! out_has "\"ADDED\""'

# 5. Query values that are not numbers: Kubernetes answers 400.
check "timeoutSeconds=abc: 400 BadRequest (not a watch to --watch-max)" \
	curl_code 400 -H "$OP" --max-time 5 "$KT?watch=1&timeoutSeconds=abc"
check "timeoutSeconds=-1: 400 BadRequest" \
	curl_code 400 -H "$OP" --max-time 5 "$KT?watch=1&timeoutSeconds=-1"

# 6. JSON: a spec string with quotes, a backslash, control characters.
printf 'metadata: {type: kt, id: esc}\nspec: {note: "a\\"b\\\\c\\u0001d\\ne\\u007f</x>"}\n' > "$T/esc.yaml"
ctl apply -f "$T/esc.yaml"
check "a string with quotes and control characters round-trips as JSON" eval \
	'curl_code 200 -H "$OP" "$KT/esc" && py "d[\"spec\"][\"note\"] == \"a\\\"b\\\\c\\x01d\\ne\\x7f</x>\""'

# 7. HEAD of a watch: headers, then done (not held to timeoutSeconds).
t0=$(date +%s)
curl -s $C -I -H "$OP" --max-time 20 -o "$T/out" "$KT?watch=1&timeoutSeconds=15"
t1=$(date +%s)
check "HEAD of a watch returns in under 5 s ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 5 ]

# 8. A watcher that stops reading.  A namespace of 300 resources of
# 1 KiB: a watch of it without resourceVersion starts with 300 ADDED
# events, more than the sockets between the server and a client with a
# 2 KiB receive buffer hold.  The watch's deadline (timeoutSeconds=3) is
# checked only when libmicrohttpd asks for more data, which it does not
# while the socket is full: without the connection timeout (its clock
# started again at each hand-off) the connection (a thread, a slot of
# --max-connections and --max-per-ip) were held as long as the client
# likes.
: > "$T/big.yaml"
i=0
while [ $i -lt 300 ]; do
	printf -- '---\nmetadata: {namespace: big, type: kt, id: c%03d}\nspec: {note: "%01000d"}\n' $i $i >> "$T/big.yaml"
	i=$((i + 1))
done
check "300 resources of 1 KiB in namespace big" ctl apply -f "$T/big.yaml"
cat > "$T/stall.py" <<EOF
import socket, ssl, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", $PORT))
ctx = ssl.create_default_context(cafile="$P/ca.crt")
t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
t.sendall(b"GET /apis/cosi.dev/v1alpha1/namespaces/big/tests?watch=1&timeoutSeconds=3 HTTP/1.1\\r\\n"
          b"Host: 127.0.0.1\\r\\nAuthorization: Bearer tok-reader-0123456789abcdef\\r\\n\\r\\n")
open("$T/stall.started", "w").close()
time.sleep(60)
EOF
python3 "$T/stall.py" 2> "$T/err" &
spid=$!
i=0
until [ -e "$T/stall.started" ] || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
sleep 12
estab() { ss -Htn state established "( sport = :$PORT )" | wc -l; }
ss -tn state established "( sport = :$PORT )" > "$T/out" 2>&1
check "a stalled watcher's connection is closed after its timeoutSeconds (9 s past it: $(estab) open)" \
	[ "$(estab)" = 0 ]

# 9. SIGTERM while that watcher is still stalled: the server exits.
kill -TERM "$apid"
i=0
while kill -0 "$apid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
check "SIGTERM with a stalled watcher: cosi-apiserver exits within 10 s" eval '! kill -0 "$apid" 2>/dev/null'
kill -9 "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
apid=
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
spid=

# 10. Lists while the listed collection changes.  serve.c's list_all()
# reads a list again when the dump was interrupted (NLM_F_DUMP_INTR), at
# most three times; after a third interrupted read the answer is a 503
# with Retry-After (it once dereferenced the NULL list: a client allowed
# to list a type that churns could crash the server).  Three interrupted
# dumps in a row are rare on an idle VM (a stress of 60 lists against
# two writers did not hit it), so a shim
# (LD_PRELOAD, on the build without sanitizers: ASan must come first)
# marks every list interrupted, as a busy collection would.
cat > "$T/intr.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include "cosi.h"
int cosi_list(struct cosi *c, const struct cosi_list_req *q,
	      struct cosi_list **out)
{
	static int (*real)(struct cosi *, const struct cosi_list_req *,
			   struct cosi_list **);
	int err;

	if (!real)
		real = (int (*)(struct cosi *, const struct cosi_list_req *,
				struct cosi_list **))dlsym(RTLD_NEXT, "cosi_list");
	err = real(c, q, out);
	if (!err)
		(*out)->intr = true;
	return err;
}
EOF
check "a shim that marks every list interrupted" \
	gcc -shared -fPIC -I "$top/lib" -I "$top/uapi" -o "$T/intr.so" "$T/intr.c" -ldl
API=$top/build/daemon/cosi-apiserver
export LD_PRELOAD="$T/intr.so"
start_api
unset LD_PRELOAD
check "cosi-apiserver (with the shim) starts" kill -0 "$apid"
curl -s $C -H "$RO" -o "$T/out" -D "$T/hdr" -w '%{http_code}' --max-time 20 "$KT" > "$T/code"
sleep 1
check "a list interrupted three times: 503 with Retry-After ($(cat "$T/code")), the server still running" \
	eval 'kill -0 "$apid" 2>/dev/null && [ "$(cat "$T/code")" = 503 ] && grep -qi "^retry-after: 1" "$T/hdr"'
kill -TERM "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
echo "exit status $?" >> "$T/api.log"
apid=
check "no sanitizer report from cosi-apiserver" eval '! grep -q "Sanitizer" "$T/api.log"'
totals
