/*
 * test_dn.c - distinguished names: text to DER against names OpenSSL
 * encoded, DER back to text, pattern matching, and malformed input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/dn.h"

static chunk_t hex(const char *h)
{
	return chunk_from_hex(h);
}

/* Subject of a certificate made by `openssl req` (OpenSSL 3.0,
 * string_mask = nombstr): C=US, O=Example Corp, OU=Road Warriors,
 * CN=gw.example.com, emailAddress=gw@example.com. */
#define DN1_DER "3074310b300906035504061302555331153013060355040a130c4578616d706c" \
	"6520436f727031163014060355040b130d526f61642057617272696f72733117" \
	"30150603550403130e67772e6578616d706c652e636f6d311d301b06092a8648" \
	"86f70d010901160e6777406578616d706c652e636f6d"

/* The same with string_mask = utf8only: C=DE, O=Müller GmbH,
 * CN=*.example.org, DC=example. */
#define DN2_DER "3055310b300906035504061302444531153013060355040a0c0c4dc3bc6c6c65" \
	"7220476d62483116301406035504030c0d2a2e6578616d706c652e6f72673117" \
	"3015060a0992268993f22c64011916076578616d706c65"

START_TEST(text_to_der_matches_openssl)
{
	chunk_t der, want;
	char err[200];

	ck_assert(dn_from_text("C=US, O=Example Corp, OU=Road Warriors, "
	                       "CN=gw.example.com, E=gw@example.com", &der,
	                       err, sizeof(err)));
	want = hex(DN1_DER);
	ck_assert(chunk_equals(der, want));
	chunk_free(&der);
	/* Other spellings of the same name. */
	ck_assert(dn_from_text("  c = US ;o=Example Corp,ou=Road Warriors,"
	                       "cn=gw.example.com,emailAddress=gw@example.com ",
	                       &der, err, sizeof(err)));
	ck_assert(chunk_equals(der, want));
	chunk_free(&der);
	ck_assert(dn_from_text("2.5.4.6=US, 2.5.4.10=Example Corp, 2.5.4.11=Road "
	                       "Warriors, 2.5.4.3=gw.example.com, "
	                       "1.2.840.113549.1.9.1=gw@example.com", &der, err,
	                       sizeof(err)));
	ck_assert(chunk_equals(der, want));
	chunk_free(&der);
	chunk_free(&want);

	ck_assert(dn_from_text("C=DE, O=M\xc3\xbcller GmbH, CN=*.example.org, "
	                       "DC=example", &der, err, sizeof(err)));
	want = hex(DN2_DER);
	ck_assert(chunk_equals(der, want));
	chunk_free(&der);
	chunk_free(&want);
}
END_TEST

START_TEST(escapes_and_long_values)
{
	chunk_t der;
	char err[200], text[1024], big[300];

	ck_assert(dn_from_text("CN=Smith\\, John, O=A\\2Cb", &der, err, sizeof(err)));
	ck_assert(dn_to_text(der, text, sizeof(text)));
	ck_assert_str_eq(text, "CN=Smith\\, John, O=A\\,b");
	chunk_free(&der);

	/* A value past 127 bytes needs a long-form length. */
	memset(big, 'x', 200);
	big[200] = '\0';
	snprintf(text, sizeof(text), "CN=%s", big);
	ck_assert(dn_from_text(text, &der, err, sizeof(err)));
	ck_assert_uint_eq(der.ptr[1], 0x81);
	{
		char back[400];
		ck_assert(dn_to_text(der, back, sizeof(back)));
		ck_assert_str_eq(back, text);
		ck_assert(!dn_to_text(der, back, 50));  /* too small */
	}
	chunk_free(&der);
}
END_TEST

START_TEST(der_to_text)
{
	chunk_t der = hex(DN1_DER);
	char text[256];

	ck_assert(dn_to_text(der, text, sizeof(text)));
	ck_assert_str_eq(text, "C=US, O=Example Corp, OU=Road Warriors, "
	                 "CN=gw.example.com, E=gw@example.com");
	chunk_free(&der);

	/* An unknown attribute prints as its OID; a BMPString as #hex. */
	der = hex("300f310d300b" "06032a0304" "1e0400410042");
	ck_assert(dn_to_text(der, text, sizeof(text)));
	ck_assert_str_eq(text, "1.2.3.4=#1e0400410042");
	chunk_free(&der);
}
END_TEST

START_TEST(matching)
{
	chunk_t der = hex(DN1_DER), d2 = hex(DN2_DER);

	ck_assert(dn_match("C=US, O=Example Corp, OU=Road Warriors, "
	                   "CN=gw.example.com, E=gw@example.com", der));
	ck_assert(dn_match("c=us, o=example corp, ou=road warriors, "
	                   "cn=GW.EXAMPLE.COM, e=gw@example.com", der));
	ck_assert(dn_match("C=US, O=Example Corp, OU=*, CN=*.example.com, E=*", der));
	ck_assert(dn_match("C=US, O=Example*, OU=Road*, CN=*, E=*@example.com", der));
	ck_assert(dn_match("C=*, O=*, OU=*, CN=*, E=*", der));
	/* Order, count and attribute types must agree. */
	ck_assert(!dn_match("O=Example Corp, C=US, OU=*, CN=*, E=*", der));
	ck_assert(!dn_match("C=US, O=Example Corp, OU=*, CN=*", der));
	ck_assert(!dn_match("C=US, O=Example Corp, OU=*, CN=*, E=*, CN=*", der));
	ck_assert(!dn_match("C=US, O=Example Corp, OU=*, SN=*, E=*", der));
	ck_assert(!dn_match("C=US, O=Example Corp, OU=*, CN=*.example.net, E=*", der));
	/* Different string types of the same text still match. */
	ck_assert(dn_match("C=DE, O=M\xc3\xbcller GmbH, CN=\\*.example.org, DC=example", d2));
	ck_assert(!dn_match("not a dn", der));
	/* A pathological pattern stays cheap. */
	ck_assert(!dn_match("C=*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b, O=*, OU=*, CN=*, E=*", der));
	chunk_free(&der);
	chunk_free(&d2);
}
END_TEST

START_TEST(bad_text)
{
	chunk_t der;
	char err[200];

	ck_assert(!dn_from_text("", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("CN", &der, err, sizeof(err)));
	ck_assert_str_eq(err, "dn 'CN' must be attribute=value pairs separated by ','");
	ck_assert(!dn_from_text("XX=1", &der, err, sizeof(err)));
	ck_assert_str_eq(err, "dn: unknown attribute 'XX' (use C, ST, L, O, OU, CN, "
	                 "SN, GN, T, E, DC, UID, ... or a dotted OID)");
	ck_assert(!dn_from_text("CN=a,", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("CN=", &der, err, sizeof(err)));
	ck_assert_str_eq(err, "dn: attribute 'CN' has an empty value");
	ck_assert(!dn_from_text("CN=a\\", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("C=U&S", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("E=m\xc3\xbc@x", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("CN=\xff\xfe", &der, err, sizeof(err)));
	ck_assert_str_eq(err, "dn: value '\xff\xfe' is not valid UTF-8");
	ck_assert(!dn_from_text("3.1=x", &der, err, sizeof(err)));
	ck_assert(!dn_from_text("1.2.a=x", &der, err, sizeof(err)));
	ck_assert(!dn_from_text(",CN=x", &der, err, sizeof(err)));
}
END_TEST

/* Every truncation and every single-byte change of a valid name is either
 * rejected or parsed, never read out of bounds (run under ASan). */
START_TEST(bad_der)
{
	chunk_t good = hex(DN1_DER);
	char text[512];

	for (size_t l = 0; l < good.len; l++)
		ck_assert(!dn_to_text(chunk_create(good.ptr, l), text, sizeof(text)));
	for (size_t i = 0; i < good.len; i++) {
		for (int v = 0; v < 256; v += 17) {
			chunk_t c = chunk_clone(good);
			c.ptr[i] = (uint8_t)v;
			(void)dn_to_text(c, text, sizeof(text));
			(void)dn_match("C=*, O=*, OU=*, CN=*, E=*", c);
			chunk_free(&c);
		}
	}
	/* Trailing garbage, indefinite and overlong lengths. */
	{
		chunk_t c = hex(DN1_DER "00");
		ck_assert(!dn_to_text(c, text, sizeof(text)));
		chunk_free(&c);
		c = hex("3080310b300906035504061302555300");
		ck_assert(!dn_to_text(c, text, sizeof(text)));
		chunk_free(&c);
		c = hex("3083000000");
		ck_assert(!dn_to_text(c, text, sizeof(text)));
		chunk_free(&c);
		c = hex("30023100");  /* empty SET */
		ck_assert(!dn_to_text(c, text, sizeof(text)));
		chunk_free(&c);
	}
	chunk_free(&good);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dn");
	TCase *tc = tcase_create("dn");

	tcase_add_test(tc, text_to_der_matches_openssl);
	tcase_add_test(tc, escapes_and_long_values);
	tcase_add_test(tc, der_to_text);
	tcase_add_test(tc, matching);
	tcase_add_test(tc, bad_text);
	tcase_add_test(tc, bad_der);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
