#!/usr/bin/python3
"""Messages built by an independent IKEv2 implementation (scapy's
scapy.contrib.ikev2) must parse with our codec into the same fields.

Usage: scapy_messages.py PATH_TO_ikev2_parse WORKDIR
Exit 0 when every case matched, 1 otherwise, 77 when scapy is missing.

scapy quirks (see ../shared/vectors/README.md): next_payload is set by hand
on every payload, a key-length attribute needs length=12 on its transform
or scapy drops it, an IPv6 traffic selector needs length=40 (scapy's default
of 20 is wrong), a CP attribute without a value needs length=0, and the payload
length is set by hand for an FQDN identity, a Notify with an SPI and a CP
payload (scapy computes it from a field those payloads do not have).
"""
import os, subprocess, sys

try:
    from scapy.contrib.ikev2 import *          # noqa: F401,F403
    from scapy.all import raw
except Exception as e:                         # pragma: no cover
    print("SKIP: python3-scapy not available:", e)
    sys.exit(77)

SA, KE, IDI, IDR, CERT, CERTREQ, AUTH, NONCE, N, D, V, TSI, TSR, SK, CP, EAP = range(33, 49)
SKF = 53
SPI_I, SPI_R = bytes.fromhex("0123456789abcdef"), bytes.fromhex("fedcba9876543210")
ke = bytes(range(64))
nonce = bytes(range(100, 132))

def ike_sa(nxt):
    t = [IKEv2_payload_Transform(next_payload=3, transform_type=1, transform_id=12, length=12, key_length=256),
         IKEv2_payload_Transform(next_payload=3, transform_type=3, transform_id=12),
         IKEv2_payload_Transform(next_payload=3, transform_type=2, transform_id=5),
         IKEv2_payload_Transform(next_payload=0, transform_type=4, transform_id=19)]
    t2 = [IKEv2_payload_Transform(next_payload=3, transform_type=1, transform_id=20, length=12, key_length=128),
          IKEv2_payload_Transform(next_payload=3, transform_type=2, transform_id=7),
          IKEv2_payload_Transform(next_payload=0, transform_type=4, transform_id=31)]
    p1 = IKEv2_payload_Proposal(next_payload=2, proposal=1, proto=1, trans_nb=4, trans=t[0] / t[1] / t[2] / t[3])
    p2 = IKEv2_payload_Proposal(next_payload=0, proposal=2, proto=1, trans_nb=3, trans=t2[0] / t2[1] / t2[2])
    return IKEv2_payload_SA(next_payload=nxt, prop=p1 / p2)

cases = []   # (name, bytes, chain_type or None, expected lines or "error:<status>")

# 1. IKE_SA_INIT request: SA (2 proposals, key lengths), KE, Nonce, NAT-D, fragmentation, vendor
msg = (IKEv2(init_SPI=SPI_I, resp_SPI=b"\0" * 8, next_payload=SA, exch_type=34, flags="Initiator") /
       ike_sa(KE) /
       IKEv2_payload_KE(next_payload=NONCE, group=19, load=ke) /
       IKEv2_payload_Nonce(next_payload=N, load=nonce) /
       IKEv2_payload_Notify(next_payload=N, type=16388, load=b"\x11" * 20) /
       IKEv2_payload_Notify(next_payload=V, type=16430) /
       IKEv2_payload_VendorID(next_payload=0, vendorID=b"scapy-vendor"))
cases.append(("init_req", raw(msg), None, [
    "summary: IKE_SA_INIT request 0 [ SA KE No N(NAT_DETECTION_SOURCE_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) V ]",
    "SA prop=1 proto=1 spi= trans=1:12:256,3:12,2:5,4:19 prop=2 proto=1 spi= trans=1:20:128,2:7,4:31",
    "KE group=19 len=64", "No len=32",
    "N proto=0 spi= type=16388 data=" + "11" * 20,
    "N proto=0 spi= type=16430 data=",
    "V data=" + b"scapy-vendor".hex()]))

# 2. IKE_SA_INIT response with COOKIE only
msg = (IKEv2(init_SPI=SPI_I, resp_SPI=b"\0" * 8, next_payload=N, exch_type=34, flags="Response") /
       IKEv2_payload_Notify(next_payload=0, type=16390, load=bytes(range(16))))
cases.append(("init_cookie", raw(msg), None, [
    "summary: IKE_SA_INIT response 0 [ N(COOKIE) ]",
    "N proto=0 spi= type=16390 data=" + bytes(range(16)).hex()]))

# 3. IKE_SA_INIT request without KE: our rules refuse it
msg = (IKEv2(init_SPI=SPI_I, resp_SPI=b"\0" * 8, next_payload=SA, exch_type=34, flags="Initiator") /
       ike_sa(NONCE) / IKEv2_payload_Nonce(next_payload=0, load=nonce))
cases.append(("init_no_ke", raw(msg), None, "error: invalid syntax"))

# 4. IKE_AUTH request: Encrypted payload (opaque here), header fields
msg = (IKEv2(init_SPI=SPI_I, resp_SPI=SPI_R, next_payload=SK, exch_type=35, flags="Initiator", id=1) /
       IKEv2_payload_Encrypted(next_payload=IDI, load=bytes(range(80))))
cases.append(("auth_sk", raw(msg), None, [
    "summary: IKE_AUTH request 1 [ SK ]", "SK inner=35 len=80"]))

# 5. RFC 7383 fragment 2 of 3
msg = (IKEv2(init_SPI=SPI_I, resp_SPI=SPI_R, next_payload=SKF, exch_type=35, flags="Initiator", id=1) /
       IKEv2_payload_Encrypted_Fragment(next_payload=0, frag_number=2, frag_total=3, load=bytes(range(40))))
cases.append(("auth_skf", raw(msg), None, [
    "summary: IKE_AUTH request 1 [ SKF(2/3) ]", "SKF frag=2/3 inner=0 len=40"]))

# 6. IKE_AUTH inner chain (what goes inside SK): IDi, IDr, AUTH, SA (ESP), TSi, TSr, N, CP
esp_t = (IKEv2_payload_Transform(next_payload=3, transform_type=1, transform_id=20, length=12, key_length=256) /
         IKEv2_payload_Transform(next_payload=0, transform_type=5, transform_id=0))
esp = IKEv2_payload_Proposal(next_payload=0, proposal=1, proto=3, SPIsize=4, SPI=b"\xc1\x2f\x00\x07", trans_nb=2, trans=esp_t)
chain = (IKEv2_payload_IDi(next_payload=IDR, IDtype=2, length=8 + 19, ID=b"moon.strongswan.org") /
         IKEv2_payload_IDr(next_payload=AUTH, IDtype=1, ID="192.168.1.14") /
         IKEv2_payload_AUTH(next_payload=SA, auth_type=2, load=b"\xaa" * 32) /
         IKEv2_payload_SA(next_payload=TSI, prop=esp) /
         IKEv2_payload_TSi(next_payload=TSR, number_of_TSs=2, traffic_selector=[
             IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                                 starting_address_v4="10.1.0.0", ending_address_v4="10.1.255.255"),
             IPv6TrafficSelector(TS_type=8, length=40, IP_protocol_ID=6, start_port=443, end_port=443,
                                 starting_address_v6="2001:db8::", ending_address_v6="2001:db8::ffff")]) /
         IKEv2_payload_TSr(next_payload=N, number_of_TSs=1, traffic_selector=[
             IPv4TrafficSelector(IP_protocol_ID=17, start_port=500, end_port=4500,
                                 starting_address_v4="10.2.0.1", ending_address_v4="10.2.0.1")]) /
         IKEv2_payload_Notify(next_payload=CP, length=12, proto=3, SPIsize=4, SPI=b"\x01\x02\x03\x04", type=16393) /
         IKEv2_payload_CP(next_payload=0, length=16, CFGType=1, attributes=[
             ConfigurationAttribute(type=1, length=0), ConfigurationAttribute(type=3, length=0)]))
cases.append(("auth_inner", raw(chain), IDI, [
    "IDi type=2 data=" + b"moon.strongswan.org".hex(),
    "IDr type=1 data=c0a8010e",
    "AUTH method=2 data=" + "aa" * 32,
    "SA prop=1 proto=3 spi=c12f0007 trans=1:20:256,5:0",
    "TSi ts=7/0/0-65535/10.1.0.0-10.1.255.255,8/6/443-443/2001:db8::-2001:db8::ffff",
    "TSr ts=7/17/500-4500/10.2.0.1-10.2.0.1",
    "N proto=3 spi=01020304 type=16393 data=",
    "CP type=1 attrs=1:0,3:0"]))

# 7. INFORMATIONAL inner chain: Delete of two ESP SPIs (scapy has no
#    Delete fields: the body is given raw), then a Delete of the IKE SA
chain = (IKEv2_payload_Delete(next_payload=D, vendorID=bytes.fromhex("03040002c12f000700000100")) /
         IKEv2_payload_Delete(next_payload=0, vendorID=bytes.fromhex("01000000")))
cases.append(("info_inner", raw(chain), D, ["D proto=3 spis=c12f0007,00000100", "D proto=1 spis="]))

# 8. unknown payload type 99: non-critical skipped, critical refused
for crit, expect in ((0, ["summary: IKE_SA_INIT response 0 [ N(NO_PROPOSAL_CHOSEN) ]",
                         "N proto=0 spi= type=14 data="]),
                     (0x80, "error: unsupported critical payload")):
    msg = (IKEv2(init_SPI=SPI_I, resp_SPI=b"\0" * 8, next_payload=99, exch_type=34, flags="Response") /
           IKEv2_payload_VendorID(next_payload=N, res=crit, vendorID=b"from the future") /
           IKEv2_payload_Notify(next_payload=0, type=14))
    cases.append(("unknown_%s" % ("critical" if crit else "skipped"), raw(msg), None, expect))

# 9. a truncated KE (length field longer than the message)
bad = bytearray(raw(IKEv2(init_SPI=SPI_I, resp_SPI=b"\0" * 8, next_payload=KE, exch_type=34, flags="Initiator") /
                    IKEv2_payload_KE(next_payload=0, group=19, load=ke)))
bad[28 + 3] += 8
cases.append(("ke_overlong", bytes(bad), None, "error: invalid syntax"))

def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for name, data, chain, expect in cases:
        path = os.path.join(work, name + ".bin")
        open(path, "wb").write(data)
        args = [tool] + (["--chain", str(chain)] if chain else []) + [path]
        res = subprocess.run(args, capture_output=True, text=True)
        lines = [l for l in res.stdout.splitlines() if not l.startswith("file ")]
        if isinstance(expect, str):
            ok = res.returncode == 1 and lines and lines[0].startswith(expect)
        else:
            ok = res.returncode == 0 and lines == expect
        print("%s %s" % ("ok  " if ok else "FAIL", name))
        if not ok:
            failures += 1
            print("  expected:", expect)
            print("  got (rc %d):" % res.returncode, lines, res.stderr)
    print("%d of %d scapy messages as expected" % (len(cases) - failures, len(cases)))
    return 1 if failures else 0

sys.exit(main())
