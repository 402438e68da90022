/*
 * keys.c - key parameters (keytype=, keylen=, curve=, hash=), the
 * strength rules, and opening a key or certificate named by a file, a
 * keystore label or a PKCS#11 URI.
 *
 * The rules are the daemon's: RSA and DSA need 2048 bits or more, EC keys
 * one of the three NIST curves IKEv2 signs with (RFC 4754), or Ed25519 /
 * Ed448 (RFC 8420).
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gnutls/pkcs11.h>

#define MIN_BITS 2048
#define RSA_MAX_BITS 4096

static const struct {
	const char *name;
	gnutls_ecc_curve_t curve;
} curves[] = {
	{ "secp256r1", GNUTLS_ECC_CURVE_SECP256R1 },
	{ "prime256v1", GNUTLS_ECC_CURVE_SECP256R1 },
	{ "p-256", GNUTLS_ECC_CURVE_SECP256R1 },
	{ "p256", GNUTLS_ECC_CURVE_SECP256R1 },
	{ "secp384r1", GNUTLS_ECC_CURVE_SECP384R1 },
	{ "p-384", GNUTLS_ECC_CURVE_SECP384R1 },
	{ "p384", GNUTLS_ECC_CURVE_SECP384R1 },
	{ "secp521r1", GNUTLS_ECC_CURVE_SECP521R1 },
	{ "p-521", GNUTLS_ECC_CURVE_SECP521R1 },
	{ "p521", GNUTLS_ECC_CURVE_SECP521R1 },
};

bool key_params(args_t *a, gnutls_pk_algorithm_t *algo, unsigned *bits)
{
	const char *type = arg_get(a, "keytype");
	const char *len = arg_get(a, "keylen");
	const char *curve = arg_get(a, "curve");
	unsigned long n = 0;
	char *end;

	if (!type)
		type = "rsa";
	if (len) {
		errno = 0;
		n = strtoul(len, &end, 10);
		if (errno || *end || end == len || n > 65536) {
			err("keylen=%s: not a number of bits", len);
			return false;
		}
	}
	if (!strcasecmp(type, "rsa") || !strcasecmp(type, "dsa")) {
		bool rsa = !strcasecmp(type, "rsa");

		if (curve) {
			err("curve= is for keytype=ec");
			return false;
		}
		*algo = rsa ? GNUTLS_PK_RSA : GNUTLS_PK_DSA;
		*bits = len ? (unsigned)n : 2048;
		if (!key_strength_ok(*algo, *bits, "the new key"))
			return false;
		if (rsa && *bits > RSA_MAX_BITS) {
			err("keylen=%u: RSA keys are 2048 to %d bits", *bits,
			    RSA_MAX_BITS);
			return false;
		}
		if (!rsa && *bits != 2048 && *bits != 3072) {
			err("keylen=%u: DSA keys are 2048 or 3072 bits", *bits);
			return false;
		}
		return true;
	}
	if (!strcasecmp(type, "ec") || !strcasecmp(type, "ecdsa")) {
		gnutls_ecc_curve_t c = GNUTLS_ECC_CURVE_INVALID;

		*algo = GNUTLS_PK_ECDSA;
		if (curve) {
			for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]);
			     i++)
				if (!strcasecmp(curve, curves[i].name))
					c = curves[i].curve;
			if (c == GNUTLS_ECC_CURVE_INVALID) {
				err("curve=%s: unsupported curve (IKEv2 signs "
				    "with secp256r1, secp384r1 or secp521r1)",
				    curve);
				return false;
			}
		} else if (len) {
			c = n == 256 ? GNUTLS_ECC_CURVE_SECP256R1 :
			    n == 384 ? GNUTLS_ECC_CURVE_SECP384R1 :
			    n == 521 ? GNUTLS_ECC_CURVE_SECP521R1 :
			    GNUTLS_ECC_CURVE_INVALID;
			if (c == GNUTLS_ECC_CURVE_INVALID) {
				err("keylen=%s: EC keys are 256, 384 or 521 "
				    "bits (or give curve=)", len);
				return false;
			}
		} else {
			c = GNUTLS_ECC_CURVE_SECP256R1;
		}
		*bits = GNUTLS_CURVE_TO_BITS(c);
		return true;
	}
	if (!strcasecmp(type, "ed25519") || !strcasecmp(type, "ed448")) {
		bool e25519 = !strcasecmp(type, "ed25519");

		if (len || curve) {
			err("keytype=%s takes neither keylen= nor curve=", type);
			return false;
		}
		*algo = e25519 ? GNUTLS_PK_EDDSA_ED25519 : GNUTLS_PK_EDDSA_ED448;
		*bits = GNUTLS_CURVE_TO_BITS(e25519 ? GNUTLS_ECC_CURVE_ED25519 :
		                             GNUTLS_ECC_CURVE_ED448);
		return true;
	}
	err("keytype=%s: expected rsa, dsa, ec, ed25519 or ed448", type);
	return false;
}

bool key_strength_ok(gnutls_pk_algorithm_t algo, unsigned bits,
                     const char *what)
{
	if ((algo == GNUTLS_PK_RSA || algo == GNUTLS_PK_RSA_PSS ||
	     algo == GNUTLS_PK_DSA) && bits < MIN_BITS) {
		err("%s: %s key of %u bits is too weak (at least %d)", what,
		    gnutls_pk_get_name(algo), bits, MIN_BITS);
		return false;
	}
	if (algo == GNUTLS_PK_ECDSA && bits < 256) {
		err("%s: EC key of %u bits: unsupported curve", what, bits);
		return false;
	}
	return true;
}

gnutls_digest_algorithm_t hash_param(args_t *a)
{
	const char *h = arg_get(a, "hash");

	if (!h || !strcasecmp(h, "sha256"))
		return GNUTLS_DIG_SHA256;
	if (!strcasecmp(h, "sha384"))
		return GNUTLS_DIG_SHA384;
	if (!strcasecmp(h, "sha512"))
		return GNUTLS_DIG_SHA512;
	if (!strcasecmp(h, "sha1")) {
		warn("hash=sha1: SHA-1 signatures are refused by most "
		     "validators today");
		return GNUTLS_DIG_SHA1;
	}
	err("hash=%s: expected sha256, sha384, sha512 (or sha1)", h);
	return GNUTLS_DIG_UNKNOWN;
}

const char *key_describe(gnutls_pk_algorithm_t algo, unsigned bits,
                         char *buf, size_t len)
{
	switch (algo) {
	case GNUTLS_PK_RSA:
	case GNUTLS_PK_RSA_PSS:
	case GNUTLS_PK_DSA:
		snprintf(buf, len, "%s-%u", algo == GNUTLS_PK_DSA ? "dsa" :
		         algo == GNUTLS_PK_RSA ? "rsa" : "rsa-pss", bits);
		break;
	case GNUTLS_PK_ECDSA:
		snprintf(buf, len, "ecdsa-p%u", bits);
		break;
	case GNUTLS_PK_EDDSA_ED25519:
		snprintf(buf, len, "ed25519");
		break;
	case GNUTLS_PK_EDDSA_ED448:
		snprintf(buf, len, "ed448");
		break;
	default:
		snprintf(buf, len, "%s", gnutls_pk_get_name(algo) ?
		         gnutls_pk_get_name(algo) : "unknown");
	}
	return buf;
}

/* A file named by path, or else a keystore label in one of the dirs. */
static char *locate(ctx_t *ctx, const char *spec, const ks_dir_t *dirs,
                    size_t n)
{
	struct stat st;

	if (strchr(spec, '/') || stat(spec, &st) == 0 || !label_valid(spec))
		return strdup(spec);
	for (size_t i = 0; i < n; i++) {
		char *p = ks_find(ctx, dirs[i], spec);

		if (p)
			return p;
	}
	return strdup(spec);   /* reported as a missing file */
}

gnutls_privkey_t privkey_open(ctx_t *ctx, const char *spec)
{
	static const ks_dir_t dirs[] = { KS_PRIVATE };
	gnutls_privkey_t key;
	gnutls_datum_t data;
	char *path;
	int rc;

	if (gnutls_privkey_init(&key) < 0)
		abort();
	if (strncmp(spec, "pkcs11:", 7) == 0) {
		if (!ctx->token)
			ctx->token = strdup(spec);
		if (!token_init(ctx, NULL))
			goto fail;
		rc = gnutls_privkey_import_url(key, spec, 0);
		if (rc < 0) {
			if (token_pin_refused())
				err("%s: wrong PIN", spec);
			else
				gerr(rc, "cannot open the key %s", spec);
			goto fail;
		}
		return key;
	}
	path = locate(ctx, spec, dirs, 1);
	if (!file_read(path, &data)) {
		free(path);
		goto fail;
	}
	rc = gnutls_privkey_import_x509_raw(key, &data, GNUTLS_X509_FMT_PEM,
	                                    NULL, 0);
	if (rc < 0)
		rc = gnutls_privkey_import_x509_raw(key, &data,
		                                    GNUTLS_X509_FMT_DER, NULL, 0);
	datum_wipe_free(&data);
	if (rc < 0) {
		gerr(rc, "%s: not a private key (unencrypted PEM or DER)", path);
		free(path);
		goto fail;
	}
	free(path);
	return key;
fail:
	gnutls_privkey_deinit(key);
	return NULL;
}

gnutls_x509_crt_t crt_open(ctx_t *ctx, const char *spec)
{
	static const ks_dir_t dirs[] = { KS_CACERTS, KS_INTCERTS, KS_CERTS };
	gnutls_x509_crt_t crt;
	gnutls_datum_t data;
	char *path;
	int rc;

	if (gnutls_x509_crt_init(&crt) < 0)
		abort();
	if (strncmp(spec, "pkcs11:", 7) == 0) {
		if (!ctx->token)
			ctx->token = strdup(spec);
		if (!token_init(ctx, NULL))
			goto fail;
		rc = gnutls_x509_crt_import_url(crt, spec, 0);
		if (rc < 0) {
			gerr(rc, "cannot open the certificate %s", spec);
			goto fail;
		}
		return crt;
	}
	path = locate(ctx, spec, dirs, 3);
	if (!file_read(path, &data)) {
		free(path);
		goto fail;
	}
	rc = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		rc = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_DER);
	datum_wipe_free(&data);
	if (rc < 0) {
		gerr(rc, "%s: not an X.509 certificate", path);
		free(path);
		goto fail;
	}
	free(path);
	return crt;
fail:
	gnutls_x509_crt_deinit(crt);
	return NULL;
}
