/*
 * test_debug_level.c - debug_level_parse: names, Solaris aliases, numbers,
 * '+'/'-' combinations, ':raw', and every kind of bad input.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ikev2d/bus.h>
#include "config/debug_level.h"

static uint32_t v, r;
static char err[256];

static bool parse(const char *spec)
{
	v = r = 0xdeadbeef;
	err[0] = '\0';
	return debug_level_parse(spec, &v, &r, err, sizeof(err));
}

START_TEST(op_is_nothing_verbose)
{
	ck_assert(parse("op"));
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(r, 0);
}
END_TEST

START_TEST(verbose_and_all)
{
	ck_assert(parse("verbose"));
	ck_assert_uint_eq(v, DBG_ALL);
	ck_assert_uint_eq(r, 0);
	ck_assert(parse("all"));
	ck_assert_uint_eq(v, DBG_ALL);
	ck_assert_uint_eq(r, DBG_ALL);
}
END_TEST

START_TEST(solaris_and_own_names)
{
	ck_assert(parse("phase1+phase2"));
	ck_assert_uint_eq(v, DBG_IKESA | DBG_CHILDSA);
	ck_assert_uint_eq(r, 0);
	ck_assert(parse("ikesa+childsa"));
	ck_assert_uint_eq(v, DBG_IKESA | DBG_CHILDSA);
	ck_assert(parse("cert+key+pfkey+policy+prop+door+config"));
	ck_assert_uint_eq(v, DBG_CERT | DBG_KEY | DBG_KERNEL | DBG_POLICY |
	                  DBG_PROP | DBG_CTL | DBG_CONFIG);
	ck_assert(parse("kernel+ctl+net+codec+plugin+crypto"));
	ck_assert_uint_eq(v, DBG_KERNEL | DBG_CTL | DBG_NET | DBG_CODEC |
	                  DBG_PLUGIN | DBG_CRYPTO);
	ck_assert(parse("Phase1"));
	ck_assert_uint_eq(v, DBG_IKESA);
	ck_assert(parse("op+policy"));
	ck_assert_uint_eq(v, DBG_POLICY);
}
END_TEST

START_TEST(minus)
{
	ck_assert(parse("verbose-codec"));
	ck_assert_uint_eq(v, DBG_ALL & ~DBG_CODEC);
	ck_assert_uint_eq(r, 0);
	ck_assert(parse("all-crypto"));
	ck_assert_uint_eq(v, DBG_ALL & ~DBG_CRYPTO);
	ck_assert_uint_eq(r, DBG_ALL & ~DBG_CRYPTO);
	ck_assert(parse("all-codec:raw"));
	ck_assert_uint_eq(v, DBG_ALL);
	ck_assert_uint_eq(r, DBG_ALL & ~DBG_CODEC);
	ck_assert(parse("-codec"));
	ck_assert_uint_eq(v, 0);
	ck_assert(parse("phase1-phase1+phase2"));
	ck_assert_uint_eq(v, DBG_CHILDSA);
}
END_TEST

START_TEST(raw_suffix)
{
	ck_assert(parse("codec:raw+phase1"));
	ck_assert_uint_eq(v, DBG_CODEC | DBG_IKESA);
	ck_assert_uint_eq(r, DBG_CODEC);
}
END_TEST

START_TEST(numbers)
{
	ck_assert(parse("0x18"));
	ck_assert_uint_eq(v, DBG_IKESA | DBG_CHILDSA);
	ck_assert_uint_eq(r, 0);
	ck_assert(parse("24"));
	ck_assert_uint_eq(v, 0x18);
	ck_assert(parse("0"));
	ck_assert_uint_eq(v, 0);
	ck_assert(parse("0x3fff-0x800"));
	ck_assert_uint_eq(v, DBG_ALL & ~DBG_CODEC);
	ck_assert(parse("phase1+0x200"));
	ck_assert_uint_eq(v, DBG_IKESA | DBG_CONFIG);
}
END_TEST

START_TEST(errors)
{
	uint32_t keep_v = 7, keep_r = 9;

	ck_assert(!debug_level_parse("phse1", &keep_v, &keep_r, err, sizeof(err)));
	ck_assert_uint_eq(keep_v, 7);  /* untouched on error */
	ck_assert_uint_eq(keep_r, 9);
	ck_assert_str_eq(err, "debug level: unknown name 'phse1' (did you mean 'phase1'?)");

	ck_assert(!parse("bogus"));
	ck_assert_str_eq(err, "debug level: unknown name 'bogus'");
	ck_assert(!parse(""));
	ck_assert_str_eq(err, "debug level: empty");
	ck_assert(!parse(NULL));
	ck_assert(!parse("phase1++phase2"));
	ck_assert_str_eq(err, "debug level: missing name after '+' in 'phase1++phase2'");
	ck_assert(!parse("phase1-"));
	ck_assert_str_eq(err, "debug level: missing name after '-' in 'phase1-'");
	ck_assert(!parse("0x4000"));
	ck_assert_str_eq(err, "debug level: '0x4000' has bits outside the known groups (0x3fff)");
	ck_assert(!parse("0xffffffffff"));
	ck_assert(!parse("12abc"));
	ck_assert(!parse("codec:hex"));
	ck_assert_str_eq(err, "debug level: 'codec:hex': only ':raw' may follow a group name");
	ck_assert(!parse("verbose:raw"));
	ck_assert(!parse(":raw"));
	ck_assert(!parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	ck_assert(!parse("phase1 + phase2"));
	/* A NULL or zero-sized err buffer is allowed. */
	ck_assert(!debug_level_parse("x", &keep_v, &keep_r, NULL, 0));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("debug_level");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, op_is_nothing_verbose);
	tcase_add_test(tc, verbose_and_all);
	tcase_add_test(tc, solaris_and_own_names);
	tcase_add_test(tc, minus);
	tcase_add_test(tc, raw_suffix);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, errors);
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
