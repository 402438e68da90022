/*
 * test_ctl_proto.c - the control socket's framing and request parser
 * (plugins/control/ctl_proto.c): round trips, and every way a frame or
 * request can be malformed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

static uint8_t *encode(uint32_t flags, int argc, char **argv, size_t *len)
{
	uint8_t *b = NULL;
	ck_assert(ctl_request_encode(flags, argc, argv, &b, len));
	return b;
}

START_TEST(round_trip)
{
	char *argv[] = { "get", "ikesa", "10.0.0.1", "10.0.0.2" };
	size_t len;
	uint8_t *b = encode(CTL_F_JSON | CTL_F_PARANOID, 4, argv, &len);
	ctl_hdr_t h;
	ck_assert_ptr_null(ctl_hdr_parse(b, &h, CTL_MAX_REQUEST));
	ck_assert_int_eq(h.type, CTL_REQUEST);
	ck_assert_int_eq(h.length, len - CTL_HDR_LEN);
	ctl_request_t r;
	ck_assert_ptr_null(ctl_request_parse(b + CTL_HDR_LEN, h.length, &r));
	ck_assert_int_eq(r.argc, 4);
	ck_assert_int_eq(r.flags, CTL_F_JSON | CTL_F_PARANOID);
	ck_assert_str_eq(r.argv[2], "10.0.0.1");
	ck_assert_ptr_null(r.argv[4]);
	ctl_request_free(&r);
	free(b);
}
END_TEST

START_TEST(bad_headers)
{
	uint8_t b[CTL_HDR_LEN];
	ctl_hdr_t h;
	ctl_hdr_write(b, CTL_REQUEST, CTL_MAX_REQUEST + 1);
	ck_assert_str_eq(ctl_hdr_parse(b, &h, CTL_MAX_REQUEST), "frame too large");
	ctl_hdr_write(b, CTL_REQUEST, 0xffffffffu);
	ck_assert_ptr_nonnull(ctl_hdr_parse(b, &h, CTL_MAX_REQUEST));
	ctl_hdr_write(b, CTL_REQUEST, 4);
	b[2] = 2;
	ck_assert_str_eq(ctl_hdr_parse(b, &h, CTL_MAX_REQUEST),
	                 "unsupported protocol version");
	ctl_hdr_write(b, CTL_REQUEST, 4);
	b[0] = 'X';
	ck_assert_ptr_nonnull(ctl_hdr_parse(b, &h, CTL_MAX_REQUEST));
}
END_TEST

static const char *parse(const void *body, size_t len)
{
	ctl_request_t r;
	const char *err = ctl_request_parse(body, len, &r);
	if (!err)
		ctl_request_free(&r);
	return err;
}

START_TEST(bad_requests)
{
	ck_assert_str_eq(parse("\0\0\0\0\0", 5), "request too short");
	/* argc 0, argc past the limit */
	ck_assert_str_eq(parse("\0\0\0\0\0\0", 6), "bad argument count");
	ck_assert_str_eq(parse("\0\0\0\0\0\x41" "a", 7), "bad argument count");
	/* unknown flag bit */
	ck_assert_str_eq(parse("\0\0\0\x08\0\x01" "a", 8), "unknown request flags");
	/* argc says 2, one word there; one word not terminated */
	ck_assert_str_eq(parse("\0\0\0\0\0\x02" "get", 10), "argument not terminated");
	ck_assert_str_eq(parse("\0\0\0\0\0\x01" "get", 9), "argument not terminated");
	/* bytes after the last word */
	ck_assert_str_eq(parse("\0\0\0\0\0\x01" "get\0x", 11), "bytes after the last argument");
	/* a control character */
	ck_assert_str_eq(parse("\0\0\0\0\0\x01" "g\x1bt", 10), "control character in an argument");
	/* tab and newline are allowed (add rule { ... } text) */
	ck_assert_ptr_null(parse("\0\0\0\0\0\x01" "a\tb\nc", 12));
}
END_TEST

START_TEST(encode_limits)
{
	char *big = malloc(CTL_MAX_ARG + 2);
	memset(big, 'a', CTL_MAX_ARG + 1);
	big[CTL_MAX_ARG + 1] = '\0';
	char *argv[CTL_MAX_ARGS + 1];
	uint8_t *b;
	size_t len;
	argv[0] = big;
	ck_assert(!ctl_request_encode(0, 1, argv, &b, &len));
	for (int i = 0; i <= CTL_MAX_ARGS; i++)
		argv[i] = "x";
	ck_assert(!ctl_request_encode(0, CTL_MAX_ARGS + 1, argv, &b, &len));
	ck_assert(ctl_request_encode(0, CTL_MAX_ARGS, argv, &b, &len));
	free(b);
	ck_assert(!ctl_request_encode(0, 0, argv, &b, &len));
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_proto");
	TCase *tc = tcase_create("proto");
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, bad_headers);
	tcase_add_test(tc, bad_requests);
	tcase_add_test(tc, encode_limits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
