#!/bin/bash
# ikeadm.sh - ikeadm and the control socket against a running in.ikev2d
# with Debian's strongSwan charon as the peer, each in its own network
# namespace (see interop.sh for the topology and charon's setup).
#
#   initiate brings a rule up; dump ikesa/childsa show the SPIs charon
#   reports; get ikesa by #N, SPI pair, address pair and identity pair;
#   get stats and the metrics endpoint count it; set debug changes what is
#   logged; read rule with a broken file keeps the rules and the SAs, a good
#   one adds a rule and keeps the SAs; terminate childsa and del ikesa send
#   Deletes charon sees; flush ikesa; write preshared never replaces a file;
#   keys only to root (-p masks them); a user outside the control group is
#   refused (by the socket's mode, and by SO_PEERCRED when the mode lets it
#   connect) while a member gets through; a forged huge length, a truncated
#   frame, garbage, a client that never reads and 100 concurrent clients
#   leave the daemon serving its SAs; every JSON answer parses; exit codes.
#   The daemon runs as daemon.user = nobody with no capability and the
#   default seccomp filter: the socket is opened as root before the switch,
#   and every command is served after it.
#
# Exit 0 pass, 77 skip, 1 fail; as root.
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/charon.sh"
. "$(dirname "$0")/checks.sh"

need_root
need_charon
require_cap ike delete
IKEADM=${IKEADM:-$top_builddir/tools/ikeadm/ikeadm}
[ -x "$IKEADM" ] || skip "ikeadm not built at $IKEADM"
python3 -c 'import json' 2>/dev/null || skip "python3 missing"
command -v setpriv > /dev/null || skip "setpriv (util-linux) missing"
id nobody > /dev/null 2>&1 || skip "no user nobody"
id daemon > /dev/null 2>&1 || skip "no user daemon (the outsider of the control group)"

mkwork ikeadm
O=$WORK/ours C=$WORK/charon
NO=net-ia-a$$ NC=net-ia-c$$
PSK=interop-secret
# The socket lives where nobody may look (the work directory is 0700).
SOCKDIR=$(mktemp -d /tmp/net-ikeadm-sock-XXXXXX)
chmod 711 "$SOCKDIR"
SOCK=$SOCKDIR/ctl.sock
cp "$IKEADM" "$SOCKDIR/ikeadm"; chmod 755 "$SOCKDIR/ikeadm"
METRICS_PORT=$(( 20000 + $$ % 20000 ))
cleanup_sockdir() { rm -rf "$SOCKDIR"; }
trap 'cleanup; cleanup_sockdir' EXIT

ns_add $NO; ns_add $NC
link_ns $NO net-ia-va 10.77.0.1/24 $NC net-ia-vc 10.77.0.2/24
ip -n $NO addr add 10.77.1.1/32 dev lo
ip -n $NC addr add 10.77.2.1/32 dev lo
OURS_IP=10.77.0.1 CHARON_IP=10.77.0.2
DEFAULT_XFORM='{ encr_alg = "aes"; encr_keylen = 128; auth_alg = "sha256"; dh_group = 19; }'

# The control plugin joins the generated configuration.
with_control() {   # config file
	sed -i "s|load = \[ \"nettle\", \"psk\", \"kernel-null\" \];|load = [ \"nettle\", \"psk\", \"kernel-null\", \"control\" ];\n\tcontrol = { socket = \"$SOCK\"; group = \"nogroup\"; metrics_listen = \"127.0.0.1:$METRICS_PORT\"; };|" "$1"
	grep -q '"control"' "$1" || { fail "could not add the control plugin to $1"; finish; }
}

write_config "$O" label=to_charon local=$OURS_IP remote=$CHARON_IP \
	local_id=fqdn:ours.test remote_id=fqdn:charon.test psk=$PSK \
	local_ts=10.77.1.0/24 remote_ts=10.77.2.0/24 "ike_xform=$DEFAULT_XFORM" \
	'extra_daemon=user = "nobody";'
with_control "$O/ikev2.config"
# The daemon's user owns its files (it rewrites kernel.state, re-reads
# the configuration); the files made below are given to it too.  Group
# root may write the directory: kernel-null makes its state file and FIFO
# there at start-up, as root but without CAP_DAC_OVERRIDE.
chmod 711 "$WORK"
chown -R nobody:root "$O"
chmod 770 "$O"
start_daemon $NO "$O" || finish
wait_for 10 test -S "$SOCK" || { fail "no control socket at $SOCK"; finish; }
# Under daemon.privsep (the default) the parent opens the socket, as root
# before it starts the engine, and gives it to daemon.user; the engine
# takes the descriptor over and binds nothing.  Without privsep the daemon
# opens it as root before its switch, root's.
if grep -q "privsep: engine started" "$O/daemon.log"; then
	sock_owner=nobody
	wait_for 10 grep -q "control: listening on $SOCK (root and group nogroup), the socket the privsep parent opened" "$O/daemon.log" ||
		fail "under privsep the engine did not take the parent's control socket over"
	log "privsep: the parent opened the control socket, the engine serves it"
else
	sock_owner=root
fi
[ "$(stat -c '%U:%G %a' "$SOCK")" = "$sock_owner:nogroup 660" ] ||
	fail "control socket is $(stat -c '%U:%G %a' "$SOCK"), expected $sock_owner:nogroup 660"
dpid=$(cat "$O/daemon.pid")
[ "$(sed -n 's/^Uid:[[:space:]]*//p' /proc/$dpid/status | tr -s '\t ' ' ')" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ] ||
	fail "the daemon does not run as nobody: $(grep ^Uid: /proc/$dpid/status)"
grep -q "built with sanitizers" "$O/daemon.log" ||
	grep -q '^Seccomp:[[:space:]]*2' /proc/$dpid/status || fail "no seccomp filter on the daemon"
charon_start "$C" $NC local=$CHARON_IP remote=$OURS_IP local_id=charon.test \
	remote_id=ours.test psk=$PSK local_ts=10.77.2.0/24 remote_ts=10.77.1.0/24 || finish

adm() { "$IKEADM" -s "$SOCK" "$@"; }
# expect STATUS command...: the exit status must be STATUS
expect() {
	local want=$1; shift
	adm "$@" > "$WORK/out" 2> "$WORK/err"
	local st=$?
	[ "$st" = "$want" ] || { cat "$WORK/out" "$WORK/err"; fail "ikeadm $*: exit $st, expected $want"; return 1; }
}
# json command...: the output must parse as JSON (python3 json)
json() {
	adm -j "$@" > "$WORK/json" 2> "$WORK/err" || { cat "$WORK/err"; fail "ikeadm -j $*: exit $?"; return 1; }
	python3 -m json.tool "$WORK/json" > /dev/null || { cat "$WORK/json"; fail "ikeadm -j $*: not JSON"; return 1; }
}
jq_py() {   # python expression on the JSON in $WORK/json as 'j'
	python3 -c "import json,sys; j=json.load(open('$WORK/json')); print($1)"
}

# --------------------------------------------------------- initiate
expect 0 initiate to_charon || finish
check_child "after ikeadm initiate" || finish
log "initiate: CHILD SA up"
expect 3 initiate no_such_rule

# -------------------------------------------------- dump, get, JSON
json dump ikesa || finish
[ "$(jq_py 'len(j)')" = 1 ] || fail "dump ikesa: $(cat "$WORK/json")"
ours="$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')"
theirs="$(charon_ike_spis "$C")"
[ "$ours" = "$theirs" ] || fail "dump ikesa SPIs '$ours', charon reports '$theirs'"
[ "$(jq_py 'j[0]["state"]+" "+j[0]["role"]+" "+j[0]["rule"]')" = "ESTABLISHED initiator to_charon" ] ||
	fail "dump ikesa: $(cat "$WORK/json")"
[ "$(jq_py 'j[0]["remote"]["id"]+" "+j[0]["local"]["address"]')" = "charon.test $OURS_IP" ] ||
	fail "dump ikesa identities/addresses: $(cat "$WORK/json")"
num=$(jq_py 'j[0]["id"]')
log "dump ikesa: #$num SPIs $ours = charon's"
json dump childsa || finish
c_in=$(charon_child_spis "$C" in); c_out=$(charon_child_spis "$C" out)
[ "$(jq_py 'j[0]["spi_out"]+" "+j[0]["spi_in"]')" = "$c_in $c_out" ] ||
	fail "dump childsa SPIs $(jq_py 'j[0]["spi_in"]+"/"+j[0]["spi_out"]'), charon in $c_in out $c_out"
[ "$(jq_py 'j[0]["packets_in"] is not None and j[0]["packets_out"] is not None')" = True ] ||
	fail "dump childsa: no traffic counters from the kernel backend: $(cat "$WORK/json")"
our_in=$(jq_py 'j[0]["spi_in"]')
adm dump childsa | grep -q "SPIs ${c_out}_i ${c_in}_o" || fail "dump childsa (text) lacks the SPIs"
set -- $ours
expect 0 get ikesa "#$num" && grep -q "SPIs ${1}_i ${2}_r" "$WORK/out" || fail "get ikesa #N"
expect 0 get ikesa "$1" "$2" || fail "get ikesa by SPI pair"
expect 0 get ikesa "$1:$2"
expect 0 get ikesa $OURS_IP $CHARON_IP || fail "get ikesa by address pair"
expect 0 get ikesa fqdn ours.test charon.test || fail "get ikesa by identity pair"
expect 3 get ikesa 10.9.9.9 10.9.9.8
expect 3 get ikesa "#999999"
expect 2 get ikesa not-an-id
json get ikesa "#$num" && [ "$(jq_py 'j["spi_i"]')" = "$1" ] || fail "get ikesa -j"
for what in "dump rule" "dump preshared" "dump groups" "dump encralgs" "dump authalgs" \
            "get debug" "get defaults" "get stats" "get stats to_charon" "get rule to_charon"; do
	json $what
done
expect 3 get rule nope
expect 2 frobnicate
expect 2 token login "pkcs11:token=x" 1234      # a PIN in argv: refused
expect 3 token logout "pkcs11:token=x"           # the daemon has no token
expect 7 get priv
adm dump rule | grep -q "^Label 'to_charon'" || fail "dump rule: no Label line"
adm dump groups | grep -q "ecp256 .*available" || fail "dump groups: ecp256 not available"

# ------------------------------------------------------- statistics
json get stats
[ "$(jq_py 'j["ike_sas"]["current_initiator"], j["ike_sas"]["established_initiator"], j["ike_sas"]["attempts_initiator"]')" = "1 1 1" ] ||
	fail "get stats: $(cat "$WORK/json")"
[ "$(jq_py '[r["established"] for r in j["rules"] if r["rule"]=="to_charon"][0]')" = 1 ] ||
	fail "get stats per rule: $(cat "$WORK/json")"
# the endpoint listens on 127.0.0.1 in the daemon's namespace
ip netns exec $NO python3 - "$METRICS_PORT" > "$WORK/metrics" <<'PY' || fail "metrics endpoint did not answer"
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())
PY
grep -q '^ikev2d_rule_established_total{rule="to_charon"} 1$' "$WORK/metrics" &&
grep -q '^ikev2d_ike_sas{role="initiator"} 1$' "$WORK/metrics" ||
	{ head -40 "$WORK/metrics"; fail "metrics: the counters differ from get stats"; }
log "get stats and /metrics agree: 1 IKE SA established as initiator"

# ------------------------------------------------------- set debug
expect 0 set debug op
before=$(grep -c 'verbose \[door\]' "$O/daemon.log")
adm get debug > /dev/null; adm get debug > /dev/null
[ "$(grep -c 'verbose \[door\]' "$O/daemon.log")" = "$before" ] || fail "set debug op: verbose lines still logged"
expect 0 set debug door
adm get debug | grep -q "Debug level: door" || fail "get debug after set debug door"
wait_for 5 sh -c "[ \$(grep -c 'verbose \[door\]' '$O/daemon.log') -gt $before ]" ||
	fail "set debug door: no verbose control lines logged"
expect 2 set debug no_such_group
expect 0 set debug operator
expect 0 set debug all
log "set debug: op silences verbose lines, door brings them back"

# --------------------------------------------------- keys, privileges
adm get preshared to_charon | grep -q "key 0x$(printf %s "$PSK" | od -An -tx1 | tr -d ' \n')" ||
	fail "get preshared: root does not see the key"
adm -p get preshared to_charon | grep -q "key 0xXXXX" || fail "get preshared -p does not mask the key"
grep -q "$(printf %s "$PSK" | od -An -tx1 | tr -d ' \n')" "$O/daemon.log" && fail "the key was logged"
# Another user than daemon.user (nobody), which owns the socket under privsep.
nob() { setpriv --reuid=daemon --regid="$1" --clear-groups "$SOCKDIR/ikeadm" -s "$SOCK" "${@:2}"; }
nob daemon get stats > "$WORK/nob" 2>&1; st=$?
[ $st = 5 ] || { cat "$WORK/nob"; fail "a user outside the group got exit $st, expected 5 (socket mode 0660)"; }
nob nogroup get stats > /dev/null 2>&1 || fail "a member of the control group was refused"
nob nogroup get preshared to_charon | grep -q "hidden: root only" || fail "a group member sees key material"
nob nogroup set debug op /tmp/x.log > /dev/null 2>&1; [ $? = 4 ] || fail "a group member named a logfile"
chmod 666 "$SOCK"     # a mistake: SO_PEERCRED still refuses
nob daemon get stats > "$WORK/nob" 2>&1; st=$?
[ $st = 4 ] && grep -q "permission denied" "$WORK/nob" || { cat "$WORK/nob"; fail "SO_PEERCRED: uid daemon got exit $st"; }
wait_for 5 grep -q "refused client pid [0-9]* uid $(id -u daemon)" "$O/daemon.log" || fail "the refusal was not logged"
chmod 660 "$SOCK"
log "access: outsiders refused (mode and SO_PEERCRED, logged), group members served"

# -------------------------------------------------------- bad input
python3 - "$SOCK" <<'PY' || fail "bad input client"
import socket, struct, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(20); return s
def answer(s):
    d = b""
    while True:
        c = s.recv(65536)
        if not c: return d
        d += c
def answer_end(s):
    # a served request: frames until END (the connection stays open)
    d = b""
    while True:
        while len(d) >= 8:
            n = int.from_bytes(d[4:8], "big")
            if len(d) < 8 + n: break
            if d[3] == 0x82: return d[8]
            d = d[8 + n:]
        c = s.recv(65536)
        if not c: return None
        d += c
def status(d):
    i = d.rfind(b"IK\x01\x82")
    return d[i + 8] if i >= 0 and len(d) > i + 8 else None
def req(*words):
    body = struct.pack(">IH", 0, len(words)) + b"".join(w.encode() + b"\0" for w in words)
    return b"IK\x01\x01" + struct.pack(">I", len(body)) + body
bad = 0
s = conn(); s.sendall(b"IK\x01\x01" + struct.pack(">I", 0xffffffff)); d = answer(s)
if status(d) != 6: print("huge length:", d); bad += 1
s = conn(); s.sendall(b"\x00garbage\xff" * 50); d = answer(s)
if status(d) != 6: print("garbage:", d); bad += 1
s = conn(); s.sendall(req("get", "stats")[:13]); s.shutdown(socket.SHUT_WR); d = answer(s)
if status(d) != 6: print("truncated:", d); bad += 1
s = conn(); body = struct.pack(">IH", 0, 3) + b"get\0stats\0"
s.sendall(b"IK\x01\x01" + struct.pack(">I", len(body)) + body); d = answer(s)
if status(d) != 6: print("argc beyond the body:", d); bad += 1
s = conn(); s.sendall(b"IK\x02\x01\x00\x00\x00\x00"); d = answer(s)
if status(d) != 6: print("version 2:", d); bad += 1
# a client that asks for a listing and never reads, kept open meanwhile
lazy = [conn() for _ in range(3)]
for l in lazy: l.sendall(req("dump", "rule") * 50)
many = [conn() for _ in range(100)]
for m in many: m.sendall(req("dump", "ikesa"))
ok = sum(1 for m in many if answer_end(m) == 0)
if ok != 100: print("concurrent clients served:", ok); bad += 1
# two requests on one connection
s = conn(); s.sendall(req("get", "debug") + req("get", "stats"))
d = b""
while d.count(b"IK\x01\x82") < 2:
    c = s.recv(65536)
    if not c: break
    d += c
if d.count(b"IK\x01\x82") != 2: print("pipelined requests:", d[:200]); bad += 1
sys.exit(1 if bad else 0)
PY
daemon_alive "$O" || { fail "in.ikev2d died from bad control input"; finish; }
json dump ikesa && [ "$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')" = "$ours" ] ||
	fail "after bad control input the IKE SA is gone"
charon_ike_established "$C" || fail "after bad control input charon lost the IKE SA"
log "bad input: huge length, garbage, truncated frame, lazy readers, 100 clients: still serving"

# -------------------------------------------------------- read rule
cp "$O/ikev2.config" "$WORK/broken.config"
echo 'rules = ( { label = "broken"; auth_method = "bogus"; } );' >> "$WORK/broken.config"
chown nobody "$WORK/broken.config"
expect 1 read rule "$WORK/broken.config" || true
grep -q "running configuration stays" "$WORK/err" || fail "read rule (broken): $(cat "$WORK/err")"
adm dump rule | grep -c "^Label" | grep -qx 1 || fail "read rule (broken) changed the rules"
json dump ikesa && [ "$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')" = "$ours" ] || fail "read rule (broken) lost the IKE SA"
sed "s|^rules = (|rules = (\n\t{ label = \"extra\"; auth_method = \"preshared\"; local_addr = \"$OURS_IP\"; remote_addr = \"10.77.0.9\"; childsa = ( { esp_xform = ( { encr_alg = \"aes-gcm\"; encr_keylen = 128; } ); } ); },|" \
	"$O/ikev2.config" > "$WORK/good.config"
cat >> "$WORK/good.config.psk" <<EOF
keys = ( { label = "to_charon"; key = "$PSK"; }, { label = "extra"; key = "another-secret-key"; } );
EOF
chmod 600 "$WORK/good.config.psk"
sed -i "s|preshared_file = \"[^\"]*\";|preshared_file = \"$WORK/good.config.psk\";|" "$WORK/good.config"
chown nobody "$WORK/good.config.psk" "$WORK/good.config"
expect 0 read rule "$WORK/good.config" || cat "$WORK/err"
adm dump rule | grep -q "^Label 'extra'" || fail "read rule (good): rule 'extra' not in force"
json dump ikesa && [ "$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')" = "$ours" ] || fail "read rule (good) lost the IKE SA"
check_child "after read rule" || true
if grep -q "privsep: engine started" "$O/daemon.log"; then
	# Under privsep the parent reads the file, as on SIGHUP, and puts the
	# set in force in its own checks and in the keys process, not only in
	# the engine (HACKING.md, "Reload").
	grep -q "privsep parent: ikeadm read (through the engine): $WORK/good.config" "$O/daemon.log" &&
		grep -q "configuration reloaded from $WORK/good.config (2 rules): sent to the engine" "$O/daemon.log" ||
		fail "privsep: read rule did not go through the parent"
	[ "$(grep -c 'keys process: keystore generation [0-9]* loaded' "$O/daemon.log")" -ge 1 ] ||
		fail "privsep: read rule did not reach the keys process"
	# A file only root can read: the parent (daemon.user) cannot either;
	# a clear answer, nothing changes.
	cp "$WORK/good.config" "$WORK/rootonly.config"
	chown root:root "$WORK/rootonly.config"; chmod 600 "$WORK/rootonly.config"
	expect 1 read rule "$WORK/rootonly.config" || true
	grep -q "cannot read $WORK/rootonly.config: Permission denied (the privsep parent reads it as nobody" "$WORK/err" ||
		fail "privsep: read rule of a root-only file: $(cat "$WORK/err")"
	adm dump rule | grep -q "^Label 'extra'" || fail "privsep: a refused read rule changed the rules"
	log "privsep: read rule goes through the parent and the keys process; a root-only file: $(cat "$WORK/err")"
fi
expect 0 read rule       # the daemon's own file again
adm dump rule | grep -q "^Label 'extra'" && fail "read rule (own file) kept rule 'extra'"
log "read rule: a broken file changes nothing, a good one replaces the rules, SAs stay"

# -------------------------------------------------- write preshared
expect 0 write preshared "$WORK/out.psk" || true
grep -q 'label = "to_charon"' "$WORK/out.psk" || fail "write preshared: $(cat "$WORK/out.psk")"
[ "$(stat -c %a "$WORK/out.psk")" = 600 ] || fail "write preshared: mode $(stat -c %a "$WORK/out.psk")"
expect 1 write preshared "$WORK/out.psk"
expect 1 write preshared "$O/ikev2.preshared"
grep -q "$PSK" "$O/ikev2.preshared" || fail "write preshared touched the live file"

# ---------------------------------------- interactive, help, version
printf 'get debug\n# a comment\n  \nquit\nget stats\n' | adm > "$WORK/inter" 2>&1 &&
	grep -q "Debug level" "$WORK/inter" && ! grep -q "IKE SA counts" "$WORK/inter" ||
	fail "interactive mode: $(cat "$WORK/inter")"
adm help | grep -q "dump ikesa" || fail "ikeadm help"
"$IKEADM" -v 1 get stats > /dev/null 2>&1; [ $? = 2 ] || fail "-v 1 accepted"
adm -v 2 get stats > /dev/null || fail "-v 2 refused"
"$IKEADM" -s "$WORK/none.sock" get stats > /dev/null 2>&1; [ $? = 5 ] || fail "no daemon: not exit 5"

# -------------------------------------------- terminate, del, flush
expect 0 terminate childsa "$our_in" || true
wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^  net: #'" ||
	{ charon_sas "$C"; fail "terminate childsa: charon kept the CHILD SA"; }
charon_ike_established "$C" || fail "terminate childsa took the IKE SA along"
wait_for 5 has_sas "$O" 0 || fail "terminate childsa: ikev2d kept the CHILD SA"
log "terminate childsa: charon saw the CHILD SA's Delete, the IKE SA stays"
expect 0 del ikesa "$1" "$2" || true
wait_for 10 grep -q "received DELETE for IKE_SA" "$C/charon.log" || fail "del ikesa: charon saw no Delete"
wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #'" ||
	fail "del ikesa: charon kept the IKE SA"
expect 3 del ikesa "$1" "$2"
log "del ikesa: charon saw the Delete"
expect 0 initiate to_charon
check_child "initiate again" || true
expect 0 flush ikesa
wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #'" ||
	fail "flush ikesa: charon kept the IKE SA"
json get stats
[ "$(jq_py 'j["ike_sas"]["established_initiator"], j["ike_sas"]["current_initiator"]')" = "2 0" ] ||
	fail "get stats after flush: $(cat "$WORK/json")"
expect 0 initiate to_charon
check_child "initiate after flush" || true
expect 0 terminate rule to_charon
wait_for 10 sh -c "! swanctl --list-sas --uri unix://$C/charon.vici 2>/dev/null | grep -q '^peer: #'" ||
	fail "terminate rule: charon kept the IKE SA"

# ------------------------------------------------ add, del, write rule
# A rule added at run time (its key first, typed in interactive mode)
# brings up an SA with charon; deleting the rule keeps that SA.
VIA_ADD="{ label = \"via_add\"; auth_method = \"preshared\"; local_addr = \"$OURS_IP\"; remote_addr = \"$CHARON_IP\";
  local_id = { type = \"fqdn\"; value = \"ours.test\"; }; remote_id = { type = \"fqdn\"; value = \"charon.test\"; };
  ikesa_xform = ( $DEFAULT_XFORM );
  childsa = ( { local_ts = \"10.77.1.0/24\"; remote_ts = \"10.77.2.0/24\"; esp_xform = ( { encr_alg = \"aes-gcm\"; encr_keylen = 128; } ); } ); }"
expect 1 add rule "$VIA_ADD" && grep -q "running configuration stays" "$WORK/err" ||
	fail "add rule without its key: $(cat "$WORK/err")"
adm dump rule | grep -q "^Label 'via_add'" && fail "a refused add rule is in force"
expect 2 add preshared "{ label = \"via_add\"; key = \"$PSK\"; }" &&
	grep -q "interactive mode" "$WORK/err" || fail "add preshared with the key in argv was not refused"
expect 2 add rule "{ label = \"broken\"; auth_method = " || fail "add rule with a syntax error"
printf 'add preshared { label = "via_add"; key = "%s"; }\n' "$PSK" | adm > "$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "add preshared (interactive)"; }
expect 0 add rule "$VIA_ADD" || cat "$WORK/err"
adm dump rule | grep -q "^Label 'via_add'" || fail "add rule: via_add not in force"
adm get preshared via_add | grep -q "key 0x$(printf %s "$PSK" | od -An -tx1 | tr -d ' \n')" ||
	fail "add preshared: the key of via_add is not in force"
nob nogroup add rule "{ label = \"x\"; }" > /dev/null 2>&1; [ $? = 4 ] || fail "a group member added a rule"
expect 0 initiate via_add
check_child "rule added with ikeadm" || finish
json dump ikesa
[ "$(jq_py 'j[0]["rule"]+" "+j[0]["spi_i"]+" "+j[0]["spi_r"]')" = "via_add $(charon_ike_spis "$C")" ] ||
	fail "the SA of via_add: $(cat "$WORK/json") charon: $(charon_ike_spis "$C")"
via_spis="$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')"
log "add preshared + add rule: via_add brought up an SA with charon ($via_spis)"
# write rule: the running set, ikeadm's changes in, into a new file only
expect 0 write rule "$WORK/written.config" || cat "$WORK/err"
grep -q 'label = "via_add"' "$WORK/written.config" && grep -q 'label = "to_charon"' "$WORK/written.config" ||
	fail "write rule: $(head -50 "$WORK/written.config")"
cp "$O/ikev2.config" "$WORK/live.copy"
expect 1 write rule "$O/ikev2.config"
cmp -s "$O/ikev2.config" "$WORK/live.copy" || fail "write rule changed the live file"
adm write rule | grep -q 'label = "via_add"' || fail "write rule (stdout)"
# the written file, with the key of via_add, is a configuration the daemon takes
sed -i "s|preshared_file = \"[^\"]*\";|preshared_file = \"$WORK/written.psk\";|" "$WORK/written.config"
adm write preshared "$WORK/written.psk" > /dev/null || fail "write preshared after add preshared"
chown nobody "$WORK/written.config" "$WORK/written.psk"; chmod 600 "$WORK/written.config"
"$DAEMON" -c -f "$WORK/written.config" > "$WORK/written.check" 2>&1 ||
	{ cat "$WORK/written.check"; fail "in.ikev2d -c refuses what write rule wrote"; }
# del: the rule's SA stays; the key cannot go while a rule needs it
expect 1 del preshared via_add || fail "del preshared of a rule that needs it"
expect 0 del rule via_add
adm dump rule | grep -q "^Label 'via_add'" && fail "del rule: via_add still in force"
expect 3 initiate via_add
json dump ikesa && [ "$(jq_py 'j[0]["spi_i"]+" "+j[0]["spi_r"]')" = "$via_spis" ] ||
	fail "del rule lost the SA of via_add"
charon_ike_established "$C" || fail "del rule: charon lost the SA"
expect 0 del preshared via_add
expect 1 del rule via_add
grep -q "$(printf %s "$PSK" | od -An -tx1 | tr -d ' \n')\|$PSK" "$O/daemon.log" && fail "a key was logged"
expect 0 read rule
grep -q "ikeadm add/del (not in any file) dropped" "$O/daemon.log" || fail "read rule: the dropped changes were not logged"
log "write rule (new files only), del rule keeps the SA, del preshared, read rule drops the changes"
expect 0 flush ikesa

daemon_alive "$O" || fail "in.ikev2d died"
grep -q "running as nobody" "$O/daemon.log" || fail "the daemon did not switch to nobody"
stop_daemon "$O" || fail "in.ikev2d did not stop"
# (as daemon.user the daemon cannot remove it; the next start replaces it)
grep -q "running as root" "$O/daemon.log" && [ -e "$SOCK" ] && fail "the control socket was left behind"
finish
