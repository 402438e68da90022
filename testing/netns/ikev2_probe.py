#!/usr/bin/python3
"""ikev2_probe.py - a hostile IKEv2 peer for the bad-input tests.

Sends hand-built IKE_SA_INIT requests (and deliberate garbage) to an
in.ikev2d responder and checks what comes back.  Each check prints one line
"ok: ..." or "FAIL: ..." and the exit status is the number of failures.

    ikev2_probe.py TARGET CHECK [options]

Checks:
  valid          a well-formed request gets SA, KE, Nonce back (no error)
  noproposal     only transforms the rule does not allow -> NO_PROPOSAL_CHOSEN
  invalid-ke     KE of another group than the proposal -> INVALID_KE_PAYLOAD
                 naming the group wanted
  critical       an unknown payload with the critical bit ->
                 UNSUPPORTED_CRITICAL_PAYLOAD naming the payload type
  retransmit     the same request twice -> the same response twice (the
                 responder answers a retransmission from its stored reply)
  garbage        random datagrams, truncated and lying headers, oversized
                 datagrams, on the IKE and NAT-T ports -> no answer, and a
                 valid request afterwards is still answered
  flood N        N requests from N spoofed sources (10.200/16, routed to
                 this namespace) -> COOKIE demanded once the half-open count
                 passes the threshold; answering a COOKIE works
  after-timeout  (after the half-open timeout) a request from a fresh source
                 is answered without a COOKIE: the half-open SAs are gone

Replays (run in the namespace of a real initiator, on its interface):
  capture IFACE SECONDS FILE   record the IKE datagrams leaving IFACE
                               (whole Ethernet frames, one hex line each)
  replay IFACE FILE            send those frames again, unchanged
  keepalives FILE              count the NAT keepalives among captured frames

Only the Python standard library is used: spoofed sources are real local
addresses of this namespace (an "ip route add local 10.200.0.0/16 dev lo"
route), chosen per datagram with IP_PKTINFO.
"""
import os
import random
import select
import socket
import struct
import sys
import time

IKE_SA_INIT = 34
PL_SA, PL_KE, PL_NONCE, PL_NOTIFY = 33, 34, 40, 41
N_UNSUPPORTED_CRITICAL_PAYLOAD = 1
N_INVALID_SYNTAX = 7
N_NO_PROPOSAL_CHOSEN = 14
N_INVALID_KE_PAYLOAD = 17
N_COOKIE = 16390
IP_PKTINFO = 8        # <linux/in.h>; not exported by the socket module
NOTIFY_NAMES = {1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI",
                5: "INVALID_MAJOR_VERSION", 7: "INVALID_SYNTAX",
                14: "NO_PROPOSAL_CHOSEN", 17: "INVALID_KE_PAYLOAD",
                24: "AUTHENTICATION_FAILED", 16390: "COOKIE"}

failures = 0


def ok(msg):
    print("ok: " + msg, flush=True)


def bad(msg):
    global failures
    failures += 1
    print("FAIL: " + msg, flush=True)


# ------------------------------------------------------------ building

def payload(next_type, body, critical=False):
    return struct.pack("!BBH", next_type, 0x80 if critical else 0, 4 + len(body)) + body


def transform(last, ttype, tid, keylen=None):
    attrs = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    body = struct.pack("!BBH", ttype, 0, tid) + attrs
    return struct.pack("!BBH", 0 if last else 3, 0, 8 + len(attrs)) + body


def sa_body(xforms):
    """xforms: list of (type, id, keylen|None); one IKE proposal."""
    t = b"".join(transform(i == len(xforms) - 1, *x) for i, x in enumerate(xforms))
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, len(xforms)) + t
    return prop


# Matches the rule the harness writes: aes128-sha256, curve25519.
GOOD_XFORMS = [(1, 12, 128), (2, 5, None), (3, 12, None), (4, 31, None)]
BAD_XFORMS = [(1, 3, None), (2, 1, None), (3, 1, None), (4, 2, None)]  # 3des/md5/modp1024


def ike_sa_init(spi_i=None, xforms=GOOD_XFORMS, ke_group=31, ke_len=32,
                extra=None, cookie=None, nonce=None, ke_data=None):
    """extra: list of (type, body, critical) payloads appended at the end."""
    spi_i = spi_i or os.urandom(8)
    nonce = nonce or os.urandom(32)
    ke_data = ke_data or os.urandom(ke_len)
    parts = []
    if cookie is not None:
        parts.append((PL_NOTIFY, struct.pack("!BBH", 0, 0, N_COOKIE) + cookie, False))
    parts.append((PL_SA, sa_body(xforms), False))
    parts.append((PL_KE, struct.pack("!HH", ke_group, 0) + ke_data, False))
    parts.append((PL_NONCE, nonce, False))
    for e in extra or []:
        parts.append(e)
    body = b""
    for i, (ptype, pbody, crit) in enumerate(parts):
        nxt = parts[i + 1][0] if i + 1 < len(parts) else 0
        body += payload(nxt, pbody, crit)
    hdr = struct.pack("!8s8sBBBBII", spi_i, b"\0" * 8, parts[0][0], 0x20,
                      IKE_SA_INIT, 0x08, 0, 28 + len(body))
    return hdr + body


# ------------------------------------------------------------- parsing

def parse_response(data):
    """(spi_r, [payload types], [(notify type, data)]) or None if malformed."""
    if len(data) < 28:
        return None
    spi_i, spi_r, nxt, ver, exch, flags, mid, length = struct.unpack("!8s8sBBBBII", data[:28])
    if length != len(data) or exch != IKE_SA_INIT or not flags & 0x20:
        return None
    off, types, notifies = 28, [], []
    while nxt:
        if off + 4 > len(data):
            return None
        n2, _, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            return None
        types.append(nxt)
        if nxt == PL_NOTIFY and plen >= 8:
            _, spisz, ntype = struct.unpack("!BBH", data[off + 4:off + 8])
            notifies.append((ntype, data[off + 8 + spisz:off + plen]))
        off += plen
        nxt = n2
    return spi_r, types, notifies


def describe(resp):
    if resp is None:
        return "no/invalid response"
    _, types, notifies = resp
    return "payloads %s notifies %s" % (types, [NOTIFY_NAMES.get(n, n) for n, _ in notifies])


# ----------------------------------------------------------- transport

class Peer:
    def __init__(self, target, port, natt=False):
        self.target = (target, port)
        self.natt = natt
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
        self.sock.bind(("0.0.0.0", 0))

    def send(self, data, source=None):
        if self.natt:
            data = b"\0\0\0\0" + data
        anc = []
        if source:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
            anc = [(socket.IPPROTO_IP, IP_PKTINFO,
                    struct.pack("!I4s4s", 0, socket.inet_aton(source), b"\0" * 4))]
        self.sock.sendmsg([data], anc, 0, self.target)

    def recv(self, timeout=1.0):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        data, _ = self.sock.recvfrom(65535)
        if self.natt:
            if data[:4] != b"\0\0\0\0":
                return None
            data = data[4:]
        return data

    def drain(self, timeout=0.3):
        got = []
        while True:
            d = self.recv(timeout)
            if d is None:
                return got
            got.append(d)

    def exchange(self, data, timeout=2.0, source=None):
        self.send(data, source)
        d = self.recv(timeout)
        return parse_response(d) if d is not None else None


def notify_types(resp):
    return [] if resp is None else [n for n, _ in resp[2]]


# -------------------------------------------------------------- checks

def check_valid(p, label="valid request"):
    resp = p.exchange(ike_sa_init())
    if resp and PL_SA in resp[1] and PL_KE in resp[1] and PL_NONCE in resp[1] \
            and not [n for n in notify_types(resp) if n < 16384]:
        ok("%s answered with SA, KE, Nonce" % label)
        return True
    bad("%s: %s" % (label, describe(resp)))
    return False


def check_noproposal(p):
    resp = p.exchange(ike_sa_init(xforms=BAD_XFORMS, ke_group=2, ke_len=128))
    if N_NO_PROPOSAL_CHOSEN in notify_types(resp) and PL_SA not in resp[1]:
        ok("unacceptable proposal answered with NO_PROPOSAL_CHOSEN only")
    else:
        bad("unacceptable proposal: %s" % describe(resp))


def check_invalid_ke(p):
    resp = p.exchange(ike_sa_init(ke_group=19, ke_len=64))
    n = dict(resp[2]) if resp else {}
    if N_INVALID_KE_PAYLOAD in n and n[N_INVALID_KE_PAYLOAD] == struct.pack("!H", 31):
        ok("KE of group 19 for a group-31 proposal answered with INVALID_KE_PAYLOAD(31)")
    else:
        bad("wrong KE group: %s" % describe(resp))


def check_critical(p):
    resp = p.exchange(ike_sa_init(extra=[(222, b"hello", True)]))
    n = dict(resp[2]) if resp else {}
    if N_UNSUPPORTED_CRITICAL_PAYLOAD in n and n[N_UNSUPPORTED_CRITICAL_PAYLOAD] == b"\xde":
        ok("unknown critical payload 222 answered with UNSUPPORTED_CRITICAL_PAYLOAD(222)")
    else:
        bad("unknown critical payload: %s" % describe(resp))
    # the same payload without the critical bit is skipped
    resp = p.exchange(ike_sa_init(extra=[(222, b"hello", False)]))
    if resp and PL_SA in resp[1]:
        ok("unknown non-critical payload ignored")
    else:
        bad("unknown non-critical payload: %s" % describe(resp))


def check_retransmit(p):
    req = ike_sa_init()
    p.send(req)
    a = p.recv(2.0)
    p.send(req)
    b = p.recv(2.0)
    if a is None or b is None:
        bad("retransmitted request: response missing (%s, %s)" % (a is not None, b is not None))
    elif a == b:
        ok("retransmitted request answered with the identical stored response")
    else:
        bad("retransmitted request answered with a different response (%s / %s)"
            % (describe(parse_response(a)), describe(parse_response(b))))


def garbage_datagrams():
    rnd = random.Random(5)
    good = ike_sa_init()
    out = []
    for n in (1, 3, 7, 27, 28, 29, 64, 500, 1500, 3000):
        out.append(bytes(rnd.getrandbits(8) for _ in range(n)))
    # IKE headers that lie about their length, or end mid-payload
    out.append(good[:20])
    out.append(good[:28])
    out.append(good[:60])
    out.append(good[:-1])
    out.append(good[:24] + struct.pack("!I", len(good) + 100) + good[28:])
    out.append(good[:24] + struct.pack("!I", 10) + good[28:])
    out.append(good[:24] + struct.pack("!I", 0xFFFFFFFF) + good[28:])
    # a payload whose length runs past the end / is below its header size
    bad_sa = bytearray(good)
    struct.pack_into("!H", bad_sa, 30, 0xFFF0)
    out.append(bytes(bad_sa))
    bad_sa = bytearray(good)
    struct.pack_into("!H", bad_sa, 30, 2)
    out.append(bytes(bad_sa))
    # wrong major version, response flag on a request, non-zero SPIr
    v = bytearray(good); v[17] = 0x30; out.append(bytes(v))
    v = bytearray(good); v[19] = 0x28; out.append(bytes(v))
    v = bytearray(good); v[8:16] = os.urandom(8); out.append(bytes(v))
    # an unknown exchange type
    v = bytearray(good); v[18] = 99; out.append(bytes(v))
    # a proposal with 255 transforms announced and none present
    v = bytearray(good); v[28 + 4 + 7] = 255; out.append(bytes(v))
    return out


def check_garbage(target, port, natt_port):
    p = Peer(target, port)
    q = Peer(target, natt_port, natt=True)
    raw = Peer(target, natt_port)
    answered = 0
    for d in garbage_datagrams():
        for peer in (p, q):
            peer.send(d)
            for r in peer.drain(0.05):
                resp = parse_response(r)
                # an INVALID_MAJOR_VERSION / INVALID_SYNTAX answer is allowed,
                # a new SA is not
                if resp is None or PL_SA in resp[1]:
                    answered += 1
    raw.send(b"\xff")                    # NAT keepalive
    raw.send(os.urandom(200))            # ESP-in-UDP (non-zero SPI)
    big = os.urandom(20000)
    p.send(big)
    q.send(big)
    if answered:
        bad("%d garbage datagrams got an SA offer or an unparsable answer" % answered)
    else:
        ok("%d kinds of garbage on ports %d and %d: no SA, no malformed answer"
           % (len(garbage_datagrams()), port, natt_port))
    check_valid(p, "valid request after the garbage")
    check_valid(q, "valid request on the NAT-T port after the garbage")


def check_flood(target, port, n):
    p = Peer(target, port)
    cookies = normal = silent = 0
    first_cookie = None
    for i in range(n):
        src = "10.200.%d.%d" % (1 + i // 250, 1 + i % 250)
        p.send(ike_sa_init(), source=src)
        if i % 50 == 49:
            for r in p.drain(0.01):
                resp = parse_response(r)
                if resp and N_COOKIE in notify_types(resp):
                    cookies += 1
                    first_cookie = first_cookie or (src, resp)
                elif resp and PL_SA in resp[1]:
                    normal += 1
    for r in p.drain(0.5):
        resp = parse_response(r)
        if resp and N_COOKIE in notify_types(resp):
            cookies += 1
        elif resp and PL_SA in resp[1]:
            normal += 1
    silent = n - cookies - normal
    print("flood of %d: %d normal answers, %d COOKIE, %d unanswered" % (n, normal, cookies, silent))
    if cookies == 0:
        bad("no COOKIE demanded during a flood of %d IKE_SA_INIT" % n)
    else:
        ok("COOKIE demanded after %d half-open SAs" % normal)
    # answer a COOKIE the way an honest initiator does
    # RFC 7296 §2.6: the same request again, with the COOKIE first
    src = "10.200.99.1"
    same = dict(spi_i=os.urandom(8), nonce=os.urandom(32), ke_data=os.urandom(32))
    resp = p.exchange(ike_sa_init(**same), source=src)
    n_ = dict(resp[2]) if resp else {}
    if N_COOKIE in n_:
        resp2 = p.exchange(ike_sa_init(cookie=n_[N_COOKIE], **same), source=src)
        if resp2 and PL_SA in resp2[1]:
            ok("request repeated with the COOKIE is answered normally")
        else:
            bad("request with the COOKIE: %s" % describe(resp2))
        forged = bytearray(n_[N_COOKIE])
        forged[-1] ^= 1
        resp3 = p.exchange(ike_sa_init(cookie=bytes(forged), **same), source="10.200.99.2")
        if resp3 and PL_SA in resp3[1]:
            bad("a forged COOKIE was accepted")
        else:
            ok("a forged COOKIE is not accepted (%s)" % describe(resp3))
    else:
        bad("no COOKIE for a request during the flood: %s" % describe(resp))


def check_after_timeout(target, port):
    p = Peer(target, port)
    resp = p.exchange(ike_sa_init(), source="10.200.250.250")
    if resp and PL_SA in resp[1] and N_COOKIE not in notify_types(resp):
        ok("after the half-open timeout a new request needs no COOKIE")
    else:
        bad("after the half-open timeout: %s" % describe(resp))


ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def is_ike_frame(frame):
    """IPv4 UDP to port 500 or 4500 (the frame as AF_PACKET gives it)."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        return False
    ihl = (frame[14] & 0x0F) * 4
    if frame[14 + 9] != 17 or len(frame) < 14 + ihl + 8:
        return False
    dport = struct.unpack("!H", frame[14 + ihl + 2:14 + ihl + 4])[0]
    return dport in (500, 4500)


def capture(iface, seconds, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    end = time.time() + seconds
    n = 0
    with open(path, "w") as out:
        while time.time() < end:
            r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
            if not r:
                continue
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING and is_ike_frame(frame):
                out.write(frame.hex() + "\n")
                out.flush()
                n += 1
    print("captured %d IKE frames on %s" % (n, iface))
    return 0 if n else 1


def udp_ports(frame):
    ihl = (frame[14] & 0x0F) * 4
    return struct.unpack("!HH", frame[14 + ihl:14 + ihl + 4])


def replay(iface, path):
    """Send the frames again; count the IKE answers arriving meanwhile and
    for 1.5 s after (printed as "answers N")."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    n = 0
    answers = {}   # exchange type -> count

    def collect(until):
        while True:
            r, _, _ = select.select([s], [], [], max(0.0, until - time.time()))
            if not r:
                return
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING or len(frame) < 42 or \
                    frame[12:14] != b"\x08\x00" or frame[23] != 17:
                continue
            sport = udp_ports(frame)[0]
            if sport not in (500, 4500):
                continue
            ike = frame[14 + (frame[14] & 0x0F) * 4 + 8:]
            if sport == 4500:
                ike = ike[4:]       # non-ESP marker
            if len(ike) >= 28:
                answers[ike[18]] = answers.get(ike[18], 0) + 1

    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                frame = bytearray.fromhex(line)
                # captured before checksum offload: the UDP checksum may be
                # a partial one; 0 means "none" for UDP over IPv4
                ihl = (frame[14] & 0x0F) * 4
                frame[14 + ihl + 6:14 + ihl + 8] = b"\0\0"
                s.send(bytes(frame))
                n += 1
                collect(time.time() + 0.05)
    collect(time.time() + 1.5)
    print("replayed %d frames on %s" % (n, iface))
    names = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
    print("answers " + " ".join("%s=%d" % (names.get(k, k), v) for k, v in sorted(answers.items())))
    print("answers IKE_AUTH %d" % answers.get(35, 0))
    return 0 if n else 1


def count_keepalives(path):
    """Print how many captured frames are NAT keepalives (RFC 3948 §2.3:
    one 0xFF byte to port 4500)."""
    n = 0
    with open(path) as f:
        for line in f:
            frame = bytes.fromhex(line.strip() or "00")
            if not is_ike_frame(frame):
                continue
            ihl = (frame[14] & 0x0F) * 4
            dport = udp_ports(frame)[1]
            payload = frame[14 + ihl + 8:]
            if dport == 4500 and payload == b"\xff":
                n += 1
    print("keepalives %d" % n)
    return 0


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    if sys.argv[1] == "capture" and len(sys.argv) == 5:
        return capture(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    if sys.argv[1] == "replay" and len(sys.argv) == 4:
        return replay(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "keepalives" and len(sys.argv) == 3:
        return count_keepalives(sys.argv[2])
    target, check = sys.argv[1], sys.argv[2]
    port = int(os.environ.get("IKE_PORT", "500"))
    natt_port = int(os.environ.get("NATT_PORT", "4500"))
    p = Peer(target, port)
    if check == "valid":
        check_valid(p)
    elif check == "noproposal":
        check_noproposal(p)
    elif check == "invalid-ke":
        check_invalid_ke(p)
    elif check == "critical":
        check_critical(p)
    elif check == "retransmit":
        check_retransmit(p)
    elif check == "garbage":
        check_garbage(target, port, natt_port)
    elif check == "flood":
        check_flood(target, port, int(sys.argv[3]) if len(sys.argv) > 3 else 500)
    elif check == "after-timeout":
        check_after_timeout(target, port)
    else:
        print("unknown check " + check)
        return 2
    return min(failures, 100)


if __name__ == "__main__":
    sys.exit(main())
