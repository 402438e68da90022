#!/usr/bin/env python3
"""forge_esp.py - ESP-in-UDP packets with a valid AES-GCM-128 ICV that our
kernel-userspace backend must still drop, sent from the peer's namespace.

  forge_esp.py CHARON_LOG SPI DST SEQ_PAD SEQ_SEL OUR_INNER PEER_INNER

The CHILD SA's keys come from charon's log (CHD level 4 prints "encryption
responder key", which protects what charon, the responder, sends us): the
first such key in the log.  Two packets, to DST:4500:
  - bad padding (RFC 4303 2.4: bytes 1, 2, ... - here 1, 3) around an
    ICMP echo PEER_INNER -> OUR_INNER, sequence number SEQ_PAD;
  - an inner packet outside the SA's selectors (source 10.77.7.7), well
    padded, sequence number SEQ_SEL.
"""
import re
import socket
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def responder_key(path):
    lines = open(path, errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"encryption responder key => (\d+) bytes", line)
        if not m:
            continue
        want, key = int(m.group(1)), b""
        for cont in lines[i + 1:]:
            d = re.search(r"\s(\d+): ((?:[0-9A-F]{2} )+)", cont)
            if not d:
                break
            key += bytes.fromhex(d.group(2).replace(" ", ""))
            if len(key) >= want:
                return key[:want]
    sys.exit("forge_esp: no 'encryption responder key' in " + path)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp_echo(src, dst):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"forged" * 4
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 7, 0, 64, 1, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


def esp(key, spi, seq, payload, pad):
    body = payload + pad + bytes([len(pad), 4])   # next header: IPv4
    assert len(body) % 4 == 0
    iv = struct.pack("!Q", seq)
    aad = struct.pack("!II", spi, seq)
    return aad + iv + AESGCM(key[:16]).encrypt(key[16:20] + iv, body, aad)


def main():
    log, spi, dst, seq_pad, seq_sel, ours, peers = sys.argv[1:8]
    key = responder_key(log)
    if len(key) != 20:
        sys.exit("forge_esp: expected AES-GCM-128 (20 key bytes), got %d" % len(key))
    spi = int(spi, 16)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    good = icmp_echo(peers, ours)
    n = (-(len(good) + 2)) % 4
    if n < 2:
        n += 4
    # the pad length and the ICV are right, the padding bytes are not
    bad = bytes([1, 3]) + bytes(range(3, n + 1))
    s.sendto(esp(key, spi, int(seq_pad), good, bad), (dst, 4500))
    pad = bytes(range(1, 1 + (-(len(good) + 2)) % 4))
    alien = icmp_echo("10.77.7.7", ours)
    s.sendto(esp(key, spi, int(seq_sel), alien, pad), (dst, 4500))


main()
