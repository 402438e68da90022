# traffic.sh - traffic through a tunnel between namespaces (bash, sourced
# after lib.sh; uses $WORK): ping_ok and a checksummed TCP transfer.

# ping_ok NS SRC DST COUNT what: COUNT pings from SRC in NS, all answered.
ping_ok() {   # NS SRC DST COUNT what
	if ip netns exec "$1" ping -q -c "$4" -W 2 -I "$2" "$3" > "$WORK/ping.out" 2>&1; then
		return 0
	fi
	cat "$WORK/ping.out"
	fail "$5: ping $2 -> $3 in $1 failed"
	return 1
}

# A checksummed TCP transfer: 2 MB from NS_FROM to DST (listening in NS_TO
# on DST, or on BIND when DST is an address a NAT in between translates);
# IPv4 or IPv6.
tcp_ok() {   # NS_FROM SRC NS_TO DST what [BIND]
	local f=$WORK/blob port=5201 got bind=${6:-$4}
	head -c 2000000 /dev/urandom > "$f"
	local want
	want=$(sha256sum < "$f" | cut -d' ' -f1)
	ip netns exec "$3" timeout 30 python3 -c '
import socket, sys, hashlib
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(25)
c, _ = s.accept(); c.settimeout(25); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(h.hexdigest(), n)
' "$bind" $port > "$WORK/tcp.out" 2>&1 &
	local srv=$!
	# listening before the client connects (a fixed sleep lost the race
	# on a loaded machine)
	wait_for 10 sh -c "ip netns exec $3 ss -Hltn 'sport = :$port' | grep -q ."
	ip netns exec "$1" timeout 30 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 20, (sys.argv[3], 0))
with open(sys.argv[4], "rb") as f: s.sendall(f.read())
s.close()
' "$4" $port "$2" "$f" || fail "$5: TCP client failed"
	wait $srv
	got=$(cut -d' ' -f1 "$WORK/tcp.out")
	if [ "$got" = "$want" ]; then
		log "$5: 2 MB over TCP $2 -> $4, SHA-256 matches"
	else
		cat "$WORK/tcp.out"
		fail "$5: TCP transfer $2 -> $4: checksum $got, expected $want"
	fi
}

