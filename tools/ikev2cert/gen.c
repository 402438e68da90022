/*
 * gen.c - new keys and what is signed with them: gencert (a self-signed
 * certificate), gencsr (a certificate request) and signcsr (a small CA for
 * labs: a request, the CA's certificate and key in, a certificate out).
 *
 * Keys are made in memory and stored as unencrypted PKCS#8 in the
 * keystore's private/ (0600), or made on the token, where they stay.
 */
#define _GNU_SOURCE
#include "ikev2cert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>

#define OID_EKU_IKE "1.3.6.1.5.5.7.3.17"   /* id-kp-ipsecIKE, RFC 4945 */
#define MAX_SANS 32

/* ------------------------------------------------------ shared options */

typedef struct {
	gnutls_x509_subject_alt_name_t type;
	unsigned char data[256];
	unsigned size;
} san_t;

typedef struct {
	san_t san[MAX_SANS];
	int n_san;
	const char *serial;
	time_t not_before, not_after;
	int ca;                      /* 0/1 */
	int pathlen;                 /* -1: none */
	unsigned keyusage;           /* 0: the default for ca */
	const char *eku;
	gnutls_digest_algorithm_t hash;
	const char *subject;
} cert_opts_t;

static bool parse_one_san(const char *item, cert_opts_t *o)
{
	const char *eq = strchr(item, '=');
	san_t *s;
	size_t klen, vlen;

	if (!eq)
		eq = strchr(item, ':');
	if (!eq || eq[1] == '\0') {
		err("altname '%s': expected dns=NAME, email=ADDR or ip=ADDR",
		    item);
		return false;
	}
	if (o->n_san == MAX_SANS) {
		err("altname: at most %d names", MAX_SANS);
		return false;
	}
	s = &o->san[o->n_san];
	klen = (size_t)(eq - item);
	vlen = strlen(eq + 1);
	if (vlen >= sizeof(s->data)) {
		err("altname '%s': too long", item);
		return false;
	}
	if (klen == 3 && !strncasecmp(item, "dns", 3)) {
		s->type = GNUTLS_SAN_DNSNAME;
	} else if ((klen == 5 && !strncasecmp(item, "email", 5)) ||
	           (klen == 6 && !strncasecmp(item, "rfc822", 6))) {
		s->type = GNUTLS_SAN_RFC822NAME;
	} else if (klen == 3 && !strncasecmp(item, "uri", 3)) {
		s->type = GNUTLS_SAN_URI;
	} else if (klen == 2 && !strncasecmp(item, "ip", 2)) {
		s->type = GNUTLS_SAN_IPADDRESS;
		if (inet_pton(AF_INET, eq + 1, s->data) == 1) {
			s->size = 4;
		} else if (inet_pton(AF_INET6, eq + 1, s->data) == 1) {
			s->size = 16;
		} else {
			err("altname ip=%s: not an IPv4 or IPv6 address", eq + 1);
			return false;
		}
		o->n_san++;
		return true;
	} else {
		err("altname '%s': type must be dns, email, ip or uri", item);
		return false;
	}
	if ((s->type == GNUTLS_SAN_RFC822NAME && !strchr(eq + 1, '@')) ||
	    strpbrk(eq + 1, " \t")) {
		err("altname '%s': malformed value", item);
		return false;
	}
	memcpy(s->data, eq + 1, vlen);
	s->size = (unsigned)vlen;
	o->n_san++;
	return true;
}

static bool parse_sans(args_t *a, cert_opts_t *o)
{
	const char *v;

	for (int i = 0; (v = arg_get_nth(a, "altname", i)); i++) {
		char *copy = strdup(v), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			if (!parse_one_san(t, o)) {
				free(copy);
				return false;
			}
		free(copy);
	}
	return true;
}

/* lifetime=N-hour|N-day|N-year (pktool's form), default 1-year. */
static bool parse_lifetime(const char *v, time_t *secs)
{
	char *end;
	unsigned long n;

	if (!v) {
		*secs = 365 * 86400L;
		return true;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end != '-' || n == 0 || n > 100000)
		goto bad;
	end++;
	if (!strcasecmp(end, "hour") || !strcasecmp(end, "hours"))
		*secs = (time_t)n * 3600;
	else if (!strcasecmp(end, "day") || !strcasecmp(end, "days"))
		*secs = (time_t)n * 86400;
	else if ((!strcasecmp(end, "year") || !strcasecmp(end, "years")) &&
	         n <= 100)
		*secs = (time_t)n * 365 * 86400;
	else
		goto bad;
	return true;
bad:
	err("lifetime=%s: expected N-hour, N-day or N-year", v);
	return false;
}

static const struct {
	const char *name;
	unsigned bit;
} usages[] = {
	{ "digitalSignature", GNUTLS_KEY_DIGITAL_SIGNATURE },
	{ "nonRepudiation", GNUTLS_KEY_NON_REPUDIATION },
	{ "contentCommitment", GNUTLS_KEY_NON_REPUDIATION },
	{ "keyEncipherment", GNUTLS_KEY_KEY_ENCIPHERMENT },
	{ "dataEncipherment", GNUTLS_KEY_DATA_ENCIPHERMENT },
	{ "keyAgreement", GNUTLS_KEY_KEY_AGREEMENT },
	{ "keyCertSign", GNUTLS_KEY_KEY_CERT_SIGN },
	{ "cRLSign", GNUTLS_KEY_CRL_SIGN },
};

static bool parse_keyusage(const char *v, unsigned *ku)
{
	char *copy, *save = NULL;
	bool ok = true;

	*ku = 0;
	if (!v)
		return true;
	copy = strdup(v);
	for (char *t = strtok_r(copy, ",", &save); t && ok;
	     t = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
			if (!strcasecmp(t, usages[i].name)) {
				*ku |= usages[i].bit;
				found = true;
			}
		if (!found) {
			err("keyusage=%s: unknown usage '%s'", v, t);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

static bool parse_eku(const char *v)
{
	char *copy, *save = NULL;
	bool ok = true;

	if (!v)
		return true;
	copy = strdup(v);
	for (char *t = strtok_r(copy, ",", &save); t && ok;
	     t = strtok_r(NULL, ",", &save))
		if (strcasecmp(t, "ike") && strcasecmp(t, "serverAuth") &&
		    strcasecmp(t, "clientAuth") && strcasecmp(t, "any")) {
			err("eku=%s: expected ike, serverAuth, clientAuth or "
			    "any", v);
			ok = false;
		}
	free(copy);
	return ok;
}

/* The options of gencert and signcsr (gencsr uses subject and altname). */
static bool parse_cert_opts(args_t *a, cert_opts_t *o, bool for_csr)
{
	time_t life;
	const char *pl;

	memset(o, 0, sizeof(*o));
	o->pathlen = -1;
	o->subject = arg_get(a, "subject");
	o->hash = hash_param(a);
	if (o->hash == GNUTLS_DIG_UNKNOWN || !parse_sans(a, o))
		return false;
	if (for_csr)
		return true;
	o->serial = arg_get(a, "serial");
	if (!parse_lifetime(arg_get(a, "lifetime"), &life))
		return false;
	o->not_before = time(NULL);
	o->not_after = o->not_before + life;
	o->ca = arg_bool(a, "ca", false);
	if (o->ca < 0)
		return false;
	pl = arg_get(a, "pathlen");
	if (pl) {
		char *end;
		long n = strtol(pl, &end, 10);

		if (*end || end == pl || n < 0 || n > 32 || !o->ca) {
			err("pathlen=%s: 0 to 32, and only with ca=yes", pl);
			return false;
		}
		o->pathlen = (int)n;
	}
	if (!parse_keyusage(arg_get(a, "keyusage"), &o->keyusage))
		return false;
	o->eku = arg_get(a, "eku");
	return parse_eku(o->eku);
}

static bool set_serial(gnutls_x509_crt_t crt, const char *hex)
{
	unsigned char buf[20];
	size_t n = 0;
	int rc;

	if (hex) {
		size_t len = strlen(hex);

		if (len == 0 || len > 40 || strspn(hex, "0123456789abcdefABCDEF")
		    != len) {
			err("serial=%s: 1 to 40 hexadecimal digits", hex);
			return false;
		}
		memset(buf, 0, sizeof(buf));
		for (size_t i = 0; i < len; i++) {
			char c = hex[len - 1 - i];
			unsigned v = c <= '9' ? (unsigned)(c - '0') :
			             (unsigned)((c | 0x20) - 'a' + 10);

			buf[sizeof(buf) - 1 - i / 2] |= (unsigned char)(v << (4 * (i % 2)));
		}
		/* shortest positive encoding */
		size_t start = 0;

		while (start < sizeof(buf) - 1 && buf[start] == 0)
			start++;
		n = sizeof(buf) - start;
		memmove(buf, buf + start, n);
		if (n == 1 && buf[0] == 0) {
			err("serial=%s: must not be zero", hex);
			return false;
		}
	} else {
		n = 16;
		if (gnutls_rnd(GNUTLS_RND_NONCE, buf, n) < 0)
			return false;
		buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);
	}
	rc = gnutls_x509_crt_set_serial(crt, buf, n);
	if (rc < 0) {
		gerr(rc, "setting the serial number");
		return false;
	}
	return true;
}

/* Everything but subject, key and signature. */
static bool fill_cert(gnutls_x509_crt_t crt, const cert_opts_t *o,
                      gnutls_pubkey_t pub, gnutls_pk_algorithm_t algo)
{
	unsigned char id[64];
	size_t id_len = sizeof(id);
	unsigned ku = o->keyusage;
	int rc;

	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, o->not_before)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt, o->not_after)) < 0)
		goto fail;
	if (!set_serial(crt, o->serial))
		return false;
	for (int i = 0; i < o->n_san; i++) {
		rc = gnutls_x509_crt_set_subject_alt_name(crt, o->san[i].type,
		                                          o->san[i].data,
		                                          o->san[i].size,
		                                          GNUTLS_FSAN_APPEND);
		if (rc < 0)
			goto fail;
	}
	rc = gnutls_x509_crt_set_basic_constraints(crt, o->ca ? 1 : 0,
	                                           o->pathlen);
	if (rc < 0)
		goto fail;
	if (!ku) {
		ku = GNUTLS_KEY_DIGITAL_SIGNATURE;
		if (o->ca)
			ku |= GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN;
	}
	(void)algo;
	if ((rc = gnutls_x509_crt_set_key_usage(crt, ku)) < 0)
		goto fail;
	if (o->eku) {
		char *copy = strdup(o->eku), *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			const char *oid = !strcasecmp(t, "ike") ? OID_EKU_IKE :
			    !strcasecmp(t, "serverAuth") ? GNUTLS_KP_TLS_WWW_SERVER :
			    !strcasecmp(t, "clientAuth") ? GNUTLS_KP_TLS_WWW_CLIENT :
			    GNUTLS_KP_ANY;

			rc = gnutls_x509_crt_set_key_purpose_oid(crt, oid, 0);
			if (rc < 0) {
				free(copy);
				goto fail;
			}
		}
		free(copy);
	}
	rc = gnutls_pubkey_get_key_id(pub, 0, id, &id_len);
	if (rc < 0 || (rc = gnutls_x509_crt_set_subject_key_id(crt, id,
	                                                       id_len)) < 0)
		goto fail;
	return true;
fail:
	gerr(rc, "building the certificate");
	return false;
}

/* EdDSA hashes internally: no digest to choose. */
static gnutls_digest_algorithm_t sign_hash(gnutls_pk_algorithm_t algo,
                                           gnutls_digest_algorithm_t h)
{
	if (algo == GNUTLS_PK_EDDSA_ED25519 || algo == GNUTLS_PK_EDDSA_ED448)
		return 0;
	return h;
}

/* ---------------------------------------------------------- new keys */

typedef struct {
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub;
	gnutls_x509_privkey_t xkey;   /* in memory; NULL on a token */
	gnutls_pk_algorithm_t algo;
	unsigned bits;
	gnutls_datum_t token_id;      /* CKA_ID of a token key */
} newkey_t;

static void newkey_free(newkey_t *k)
{
	if (k->priv)
		gnutls_privkey_deinit(k->priv);
	if (k->pub)
		gnutls_pubkey_deinit(k->pub);
	if (k->xkey)
		gnutls_x509_privkey_deinit(k->xkey);
	gnutls_free(k->token_id.data);
	memset(k, 0, sizeof(*k));
}

/* Whether the token holds an object with this label already. */
static bool token_has_label(ctx_t *ctx, const char *label)
{
	char *uri = token_obj_uri(ctx->token, label, NULL);
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned n = 0;
	int rc = gnutls_pkcs11_obj_list_import_url4(&objs, &n, uri,
	                                            GNUTLS_PKCS11_OBJ_FLAG_LOGIN);

	for (unsigned i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	free(uri);
	return rc >= 0 && n > 0;
}

static bool newkey_make(ctx_t *ctx, args_t *a, bool on_token,
                        const char *label, newkey_t *k)
{
	char desc[32];
	int rc;

	memset(k, 0, sizeof(*k));
	if (!key_params(a, &k->algo, &k->bits))
		return false;
	if (gnutls_privkey_init(&k->priv) < 0 || gnutls_pubkey_init(&k->pub) < 0)
		abort();
	if (!on_token) {
		if (gnutls_x509_privkey_init(&k->xkey) < 0)
			abort();
		rc = gnutls_x509_privkey_generate2(k->xkey, k->algo, k->bits, 0,
		                                   NULL, 0);
		if (rc < 0) {
			gerr(rc, "generating a %s key",
			     key_describe(k->algo, GNUTLS_BITS_TO_CURVE(k->bits) ?
			                  0 : k->bits, desc, sizeof(desc)));
			return false;
		}
		if ((rc = gnutls_privkey_import_x509(k->priv, k->xkey, 0)) < 0 ||
		    (rc = gnutls_pubkey_import_privkey(k->pub, k->priv, 0, 0)) < 0) {
			gerr(rc, "using the new key");
			return false;
		}
		return true;
	}
	/* on the token: the private half never leaves it */
	gnutls_datum_t pubder = { NULL, 0 };
	char *uri;
	gnutls_pkcs11_obj_t obj;
	unsigned char id[128];
	size_t id_len = sizeof(id);

	if (!token_init(ctx, NULL) || !token_login(ctx))
		return false;
	if (token_has_label(ctx, label)) {
		err("%s: the token already holds objects labelled '%s' "
		    "(delete label=%s first)", ctx->token, label, label);
		return false;
	}
	rc = gnutls_pkcs11_privkey_generate3(ctx->token, k->algo, k->bits,
	                                     label, NULL, GNUTLS_X509_FMT_DER,
	                                     &pubder, 0,
	                                     GNUTLS_PKCS11_OBJ_FLAG_LOGIN |
	                                     GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE |
	                                     GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE);
	if (rc < 0) {
		gerr(rc, "%s: generating a key on the token", ctx->token);
		return false;
	}
	rc = gnutls_pubkey_import(k->pub, &pubder, GNUTLS_X509_FMT_DER);
	gnutls_free(pubder.data);
	if (rc < 0) {
		gerr(rc, "reading the token's new public key");
		return false;
	}
	uri = token_obj_uri(ctx->token, label, "private");
	rc = gnutls_privkey_import_url(k->priv, uri, 0);
	if (rc >= 0 && gnutls_pkcs11_obj_init(&obj) >= 0) {
		if (gnutls_pkcs11_obj_import_url(obj, uri,
		                                 GNUTLS_PKCS11_OBJ_FLAG_LOGIN) >= 0 &&
		    gnutls_pkcs11_obj_get_info(obj, GNUTLS_PKCS11_OBJ_ID, id,
		                               &id_len) >= 0) {
			k->token_id.data = gnutls_malloc(id_len);
			memcpy(k->token_id.data, id, id_len);
			k->token_id.size = (unsigned)id_len;
		}
		gnutls_pkcs11_obj_deinit(obj);
	}
	free(uri);
	if (rc < 0) {
		gerr(rc, "opening the token's new key");
		return false;
	}
	return true;
}

/* Store the new key's private half (memory keys only). */
static bool newkey_store(ctx_t *ctx, newkey_t *k, const char *label,
                         const char *outkey)
{
	gnutls_datum_t pem = { NULL, 0 };
	int rc;
	bool ok;

	if (!k->xkey)
		return true;   /* on the token already */
	rc = gnutls_x509_privkey_export2_pkcs8(k->xkey, GNUTLS_X509_FMT_PEM,
	                                       NULL, GNUTLS_PKCS_PLAIN, &pem);
	if (rc < 0) {
		gerr(rc, "encoding the private key");
		return false;
	}
	if (outkey)
		ok = file_write(NULL, outkey, pem.data, pem.size, 0600, false);
	else
		ok = ks_store(ctx, KS_PRIVATE, label, pem.data, pem.size, false);
	datum_wipe_free(&pem);
	return ok;
}

/* Where the new objects go: the token, given files, or the keystore. */
typedef struct {
	bool token;
	const char *label;
	const char *outcert, *outkey;
	gnutls_x509_crt_fmt_t fmt;
} target_t;

static int parse_target(ctx_t *ctx, args_t *a, target_t *t, bool need_cert)
{
	const char *f;
	bool bad;

	memset(t, 0, sizeof(*t));
	t->label = arg_get(a, "label");
	t->outkey = arg_get(a, "outkey");
	t->outcert = need_cert ? arg_get(a, "outcert") : NULL;
	f = arg_get(a, "format");
	t->fmt = GNUTLS_X509_FMT_PEM;
	if (f && !strcasecmp(f, "der"))
		t->fmt = GNUTLS_X509_FMT_DER;
	else if (f && strcasecmp(f, "pem")) {
		err("format=%s: expected pem or der", f);
		return EXIT_USAGE;
	}
	t->token = ctx_use_token(ctx, a, &bad);
	if (bad)
		return EXIT_USAGE;
	if (t->token && t->outkey) {
		err("outkey= cannot be used with a token: the key stays there");
		return EXIT_USAGE;
	}
	if ((t->token || !t->outkey) && !t->label) {
		err("label= is needed (the name of the key%s in the %s)",
		    need_cert ? " and certificate" : "",
		    t->token ? "token" : "keystore");
		return EXIT_USAGE;
	}
	if (t->label && !label_valid(t->label)) {
		err("label '%s': use 1-64 of A-Z a-z 0-9 . _ - (not starting "
		    "with . or -)", t->label);
		return EXIT_USAGE;
	}
	if (!t->token && need_cert && (!t->outcert) != (!t->outkey)) {
		err("outcert= and outkey= go together (or use label= for the "
		    "keystore)");
		return EXIT_USAGE;
	}
	if (t->fmt == GNUTLS_X509_FMT_DER && !t->outcert && need_cert) {
		err("format=der is for outcert=; the keystore holds PEM");
		return EXIT_USAGE;
	}
	return 0;
}

static bool export_crt(gnutls_x509_crt_t crt, gnutls_x509_crt_fmt_t fmt,
                       gnutls_datum_t *out)
{
	int rc = gnutls_x509_crt_export2(crt, fmt, out);

	if (rc < 0) {
		gerr(rc, "encoding the certificate");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ gencert */

int cmd_gencert(ctx_t *ctx, args_t *a)
{
	cert_opts_t o;
	target_t t;
	newkey_t k = { 0 };
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t out = { NULL, 0 };
	int rc = parse_target(ctx, a, &t, true), grc;

	if (rc)
		return rc;
	if (!parse_cert_opts(a, &o, false))
		return EXIT_USAGE;
	/* key_params reads keytype/keylen/curve: check those too */
	gnutls_pk_algorithm_t algo;
	unsigned bits;

	if (!key_params(a, &algo, &bits))
		return EXIT_USAGE;
	if (!args_all_used(a, "gencert"))
		return EXIT_USAGE;
	if (!o.subject) {
		err("gencert: subject= is needed (e.g. subject=\"C=US, O=Lab, "
		    "CN=gw.example\")");
		return EXIT_USAGE;
	}
	if (!t.token && !t.outcert && (ks_find(ctx, KS_CERTS, t.label) ||
	                               ks_find(ctx, KS_PRIVATE, t.label))) {
		err("label '%s' is in use in %s (delete label=%s first)",
		    t.label, ctx->keystore, t.label);
		return EXIT_FAIL;
	}
	rc = EXIT_FAIL;
	if (gnutls_x509_crt_init(&crt) < 0)
		abort();
	grc = gnutls_x509_crt_set_dn(crt, o.subject, NULL);
	if (grc < 0) {
		gerr(grc, "subject=%s: not a distinguished name", o.subject);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!newkey_make(ctx, a, t.token, t.label, &k))
		goto out;
	if ((grc = gnutls_x509_crt_set_pubkey(crt, k.pub)) < 0) {
		gerr(grc, "setting the public key");
		goto out;
	}
	if (!fill_cert(crt, &o, k.pub, k.algo))
		goto out;
	grc = gnutls_x509_crt_privkey_sign(crt, crt, k.priv,
	                                   sign_hash(k.algo, o.hash), 0);
	if (grc < 0) {
		gerr(grc, "signing the certificate");
		goto out;
	}
	if (t.token) {
		grc = gnutls_pkcs11_copy_x509_crt2(ctx->token, crt, t.label,
		                                   k.token_id.size ? &k.token_id :
		                                   NULL,
		                                   GNUTLS_PKCS11_OBJ_FLAG_LOGIN);
		if (grc < 0) {
			gerr(grc, "%s: storing the certificate", ctx->token);
			goto out;
		}
		printf("wrote key and certificate '%s' to %s\n", t.label,
		       ctx->token);
		rc = 0;
		goto out;
	}
	if (!export_crt(crt, t.outcert ? t.fmt : GNUTLS_X509_FMT_PEM, &out))
		goto out;
	if (!newkey_store(ctx, &k, t.label, t.outkey))
		goto out;
	if (t.outcert ? !file_write(NULL, t.outcert, out.data, out.size, 0644,
	                            false) :
	    !ks_store(ctx, KS_CERTS, t.label, out.data, out.size, false)) {
		/* do not leave a key without its certificate */
		if (t.outkey)
			remove(t.outkey);
		else {
			char *p = ks_path(ctx, KS_PRIVATE, t.label);

			remove(p);
			free(p);
		}
		goto out;
	}
	rc = 0;
out:
	gnutls_free(out.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	newkey_free(&k);
	return rc;
}

/* ------------------------------------------------------------- gencsr */

int cmd_gencsr(ctx_t *ctx, args_t *a)
{
	cert_opts_t o;
	target_t t;
	newkey_t k = { 0 };
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t out = { NULL, 0 };
	const char *outcsr = arg_get(a, "outcsr");
	gnutls_pk_algorithm_t algo;
	unsigned bits;
	int rc = parse_target(ctx, a, &t, false), grc;

	if (rc)
		return rc;
	if (!parse_cert_opts(a, &o, true) || !key_params(a, &algo, &bits) ||
	    !args_all_used(a, "gencsr"))
		return EXIT_USAGE;
	if (!o.subject || !outcsr) {
		err("gencsr: subject= and outcsr= are needed");
		return EXIT_USAGE;
	}
	if (!t.token && !t.outkey && ks_find(ctx, KS_PRIVATE, t.label)) {
		err("label '%s' is in use in %s/private (delete label=%s "
		    "first)", t.label, ctx->keystore, t.label);
		return EXIT_FAIL;
	}
	rc = EXIT_FAIL;
	if (gnutls_x509_crq_init(&crq) < 0)
		abort();
	grc = gnutls_x509_crq_set_dn(crq, o.subject, NULL);
	if (grc < 0) {
		gerr(grc, "subject=%s: not a distinguished name", o.subject);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!newkey_make(ctx, a, t.token, t.label, &k))
		goto out;
	if ((grc = gnutls_x509_crq_set_version(crq, 1)) < 0 ||
	    (grc = gnutls_x509_crq_set_pubkey(crq, k.pub)) < 0)
		goto gfail;
	for (int i = 0; i < o.n_san; i++)
		if ((grc = gnutls_x509_crq_set_subject_alt_name(crq,
		                o.san[i].type, o.san[i].data, o.san[i].size,
		                GNUTLS_FSAN_APPEND)) < 0)
			goto gfail;
	if ((grc = gnutls_x509_crq_privkey_sign(crq, k.priv,
	                                        sign_hash(k.algo, o.hash),
	                                        0)) < 0 ||
	    (grc = gnutls_x509_crq_export2(crq, t.fmt, &out)) < 0)
		goto gfail;
	if (!newkey_store(ctx, &k, t.label, t.outkey))
		goto out;
	if (!file_write(NULL, outcsr, out.data, out.size, 0644, false))
		goto out;
	rc = 0;
	goto out;
gfail:
	gerr(grc, "building the request");
out:
	gnutls_free(out.data);
	if (crq)
		gnutls_x509_crq_deinit(crq);
	newkey_free(&k);
	return rc;
}

/* ------------------------------------------------------------ signcsr */

static bool same_key(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
	unsigned char ia[64], ib[64];
	size_t la = sizeof(ia), lb = sizeof(ib);

	return gnutls_pubkey_get_key_id(a, GNUTLS_KEYID_USE_SHA256, ia, &la) >= 0 &&
	       gnutls_pubkey_get_key_id(b, GNUTLS_KEYID_USE_SHA256, ib, &lb) >= 0 &&
	       la == lb && memcmp(ia, ib, la) == 0;
}

static gnutls_x509_crq_t load_crq(const char *path)
{
	gnutls_x509_crq_t crq;
	gnutls_datum_t data;
	int rc;

	if (!file_read(path, &data))
		return NULL;
	if (gnutls_x509_crq_init(&crq) < 0)
		abort();
	rc = gnutls_x509_crq_import(crq, &data, GNUTLS_X509_FMT_PEM);
	if (rc < 0)
		rc = gnutls_x509_crq_import(crq, &data, GNUTLS_X509_FMT_DER);
	gnutls_free(data.data);
	if (rc < 0) {
		gerr(rc, "%s: not a certificate request (PKCS#10)", path);
		gnutls_x509_crq_deinit(crq);
		return NULL;
	}
	rc = gnutls_x509_crq_verify(crq, 0);
	if (rc < 0) {
		gerr(rc, "%s: the request's signature does not verify", path);
		gnutls_x509_crq_deinit(crq);
		return NULL;
	}
	return crq;
}

/* Copy the subjectAltNames the request asks for. */
static bool copy_crq_sans(gnutls_x509_crq_t crq, gnutls_x509_crt_t crt)
{
	for (unsigned i = 0;; i++) {
		unsigned char buf[512];
		size_t size = sizeof(buf);
		unsigned type = 0, crit = 0;
		int rc = gnutls_x509_crq_get_subject_alt_name(crq, i, buf, &size,
		                                              &type, &crit);

		if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return true;
		if (rc < 0) {
			gerr(rc, "reading the request's subjectAltName");
			return false;
		}
		if (type != GNUTLS_SAN_DNSNAME && type != GNUTLS_SAN_RFC822NAME &&
		    type != GNUTLS_SAN_IPADDRESS && type != GNUTLS_SAN_URI) {
			warn("the request's subjectAltName #%u (type %u) is "
			     "not copied", i, type);
			continue;
		}
		rc = gnutls_x509_crt_set_subject_alt_name(crt, type, buf,
		                                          (unsigned)size,
		                                          GNUTLS_FSAN_APPEND);
		if (rc < 0) {
			gerr(rc, "copying the request's subjectAltName");
			return false;
		}
	}
}

int cmd_signcsr(ctx_t *ctx, args_t *a)
{
	cert_opts_t o;
	const char *csr = arg_get(a, "csr"), *cacert = arg_get(a, "cacert");
	const char *cakey = arg_get(a, "cakey"), *outcert = arg_get(a, "outcert");
	const char *f = arg_get(a, "format");
	const char *signkey = arg_get(a, "signkey");
	gnutls_x509_crt_fmt_t fmt = GNUTLS_X509_FMT_PEM;
	gnutls_x509_crq_t crq = NULL;
	gnutls_x509_crt_t ca = NULL, crt = NULL;
	gnutls_privkey_t key = NULL;
	gnutls_pubkey_t reqpub = NULL, capub = NULL, keypub = NULL;
	gnutls_datum_t out = { NULL, 0 };
	unsigned bits = 0, ca_flag = 0, ku = 0, crit;
	unsigned char id[64];
	size_t id_len = sizeof(id);
	time_t ca_end;
	int rc = EXIT_USAGE, grc, pk;

	if (!cakey)
		cakey = signkey;
	if (!parse_cert_opts(a, &o, false) || !args_all_used(a, "signcsr"))
		return EXIT_USAGE;
	if (f && !strcasecmp(f, "der"))
		fmt = GNUTLS_X509_FMT_DER;
	else if (f && strcasecmp(f, "pem")) {
		err("format=%s: expected pem or der", f);
		return EXIT_USAGE;
	}
	if (!csr || !cacert || !cakey || !outcert) {
		err("signcsr: csr=, cacert=, cakey= and outcert= are needed");
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	if (!(crq = load_crq(csr)))
		goto out;
	pk = gnutls_x509_crq_get_pk_algorithm(crq, &bits);
	if (pk < 0 || !key_strength_ok((gnutls_pk_algorithm_t)pk, bits, csr))
		goto out;
	if (!(ca = crt_open(ctx, cacert)))
		goto out;
	grc = gnutls_x509_crt_get_basic_constraints(ca, &crit, &ca_flag, NULL);
	if (grc < 0 || !ca_flag) {
		err("%s: not a CA certificate (no basicConstraints cA)", cacert);
		goto out;
	}
	if (gnutls_x509_crt_get_key_usage(ca, &ku, &crit) >= 0 &&
	    !(ku & GNUTLS_KEY_KEY_CERT_SIGN)) {
		err("%s: its keyUsage lacks keyCertSign", cacert);
		goto out;
	}
	if (!(key = privkey_open(ctx, cakey)))
		goto out;
	if (gnutls_pubkey_init(&capub) < 0 || gnutls_pubkey_init(&keypub) < 0 ||
	    gnutls_pubkey_init(&reqpub) < 0)
		abort();
	if (gnutls_pubkey_import_x509(capub, ca, 0) < 0 ||
	    gnutls_pubkey_import_privkey(keypub, key, 0, 0) < 0 ||
	    !same_key(capub, keypub)) {
		err("%s is not the key of %s", cakey, cacert);
		goto out;
	}
	if ((grc = gnutls_pubkey_import_x509_crq(reqpub, crq, 0)) < 0) {
		gerr(grc, "%s: reading its public key", csr);
		goto out;
	}
	ca_end = gnutls_x509_crt_get_expiration_time(ca);
	if (ca_end != (time_t)-1 && o.not_after > ca_end) {
		warn("the certificate would outlive the CA (until %s); "
		     "ending it with the CA's", strtok(ctime(&ca_end), "\n"));
		o.not_after = ca_end;
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		abort();
	if ((grc = gnutls_x509_crt_set_crq(crt, crq)) < 0) {
		gerr(grc, "%s: copying the request", csr);
		goto out;
	}
	if (o.subject && (grc = gnutls_x509_crt_set_dn(crt, o.subject,
	                                               NULL)) < 0) {
		gerr(grc, "subject=%s: not a distinguished name", o.subject);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!fill_cert(crt, &o, reqpub, (gnutls_pk_algorithm_t)pk))
		goto out;
	if (o.n_san == 0 && !copy_crq_sans(crq, crt))
		goto out;
	if (gnutls_x509_crt_get_subject_key_id(ca, id, &id_len, &crit) < 0) {
		id_len = sizeof(id);
		if (gnutls_pubkey_get_key_id(capub, 0, id, &id_len) < 0)
			id_len = 0;
	}
	if (id_len && (grc = gnutls_x509_crt_set_authority_key_id(crt, id,
	                                                          id_len)) < 0) {
		gerr(grc, "setting the authorityKeyIdentifier");
		goto out;
	}
	grc = gnutls_x509_crt_privkey_sign(crt, ca, key,
	                                   sign_hash(gnutls_pubkey_get_pk_algorithm(
	                                             capub, NULL), o.hash), 0);
	if (grc < 0) {
		gerr(grc, "signing with %s", cakey);
		goto out;
	}
	if (!export_crt(crt, fmt, &out) ||
	    !file_write(NULL, outcert, out.data, out.size, 0644, false))
		goto out;
	rc = 0;
out:
	gnutls_free(out.data);
	if (crq)
		gnutls_x509_crq_deinit(crq);
	if (ca)
		gnutls_x509_crt_deinit(ca);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_privkey_deinit(key);
	if (capub)
		gnutls_pubkey_deinit(capub);
	if (keypub)
		gnutls_pubkey_deinit(keypub);
	if (reqpub)
		gnutls_pubkey_deinit(reqpub);
	return rc;
}
