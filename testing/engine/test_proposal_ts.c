/*
 * test_proposal_ts.c - proposal selection and building, traffic selector
 * narrowing, without any crypto plugin (availability is a test callback).
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/proposal.h"
#include "exchange/ts.h"

static bool all_available(transform_type_t type, uint16_t id)
{
	(void)type; (void)id;
	return true;
}

static bool no_3des(transform_type_t type, uint16_t id)
{
	return !(type == TRANS_ENCR && id == ENCR_3DES);
}

static proposal_cfg_t ike_cfg(uint16_t encr, uint16_t keylen, uint16_t integ,
                              uint16_t prf, uint16_t ke)
{
	proposal_cfg_t p;
	memset(&p, 0, sizeof(p));
	p.encr[0] = (xform_t){ encr, keylen }; p.n_encr = 1;
	if (integ) { p.integ[0] = integ; p.n_integ = 1; }
	p.prf[0] = prf; p.n_prf = 1;
	p.ke[0] = ke; p.n_ke = 1;
	return p;
}

START_TEST(ike_select_prefers_ours_and_checks_keylen)
{
	proposal_cfg_t ours[2] = {
		ike_cfg(ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_384, KE_ECP_384),
		ike_cfg(ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256, KE_ECP_256),
	};
	transform_t t1[] = {
		{ TRANS_ENCR, ENCR_AES_CBC, 128, false },
		{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
		{ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
	};
	transform_t t2[] = {
		{ TRANS_ENCR, ENCR_AES_GCM_16, 128, false },   /* wrong key length */
		{ TRANS_PRF, PRF_HMAC_SHA2_384, 0, false },
		{ TRANS_KE, KE_ECP_384, 0, false },
	};
	proposal_t theirs[2] = {
		{ .number = 1, .protocol = PROTO_IKE, .num_transforms = 4, .transforms = t1 },
		{ .number = 2, .protocol = PROTO_IKE, .num_transforms = 3, .transforms = t2 },
	};
	algs_t a;
	const proposal_t *chosen;
	ck_assert(proposal_select(ours, 2, 0, theirs, 2, PROTO_IKE, all_available,
	                          &a, &chosen));
	ck_assert_int_eq(chosen->number, 1);
	ck_assert_uint_eq(a.encr, ENCR_AES_CBC);
	ck_assert_uint_eq(a.encr_keylen, 128);
	ck_assert_uint_eq(a.integ, INTEG_HMAC_SHA2_256_128);
	ck_assert_uint_eq(a.prf, PRF_HMAC_SHA2_256);
	ck_assert_uint_eq(a.ke, KE_ECP_256);

	/* With the right key length our first proposal wins. */
	t2[0].key_len = 256;
	ck_assert(proposal_select(ours, 2, 0, theirs, 2, PROTO_IKE, all_available,
	                          &a, &chosen));
	ck_assert_int_eq(chosen->number, 2);
	ck_assert_uint_eq(a.encr, ENCR_AES_GCM_16);
	ck_assert_uint_eq(a.integ, INTEG_NONE);

	/* A transform with an unknown attribute must not be selected. */
	t2[0].unknown_attr = true;
	t1[0].unknown_attr = true;
	ck_assert(!proposal_select(ours, 2, 0, theirs, 2, PROTO_IKE, all_available,
	                           &a, &chosen));
}
END_TEST

START_TEST(ike_select_rejects_unavailable_and_missing)
{
	proposal_cfg_t ours = ike_cfg(ENCR_3DES, 0, INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1,
	                              KE_MODP_2048);
	transform_t t[] = {
		{ TRANS_ENCR, ENCR_3DES, 0, false },
		{ TRANS_INTEG, INTEG_HMAC_SHA1_96, 0, false },
		{ TRANS_PRF, PRF_HMAC_SHA1, 0, false },
		{ TRANS_KE, KE_MODP_2048, 0, false },
	};
	proposal_t theirs = { .number = 1, .protocol = PROTO_IKE, .num_transforms = 4,
	                      .transforms = t };
	algs_t a;
	ck_assert(proposal_select(&ours, 1, 0, &theirs, 1, PROTO_IKE, all_available,
	                          &a, NULL));
	ck_assert(!proposal_select(&ours, 1, 0, &theirs, 1, PROTO_IKE, no_3des,
	                           &a, NULL));
	/* no PRF offered */
	theirs.num_transforms = 2;
	ck_assert(!proposal_select(&ours, 1, 0, &theirs, 1, PROTO_IKE, all_available,
	                           &a, NULL));
	/* wrong protocol */
	theirs.num_transforms = 4;
	theirs.protocol = PROTO_ESP;
	ck_assert(!proposal_select(&ours, 1, 0, &theirs, 1, PROTO_IKE, all_available,
	                           &a, NULL));
}
END_TEST

START_TEST(esp_select_pfs_and_esn)
{
	proposal_cfg_t ours;
	memset(&ours, 0, sizeof(ours));
	ours.encr[0] = (xform_t){ ENCR_AES_CBC, 128 }; ours.n_encr = 1;
	ours.integ[0] = INTEG_HMAC_SHA2_256_128; ours.n_integ = 1;
	ours.esn[0] = ESN_YES; ours.esn[1] = ESN_NO; ours.n_esn = 2;
	transform_t t[] = {
		{ TRANS_ENCR, ENCR_AES_CBC, 128, false },
		{ TRANS_INTEG, INTEG_HMAC_SHA2_256_128, 0, false },
		{ TRANS_KE, KE_ECP_256, 0, false },
		{ TRANS_ESN, ESN_NO, 0, false },
	};
	proposal_t theirs = { .number = 3, .protocol = PROTO_ESP, .spi_len = 4,
	                      .spi = { 1, 2, 3, 4 }, .num_transforms = 4, .transforms = t };
	algs_t a;
	/* PFS group 19 wanted and offered */
	ck_assert(proposal_select(&ours, 1, KE_ECP_256, &theirs, 1, PROTO_ESP,
	                          all_available, &a, NULL));
	ck_assert_uint_eq(a.ke, KE_ECP_256);
	ck_assert_uint_eq(a.esn, ESN_NO);
	/* we want modp2048: no */
	ck_assert(!proposal_select(&ours, 1, KE_MODP_2048, &theirs, 1, PROTO_ESP,
	                           all_available, &a, NULL));
	/* in IKE_AUTH the KE transforms do not count */
	ck_assert(proposal_select(&ours, 1, PROPOSAL_NO_KE, &theirs, 1, PROTO_ESP,
	                          all_available, &a, NULL));
	ck_assert_uint_eq(a.ke, KE_NONE);
	/* no PFS wanted but the peer insists on a group: no */
	ck_assert(!proposal_select(&ours, 1, KE_NONE, &theirs, 1, PROTO_ESP,
	                           all_available, &a, NULL));
}
END_TEST

START_TEST(build_then_check_response)
{
	proposal_cfg_t ours[2] = {
		ike_cfg(ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512, KE_MODP_4096),
		ike_cfg(ENCR_AES_GCM_16, 256, 0, PRF_HMAC_SHA2_384, KE_ECP_384),
	};
	proposal_t props[8];
	transform_t xf[64];
	int n = proposal_build(ours, 2, 0, PROTO_IKE, NULL, 0, all_available, props,
	                       8, xf, 64);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(props[0].number, 1);
	ck_assert_int_eq(props[0].num_transforms, 4);
	ck_assert_int_eq(props[1].num_transforms, 3);   /* AEAD: no integrity */
	/* The responder answers with one of them: accepted. */
	algs_t a = { .encr = ENCR_AES_GCM_16, .encr_keylen = 256,
	             .prf = PRF_HMAC_SHA2_384, .ke = KE_ECP_384 }, got;
	proposal_t resp;
	transform_t rx[6];
	proposal_from_algs(&a, PROTO_IKE, 2, NULL, 0, &resp, rx);
	ck_assert(proposal_check_response(ours, 2, 0, &resp, PROTO_IKE,
	                                  all_available, &got));
	ck_assert_uint_eq(got.ke, KE_ECP_384);
	/* A made-up transform is refused. */
	rx[2].id = KE_ECP_256;
	ck_assert(!proposal_check_response(ours, 2, 0, &resp, PROTO_IKE,
	                                   all_available, &got));
	ck_assert_uint_eq(proposal_first_ke(ours, 2, 0, all_available), KE_MODP_4096);
	ck_assert(proposal_allows_ke(ours, 2, 0, KE_ECP_384));
	ck_assert(!proposal_allows_ke(ours, 2, 0, KE_ECP_256));
}
END_TEST

static ts_t ts4(const char *lo, const char *hi, uint8_t proto, uint16_t plo,
                uint16_t phi)
{
	ts_t t;
	memset(&t, 0, sizeof(t));
	t.type = TS_IPV4_ADDR_RANGE;
	inet_pton(AF_INET, lo, t.start);
	inet_pton(AF_INET, hi, t.end);
	t.protocol = proto;
	t.start_port = plo;
	t.end_port = phi;
	return t;
}

START_TEST(ts_narrow_and_subset)
{
	ts_t theirs[2] = {
		ts4("10.1.0.0", "10.1.255.255", 0, 0, 65535),
		ts4("192.168.0.0", "192.168.0.255", 0, 0, 65535),
	};
	ts_t ours[1] = { ts4("10.1.2.0", "10.1.2.255", 6, 80, 443) };
	ts_t out[4];
	int n = ts_narrow(theirs, 2, ours, 1, out, 4);
	ck_assert_int_eq(n, 1);
	char buf[TS_STRLEN];
	ck_assert_str_eq(ts_to_str(&out[0], buf, sizeof(buf)),
	                 "10.1.2.0-10.1.2.255[6/80-443]");
	ck_assert(ts_subset(out, 1, theirs, 2));
	ck_assert(!ts_subset(theirs, 2, out, 1));
	/* disjoint ports, protocols, families */
	ts_t p = ts4("10.1.2.0", "10.1.2.255", 17, 0, 65535);
	ck_assert_int_eq(ts_narrow(&p, 1, ours, 1, out, 4), 0);
	ts_t v6;
	memset(&v6, 0, sizeof(v6));
	v6.type = TS_IPV6_ADDR_RANGE;
	v6.end_port = 65535;
	memset(v6.end, 0xff, 16);
	ck_assert_int_eq(ts_narrow(&v6, 1, ours, 1, out, 4), 0);
	/* host selector from an address */
	struct sockaddr_storage host;
	memset(&host, 0, sizeof(host));
	host.ss_family = AF_INET;
	inet_pton(AF_INET, "10.0.0.7", &((struct sockaddr_in *)&host)->sin_addr);
	ck_assert_int_eq(ts_from_cfg(NULL, 0, &host, out, 4), 1);
	ck_assert_str_eq(ts_to_str(&out[0], buf, sizeof(buf)), "10.0.0.7");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proposal_ts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ike_select_prefers_ours_and_checks_keylen);
	tcase_add_test(tc, ike_select_rejects_unavailable_and_missing);
	tcase_add_test(tc, esp_select_pfs_and_esn);
	tcase_add_test(tc, build_then_check_response);
	tcase_add_test(tc, ts_narrow_and_subset);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
