#!/bin/bash
# interop-strongswan.sh - the engine (testing/engine/engine_peer) against
# Debian's strongSwan charon, each in its own network namespace on a veth
# pair.  For each case: who initiates, the IKE proposal, the identities;
# asserts on both sides: what charon reports (swanctl --list-sas) and what
# the engine counted.
#
# Needs root, ip, and charon/swanctl (strongswan-charon, strongswan-swanctl);
# exits 77 (skip) without them.  Namespaces eng-ia-PID/eng-ib-PID, addresses
# 10.91.0.1 (engine) and 10.91.0.2 (charon).  Under make check it runs
# only with IKEV2D_INTEROP=1.
#
#   testing/engine/interop-strongswan.sh [CASE...]     (default: all)
set -u
builddir=${top_builddir:-$(pwd)}
srcdir=${top_srcdir:-$(dirname "$0")/../..}
shared=${IKEV2D_SHARED:-$srcdir/../shared}
PEER_SH=$shared/interop/charon-peer.sh
PEER=$builddir/testing/engine/engine_peer
export IKEV2D_PLUGIN_PATH=${IKEV2D_PLUGIN_PATH:-$builddir/plugins/nettle/.libs:$builddir/plugins/psk/.libs:$builddir/kernel-backends/null/.libs}

skip() { echo "SKIP: $*"; exit 77; }
# Part of make check only on request: it needs root, takes a minute and
# runs strongSwan in namespaces.
[ -n "${IKEV2D_INTEROP:-}" ] || [ -z "${top_builddir:-}" ] || [ $# -gt 0 ] ||
    skip "set IKEV2D_INTEROP=1 to run the strongSwan interop cases"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
[ -x /usr/lib/ipsec/charon ] && [ -x /usr/sbin/swanctl ] || skip "strongSwan charon/swanctl not installed"
[ -x "$PEER_SH" ] || [ -f "$PEER_SH" ] || skip "no $PEER_SH"
[ -x "$PEER" ] || skip "build $PEER first (make check builds it)"

NS_A=eng-ia-$$ NS_B=eng-ib-$$
A=10.91.0.1 B=10.91.0.2
tmp=$(mktemp -d /tmp/eng-interop-XXXXXX)
peer_pid=
fails=0

cleanup() {
    [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
    for d in "$tmp"/charon-*; do [ -d "$d" ] && bash "$PEER_SH" stop "$d" 2>/dev/null; done
    ip netns del $NS_A 2>/dev/null
    ip netns del $NS_B 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

ip netns del $NS_A 2>/dev/null; ip netns del $NS_B 2>/dev/null
ip netns add $NS_A && ip netns add $NS_B || skip "cannot create network namespaces"
ip link add eng-iva netns $NS_A type veth peer name eng-ivb netns $NS_B
ip -n $NS_A addr add $A/24 dev eng-iva; ip -n $NS_A link set eng-iva up; ip -n $NS_A link set lo up
ip -n $NS_B addr add $B/24 dev eng-ivb; ip -n $NS_B link set eng-ivb up; ip -n $NS_B link set lo up
ip -n $NS_B addr add 10.66.2.1/24 dev lo   # libipsec wants its selector on the host

# engine_config NAME IKE_XFORM ESP_XFORM LOCAL_ID REMOTE_ID [RULE_EXTRA] [DAEMON_EXTRA]
engine_config() {
    local d=$tmp/$1; mkdir -p "$d"
    cat > "$d/ikev2.preshared" <<EOT
keys = ( { label = "peer"; key = "interop-secret"; } );
EOT
    chmod 600 "$d/ikev2.preshared"
    cat > "$d/ikev2.config" <<EOT
daemon = { debug_level = "${DEBUG_LEVEL:-op}"; preshared_file = "ikev2.preshared";
  retry_timer_init_ms = 500; retry_limit = 3; response_wait_time = 10; ${DAEMON_EXTRA:-} };
plugins = { load = [ "nettle", "psk", "kernel-null" ]; critical = [ "nettle", "psk" ]; };
rules = ( { label = "peer"; auth_method = "preshared";
  local_addr = "$A"; remote_addr = "$B";
  local_id = $4; remote_id = $5;
  ikesa_xform = ( $2 );
  ${6:-}
  childsa = ( { local_ts = "10.66.1.0/24"; remote_ts = "10.66.2.0/24";
                esp_xform = ( $3 ); } ); } );
EOT
    echo "$d/ikev2.config"
}

# check CONDITION MESSAGE
check() {
    if eval "$1"; then echo "  ok: $2"; else echo "  FAIL: $2"; fails=$((fails + 1)); fi
}

# run_case NAME WHO(us|them) CHARON_PROPOSALS IKE_XFORM [charon options...]
run_case() {
    local name=$1 who=$2 props=$3 xform=$4; shift 4
    echo "== $name ($who initiate, $props)"
    local cfg
    cfg=$(engine_config "$name" "$xform" \
        '{ encr_alg = "aes-gcm"; encr_keylen = 128; }, { encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; }' \
        "${LOCAL_ID:-{ type = \"fqdn\"; value = \"a.test\"; \}}" \
        "${REMOTE_ID:-{ type = \"fqdn\"; value = \"b.test\"; \}}")
    bash "$PEER_SH" start "$tmp/charon-$name" $NS_B --local $B --remote $A --psk "${PEER_PSK:-interop-secret}" \
        --local-id "${PEER_LOCAL_ID:-b.test}" --remote-id "${PEER_REMOTE_ID:-a.test}" \
        --proposals "$props" --esp aes128gcm16,aes128-sha256 \
        --local-ts 10.66.2.0/24 --remote-ts 10.66.1.0/24 "$@" >/dev/null || { fails=$((fails+1)); return; }
    local init=
    [ "$who" = us ] && init="-i peer"
    ip netns exec $NS_A "$PEER" -f "$cfg" $init ${ENGINE_ARGS:-} -t "${RUN_SECS:-4}" > "$tmp/$name.out" 2> "$tmp/$name.log" &
    peer_pid=$!
    for _ in $(seq 1 50); do grep -q "engine started" "$tmp/$name.log" 2>/dev/null && break; sleep 0.1; done
    [ "$who" = them ] && bash "$PEER_SH" swanctl "$tmp/charon-$name" --initiate --child net --timeout 5 > "$tmp/$name.init" 2>&1
    sleep "${WAIT_SECS:-2}"
    if [ -n "${CHARON_ACTION:-}" ]; then
        bash "$PEER_SH" swanctl "$tmp/charon-$name" $CHARON_ACTION > "$tmp/$name.action" 2>&1
        sleep 1
    fi
    bash "$PEER_SH" swanctl "$tmp/charon-$name" --list-sas > "$tmp/$name.sas" 2>&1
    wait $peer_pid; peer_pid=
    if [ -n "${EXPECT_FAIL:-}" ]; then
        check "grep -q 'ike_established_total=0' '$tmp/$name.out'" "engine established no IKE SA"
        check "grep -q 'ike_sas=0' '$tmp/$name.out'" "engine kept no IKE SA"
        check "grep -q '$EXPECT_FAIL' '$tmp/$name.log'" "engine logged '$EXPECT_FAIL'"
        check "! grep -q ESTABLISHED '$tmp/$name.sas'" "charon has no IKE SA"
        bash "$PEER_SH" stop "$tmp/charon-$name"
        return
    fi
    if [ -z "${EXPECT_GONE:-}" ]; then
        check "grep -q ESTABLISHED '$tmp/$name.sas'" "charon reports the IKE SA ESTABLISHED"
    fi
    check "grep -q 'ike_established_total=1' '$tmp/$name.out'" "engine established one IKE SA"
    check "grep -q 'IKE SA established' '$tmp/$name.log'" "engine logged the IKE SA up"
    if [ -n "${EXPECT_CHILD:-}" ]; then
        check "grep -q 'child_established_total=[1-9]' '$tmp/$name.out'" "engine installed the CHILD SA"
        check "grep -q 'INSTALLED' '$tmp/$name.sas'" "charon reports the CHILD SA INSTALLED"
    fi
    for kv in ${EXPECT_OUT:-}; do
        check "grep -q '^$kv\$' '$tmp/$name.out'" "engine counted $kv"
    done
    if [ -n "${EXPECT_LOG:-}" ]; then
        check "grep -q '$EXPECT_LOG' '$tmp/$name.log'" "engine logged '$EXPECT_LOG'"
    fi
    if [ -n "${EXPECT_CHARON:-}" ]; then
        check "grep -q '$EXPECT_CHARON' '$tmp/charon-$name/charon.log'" "charon logged '$EXPECT_CHARON'"
    fi
    if [ -z "${EXPECT_GONE:-}" ]; then
        check "grep -q 'deleting IKE SA' '$tmp/$name.log'" "engine sent a Delete at shutdown"
        sleep 0.5
        bash "$PEER_SH" swanctl "$tmp/charon-$name" --list-sas > "$tmp/$name.sas2" 2>&1
        check "! grep -q ESTABLISHED '$tmp/$name.sas2'" "charon saw our Delete"
    fi
    if [ $fails -gt 0 ] && [ -n "${VERBOSE:-}" ]; then
        cat "$tmp/$name.log"; cat "$tmp/$name.sas"; tail -40 "$tmp/charon-$name/charon.log"
    fi
    bash "$PEER_SH" stop "$tmp/charon-$name"
}

GCM256_384='{ encr_alg = "aes-gcm"; encr_keylen = 256; prf_alg = "sha384"; dh_group = 20; }'
CBC128_256='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'
CBC256_512='{ encr_alg = "aes"; encr_keylen = 256; auth_alg = "sha512"; dh_group = 16; }'
DES3_SHA1='{ encr_alg = "3des"; auth_alg = "sha1"; dh_group = 14; }'
X25519='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 31; }'

cases=${*:-"i-ecp256 r-ecp256 i-gcm384 r-gcm384 i-modp4096 i-3des r-x25519 r-mobike i-libipsec r-libipsec i-rekey-child r-rekey-child i-rekey-ike r-rekey-ike r-delete r-cookie i-ipid r-ipid r-wrongpsk i-wrongpsk r-noprop"}
for c in $cases; do
    case $c in
    i-ecp256)   run_case $c us   aes128-sha256-ecp256 "$CBC128_256" ;;
    r-ecp256)   run_case $c them aes128-sha256-ecp256 "$CBC128_256" ;;
    i-gcm384)   run_case $c us   aes256gcm16-prfsha384-ecp384 "$GCM256_384" ;;
    r-gcm384)   run_case $c them aes256gcm16-prfsha384-ecp384 "$GCM256_384" ;;
    i-modp4096) run_case $c us   aes256-sha512-modp4096 "$CBC256_512" ;;
    i-3des)     run_case $c us   3des-sha1-modp2048 "$DES3_SHA1" ;;
    r-x25519)   run_case $c them aes128-sha256-x25519 "$X25519" ;;
    r-mobike)   run_case $c them aes128-sha256-ecp256 "$CBC128_256" --mobike yes ;;
    # charon with userspace ESP: the CHILD SA installs on both sides, and
    # charon fakes a NAT, so IKE_AUTH and ESP move to port 4500.
    i-libipsec) EXPECT_CHILD=1 run_case $c us aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    r-libipsec) EXPECT_CHILD=1 run_case $c them aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    # rekeys started by each side, with the CHILD SA really installed
    i-rekey-child) EXPECT_CHILD=1 ENGINE_ARGS="-r 2" RUN_SECS=5 WAIT_SECS=3 \
        EXPECT_OUT="child_rekeyed_total=1" EXPECT_CHARON="CHILD_SA net{2} established" \
        run_case $c us aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    r-rekey-child) EXPECT_CHILD=1 CHARON_ACTION="--rekey --child net" RUN_SECS=5 \
        EXPECT_OUT="child_rekeyed_total=1" EXPECT_LOG="rekeyed by the peer" \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    i-rekey-ike) EXPECT_CHILD=1 ENGINE_ARGS="-R 2" RUN_SECS=5 WAIT_SECS=3 \
        EXPECT_OUT="ike_rekeyed_total=1" EXPECT_CHARON="rekeyed" \
        run_case $c us aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    r-rekey-ike) EXPECT_CHILD=1 CHARON_ACTION="--rekey --ike peer" RUN_SECS=5 \
        EXPECT_OUT="ike_rekeyed_total=1" EXPECT_LOG="rekeyed into this one" \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" --kernel libipsec ;;
    # Delete from charon's side
    r-delete) EXPECT_GONE=1 CHARON_ACTION="--terminate --ike peer" RUN_SECS=5 \
        EXPECT_OUT="ike_sas=0" EXPECT_LOG="deleted by the peer" \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" ;;
    # IP address identities
    i-ipid) LOCAL_ID='{ type = "ip"; value = "10.91.0.1"; }' REMOTE_ID='{ type = "ip"; value = "10.91.0.2"; }' \
        PEER_LOCAL_ID=10.91.0.2 PEER_REMOTE_ID=10.91.0.1 \
        run_case $c us aes128-sha256-ecp256 "$CBC128_256" ;;
    r-ipid) LOCAL_ID='{ type = "ip"; value = "10.91.0.1"; }' REMOTE_ID='{ type = "ip"; value = "10.91.0.2"; }' \
        PEER_LOCAL_ID=10.91.0.2 PEER_REMOTE_ID=10.91.0.1 \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" ;;
    # failures: a wrong key each way, proposals that do not meet
    r-wrongpsk) PEER_PSK=not-the-secret EXPECT_FAIL="does not verify" \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" ;;
    i-wrongpsk) PEER_PSK=not-the-secret EXPECT_FAIL="AUTHENTICATION_FAILED" \
        run_case $c us aes128-sha256-ecp256 "$CBC128_256" ;;
    r-noprop) EXPECT_FAIL="NO_PROPOSAL_CHOSEN" \
        run_case $c them aes256-sha512-modp4096 "$CBC128_256" ;;
    # our responder demands a COOKIE from every initiator
    r-cookie) DAEMON_EXTRA="cookie_threshold = 0;" EXPECT_OUT="cookies_sent=1" \
        run_case $c them aes128-sha256-ecp256 "$CBC128_256" ;;
    *) echo "unknown case $c"; fails=$((fails + 1)) ;;
    esac
done
[ $fails -eq 0 ] && echo "all interop cases passed" || echo "$fails checks failed"
exit $((fails > 0))
