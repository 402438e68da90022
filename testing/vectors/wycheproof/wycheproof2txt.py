#!/usr/bin/env python3
"""Convert the Wycheproof JSON files testing/crypto uses into the plain
`name = value` record format of testing/vectors (one record per test, the
group's parameters repeated in each), so the C tests need no JSON parser.

Usage: wycheproof2txt.py SRC_DIR DST_DIR   (SRC_DIR: ../shared/vectors/wycheproof)
"""
import json
import os
import sys

FILES = {
    "ecdh_secp256r1_ecpoint_test.json": ("curve",),
    "ecdh_secp384r1_ecpoint_test.json": ("curve",),
    "ecdh_secp521r1_ecpoint_test.json": ("curve",),
    "x25519_test.json": ("curve",),
    "x448_test.json": ("curve",),
    "aes_gcm_test.json": ("keySize", "ivSize", "tagSize"),
    "aes_ccm_test.json": ("keySize", "ivSize", "tagSize"),
    "chacha20_poly1305_test.json": ("keySize", "ivSize", "tagSize"),
    "aes_cbc_pkcs5_test.json": ("keySize", "ivSize"),
    "hmac_sha1_test.json": ("keySize", "tagSize"),
    "hmac_sha256_test.json": ("keySize", "tagSize"),
    "hmac_sha384_test.json": ("keySize", "tagSize"),
    "hmac_sha512_test.json": ("keySize", "tagSize"),
    "aes_cmac_test.json": ("keySize", "tagSize"),
}
TEST_FIELDS = ("tcId", "public", "private", "shared", "key", "iv", "aad",
               "msg", "ct", "tag", "result", "flags")


def main(src, dst):
    for name, group_fields in FILES.items():
        with open(os.path.join(src, name)) as f:
            data = json.load(f)
        out = [f"# source: C2SP Wycheproof {name} ({data.get('algorithm')}),",
               "# license: Apache-2.0 (see LICENSE); converted by wycheproof2txt.py",
               f"# tests: {data.get('numberOfTests')}", ""]
        for group in data["testGroups"]:
            for test in group["tests"]:
                for g in group_fields:
                    out.append(f"{g} = {group[g]}")
                for t in TEST_FIELDS:
                    if t not in test:
                        continue
                    v = test[t]
                    if isinstance(v, list):
                        v = ",".join(v)
                    out.append(f"{t} = {v}")
                out.append("")
        with open(os.path.join(dst, name.replace(".json", ".txt")), "w") as f:
            f.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
