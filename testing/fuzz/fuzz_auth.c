/*
 * fuzz_auth.c - libFuzzer target for what the core itself parses of a
 * peer's authentication (the codec's CERT/CERTREQ/AUTH framing is in
 * fuzz_parse; X.509 is GnuTLS's): the first input octet picks
 *   0: RFC 7427 AUTH data (sig_auth_data_parse -> sig_algid_decode -> the
 *      DER reader), checking the signature lies inside the input and a
 *      scheme found can be encoded again and decodes to itself;
 *   1: a DER Name as an ID_DER_ASN1_DN payload or a certificate's issuer
 *      (dn_to_text, dn_match against fixed patterns and its own text);
 *   2: a DN pattern as text (dn_from_text, its DER back to text).
 */
#include "config/dn.h"

#include <ikev2d/cred.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void auth_data(chunk_t in)
{
	sig_scheme_t scheme;
	chunk_t sig;
	if (!sig_auth_data_parse(in, &scheme, &sig))
		return;
	if (scheme <= SIG_UNKNOWN || scheme >= SIG_SCHEME_MAX)
		abort();
	if (sig.len && (sig.ptr < in.ptr || sig.ptr + sig.len > in.ptr + in.len))
		abort();
	chunk_t algid;
	if (!sig_algid_encode(scheme, &algid))
		abort();
	if (sig_algid_decode(algid) != scheme)
		abort();
	chunk_free(&algid);
}

static void dn_der(chunk_t in)
{
	static char text[4096];
	(void)dn_match("C=US, O=Example, CN=*", in);
	(void)dn_match("*", in);
	if (!dn_to_text(in, text, sizeof(text)))
		return;
	if (memchr(text, '\0', sizeof(text)) == NULL)
		abort();
	(void)dn_match(text, in);
}

static void dn_text(const uint8_t *p, size_t n)
{
	char *text = malloc(n + 1);
	memcpy(text, p, n);
	text[n] = '\0';
	chunk_t der;
	char err[128], back[4096];
	if (dn_from_text(text, &der, err, sizeof(err))) {
		/* What we encode we can read back. */
		if (!dn_to_text(der, back, sizeof(back)) && der.len < 1024)
			abort();
		chunk_free(&der);
	} else if (memchr(err, '\0', sizeof(err)) == NULL) {
		abort();
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	chunk_t in = chunk_create((uint8_t *)data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: auth_data(in); break;
	case 1: dn_der(in); break;
	default: dn_text(data + 1, size - 1); break;
	}
	return 0;
}
