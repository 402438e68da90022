/*
 * store.c - what is already there: import (certificate, key, CRL,
 * PKCS#12), export, list and delete, on the keystore directory or a token.
 *
 * Everything imported is parsed and checked first (weak keys, unsupported
 * curves, a CRL whose signature does not verify against a CA we hold) and
 * written back in a normal form (PEM, keys as unencrypted PKCS#8), so the
 * daemon never meets a file ikev2cert could not read.
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/pkcs11.h>
#include <gnutls/pkcs12.h>

/* ------------------------------------------------------------ helpers */

static bool key_ok(gnutls_pk_algorithm_t algo, unsigned bits, const char *what)
{
	if (!key_strength_ok(algo, bits, what))
		return false;
	if (algo == GNUTLS_PK_ECDSA && bits != 256 && bits != 384 &&
	    bits != 521) {
		err("%s: EC key on a %u-bit curve: unsupported curve (IKEv2 "
		    "signs with secp256r1, secp384r1 or secp521r1)", what, bits);
		return false;
	}
	if (algo != GNUTLS_PK_RSA && algo != GNUTLS_PK_RSA_PSS &&
	    algo != GNUTLS_PK_DSA && algo != GNUTLS_PK_ECDSA &&
	    algo != GNUTLS_PK_EDDSA_ED25519 && algo != GNUTLS_PK_EDDSA_ED448) {
		err("%s: %s keys are not supported", what,
		    gnutls_pk_get_name(algo) ? gnutls_pk_get_name(algo) : "such");
		return false;
	}
	return true;
}

static bool crt_key_ok(gnutls_x509_crt_t crt, const char *what)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

	if (pk < 0) {
		gerr(pk, "%s: reading its key", what);
		return false;
	}
	return key_ok((gnutls_pk_algorithm_t)pk, bits, what);
}

static bool self_signed(gnutls_x509_crt_t crt)
{
	unsigned status = 1;

	return gnutls_x509_crt_check_issuer(crt, crt) &&
	       gnutls_x509_crt_verify(crt, &crt, 1,
	                              GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	                              GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
	                              &status) >= 0 &&
	       status == 0;
}

static bool is_ca(gnutls_x509_crt_t crt)
{
	unsigned crit = 0, ca = 0;

	return gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, NULL) >= 0
	       && ca;
}

/* The label a file gets by default: its name without directory and
 * extension, with anything outside the label alphabet made '_'. */
static char *default_label(const char *path)
{
	char *copy = strdup(path), *base = basename(copy), *dot, *out;

	dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	out = strdup(base[0] ? base : "imported");
	free(copy);
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			*p = '_';
	if (out[0] == '.' || out[0] == '-')
		out[0] = '_';
	if (strlen(out) > 64)
		out[64] = '\0';
	return out;
}

static char *nth_label(const char *label, const char *tag, unsigned n)
{
	char *out;

	if (n == 0 && !tag[0])
		return strdup(label);
	if (asprintf(&out, "%.50s-%s%u", label, tag, n) < 0)
		abort();
	return out;
}

static const char *describe_crt_key(gnutls_x509_crt_t crt, char *buf,
                                    size_t len)
{
	unsigned bits = 0;
	int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);

	return key_describe(pk < 0 ? GNUTLS_PK_UNKNOWN : (gnutls_pk_algorithm_t)pk,
	                    bits, buf, len);
}

/* ------------------------------------------------------------- import */

typedef struct {
	ctx_t *ctx;
	bool token;
	const char *label;
	const char *password;
} imp_t;

static bool store_crt(imp_t *im, gnutls_x509_crt_t crt, ks_dir_t forced,
                      const char *label, const gnutls_datum_t *id)
{
	gnutls_datum_t pem = { NULL, 0 };
	ks_dir_t d = forced;
	bool ok;
	int rc;

	if (!crt_key_ok(crt, label))
		return false;
	if (d == KS_MAX)
		d = !is_ca(crt) ? KS_CERTS : self_signed(crt) ? KS_CACERTS :
		    KS_INTCERTS;
	if (im->token) {
		unsigned flags = GNUTLS_PKCS11_OBJ_FLAG_LOGIN;

		if (d != KS_CERTS)
			flags |= GNUTLS_PKCS11_OBJ_FLAG_MARK_CA;
		rc = gnutls_pkcs11_copy_x509_crt2(im->ctx->token, crt, label, id,
		                                  flags);
		if (rc < 0) {
			gerr(rc, "%s: storing certificate '%s'", im->ctx->token,
			     label);
			return false;
		}
		printf("wrote certificate '%s' to %s\n", label, im->ctx->token);
		return true;
	}
	rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);
	if (rc < 0) {
		gerr(rc, "encoding certificate '%s'", label);
		return false;
	}
	ok = ks_store(im->ctx, d, label, pem.data, pem.size, false);
	gnutls_free(pem.data);
	return ok;
}

static bool store_key(imp_t *im, gnutls_x509_privkey_t key, const char *label,
                      gnutls_datum_t *id_out)
{
	gnutls_datum_t pem = { NULL, 0 };
	unsigned bits = 0;
	int pk = gnutls_x509_privkey_get_pk_algorithm2(key, &bits), rc;
	bool ok;

	if (pk < 0 || !key_ok((gnutls_pk_algorithm_t)pk, bits, label))
		return false;
	if (im->token) {
		unsigned char id[64];
		size_t id_len = sizeof(id);
		gnutls_datum_t idd = { id, 0 };

		if (gnutls_x509_privkey_get_key_id(key, 0, id, &id_len) >= 0)
			idd.size = (unsigned)id_len;
		rc = gnutls_pkcs11_copy_x509_privkey2(im->ctx->token, key, label,
		                                      idd.size ? &idd : NULL,
		                                      GNUTLS_KEY_DIGITAL_SIGNATURE,
		                                      GNUTLS_PKCS11_OBJ_FLAG_LOGIN |
		                                      GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE |
		                                      GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE);
		if (rc < 0) {
			gerr(rc, "%s: storing key '%s'", im->ctx->token, label);
			return false;
		}
		if (id_out && idd.size) {
			id_out->data = gnutls_malloc(idd.size);
			memcpy(id_out->data, id, idd.size);
			id_out->size = idd.size;
		}
		printf("wrote private key '%s' to %s\n", label, im->ctx->token);
		return true;
	}
	rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	                                       GNUTLS_PKCS_PLAIN, &pem);
	if (rc < 0) {
		gerr(rc, "encoding key '%s'", label);
		return false;
	}
	ok = ks_store(im->ctx, KS_PRIVATE, label, pem.data, pem.size, false);
	datum_wipe_free(&pem);
	return ok;
}

static int import_certs(imp_t *im, gnutls_datum_t *data, ks_dir_t forced,
                        const char *path)
{
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int rc = gnutls_x509_crt_list_import2(&list, &n, data,
	                                      GNUTLS_X509_FMT_PEM, 0);
	bool ok = true;

	if (rc < 0 || n == 0) {
		gnutls_x509_crt_t one;

		if (gnutls_x509_crt_init(&one) < 0)
			abort();
		rc = gnutls_x509_crt_import(one, data, GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			gnutls_x509_crt_deinit(one);
			gerr(rc, "%s: not an X.509 certificate", path);
			return EXIT_FAIL;
		}
		list = gnutls_malloc(sizeof(*list));
		list[0] = one;
		n = 1;
	}
	for (unsigned i = 0; i < n && ok; i++) {
		char *label = nth_label(im->label, "", i);

		ok = store_crt(im, list[i], forced, label, NULL);
		free(label);
	}
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	return ok ? 0 : EXIT_FAIL;
}

static int import_key(imp_t *im, gnutls_datum_t *data, const char *path)
{
	gnutls_x509_privkey_t key;
	char *asked = NULL;
	const char *pw = im->password;
	int rc;
	bool ok;

	if (gnutls_x509_privkey_init(&key) < 0)
		abort();
	rc = gnutls_x509_privkey_import2(key, data, GNUTLS_X509_FMT_PEM, pw, 0);
	if (rc < 0)
		rc = gnutls_x509_privkey_import2(key, data, GNUTLS_X509_FMT_DER,
		                                 pw, 0);
	if (rc < 0 && !pw && (rc == GNUTLS_E_DECRYPTION_FAILED ||
	                      memmem(data->data, data->size, "ENCRYPTED", 9))) {
		asked = pin_read("Password of the key: ");
		if (asked) {
			rc = gnutls_x509_privkey_import2(key, data,
			                                 GNUTLS_X509_FMT_PEM, asked, 0);
			if (rc < 0)
				rc = gnutls_x509_privkey_import2(key, data,
				             GNUTLS_X509_FMT_DER, asked, 0);
		}
	}
	if (asked) {
		explicit_bzero(asked, strlen(asked));
		free(asked);
	}
	if (rc < 0) {
		if (rc == GNUTLS_E_DECRYPTION_FAILED)
			err("%s: wrong password (or not a key)", path);
		else
			gerr(rc, "%s: not a private key", path);
		gnutls_x509_privkey_deinit(key);
		return EXIT_FAIL;
	}
	ok = store_key(im, key, im->label, NULL);
	gnutls_x509_privkey_deinit(key);
	return ok ? 0 : EXIT_FAIL;
}

/* A CRL is checked against the CA certificates of the keystore. */
static int import_crl(imp_t *im, gnutls_datum_t *data, const char *path)
{
	gnutls_x509_crl_t crl;
	gnutls_datum_t pem = { NULL, 0 };
	bool issuer_found = false, ok;
	int rc;

	if (im->token) {
		err("CRLs go to the keystore directory, not a token (drop -T)");
		return EXIT_USAGE;
	}
	if (gnutls_x509_crl_init(&crl) < 0)
		abort();
	rc = gnutls_x509_crl_import(crl, data, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		rc = gnutls_x509_crl_import(crl, data, GNUTLS_X509_FMT_DER);
	if (rc < 0) {
		gerr(rc, "%s: not a CRL", path);
		gnutls_x509_crl_deinit(crl);
		return EXIT_FAIL;
	}
	for (ks_dir_t d = KS_CACERTS; d <= KS_INTCERTS && !issuer_found; d++) {
		char *dir;
		DIR *dh;
		struct dirent *de;

		if (asprintf(&dir, "%s/%s", im->ctx->keystore, ks_dir_name(d)) < 0)
			abort();
		dh = opendir(dir);
		while (dh && (de = readdir(dh)) && !issuer_found) {
			char *p;
			gnutls_datum_t cd;
			gnutls_x509_crt_t ca;
			unsigned status = 1;

			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
				abort();
			if (gnutls_x509_crt_init(&ca) < 0)
				abort();
			if (file_read(p, &cd)) {
				if ((gnutls_x509_crt_import(ca, &cd,
				                            GNUTLS_X509_FMT_PEM) >= 0 ||
				     gnutls_x509_crt_import(ca, &cd,
				                            GNUTLS_X509_FMT_DER) >= 0) &&
				    gnutls_x509_crl_check_issuer(crl, ca)) {
					issuer_found = true;
					if (gnutls_x509_crl_verify(crl, &ca, 1, 0,
					                           &status) < 0 ||
					    status != 0) {
						err("%s: its signature does not "
						    "verify with %s", path, p);
						gnutls_free(cd.data);
						gnutls_x509_crt_deinit(ca);
						free(p);
						closedir(dh);
						free(dir);
						gnutls_x509_crl_deinit(crl);
						return EXIT_FAIL;
					}
				}
				gnutls_free(cd.data);
			}
			gnutls_x509_crt_deinit(ca);
			free(p);
		}
		if (dh)
			closedir(dh);
		free(dir);
	}
	if (!issuer_found)
		warn("%s: its issuer is not among the keystore's CA "
		     "certificates; its signature is unchecked", path);
	rc = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &pem);
	gnutls_x509_crl_deinit(crl);
	if (rc < 0) {
		gerr(rc, "encoding the CRL");
		return EXIT_FAIL;
	}
	ok = ks_store(im->ctx, KS_CRLS, im->label, pem.data, pem.size, false);
	gnutls_free(pem.data);
	return ok ? 0 : EXIT_FAIL;
}

static int import_pkcs12(imp_t *im, gnutls_datum_t *data, const char *path)
{
	gnutls_pkcs12_t p12;
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *chain = NULL, *extra = NULL;
	unsigned n_chain = 0, n_extra = 0;
	gnutls_datum_t id = { NULL, 0 };
	char *asked = NULL;
	const char *pw = im->password;
	int rc, status = EXIT_FAIL;

	if (gnutls_pkcs12_init(&p12) < 0)
		abort();
	rc = gnutls_pkcs12_import(p12, data, GNUTLS_X509_FMT_DER, 0);
	if (rc < 0)
		rc = gnutls_pkcs12_import(p12, data, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		gerr(rc, "%s: not a PKCS#12 file", path);
		goto out;
	}
	if (!pw && gnutls_pkcs12_verify_mac(p12, "") < 0) {
		asked = pin_read("Password of the PKCS#12 file: ");
		if (!asked)
			goto out;
		pw = asked;
	}
	if (!pw)
		pw = "";
	if (gnutls_pkcs12_verify_mac(p12, pw) < 0) {
		err("%s: wrong password", path);
		goto out;
	}
	rc = gnutls_pkcs12_simple_parse(p12, pw, &key, &chain, &n_chain, &extra,
	                                &n_extra, NULL, 0);
	if (rc < 0) {
		gerr(rc, "%s: reading its contents", path);
		goto out;
	}
	if (!key || n_chain == 0) {
		err("%s: holds no key with its certificate", path);
		goto out;
	}
	if (!store_key(im, key, im->label, &id) ||
	    !store_crt(im, chain[0], KS_CERTS, im->label, id.size ? &id : NULL))
		goto out;
	for (unsigned i = 1; i < n_chain + n_extra; i++) {
		gnutls_x509_crt_t c = i < n_chain ? chain[i] : extra[i - n_chain];
		char *label = nth_label(im->label, "ca", i);
		bool ok = store_crt(im, c, is_ca(c) ? KS_MAX : KS_INTCERTS, label,
		                    NULL);

		free(label);
		if (!ok)
			goto out;
	}
	status = 0;
out:
	if (asked) {
		explicit_bzero(asked, strlen(asked));
		free(asked);
	}
	gnutls_free(id.data);
	if (key)
		gnutls_x509_privkey_deinit(key);
	for (unsigned i = 0; i < n_chain; i++)
		gnutls_x509_crt_deinit(chain[i]);
	for (unsigned i = 0; i < n_extra; i++)
		gnutls_x509_crt_deinit(extra[i]);
	gnutls_free(chain);
	gnutls_free(extra);
	gnutls_pkcs12_deinit(p12);
	return status;
}

/* What a file holds, by its PEM label or, for DER, what parses. */
static const char *sniff(const gnutls_datum_t *d)
{
	gnutls_x509_crt_t crt;
	gnutls_x509_crl_t crl;
	gnutls_pkcs12_t p12;
	const char *kind = "key";

	if (memmem(d->data, d->size, "-----BEGIN X509 CRL", 19))
		return "crl";
	if (memmem(d->data, d->size, "-----BEGIN CERTIFICATE", 22))
		return "cert";
	if (memmem(d->data, d->size, "PRIVATE KEY-----", 16))
		return "key";
	if (memmem(d->data, d->size, "-----BEGIN PKCS12", 17))
		return "pkcs12";
	gnutls_x509_crt_init(&crt);
	gnutls_x509_crl_init(&crl);
	gnutls_pkcs12_init(&p12);
	if (gnutls_x509_crt_import(crt, d, GNUTLS_X509_FMT_DER) >= 0)
		kind = "cert";
	else if (gnutls_x509_crl_import(crl, d, GNUTLS_X509_FMT_DER) >= 0)
		kind = "crl";
	else if (gnutls_pkcs12_import(p12, d, GNUTLS_X509_FMT_DER, 0) >= 0)
		kind = "pkcs12";
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crl_deinit(crl);
	gnutls_pkcs12_deinit(p12);
	return kind;
}

int cmd_import(ctx_t *ctx, args_t *a)
{
	const char *infile = arg_get(a, "infile"), *type = arg_get(a, "objtype");
	const char *label = arg_get(a, "label");
	imp_t im = { .ctx = ctx, .password = arg_get(a, "password") };
	gnutls_datum_t data;
	char *deflabel = NULL;
	bool bad;
	int rc;

	im.token = ctx_use_token(ctx, a, &bad);
	if (bad || !args_all_used(a, "import"))
		return EXIT_USAGE;
	if (!infile) {
		err("import: infile= is needed");
		return EXIT_USAGE;
	}
	if (type && strcmp(type, "pkcs12") && ks_objtype_parse(type) == KS_MAX) {
		err("objtype=%s: expected cert, cacert, intcert, key, crl or "
		    "pkcs12", type);
		return EXIT_USAGE;
	}
	if (label && !label_valid(label)) {
		err("label '%s': use 1-64 of A-Z a-z 0-9 . _ - (not starting "
		    "with . or -)", label);
		return EXIT_USAGE;
	}
	if (!file_read(infile, &data))
		return EXIT_FAIL;
	if (!label)
		label = deflabel = default_label(infile);
	im.label = label;
	if (!type)
		type = sniff(&data);
	if (im.token && (!token_init(ctx, NULL) || !token_login(ctx))) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (!strcmp(type, "pkcs12"))
		rc = import_pkcs12(&im, &data, infile);
	else if (!strcmp(type, "key"))
		rc = import_key(&im, &data, infile);
	else if (!strcmp(type, "crl"))
		rc = import_crl(&im, &data, infile);
	else
		rc = import_certs(&im, &data, !strcmp(type, "cert") &&
		                  !arg_get(a, "objtype") ? KS_MAX :
		                  ks_objtype_parse(type), infile);
out:
	datum_wipe_free(&data);
	free(deflabel);
	return rc;
}

/* ------------------------------------------------------------- export */

int cmd_export(ctx_t *ctx, args_t *a)
{
	const char *label = arg_get(a, "label"), *type = arg_get(a, "objtype");
	const char *outfile = arg_get(a, "outfile"), *f = arg_get(a, "format");
	gnutls_x509_crt_fmt_t fmt = GNUTLS_X509_FMT_PEM;
	gnutls_datum_t data = { NULL, 0 }, out = { NULL, 0 };
	ks_dir_t d = KS_MAX;
	bool token, bad;
	int rc = EXIT_FAIL, grc;
	char *path = NULL;

	token = ctx_use_token(ctx, a, &bad);
	if (bad || !args_all_used(a, "export"))
		return EXIT_USAGE;
	if (f && !strcasecmp(f, "der"))
		fmt = GNUTLS_X509_FMT_DER;
	else if (f && strcasecmp(f, "pem")) {
		err("format=%s: expected pem or der", f);
		return EXIT_USAGE;
	}
	if (!label || !outfile) {
		err("export: label= and outfile= are needed (outfile=- for "
		    "standard output)");
		return EXIT_USAGE;
	}
	if (type) {
		d = ks_objtype_parse(type);
		if (d == KS_MAX) {
			err("objtype=%s: expected cert, cacert, intcert or crl",
			    type);
			return EXIT_USAGE;
		}
	}
	if (d == KS_PRIVATE) {
		err("private keys are not exported (a peer needs only the "
		    "certificate)");
		return EXIT_USAGE;
	}
	if (token) {
		gnutls_x509_crt_t crt;
		char *uri = token_obj_uri(ctx->token, label, "cert");

		if (d != KS_MAX && d != KS_CERTS && d != KS_CACERTS &&
		    d != KS_INTCERTS) {
			err("a token's certificates are exported, nothing else");
			free(uri);
			return EXIT_USAGE;
		}
		if (!token_init(ctx, NULL)) {
			free(uri);
			return EXIT_FAIL;
		}
		gnutls_x509_crt_init(&crt);
		grc = gnutls_x509_crt_import_url(crt, uri, 0);
		free(uri);
		if (grc < 0) {
			gerr(grc, "%s: no certificate labelled '%s'", ctx->token,
			     label);
		} else if ((grc = gnutls_x509_crt_export2(crt, fmt, &out)) < 0) {
			gerr(grc, "encoding the certificate");
		} else if (file_write(NULL, outfile, out.data, out.size, 0644,
		                      false)) {
			rc = 0;
		}
		gnutls_x509_crt_deinit(crt);
		gnutls_free(out.data);
		return rc;
	}
	for (ks_dir_t i = 0; i < KS_MAX && !path; i++)
		if (i != KS_PRIVATE && (d == KS_MAX || d == i))
			if ((path = ks_find(ctx, i, label)))
				d = i;
	if (!path) {
		err("%s: nothing labelled '%s'%s%s", ctx->keystore, label,
		    type ? " of objtype=" : "", type ? type : "");
		return EXIT_FAIL;
	}
	if (!file_read(path, &data))
		goto out;
	if (d == KS_CRLS) {
		gnutls_x509_crl_t crl;

		gnutls_x509_crl_init(&crl);
		grc = gnutls_x509_crl_import(crl, &data, GNUTLS_X509_FMT_PEM);
		if (grc < 0)
			grc = gnutls_x509_crl_import(crl, &data,
			                             GNUTLS_X509_FMT_DER);
		if (grc >= 0)
			grc = gnutls_x509_crl_export2(crl, fmt, &out);
		gnutls_x509_crl_deinit(crl);
	} else {
		gnutls_x509_crt_t crt;

		gnutls_x509_crt_init(&crt);
		grc = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM);
		if (grc < 0)
			grc = gnutls_x509_crt_import(crt, &data,
			                             GNUTLS_X509_FMT_DER);
		if (grc >= 0)
			grc = gnutls_x509_crt_export2(crt, fmt, &out);
		gnutls_x509_crt_deinit(crt);
	}
	if (grc < 0) {
		gerr(grc, "%s: cannot read it", path);
		goto out;
	}
	if (file_write(NULL, outfile, out.data, out.size, 0644, false))
		rc = 0;
out:
	gnutls_free(data.data);
	gnutls_free(out.data);
	free(path);
	return rc;
}

/* --------------------------------------------------------------- list */

static void print_time(const char *what, time_t t)
{
	char buf[64];
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm)) {
		printf("  %-9s -\n", what);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("  %-9s %s%s\n", what, buf,
	       !strcmp(what, "notAfter") && t < time(NULL) ? " (EXPIRED)" : "");
}

static void print_crt(gnutls_x509_crt_t crt)
{
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char serial[40];
	size_t slen = sizeof(serial);
	char desc[32];

	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0)
		printf("  subject   %s\n", dn.data);
	gnutls_free(dn.data);
	dn.data = NULL;
	if (gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) >= 0)
		printf("  issuer    %s\n", dn.data);
	gnutls_free(dn.data);
	if (gnutls_x509_crt_get_serial(crt, serial, &slen) >= 0) {
		printf("  serial    ");
		for (size_t i = 0; i < slen; i++)
			printf("%02x", serial[i]);
		printf("\n");
	}
	print_time("notBefore", gnutls_x509_crt_get_activation_time(crt));
	print_time("notAfter", gnutls_x509_crt_get_expiration_time(crt));
	printf("  key       %s%s\n", describe_crt_key(crt, desc, sizeof(desc)),
	       is_ca(crt) ? ", CA" : "");
	for (unsigned i = 0;; i++) {
		char buf[256];
		size_t size = sizeof(buf) - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size,
		                                             NULL);

		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t == GNUTLS_SAN_DNSNAME)
			printf("  altname   dns=%.*s\n", (int)size, buf);
		else if (t == GNUTLS_SAN_RFC822NAME)
			printf("  altname   email=%.*s\n", (int)size, buf);
		else if (t == GNUTLS_SAN_URI)
			printf("  altname   uri=%.*s\n", (int)size, buf);
		else if (t == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
			char ip[64];

			inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, ip,
			          sizeof(ip));
			printf("  altname   ip=%s\n", ip);
		}
	}
}

/* One keystore file; false if it cannot be read as what its directory
 * should hold. */
static bool list_file(ks_dir_t d, const char *path)
{
	gnutls_datum_t data;
	struct stat st;
	int rc;
	bool ok = true;

	printf("%s\n", path);
	if (!file_read(path, &data))
		return false;
	if (d == KS_PRIVATE) {
		gnutls_x509_privkey_t key;
		unsigned bits = 0;
		char desc[32];

		gnutls_x509_privkey_init(&key);
		rc = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_PEM,
		                                 NULL, GNUTLS_PKCS_PLAIN);
		if (rc < 0)
			rc = gnutls_x509_privkey_import2(key, &data,
			                                 GNUTLS_X509_FMT_DER, NULL,
			                                 GNUTLS_PKCS_PLAIN);
		if (rc < 0) {
			printf("  UNREADABLE: %s\n", gnutls_strerror(rc));
			ok = false;
		} else {
			rc = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);
			printf("  private key %s\n", key_describe(
			       (gnutls_pk_algorithm_t)rc, bits, desc, sizeof(desc)));
		}
		gnutls_x509_privkey_deinit(key);
		if (stat(path, &st) == 0 && (st.st_mode & 077)) {
			printf("  MODE %04o: in.ikev2d refuses it (chmod 600 %s)\n",
			       (unsigned)(st.st_mode & 07777), path);
			ok = false;
		}
	} else if (d == KS_CRLS) {
		gnutls_x509_crl_t crl;
		gnutls_datum_t dn = { NULL, 0 };

		gnutls_x509_crl_init(&crl);
		rc = gnutls_x509_crl_import(crl, &data, GNUTLS_X509_FMT_PEM);
		if (rc < 0)
			rc = gnutls_x509_crl_import(crl, &data, GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			printf("  UNREADABLE: %s\n", gnutls_strerror(rc));
			ok = false;
		} else {
			if (gnutls_x509_crl_get_issuer_dn3(crl, &dn, 0) >= 0)
				printf("  issuer    %s\n", dn.data);
			gnutls_free(dn.data);
			print_time("thisUpdate",
			           gnutls_x509_crl_get_this_update(crl));
			print_time("nextUpdate",
			           gnutls_x509_crl_get_next_update(crl));
			printf("  revoked   %d\n",
			       gnutls_x509_crl_get_crt_count(crl));
		}
		gnutls_x509_crl_deinit(crl);
	} else {
		gnutls_x509_crt_t *list = NULL;
		unsigned n = 0;

		rc = gnutls_x509_crt_list_import2(&list, &n, &data,
		                                  GNUTLS_X509_FMT_PEM, 0);
		if (rc < 0)
			rc = gnutls_x509_crt_list_import2(&list, &n, &data,
			                                  GNUTLS_X509_FMT_DER, 0);
		if (rc < 0) {
			printf("  UNREADABLE: %s\n", gnutls_strerror(rc));
			ok = false;
		}
		for (unsigned i = 0; i < n; i++) {
			print_crt(list[i]);
			gnutls_x509_crt_deinit(list[i]);
		}
		gnutls_free(list);
	}
	datum_wipe_free(&data);
	return ok;
}

static bool name_has_label(const char *name, const char *label)
{
	size_t n = strlen(label);
	const char *dot = strrchr(name, '.');

	return !strncmp(name, label, n) && (name[n] == '\0' ||
	                                    (dot == name + n));
}

static int list_token(ctx_t *ctx, const char *label, ks_dir_t d)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0;
	char *uri = label ? token_obj_uri(ctx->token, label,
	                                  d == KS_PRIVATE ? "private" :
	                                  d == KS_MAX ? NULL : "cert") :
	            strdup(ctx->token);
	int rc;

	if (!token_init(ctx, NULL) || !token_login(ctx)) {
		free(uri);
		return EXIT_FAIL;
	}
	rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
	                                        GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
	free(uri);
	if (rc < 0) {
		gerr(rc, "%s: listing objects", ctx->token);
		return EXIT_FAIL;
	}
	for (unsigned i = 0; i < n; i++) {
		char lab[256];
		size_t size = sizeof(lab);
		gnutls_pkcs11_obj_type_t t = gnutls_pkcs11_obj_get_type(objs[i]);
		char *url = NULL;

		if (gnutls_pkcs11_obj_get_info(objs[i], GNUTLS_PKCS11_OBJ_LABEL,
		                               lab, &size) < 0)
			strcpy(lab, "?");
		if ((d == KS_PRIVATE && t != GNUTLS_PKCS11_OBJ_PRIVKEY) ||
		    ((d == KS_CERTS || d == KS_CACERTS || d == KS_INTCERTS) &&
		     t != GNUTLS_PKCS11_OBJ_X509_CRT)) {
			gnutls_pkcs11_obj_deinit(objs[i]);
			continue;
		}
		printf("%s '%s'\n", gnutls_pkcs11_type_get_name(t), lab);
		if (gnutls_pkcs11_obj_export_url(objs[i],
		                                 GNUTLS_PKCS11_URL_GENERIC,
		                                 &url) >= 0)
			printf("  uri       %s\n", url);
		gnutls_free(url);
		if (t == GNUTLS_PKCS11_OBJ_X509_CRT) {
			gnutls_x509_crt_t crt;

			gnutls_x509_crt_init(&crt);
			if (gnutls_x509_crt_import_pkcs11(crt, objs[i]) >= 0)
				print_crt(crt);
			gnutls_x509_crt_deinit(crt);
		}
		gnutls_pkcs11_obj_deinit(objs[i]);
	}
	gnutls_free(objs);
	if (n == 0)
		printf("%s holds no objects%s\n", ctx->token,
		       label ? " with that label" : "");
	return 0;
}

int cmd_list(ctx_t *ctx, args_t *a)
{
	const char *label = arg_get(a, "label"), *type = arg_get(a, "objtype");
	ks_dir_t only = KS_MAX;
	bool token, bad, ok = true;
	int shown = 0;

	token = ctx_use_token(ctx, a, &bad);
	if (bad || !args_all_used(a, "list"))
		return EXIT_USAGE;
	if (type && (only = ks_objtype_parse(type)) == KS_MAX) {
		err("objtype=%s: expected cert, cacert, intcert, key or crl",
		    type);
		return EXIT_USAGE;
	}
	if (token)
		return list_token(ctx, label, only);
	for (ks_dir_t d = 0; d < KS_MAX; d++) {
		char *dir;
		struct dirent **names = NULL;
		int n;

		if (only != KS_MAX && only != d)
			continue;
		if (asprintf(&dir, "%s/%s", ctx->keystore, ks_dir_name(d)) < 0)
			abort();
		n = scandir(dir, &names, NULL, alphasort);
		if (n < 0 && errno != ENOENT) {
			err("%s: %s", dir, strerror(errno));
			ok = false;
		}
		for (int i = 0; i < n; i++) {
			char *p;

			if (names[i]->d_name[0] != '.' &&
			    !strstr(names[i]->d_name, ".tmp.") &&
			    (!label || name_has_label(names[i]->d_name, label))) {
				if (asprintf(&p, "%s/%s", dir,
				             names[i]->d_name) < 0)
					abort();
				if (!list_file(d, p))
					ok = false;
				shown++;
				free(p);
			}
			free(names[i]);
		}
		free(names);
		free(dir);
	}
	if (!shown)
		printf("%s: no objects%s\n", ctx->keystore,
		       label || type ? " match" : "");
	return ok ? 0 : EXIT_FAIL;
}

/* ------------------------------------------------------------- delete */

int cmd_delete(ctx_t *ctx, args_t *a)
{
	const char *label = arg_get(a, "label"), *type = arg_get(a, "objtype");
	ks_dir_t only = KS_MAX;
	bool token, bad;
	int deleted = 0;

	token = ctx_use_token(ctx, a, &bad);
	if (bad || !args_all_used(a, "delete"))
		return EXIT_USAGE;
	if (!label) {
		err("delete: label= is needed");
		return EXIT_USAGE;
	}
	if (!label_valid(label)) {
		err("label '%s' is not a valid label", label);
		return EXIT_USAGE;
	}
	if (type && (only = ks_objtype_parse(type)) == KS_MAX) {
		err("objtype=%s: expected cert, cacert, intcert, key or crl",
		    type);
		return EXIT_USAGE;
	}
	if (token) {
		static const char *const kinds[] = { "private", "public", "cert" };

		if (!token_init(ctx, NULL) || !token_login(ctx))
			return EXIT_FAIL;
		for (size_t k = 0; k < 3; k++) {
			gnutls_pkcs11_obj_t *objs = NULL;
			unsigned n = 0;
			char *uri;
			int rc;

			if ((only == KS_PRIVATE && k == 2) ||
			    (only != KS_MAX && only != KS_PRIVATE && k < 2))
				continue;
			uri = token_obj_uri(ctx->token, label, kinds[k]);
			rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
			                        GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
			for (unsigned i = 0; i < n; i++)
				gnutls_pkcs11_obj_deinit(objs[i]);
			gnutls_free(objs);
			if (rc >= 0 && n > 0) {
				rc = gnutls_pkcs11_delete_url(uri,
				                        GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
				if (rc < 0) {
					gerr(rc, "%s: deleting", uri);
					free(uri);
					return EXIT_FAIL;
				}
				printf("deleted %u %s object%s '%s'\n", n,
				       kinds[k], n == 1 ? "" : "s", label);
				deleted += (int)n;
			}
			free(uri);
		}
	} else {
		for (ks_dir_t d = 0; d < KS_MAX; d++) {
			char *p;

			if (only != KS_MAX && only != d)
				continue;
			while ((p = ks_find(ctx, d, label))) {
				if (unlink(p) != 0) {
					err("%s: cannot delete: %s", p,
					    strerror(errno));
					free(p);
					return EXIT_FAIL;
				}
				printf("deleted %s\n", p);
				free(p);
				deleted++;
			}
		}
	}
	if (!deleted) {
		err("%s: nothing labelled '%s'%s%s", token ? ctx->token :
		    ctx->keystore, label, type ? " of objtype=" : "",
		    type ? type : "");
		return EXIT_FAIL;
	}
	return 0;
}
