/*
 * gnutls_fpcache.c - a bounded, thread-safe set of 32-octet fingerprints:
 * what the validator remembers as already proven, so a responder does not
 * redo the same public-key operations on every IKE_AUTH.
 *
 * Two users (see gnutls_plugin.h):
 *  - certificate and CRL signatures (gnutls_cert.c, gnutls_validator.c):
 *    the key is SHA-256 over the signed object's DER and its issuer's DER
 *    (for certificates over the two DERs' own SHA-256, under a label).
 *    Whether a signature verifies is a pure function of those octets, so
 *    a remembered success can never turn wrong; dates, CA flags, path
 *    lengths, EKU and revocation are checked again on every verification.
 *  - GnuTLS's chain checks (gnutls_validator.c), per validator: the key
 *    covers every certificate of the path and the anchor.  A validator is
 *    rebuilt on every keystore (re)load, and its set emptied when anchors,
 *    CRLs or intermediates are added, so nothing survives a reload.
 *
 * Only successes are stored: a failure is recomputed each time (an attacker
 * cannot fill the set with forged certificates, since only what verified
 * enters it).  Set-associative: FPC_WAYS entries per bucket, the oldest of
 * a full bucket replaced.
 */
#include "gnutls_plugin.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FPC_BUCKETS 512
#define FPC_WAYS 4

struct gt_fpcache {
	pthread_mutex_t lock;
	uint8_t fp[FPC_BUCKETS][FPC_WAYS][GT_FP_SIZE];
	uint8_t used[FPC_BUCKETS];      /* entries filled in the bucket */
	uint8_t next[FPC_BUCKETS];      /* the way replaced next when full */
};

gt_fpcache_t *gt_fpcache_create(void)
{
	gt_fpcache_t *this = xzalloc(sizeof(*this));

	pthread_mutex_init(&this->lock, NULL);
	return this;
}

void gt_fpcache_destroy(gt_fpcache_t *this)
{
	if (!this)
		return;
	pthread_mutex_destroy(&this->lock);
	free(this);
}

/* The fingerprint is a SHA-256 output: its first octets spread evenly. */
static unsigned bucket_of(const uint8_t fp[GT_FP_SIZE])
{
	return ((unsigned)fp[0] | (unsigned)fp[1] << 8) % FPC_BUCKETS;
}

bool gt_fpcache_has(gt_fpcache_t *this, const uint8_t fp[GT_FP_SIZE])
{
	unsigned b = bucket_of(fp);
	bool found = false;

	if (!this)
		return false;
	pthread_mutex_lock(&this->lock);
	for (unsigned w = 0; w < this->used[b] && !found; w++)
		found = memcmp(this->fp[b][w], fp, GT_FP_SIZE) == 0;
	pthread_mutex_unlock(&this->lock);
	return found;
}

void gt_fpcache_add(gt_fpcache_t *this, const uint8_t fp[GT_FP_SIZE])
{
	unsigned b = bucket_of(fp), w;

	if (!this)
		return;
	pthread_mutex_lock(&this->lock);
	for (w = 0; w < this->used[b]; w++)
		if (memcmp(this->fp[b][w], fp, GT_FP_SIZE) == 0)
			break;
	if (w == this->used[b]) {
		if (this->used[b] < FPC_WAYS) {
			w = this->used[b]++;
		} else {
			w = this->next[b];
			this->next[b] = (uint8_t)((w + 1) % FPC_WAYS);
		}
		memcpy(this->fp[b][w], fp, GT_FP_SIZE);
	}
	pthread_mutex_unlock(&this->lock);
}

void gt_fpcache_flush(gt_fpcache_t *this)
{
	if (!this)
		return;
	pthread_mutex_lock(&this->lock);
	memset(this->used, 0, sizeof(this->used));
	memset(this->next, 0, sizeof(this->next));
	pthread_mutex_unlock(&this->lock);
}

bool gt_fp_of(const chunk_t *parts, size_t n, uint8_t fp[GT_FP_SIZE])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		/* each part's length first, so (ab, c) and (a, bc) differ */
		uint8_t len[4] = { (uint8_t)(parts[i].len >> 24),
		                   (uint8_t)(parts[i].len >> 16),
		                   (uint8_t)(parts[i].len >> 8),
		                   (uint8_t)parts[i].len };
		if (gnutls_hash(h, len, sizeof(len)) < 0 ||
		    (parts[i].len && gnutls_hash(h, parts[i].ptr, parts[i].len) < 0)) {
			gnutls_hash_deinit(h, NULL);
			return false;
		}
	}
	gnutls_hash_deinit(h, fp);
	return true;
}

/* The process-wide set of verified signatures: made on first use, freed
 * when the plugin is (a plain pointer under a lock, not pthread_once, so
 * that it can be freed). */
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static gt_fpcache_t *sig_cache;

gt_fpcache_t *gt_sig_cache(void)
{
	gt_fpcache_t *c;

	pthread_mutex_lock(&sig_lock);
	if (!sig_cache)
		sig_cache = gt_fpcache_create();
	c = sig_cache;
	pthread_mutex_unlock(&sig_lock);
	return c;
}

void gt_sig_cache_free(void)
{
	pthread_mutex_lock(&sig_lock);
	gt_fpcache_destroy(sig_cache);
	sig_cache = NULL;
	pthread_mutex_unlock(&sig_lock);
}
