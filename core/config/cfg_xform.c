/*
 * cfg_xform.c - transform groups into proposals, with the aliases an
 * admin writes ("aes", "sha256", "aes-gcm") on top of the canonical
 * transform names of <ikev2d/transform.h>.
 */
#include "config/cfg_xform.h"
#include "config/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


typedef struct {
	const char *name;
	int id;
} alias_t;

/* ikev2.config spellings; the canonical names (transform.h) also work. */
static const alias_t encr_aliases[] = {
	{ "aes", ENCR_AES_CBC },
	{ "aes-gcm", ENCR_AES_GCM_16 },
	{ "aes-ccm", ENCR_AES_CCM_16 },
	{ NULL, 0 }
};

/* auth_alg names: integrity transform and the PRF it implies. */
static const struct {
	const char *name;
	int integ, prf;
} auth_aliases[] = {
	{ "sha1",     INTEG_HMAC_SHA1_96,      PRF_HMAC_SHA1 },
	{ "sha",      INTEG_HMAC_SHA1_96,      PRF_HMAC_SHA1 },
	{ "sha256",   INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256 },
	{ "sha384",   INTEG_HMAC_SHA2_384_192, PRF_HMAC_SHA2_384 },
	{ "sha512",   INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512 },
	{ "aes-xcbc", INTEG_AES_XCBC_96,       PRF_AES128_XCBC },
	{ "aes-cmac", INTEG_AES_CMAC_96,       PRF_AES128_CMAC },
	{ NULL, 0, 0 }
};

/* Every accepted name, for suggestions. */
static const char *const encr_names[] = {
	"aes", "aes-cbc", "aes-ctr", "aes-gcm", "aes-gcm-8", "aes-gcm-12",
	"aes-gcm-16", "aes-ccm", "aes-ccm-8", "aes-ccm-12", "aes-ccm-16",
	"aes-gmac", "3des", "chacha20-poly1305", "null", NULL
};
static const char *const auth_names[] = {
	"sha1", "sha", "sha256", "sha384", "sha512", "aes-xcbc", "aes-cmac",
	"hmac-sha1-96", "hmac-sha1-160", "hmac-sha256-128", "hmac-sha384-192",
	"hmac-sha512-256", "aes-xcbc-96", "aes-cmac-96", NULL
};
static const char *const prf_names[] = {
	"sha1", "sha", "sha256", "sha384", "sha512", "aes-xcbc", "aes-cmac",
	"hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512",
	"aes128-xcbc", "aes128-cmac", NULL
};
static const char *const ke_names[] = {
	"modp1024", "modp1536", "modp2048", "modp3072", "modp4096",
	"modp6144", "modp8192", "ecp256", "ecp384", "ecp521",
	"modp1024s160", "modp2048s224", "modp2048s256", "ecp192", "ecp224",
	"curve25519", "curve448", "x25519", "x448", NULL
};

/* Refused although known: broken (RFC 8247 "MUST NOT"). */
static bool refused(transform_type_t type, int id)
{
	return (type == TRANS_INTEG && id == INTEG_HMAC_MD5_96) ||
	       (type == TRANS_PRF && id == PRF_HMAC_MD5) ||
	       (type == TRANS_KE && id == KE_MODP_768);
}

int cfg_encr_from_name(const char *name)
{
	for (const alias_t *a = encr_aliases; a->name; a++) {
		if (strcasecmp(a->name, name) == 0)
			return a->id;
	}
	return transform_from_name(TRANS_ENCR, name);
}

int cfg_integ_from_name(const char *name)
{
	int id;

	for (size_t i = 0; auth_aliases[i].name; i++) {
		if (strcasecmp(auth_aliases[i].name, name) == 0)
			return auth_aliases[i].integ;
	}
	id = transform_from_name(TRANS_INTEG, name);
	return id == INTEG_NONE || refused(TRANS_INTEG, id) ? -1 : id;
}

int cfg_prf_from_name(const char *name)
{
	int id;

	for (size_t i = 0; auth_aliases[i].name; i++) {
		if (strcasecmp(auth_aliases[i].name, name) == 0)
			return auth_aliases[i].prf;
	}
	id = transform_from_name(TRANS_PRF, name);
	return refused(TRANS_PRF, id) ? -1 : id;
}

int cfg_ke_from_name(const char *name)
{
	int id;

	if (strcasecmp(name, "x25519") == 0)
		return KE_CURVE25519;
	if (strcasecmp(name, "x448") == 0)
		return KE_CURVE448;
	id = transform_from_name(TRANS_KE, name);
	return id == KE_NONE || refused(TRANS_KE, id) ? -1 : id;
}

/* The PRF an integrity algorithm implies, for a group without prf_alg. */
static int prf_for_integ(int integ)
{
	switch (integ) {
	case INTEG_HMAC_SHA1_96:
	case INTEG_HMAC_SHA1_160:      return PRF_HMAC_SHA1;
	case INTEG_HMAC_SHA2_256_128:  return PRF_HMAC_SHA2_256;
	case INTEG_HMAC_SHA2_384_192:  return PRF_HMAC_SHA2_384;
	case INTEG_HMAC_SHA2_512_256:  return PRF_HMAC_SHA2_512;
	case INTEG_AES_XCBC_96:        return PRF_AES128_XCBC;
	case INTEG_AES_CMAC_96:        return PRF_AES128_CMAC;
	default:                       return -1;
	}
}

/* Ciphers that take a key length attribute (AES family). */
static bool has_keylen(int encr)
{
	switch (encr) {
	case ENCR_AES_CBC: case ENCR_AES_CTR:
	case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8: case ENCR_AES_GCM_12: case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC:
		return true;
	default:
		return false;
	}
}

static bool is_aead(int encr)
{
	switch (encr) {
	case ENCR_AES_CCM_8: case ENCR_AES_CCM_12: case ENCR_AES_CCM_16:
	case ENCR_AES_GCM_8: case ENCR_AES_GCM_12: case ENCR_AES_GCM_16:
	case ENCR_NULL_AUTH_AES_GMAC: case ENCR_CHACHA20_POLY1305:
		return true;
	default:
		return false;
	}
}

/* What one group is being collected into. */
typedef struct {
	bool ike;
	int encr[CFG_MAX_XFORMS]; int n_encr;
	/* Key sizes a cipher named with Solaris' "aes(lo..hi)" allows:
	 * bit 0 = 128, 1 = 192, 2 = 256; 0 = not given. */
	int encr_sizes[CFG_MAX_XFORMS];
	int keylen[CFG_MAX_XFORMS]; int n_keylen;
	int integ[CFG_MAX_XFORMS]; int n_integ;
	int auth_prf[CFG_MAX_XFORMS]; int n_auth_prf;
	int prf[CFG_MAX_XFORMS]; int n_prf;
	int ke[CFG_MAX_XFORMS]; int n_ke;
	const char *list;  /* keyword being read, for messages */
} xform_acc_t;

static bool push(cfg_ctx_t *ctx, const config_setting_t *s, int *arr, int *n,
                 int v, const char *what)
{
	for (int i = 0; i < *n; i++) {
		if (arr[i] == v)
			return true;  /* listed twice: harmless */
	}
	if (*n >= CFG_MAX_XFORMS) {
		cfg_error(ctx, s, "'%s' lists more than %d values", what,
		          CFG_MAX_XFORMS);
		return false;
	}
	arr[(*n)++] = v;
	return true;
}

static bool name_value(cfg_ctx_t *ctx, const config_setting_t *s,
                       const char *what, const char **name)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(ctx, s, "'%s' must be an algorithm name (a string), "
		          "not %s", what, cfg_type_name(config_setting_type(s)));
		return false;
	}
	*name = config_setting_get_string(s);
	return true;
}

static void unknown_alg(cfg_ctx_t *ctx, const config_setting_t *s,
                        const char *what, const char *name,
                        const char *const *names)
{
	const char *sug = suggest_closest(name, names);

	if (sug)
		cfg_error(ctx, s, "unknown %s '%s' (did you mean '%s'?)", what,
		          name, sug);
	else
		cfg_error(ctx, s, "unknown %s '%s'", what, name);
}

/* The Solaris key size range "(lo..hi)" or "(n)" after a cipher name, as
 * a mask of AES sizes; 0 if malformed or empty. */
static int parse_size_range(const char *r)
{
	unsigned long lo, hi;
	char *end;
	int mask = 0;

	if (*r++ != '(' || !isdigit((unsigned char)*r))
		return 0;
	lo = hi = strtoul(r, &end, 10);
	if (end[0] == '.' && end[1] == '.') {
		if (!isdigit((unsigned char)end[2]))
			return 0;
		hi = strtoul(end + 2, &end, 10);
	}
	if (end[0] != ')' || end[1] != '\0')
		return 0;
	if (lo <= 128 && 128 <= hi) mask |= 1;
	if (lo <= 192 && 192 <= hi) mask |= 2;
	if (lo <= 256 && 256 <= hi) mask |= 4;
	return mask;
}

static bool encr_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	xform_acc_t *x = arg;
	char base[40];
	const char *name, *paren;
	int id, sizes = 0;

	if (!name_value(ctx, s, "encr_alg", &name))
		return false;
	paren = strchr(name, '(');
	if (paren && (size_t)(paren - name) < sizeof(base)) {
		memcpy(base, name, (size_t)(paren - name));
		base[paren - name] = '\0';
		sizes = parse_size_range(paren);
		id = cfg_encr_from_name(base);
		if (id >= 0 && !has_keylen(id)) {
			cfg_error(ctx, s, "encr_alg '%s': '%s' has a fixed key "
			          "size", name, base);
			return false;
		}
		if (id >= 0 && !sizes) {
			cfg_error(ctx, s, "encr_alg '%s': the key size range must "
			          "be (lo..hi) or (bits) and include 128, 192 or "
			          "256", name);
			return false;
		}
	} else {
		id = cfg_encr_from_name(name);
	}
	if (id < 0) {
		unknown_alg(ctx, s, "encr_alg", name, encr_names);
		return false;
	}
	if (x->ike && (id == ENCR_NULL || id == ENCR_NULL_AUTH_AES_GMAC)) {
		cfg_error(ctx, s, "encr_alg '%s' cannot protect an IKE SA", name);
		return false;
	}
	for (int i = 0; i < x->n_encr; i++) {
		if (x->encr[i] == id) {
			/* "aes(128..128)" and "aes(256..256)": one cipher,
			 * both sizes. */
			x->encr_sizes[i] |= sizes;
			return true;
		}
	}
	if (!push(ctx, s, x->encr, &x->n_encr, id, "encr_alg"))
		return false;
	x->encr_sizes[x->n_encr - 1] = sizes;
	return true;
}

static bool keylen_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	xform_acc_t *x = arg;
	long long v;

	if (!cfg_int_value(ctx, s, "encr_keylen", 128, 256, &v))
		return false;
	if (v != 128 && v != 192 && v != 256) {
		cfg_error(ctx, s, "encr_keylen %lld is not an AES key size "
		          "(128, 192 or 256)", v);
		return false;
	}
	return push(ctx, s, x->keylen, &x->n_keylen, (int)v, "encr_keylen");
}

static bool auth_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	xform_acc_t *x = arg;
	const char *name;
	int integ, prf;

	if (!name_value(ctx, s, "auth_alg", &name))
		return false;
	integ = cfg_integ_from_name(name);
	if (integ < 0) {
		if (strncasecmp(name, "md5", 3) == 0 ||
		    strncasecmp(name, "hmac-md5", 8) == 0)
			cfg_error(ctx, s, "auth_alg '%s' is not supported: MD5 is "
			          "broken", name);
		else
			unknown_alg(ctx, s, "auth_alg", name, auth_names);
		return false;
	}
	prf = prf_for_integ(integ);
	if (!push(ctx, s, x->integ, &x->n_integ, integ, "auth_alg"))
		return false;
	return prf < 0 || push(ctx, s, x->auth_prf, &x->n_auth_prf, prf,
	                       "auth_alg");
}

static bool prf_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	xform_acc_t *x = arg;
	const char *name;
	int id;

	if (!name_value(ctx, s, "prf_alg", &name))
		return false;
	id = cfg_prf_from_name(name);
	if (id < 0) {
		unknown_alg(ctx, s, "prf_alg", name, prf_names);
		return false;
	}
	return push(ctx, s, x->prf, &x->n_prf, id, "prf_alg");
}

static bool ke_elem(cfg_ctx_t *ctx, const config_setting_t *s, void *arg)
{
	xform_acc_t *x = arg;
	int id;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *name = config_setting_get_string(s);
		id = cfg_ke_from_name(name);
		if (id < 0) {
			unknown_alg(ctx, s, x->list, name, ke_names);
			return false;
		}
	} else {
		long long v;
		if (!cfg_int_value(ctx, s, x->list, 1, 65535, &v))
			return false;
		id = (int)v;
		if (!transform_name(TRANS_KE, (uint16_t)id) ||
		    refused(TRANS_KE, id)) {
			cfg_error(ctx, s, "%s %d is not a supported group (use "
			          "2, 5, 14-24, 25, 26, 31 or 32)", x->list, id);
			return false;
		}
	}
	return push(ctx, s, x->ke, &x->n_ke, id, x->list);
}

static const char *const ike_keys[] = {
	"encr_alg", "encr_keylen", "auth_alg", "prf_alg", "oakley_group",
	"dh_group", NULL
};
static const char *const esp_keys[] = {
	"encr_alg", "encr_keylen", "auth_alg", "esn", NULL
};

/* One xform group into one proposal. */
static bool parse_group(cfg_ctx_t *ctx, const config_setting_t *g, bool ike,
                        proposal_cfg_t *p)
{
	const char *what = ike ? "ikesa_xform" : "esp_xform";
	xform_acc_t x;
	int aead = 0, rc;
	bool ok = true;

	memset(&x, 0, sizeof(x));
	memset(p, 0, sizeof(*p));
	x.ike = ike;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_error(ctx, g, "%s entries must be groups { encr_alg = ...; "
		          "... }, not %s", what,
		          cfg_type_name(config_setting_type(g)));
		return false;
	}
	if (cfg_check_keys(ctx, g, ike ? ike_keys : esp_keys, what))
		ok = false;

	rc = cfg_each(ctx, g, "encr_alg", encr_elem, &x);
	if (rc == 0) {
		cfg_error(ctx, g, "%s needs 'encr_alg'", what);
		return false;
	}
	if (rc < 0)
		ok = false;
	if (cfg_each(ctx, g, "encr_keylen", keylen_elem, &x) < 0)
		ok = false;
	if (cfg_each(ctx, g, "auth_alg", auth_elem, &x) < 0)
		ok = false;
	if (ike) {
		if (config_setting_get_member(g, "oakley_group") &&
		    config_setting_get_member(g, "dh_group")) {
			cfg_error(ctx, g, "give 'oakley_group' or 'dh_group', "
			          "not both (they are the same)");
			ok = false;
		}
		x.list = "oakley_group";
		if (cfg_each(ctx, g, "oakley_group", ke_elem, &x) < 0)
			ok = false;
		x.list = "dh_group";
		if (cfg_each(ctx, g, "dh_group", ke_elem, &x) < 0)
			ok = false;
		if (cfg_each(ctx, g, "prf_alg", prf_elem, &x) < 0)
			ok = false;
	}
	if (!ok)
		return false;

	/* AEAD and classic ciphers cannot share a proposal (RFC 7296
	 * §3.3: an AEAD proposal has no integrity transform). */
	for (int i = 0; i < x.n_encr; i++)
		aead += is_aead(x.encr[i]);
	if (aead && aead != x.n_encr) {
		cfg_error(ctx, g, "%s mixes AEAD ciphers (gcm, ccm, chacha20) "
		          "with others; put them in separate groups", what);
		return false;
	}
	/* encr_keylen applies to the ciphers that take a key length; it is
	 * an error only when none of them does. */
	if (x.n_keylen) {
		bool any = false;
		for (int i = 0; i < x.n_encr; i++)
			any |= has_keylen(x.encr[i]);
		if (!any) {
			cfg_error(ctx, config_setting_get_member(g, "encr_keylen"),
			          "encr_keylen does not apply to '%s' (its key "
			          "size is fixed)", transform_name(TRANS_ENCR,
			          (uint16_t)x.encr[0]));
			return false;
		}
	}
	if (aead && x.n_integ && !ike) {
		cfg_error(ctx, g, "esp_xform: auth_alg must not be given with an "
		          "AEAD cipher (it authenticates itself)");
		return false;
	}
	if (!aead && !x.n_integ) {
		cfg_error(ctx, g, "%s needs 'auth_alg' with a non-AEAD cipher",
		          what);
		return false;
	}

	/* Encryption transforms: each cipher with each key length. */
	for (int i = 0; i < x.n_encr; i++) {
		static const int all_sizes[] = { 128, 192, 256 };
		int own[3], n_own = 0;
		const int *sizes = x.n_keylen ? x.keylen : all_sizes;
		int n_sizes = x.n_keylen ? x.n_keylen : 3;
		if (x.encr_sizes[i]) {
			/* The cipher's own (lo..hi) wins over encr_keylen. */
			for (int k = 0; k < 3; k++) {
				if (x.encr_sizes[i] & (1 << k))
					own[n_own++] = all_sizes[k];
			}
			sizes = own;
			n_sizes = n_own;
		}
		if (!has_keylen(x.encr[i]))
			n_sizes = 1;
		for (int k = 0; k < n_sizes; k++) {
			if (p->n_encr >= CFG_MAX_XFORMS) {
				cfg_error(ctx, g, "%s: more than %d cipher and key "
				          "length combinations", what,
				          CFG_MAX_XFORMS);
				return false;
			}
			p->encr[p->n_encr].id = (uint16_t)x.encr[i];
			p->encr[p->n_encr].keylen = has_keylen(x.encr[i]) ?
			                            (uint16_t)sizes[k] : 0;
			p->n_encr++;
		}
	}
	/* AEAD: no integrity transform; auth_alg only names the PRF. */
	if (!aead) {
		for (int i = 0; i < x.n_integ; i++)
			p->integ[p->n_integ++] = (uint16_t)x.integ[i];
	}
	if (ike) {
		const int *prf = x.n_prf ? x.prf : x.auth_prf;
		int n_prf = x.n_prf ? x.n_prf : x.n_auth_prf;
		static const int default_ke[] = {
			KE_ECP_256, KE_CURVE25519, KE_MODP_2048
		};
		if (n_prf == 0) {
			p->prf[p->n_prf++] = PRF_HMAC_SHA2_256;
		} else {
			for (int i = 0; i < n_prf; i++)
				p->prf[p->n_prf++] = (uint16_t)prf[i];
		}
		if (x.n_ke == 0) {
			for (int i = 0; i < 3; i++)
				p->ke[p->n_ke++] = (uint16_t)default_ke[i];
		} else {
			for (int i = 0; i < x.n_ke; i++)
				p->ke[p->n_ke++] = (uint16_t)x.ke[i];
		}
	} else {
		const char *esn = "no";
		if (cfg_get_str(ctx, g, "esn", false, &esn) < 0)
			return false;
		if (strcasecmp(esn, "no") == 0) {
			p->esn[p->n_esn++] = ESN_NO;
		} else if (strcasecmp(esn, "yes") == 0) {
			p->esn[p->n_esn++] = ESN_YES;
		} else if (strcasecmp(esn, "either") == 0) {
			p->esn[p->n_esn++] = ESN_YES;
			p->esn[p->n_esn++] = ESN_NO;
		} else {
			cfg_error(ctx, config_setting_get_member(g, "esn"),
			          "esn must be \"no\", \"yes\" or \"either\", not "
			          "'%s'", esn);
			return false;
		}
	}
	return true;
}

int cfg_proposals(cfg_ctx_t *ctx, const config_setting_t *g, const char *name,
                  bool ike, proposal_cfg_t **out, int *n)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	proposal_cfg_t *props;
	int count;
	bool ok = true;

	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_GROUP) {
		props = xzalloc(sizeof(*props));
		if (!parse_group(ctx, s, ike, props)) {
			free(props);
			return -1;
		}
		*out = props;
		*n = 1;
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(ctx, s, "'%s' must be a group { ... } or a list ( { ... "
		          "}, ... ) of groups, not %s", name,
		          cfg_type_name(config_setting_type(s)));
		return -1;
	}
	count = config_setting_length(s);
	if (count == 0 || count > CFG_MAX_PROPOSALS) {
		cfg_error(ctx, s, "'%s' must have 1..%d groups", name,
		          CFG_MAX_PROPOSALS);
		return -1;
	}
	props = xzalloc(sizeof(*props) * (size_t)count);
	for (int i = 0; i < count; i++) {
		if (!parse_group(ctx, config_setting_get_elem(s, (unsigned)i),
		                 ike, &props[i]))
			ok = false;
	}
	if (!ok) {
		free(props);
		return -1;
	}
	*out = props;
	*n = count;
	return 1;
}

void cfg_default_proposals(bool ike, proposal_cfg_t **out, int *n)
{
	proposal_cfg_t *p = xzalloc(2 * sizeof(*p));

	/* 1: AES-GCM-16, 256 then 128 bits.  2: AES-CBC with SHA-256. */
	for (int i = 0; i < 2; i++) {
		p[i].encr[0] = (xform_t){ i ? ENCR_AES_CBC : ENCR_AES_GCM_16, 256 };
		p[i].encr[1] = (xform_t){ i ? ENCR_AES_CBC : ENCR_AES_GCM_16, 128 };
		p[i].n_encr = 2;
		if (i)
			p[i].integ[p[i].n_integ++] = INTEG_HMAC_SHA2_256_128;
		if (ike) {
			p[i].prf[p[i].n_prf++] = PRF_HMAC_SHA2_256;
			p[i].ke[p[i].n_ke++] = KE_ECP_256;
			p[i].ke[p[i].n_ke++] = KE_CURVE25519;
			p[i].ke[p[i].n_ke++] = KE_MODP_2048;
		} else {
			p[i].esn[p[i].n_esn++] = ESN_NO;
		}
	}
	*out = p;
	*n = 2;
}
