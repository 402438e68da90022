/*
 * fuzz_keys.c - libFuzzer target for what the keys process reads from a
 * (compromised) engine and the engine from it: ksm_decode and the checks
 * of what it signs, ksm_octets_ok and ksm_scheme_ok (core/cred/keys_msg.c).
 *
 * The first input byte says whether the datagram counts as truncated; the
 * rest is the datagram.  A decoded KSM_SIGN has its octets checked as the
 * keys process would, and the raw input is checked as octets too (the
 * octet check meets arbitrary IKE-header-shaped data that way).
 * Built by build-fuzzers.sh; replay.c runs it over testing/fuzz/corpus/keys
 * in make check.
 */
#include "cred/keys_msg.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	ksm_msg_t m;

	if (size < 1)
		return 0;
	bool truncated = data[0] & 1;
	if (ksm_decode(data + 1, size - 1, truncated, &m, why, sizeof(why))) {
		if (m.hdr.type == KSM_SIGN) {
			(void)ksm_octets_ok(m.var, m.var_len, why, sizeof(why));
			for (int method = 0; method <= AUTH_DIGITAL_SIG; method++)
				(void)ksm_scheme_ok((auth_method_t)method,
				                    (key_type_t)(m.u.sign.index % (KEY_TYPE_MAX + 1)),
				                    (sig_scheme_t)m.u.sign.scheme);
		}
		/* every stated length lies inside the datagram */
		if (m.var_len && (m.var < data + 1 || m.var + m.var_len > data + size))
			__builtin_trap();
	}
	(void)ksm_octets_ok(data + 1, size - 1, why, sizeof(why));
	return 0;
}
