#!/usr/bin/env python3
"""Convert the Wycheproof signature-verification files ikev2d tests with
into plain text a C test reads with fgets: a line "group" opens a test
group (its public key as DER SubjectPublicKeyInfo and hash parameters
follow as "name = value" lines), a blank line ends each record, and each
test case is "tc", "msg", "sig" and "result" (valid, invalid, acceptable).

Usage: json2txt.py SRC_DIR DST_DIR  (SRC_DIR holds the Wycheproof JSON)
"""
import json
import os
import sys

FILES = [
    "ecdsa_secp256r1_sha256_p1363_test.json",
    "ecdsa_secp384r1_sha384_p1363_test.json",
    "ecdsa_secp521r1_sha512_p1363_test.json",
    "ecdsa_secp256r1_sha256_test.json",
    "ecdsa_secp384r1_sha384_test.json",
    "ecdsa_secp521r1_sha512_test.json",
    "ed25519_test.json",
    "ed448_test.json",
    "rsa_signature_2048_sha256_test.json",
    "rsa_signature_2048_sha384_test.json",
    "rsa_signature_2048_sha512_test.json",
    "rsa_signature_3072_sha256_test.json",
    "rsa_pss_2048_sha256_mgf1_32_test.json",
    "rsa_pss_2048_sha384_mgf1_48_test.json",
    "rsa_pss_3072_sha256_mgf1_32_test.json",
]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    for name in FILES:
        with open(os.path.join(src, name)) as f:
            data = json.load(f)
        out = [f"# {name}: {data['numberOfTests']} tests, "
               f"C2SP Wycheproof (Apache-2.0, see LICENSE)", ""]
        for g in data["testGroups"]:
            out.append("group")
            out.append(f"key = {g['publicKeyDer']}")
            for k in ("sha", "mgfSha", "sLen"):
                if k in g:
                    out.append(f"{k} = {g[k]}")
            out.append("")
            for t in g["tests"]:
                out.append(f"tc = {t['tcId']}")
                out.append(f"msg = {t['msg']}")
                out.append(f"sig = {t['sig']}")
                out.append(f"result = {t['result']}")
                out.append("")
        with open(os.path.join(dst, name.replace(".json", ".txt")), "w") as f:
            f.write("\n".join(out))


if __name__ == "__main__":
    main()
