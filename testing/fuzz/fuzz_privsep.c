/*
 * fuzz_privsep.c - libFuzzer target for the privsep parent's request
 * parser: psm_decode (core/kernel/privsep_msg.c) and the guard's checks and
 * records (core/kernel/privsep_guard.c), as the parent runs them on what a
 * compromised engine sends.
 *
 * An input is a sequence of datagrams, each a 2-byte big-endian length and
 * that many bytes (the rest of the input when shorter).  Each is decoded;
 * a well-formed request is checked against a fixed configuration (one rule
 * 10.0.0.1 <-> 10.0.0.2, selectors 10.1.0.0/24 <-> 10.2.0.0/24, AES-GCM-16
 * and AES-CBC/HMAC-SHA2-256) and, when allowed, recorded as done, so later
 * datagrams of the same input meet the state earlier ones left (allocated
 * SPIs, installed SAs and policies).
 * Built by build-fuzzers.sh; replay.c runs it over testing/fuzz/corpus/privsep
 * in make check.
 */
#include "kernel/privsep_guard.h"
#include "kernel/privsep_msg.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static config_t *fixed_config(void)
{
	static config_t cfg;
	static rule_t rule;
	static child_cfg_t child;
	static addr_range_t la, ra;
	static ts_cfg_t lts, rts;
	static proposal_cfg_t esp[2];

	if (cfg.n_rules)
		return &cfg;
	la.family = ra.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", la.lo);
	memcpy(la.hi, la.lo, 4);
	inet_pton(AF_INET, "10.0.0.2", ra.lo);
	memcpy(ra.hi, ra.lo, 4);
	lts.addr.family = rts.addr.family = AF_INET;
	inet_pton(AF_INET, "10.1.0.0", lts.addr.lo);
	inet_pton(AF_INET, "10.1.0.255", lts.addr.hi);
	inet_pton(AF_INET, "10.2.0.0", rts.addr.lo);
	inet_pton(AF_INET, "10.2.0.255", rts.addr.hi);
	lts.port_hi = rts.port_hi = 65535;
	esp[0].encr[0].id = ENCR_AES_GCM_16;
	esp[0].encr[0].keylen = 128;
	esp[0].n_encr = 1;
	esp[1].encr[0].id = ENCR_AES_CBC;
	esp[1].encr[0].keylen = 256;
	esp[1].n_encr = 1;
	esp[1].integ[0] = INTEG_HMAC_SHA2_256_128;
	esp[1].n_integ = 1;
	child.local_ts = &lts; child.n_local_ts = 1;
	child.remote_ts = &rts; child.n_remote_ts = 1;
	child.esp = esp; child.n_esp = 2;
	rule.local_addr = &la; rule.n_local_addr = 1;
	rule.remote_addr = &ra; rule.n_remote_addr = 1;
	rule.child = &child; rule.n_child = 1;
	cfg.rules = &rule;
	cfg.n_rules = 1;
	/* never freed: one reference more than anyone drops */
	cfg.refcount = 1 << 30;
	return &cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[PSM_MSG_MAX + 1];
	psg_t *g = psg_create();
	uint32_t next_spi = 0x1000;
	char why[256];

	psg_set_config(g, fixed_config());
	while (size >= 2) {
		size_t n = ((size_t)data[0] << 8) | data[1];
		data += 2; size -= 2;
		if (n > size)
			n = size;
		memcpy(buf, data, n);
		data += n; size -= n;
		psm_msg_t m;
		if (!psm_decode(buf, n, false, &m, why, sizeof(why)))
			continue;
		if (m.hdr.type == PSM_FLUSH && (m.hdr.seq & 1))
			psg_set_shutdown(g, true);
		if (psg_check(g, &m, why, sizeof(why)))
			psg_done(g, &m, true, next_spi++);
	}
	psg_destroy(g);
	return 0;
}
