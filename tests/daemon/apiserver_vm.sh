#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cosi-apiserver with the stock kubectl (Documentation/kubernetes-api.rst),
# inside the VM as root with cosi.ko loaded, from the top of the tree:
#
#   tests/vm/run -- sh -c 'insmod build/kmod-$(uname -r)/cosi.ko &&
#                          sh tests/daemon/apiserver_vm.sh'
#
# cosid (its definitions, its sysctl controller) and cosi-apiserver are
# the ASan/UBSan builds (build/daemon-asan) unless COSID_BUILD=dir.
# Certificates are made with openssl, the kubeconfig with kubectl config.
# KUBE_SHOW=1 prints the outputs the documentation quotes, as "#> NAME:"
# comment lines.

top=$(pwd)
TMP_NAME=apiserver_vm
. "$top/tests/daemon/cosid.sh"
API=$B/cosi-apiserver
KUBECTL=${KUBECTL:-kubectl}
PORT=16443
URL=https://127.0.0.1:$PORT
P=$T/pki
KC=$T/kubeconfig
apid=

if ! command -v "$KUBECTL" > /dev/null; then
	skip "kubectl is not installed (scripts/install-deps.sh installs it)"
	totals
	exit
fi

api_log() { [ -s "$T/api.log" ] && tail -n 15 "$T/api.log" | show apiserver; }
on_fail() {
	for f in "$T/out" "$T/err"; do
		[ -s "$f" ] && head -n 15 "$f" | show "$(basename "$f")"
	done
	api_log
}

# k ARGS...: kubectl with the test's kubeconfig (and a cache of its own).
k() {
	HOME=$T "$KUBECTL" --kubeconfig "$KC" --cache-dir "$T/kcache" "$@" \
		> "$T/out" 2> "$T/err"
}
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
py() { python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)"; }
keep() { [ "${KUBE_SHOW:-0}" = 1 ] && awk -v n="$1" '{ print "#> " n ": " $0 }' "$T/out"; return 0; }

# mkpki DIR: a CA, the server's certificate (127.0.0.1), clients with
# the operator and read-only roles, one with no role, and an operator
# certificate from a CA the server does not trust.
mkpki() {
	mkdir -p "$1" && (
	cd "$1" || exit 1
	key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2> /dev/null; }
	ca() { key "$1" && openssl req -x509 -key "$1.key" -out "$1.crt" -days 2 -subj "/CN=$1" 2> /dev/null; }
	# leaf NAME SUBJECT EXTENSIONS [CA]
	leaf() {
		key "$1" && openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2> /dev/null &&
		printf '%s\n' "$3" > "$1.ext" &&
		openssl x509 -req -in "$1.csr" -CA "${4:-ca}.crt" -CAkey "${4:-ca}.key" \
			-CAcreateserial -days 2 -out "$1.crt" -extfile "$1.ext" 2> /dev/null
	}
	ca ca && ca other-ca &&
	leaf server /CN=cosi-apiserver "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
	leaf operator "/O=cosi:operator/CN=alice" extendedKeyUsage=clientAuth &&
	leaf reader "/O=cosi:read-only/CN=bob" extendedKeyUsage=clientAuth &&
	leaf norole "/O=system:masters/CN=carol" extendedKeyUsage=clientAuth &&
	leaf forged "/O=cosi:operator/CN=mallory" extendedKeyUsage=clientAuth other-ca
	)
}

# start_api [ARGS...]: cosi-apiserver on $PORT, until it answers.
start_api() {
	"$API" --listen "127.0.0.1:$PORT" --tls-cert "$P/server.crt" \
		--tls-key "$P/server.key" --client-ca "$P/ca.crt" \
		--token-file "$T/tokens" "$@" >> "$T/api.log" 2>&1 &
	apid=$!
	i=0
	until curl -s -o /dev/null --cacert "$P/ca.crt" "$URL/version" || [ $i -ge 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

stop_api() {
	kill -TERM "$apid" 2>/dev/null
	wait "$apid"
	_rc=$?
	apid=
	return $_rc
}

# kubeconfig: the cluster, a context per role (namespace "config").
kubeconfig() {
	kc() { HOME=$T "$KUBECTL" config --kubeconfig "$KC" "$@" > /dev/null; }
	kc set-cluster cosi --server "$URL" --certificate-authority "$P/ca.crt" --embed-certs &&
	kc set-credentials operator --client-certificate "$P/operator.crt" --client-key "$P/operator.key" --embed-certs &&
	kc set-credentials reader --client-certificate "$P/reader.crt" --client-key "$P/reader.key" --embed-certs &&
	kc set-context operator --cluster cosi --user operator --namespace config &&
	kc set-context reader --cluster cosi --user reader --namespace config &&
	kc use-context operator
}

# curl_code WANT ARGS...: curl's HTTP status is WANT (the body in $T/out).
curl_code() {
	_want=$1
	shift
	_got=$(curl -s -o "$T/out" -w '%{http_code}' --max-time 10 --cacert "$P/ca.crt" "$@")
	[ "$_got" = "$_want" ]
}

check "certificates made with openssl" mkpki "$P"
printf '# token,role,user\n%s,operator,tok-op\n%s,read-only,tok-ro\n' \
	tok-operator-0123456789abcdef tok-reader-0123456789abcdef > "$T/tokens"
check "kubeconfig written with kubectl config" kubeconfig

start_cosid
wait_for 60 "cosid starts" ready
cat > "$T/sysctls.yaml" <<'YAML'
metadata: {namespace: config, type: SysctlConfigs.cosi.dev, id: net.ipv4.ip_forward, labels: {role: router}}
spec: {value: "1"}
---
metadata: {namespace: config, type: SysctlConfigs.cosi.dev, id: net.core.somaxconn}
spec: {value: "1024"}
YAML
cat > "$T/secret.yaml" <<'YAML'
type: Secrets.kube.cosi.dev
aliases: [ksecret, ksecrets]
default-namespace: config
sensitivity: sensitive
fields:
  - {name: data, type: string}
YAML
ctl define -f "$T/secret.yaml" && ctl apply -f "$T/sysctls.yaml"
check "cosictl defines a sensitive type, applies two sysctls" [ $? = 0 ]
printf 'metadata: {type: Secrets.kube.cosi.dev, id: s1}\nspec: {data: hunter2}\n' > "$T/s1.yaml"
check "cosictl writes a secret" ctl apply -f "$T/s1.yaml"

start_api
check "cosi-apiserver starts" kill -0 "$apid"

# Discovery.
k api-resources --api-group cosi.dev
keep api-resources.txt
check "api-resources: SysctlConfig with its short names, namespaced" \
	grep -Eq '^sysctlconfigs +sysctl,sysctls +cosi.dev/v1alpha1 +true +SysctlConfig$' "$T/out"
check "api-resources: every cosid definition, the sensitive one too" eval \
	'out_has "^sysctlstatuses .*SysctlStatus\$" && out_has "^hostsentries .*HostsEntry\$" &&
	 out_has "^secrets .*ksecret,ksecrets .*Secret\$"'

# get: the print columns, the formats, one name, labels.
wait_for 20 "cosid reports both sysctls" eval \
	'k get sysctlstatuses -n runtime && out_has "^net.core.somaxconn  *1024 " && out_has "^net.ipv4.ip_forward  *1 "'
keep get-sysctlstatuses.txt
check "get sysctlstatuses: NAME and the print columns VALUE ORIGINAL ERROR, AGE" \
	grep -Eq '^NAME +VALUE +ORIGINAL +ERROR +AGE$' "$T/out"
k get sysctls
keep get-sysctls.txt
check "get sysctls (context namespace config): two rows" eval \
	'grep -Eq "^NAME +VALUE +AGE\$" "$T/out" && [ "$(wc -l < "$T/out")" = 3 ] &&
	 grep -Eq "^net.ipv4.ip_forward +1 +[0-9]+s\$" "$T/out"'
k get sysctl net.ipv4.ip_forward -o yaml
keep get-sysctl-yaml.txt
check "get NAME -o yaml: apiVersion, kind, metadata, spec" eval \
	'out_has "^apiVersion: cosi.dev/v1alpha1\$" && out_has "^kind: SysctlConfig\$" &&
	 out_has "^  name: net.ipv4.ip_forward\$" && out_has "^  namespace: config\$" &&
	 out_has "^    role: router\$" && out_has "^    cosi.dev/version: \"[0-9]*\"\$" &&
	 out_has "^  value: \"1\"\$"'
k get sysctls -o json
check "get -o json: both items, each with its kind and spec" py \
	'len(d["items"]) == 2 and all(i["kind"] == "SysctlConfig" and "value" in i["spec"] for i in d["items"])'
check "the list itself (curl): a SysctlConfigList whose resourceVersion is the store's, not older than its newest item's" eval \
	'curl_code 200 --cert "$P/operator.crt" --key "$P/operator.key" "$URL/apis/cosi.dev/v1alpha1/namespaces/config/sysctlconfigs" &&
	 py "d[\"kind\"] == \"SysctlConfigList\" and len(d[\"items\"]) == 2 and int(d[\"metadata\"][\"resourceVersion\"]) >= max(int(i[\"metadata\"][\"resourceVersion\"]) for i in d[\"items\"])"'
keep list.json
k get sysctl net.core.somaxconn -o 'jsonpath={.spec.value}'
check "get -o jsonpath={.spec.value}" eval '[ "$(cat "$T/out")" = 1024 ]'
k get sysctls -l role=router -o name
check "get -l role=router: the labelled one only" eval \
	'[ "$(cat "$T/out")" = sysctlconfig.cosi.dev/net.ipv4.ip_forward ]'
k get sysctls -l 'role!=router' -o name
check "get -l role!=router: the other one" eval \
	'[ "$(cat "$T/out")" = sysctlconfig.cosi.dev/net.core.somaxconn ]'
k get sysctls -A
keep get-sysctls-A.txt
check "get -A: a NAMESPACE column" grep -Eq '^config +net.core.somaxconn +1024 ' "$T/out"
k get sysctls -o wide
check "get -o wide: the same columns (every field has one)" grep -Eq '^NAME +VALUE +AGE$' "$T/out"
k get links -n network -o wide
check "get links -o wide: the schema fields without a column (KIND, FLAGS)" eval \
	'grep -Eq "^NAME +INDEX +MTU +STATE +MAC +AGE +FLAGS +KIND\$" "$T/out" && out_has "^lo "'

# Errors: Status objects kubectl prints.
k get sysctl nope
check "get of a missing name: NotFound" eval \
	'err_has "Error from server (NotFound): sysctlconfigs.cosi.dev \"nope\" not found"'
check "a bad path: 404 with a Status" curl_code 404 --cert "$P/operator.crt" \
	--key "$P/operator.key" "$URL/apis/cosi.dev/v1alpha1/namespaces/config/nosuchthings"
check "its Status: reason NotFound, code 404" py 'd["kind"] == "Status" and d["reason"] == "NotFound" and d["code"] == 404'
check "a bad labelSelector: 400 BadRequest" curl_code 400 --cert "$P/operator.crt" \
	--key "$P/operator.key" "$URL/apis/cosi.dev/v1alpha1/namespaces/config/sysctlconfigs?labelSelector=a%20in%20("
check "POST: 405 MethodNotAllowed (reads only)" curl_code 405 -X POST -d '{}' \
	--cert "$P/operator.crt" --key "$P/operator.key" \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/config/sysctlconfigs"

# Authentication and the roles.
check "no credential: 401" curl_code 401 "$URL/apis/cosi.dev/v1alpha1/sysctlconfigs"
keep status-401.json
check "its Status: reason Unauthorized" py 'd["reason"] == "Unauthorized" and d["code"] == 401'
check "a certificate from another CA: 401" curl_code 401 --cert "$P/forged.crt" \
	--key "$P/forged.key" "$URL/apis/cosi.dev/v1alpha1/sysctlconfigs"
check "a wrong bearer token: 401" curl_code 401 -H 'Authorization: Bearer tok-operator-0123456789abcdee' \
	"$URL/apis/cosi.dev/v1alpha1/sysctlconfigs"
check "a certificate without a cosi group: 403" curl_code 403 --cert "$P/norole.crt" \
	--key "$P/norole.key" "$URL/apis/cosi.dev/v1alpha1/sysctlconfigs"
check "a read-only token lists a public type" curl_code 200 \
	-H 'Authorization: Bearer tok-reader-0123456789abcdef' \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/config/sysctlconfigs"
check "a read-only token on the sensitive type: 403 from the kernel" curl_code 403 \
	-H 'Authorization: Bearer tok-reader-0123456789abcdef' \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/config/secrets/s1"
keep status-403.json
check "its Status: Forbidden, the kernel's reason" eval \
	'py "d[\"reason\"] == \"Forbidden\" and d[\"code\"] == 403" && grep -q CAP_NET_ADMIN "$T/out"'
check "the same token may not watch it either: 403" curl_code 403 \
	-H 'Authorization: Bearer tok-reader-0123456789abcdef' \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/config/secrets?watch=1"
k --context reader get ksecrets
check "kubectl as the read-only user: Forbidden" err_has "Error from server (Forbidden)"
k --context reader get sysctls -o name
check "kubectl as the read-only user reads public types" eval \
	'[ "$(wc -l < "$T/out")" = 2 ]'
k get ksecret s1 -o 'jsonpath={.spec.data}'
check "the operator reads the secret" eval '[ "$(cat "$T/out")" = hunter2 ]'
check "an operator token reads it too" curl_code 200 \
	-H 'Authorization: Bearer tok-operator-0123456789abcdef' \
	"$URL/apis/cosi.dev/v1alpha1/namespaces/config/secrets/s1"

# Watch: kubectl get -w sees a change cosictl makes.
HOME=$T "$KUBECTL" --kubeconfig "$KC" --cache-dir "$T/kcache" get sysctls -w \
	--output-watch-events > "$T/w.out" 2> "$T/w.err" &
wpid=$!
wait_for 20 "get -w: the listed rows" grep -q '^ADDED .*net.core.somaxconn' "$T/w.out"
printf 'metadata: {namespace: config, type: SysctlConfigs.cosi.dev, id: net.core.somaxconn}\nspec: {value: "2048"}\n' > "$T/soma.yaml"
ctl apply -f "$T/soma.yaml"
wait_for 20 "get -w: the change as MODIFIED with the new value" \
	grep -Eq '^MODIFIED +net.core.somaxconn +2048 ' "$T/w.out"
ctl delete sysctl net.ipv4.ip_forward
wait_for 20 "get -w: the deletion as DELETED" grep -Eq '^DELETED +net.ipv4.ip_forward ' "$T/w.out"
kill -INT $wpid 2>/dev/null
wait $wpid
cp "$T/w.out" "$T/out"
keep get-w.txt
curl -s -o "$T/out" --cacert "$P/ca.crt" --cert "$P/operator.crt" --key "$P/operator.key" \
	--max-time 5 "$URL/apis/cosi.dev/v1alpha1/namespaces/config/sysctlconfigs?watch=1&timeoutSeconds=1"
check "a watch without resourceVersion: ADDED for what exists, ends at timeoutSeconds" eval \
	'[ "$(grep -c "\"type\":\"ADDED\"" "$T/out")" = 1 ] && grep -q net.core.somaxconn "$T/out"'
keep watch-lines.json

check "cosi-apiserver stops cleanly on SIGTERM" stop_api
ctl delete -f "$T/soma.yaml" > /dev/null
check "cosid stops" stop_cosid TERM

# Watches whose kernel sockets overflow while the server is stopped
# (SIGSTOP), in a netns whose history holds 16 events: first a gap the
# history covers (resumed by revision: nothing lost), then one it does
# not.  Past it, a watch that started by listing (curl, no
# resourceVersion) lists again and sends the deletion meanwhile as
# DELETED; one that started at a resourceVersion (kubectl get -w, curl)
# ends with a 410 Expired ERROR event, for its client to list again.
# Then a watch from a revision older than the history: 410 Gone.
hs=/sys/module/cosi/parameters/history_size
cat > "$T/kt.yaml" <<'YAML'
type: Tests.kube.cosi.dev
aliases: [kt]
default-namespace: kube
fields:
  - {name: note, type: string}
columns:
  - {name: NOTE, field: note}
YAML
mkdocs() { # FILE FROM TO
	: > "$1"
	i=$2
	while [ "$i" -lt "$3" ]; do
		printf -- '---\nmetadata: {type: kt, id: kt%02d}\nspec: {note: "%0400d"}\n' "$i" "$i" >> "$1"
		i=$((i + 1))
	done
}
mkdocs "$T/kt-a.yaml" 0 10
mkdocs "$T/kt-b.yaml" 10 40
cat > "$T/overflow.sh" <<EOF
ip link set lo up
. "$T/fns.sh"
trap 'kill -9 \$apid \$wpid \$c1 \$c2 2>/dev/null' EXIT
"$CTL" define -f "$T/kt.yaml" > /dev/null || exit 1
printf 'metadata: {type: kt, id: gone1}\nspec: {note: x}\n' | "$CTL" apply -f - > /dev/null || exit 1
start_api --watch-rcvbuf 2048
W="$URL/apis/cosi.dev/v1alpha1/namespaces/kube/tests?watch=1"
c() { curl -s -N --max-time 120 --cacert "$P/ca.crt" --cert "$P/operator.crt" --key "$P/operator.key" "\$@"; }
rv=\$(c "$URL/apis/cosi.dev/v1alpha1/namespaces/kube/tests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["resourceVersion"])')
c "\$W" > "$T/c1.out" &
c1=\$!
c "\$W&resourceVersion=\$rv" > "$T/c2.out" &
c2=\$!
HOME=$T "$KUBECTL" --kubeconfig "$KC" --cache-dir "$T/kcache" get kt -n kube -w \
	--output-watch-events > "$T/o.out" 2> "$T/o.err" &
wpid=\$!
waitfor() { i=0; until "\$@" || [ \$i -ge 150 ]; do sleep 0.2; i=\$((i + 1)); done; }
waitfor grep -q '^ADDED .*gone1' "$T/o.out"
waitfor grep -q gone1 "$T/c1.out"
sleep 1
kill -STOP \$apid
"$CTL" apply -f "$T/kt-a.yaml" > /dev/null
kill -CONT \$apid
waitfor grep -q 'resumed after revision' "$T/api.log"
waitfor [ "\$(grep -c '^ADDED .*kt' "$T/o.out")" -ge 10 ]
cp "$T/o.out" "$T/o1.out"
kill -STOP \$apid
"$CTL" apply -f "$T/kt-b.yaml" > /dev/null
"$CTL" delete kt gone1 > /dev/null
kill -CONT \$apid
waitfor grep -q 'listed again (1 deleted' "$T/api.log"
waitfor grep -q '"DELETED".*gone1' "$T/c1.out"
waitfor grep -q '"ERROR"' "$T/c2.out"
i=0
while kill -0 \$wpid 2>/dev/null && [ \$i -lt 100 ]; do sleep 0.2; i=\$((i + 1)); done
kill -INT \$wpid 2>/dev/null
wait \$wpid
echo \$? > "$T/o.rc"
kill \$c1 \$c2 2>/dev/null
curl -s -o "$T/gone.json" -w '%{http_code}' --cacert "$P/ca.crt" --cert "$P/operator.crt" \
	--key "$P/operator.key" "\$W&resourceVersion=2" > "$T/gone.code"
stop_api
EOF
# What the netns script needs of this one.
{
	echo "API='$API' P='$P' T='$T' PORT=$PORT URL='$URL'"
	sed -n '/^start_api() {/,/^}/p; /^stop_api() {/,/^}/p' "$0"
} > "$T/fns.sh"
old_hs=$(cat $hs)
echo 16 > $hs
unshare -n sh "$T/overflow.sh"
orc=$?
echo "$old_hs" > $hs
check "the netns scenario ran" [ $orc = 0 ]
cp "$T/o1.out" "$T/out"
check "overflow within the history: resumed by revision, each of the 10 ADDED once" eval \
	'grep -q "resumed after revision" "$T/api.log" &&
	 [ "$(grep "^ADDED .*kt0" "$T/out" | awk "{print \$2}" | sort -u | wc -l)" = 10 ] &&
	 [ "$(grep -c "^ADDED .*kt0" "$T/out")" = 10 ]'
cp "$T/c1.out" "$T/out"
check "past the history, a watch that listed: lists again, the deletion meanwhile DELETED" eval \
	'grep -q "listed again (1 deleted meanwhile)" "$T/api.log" && grep -q "\"DELETED\".*\"gone1\"" "$T/out" &&
	 [ "$(grep -o "\"name\":\"kt[0-9]*\"" "$T/out" | sort -u | wc -l)" = 40 ] && ! grep -q "\"ERROR\"" "$T/out"'
cp "$T/c2.out" "$T/out"
check "past the history, a watch from a resourceVersion: ends with ERROR 410 Expired" eval \
	'[ "$(tail -n 1 "$T/out" | python3 -c "import json,sys; e=json.load(sys.stdin); print(e[\"type\"], e[\"object\"][\"code\"], e[\"object\"][\"reason\"])")" = "ERROR 410 Expired" ]'
tail -n 1 "$T/c2.out" > "$T/out"
keep watch-410.json
cp "$T/o.out" "$T/out"
cat "$T/o.err" >> "$T/out"
keep get-w-overflow.txt
check "kubectl get -w: the 10 ADDED, then the 410 as an ERROR event" eval \
	'[ "$(grep "^ADDED .*kt0" "$T/o.out" | awk "{print \$2}" | sort -u | wc -l)" = 10 ] &&
	 grep -Eq "^ERROR +Failure +Expired" "$T/o.out"'
cp "$T/gone.json" "$T/out"
keep status-410.json
check "watch from a revision older than the history: 410 Expired" eval \
	'[ "$(cat "$T/gone.code")" = 410 ] && py "d[\"reason\"] == \"Expired\" and d[\"code\"] == 410"'
check "no sanitizer report from cosi-apiserver" eval '! grep -q "Sanitizer" "$T/api.log"'
totals
