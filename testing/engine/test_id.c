/*
 * test_id.c - matching the peer's ID payload against a rule's remote_id
 * patterns, and showing IDs in logs (core/exchange/id.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/dn.h"
#include "exchange/engine_priv.h"

static id_cfg_t dn_pattern(const char *text)
{
	id_cfg_t id = { .type = ID_DER_ASN1_DN, .text = (char *)text };
	id.wildcard = strchr(text, '*') != NULL;
	if (!id.wildcard) {
		char err[128];
		ck_assert_msg(dn_from_text(text, &id.data, err, sizeof(err)), "%s", err);
	}
	return id;
}

static chunk_t dn_der(const char *text)
{
	chunk_t der;
	char err[128];
	ck_assert_msg(dn_from_text(text, &der, err, sizeof(err)), "%s", err);
	return der;
}

static bool match_one(id_cfg_t *id, uint8_t type, chunk_t data)
{
	rule_t rule = { .label = "t", .remote_id = id, .n_remote_id = 1 };
	return id_matches_rule(&rule, type, data);
}

START_TEST(dn_exact_and_wildcard)
{
	id_cfg_t exact = dn_pattern("C=US, O=Example, CN=gw-b");
	id_cfg_t wild = dn_pattern("C=US, O=Example, CN=*");
	chunk_t b = dn_der("C=US, O=Example, CN=gw-b");
	chunk_t b_case = dn_der("C=US, O=EXAMPLE, CN=GW-B");
	chunk_t other = dn_der("C=US, O=Other, CN=gw-b");
	chunk_t longer = dn_der("C=US, O=Example, OU=x, CN=gw-b");
	uint8_t garbage[] = { 0x30, 0x05, 0x31, 0x03, 0x30, 0x01 };

	ck_assert(match_one(&exact, ID_DER_ASN1_DN, b));
	ck_assert(match_one(&exact, ID_DER_ASN1_DN, b_case));
	ck_assert(!match_one(&exact, ID_DER_ASN1_DN, other));
	ck_assert(!match_one(&exact, ID_DER_ASN1_DN, longer));
	ck_assert(match_one(&wild, ID_DER_ASN1_DN, b));
	ck_assert(match_one(&wild, ID_DER_ASN1_DN, b_case));
	ck_assert(!match_one(&wild, ID_DER_ASN1_DN, other));
	ck_assert(!match_one(&wild, ID_DER_ASN1_DN, longer));
	ck_assert(!match_one(&wild, ID_DER_ASN1_DN,
	                     chunk_create(garbage, sizeof(garbage))));
	/* A DN pattern never matches another ID type with the same bytes. */
	ck_assert(!match_one(&exact, ID_KEY_ID, b));

	char buf[256];
	ck_assert_str_eq(id_to_str(ID_DER_ASN1_DN, b, buf, sizeof(buf)),
	                 "C=US, O=Example, CN=gw-b");
	chunk_free(&exact.data);
	chunk_free(&b);
	chunk_free(&b_case);
	chunk_free(&other);
	chunk_free(&longer);
}
END_TEST

START_TEST(fqdn_and_any)
{
	id_cfg_t wild = { .type = ID_FQDN, .text = "*.example.net", .wildcard = true };
	id_cfg_t any = { .any = true };
	ck_assert(match_one(&wild, ID_FQDN, chunk_from_str("gw.Example.NET")));
	ck_assert(!match_one(&wild, ID_FQDN, chunk_from_str("gw.example.org")));
	ck_assert(!match_one(&wild, ID_RFC822_ADDR, chunk_from_str("a.example.net")));
	ck_assert(match_one(&any, ID_DER_ASN1_DN, chunk_from_str("whatever")));
	rule_t none = { .label = "t" };
	ck_assert(id_matches_rule(&none, ID_FQDN, chunk_from_str("x")));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("id");
	TCase *tc = tcase_create("match");
	tcase_add_test(tc, dn_exact_and_wildcard);
	tcase_add_test(tc, fqdn_and_any);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
