/*
 * fuzz_ctl.c - libFuzzer target for the control socket's framing and
 * request parser (plugins/control/ctl_proto.c): the input is a byte
 * stream as a client would send it, cut into frames the way the server
 * does (header, then a body of the length it names, bounded), each body
 * parsed as a request.  A parsed request is encoded again and must parse
 * to the same words.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (size - off >= CTL_HDR_LEN) {
		ctl_hdr_t h;
		if (ctl_hdr_parse(data + off, &h, CTL_MAX_REQUEST))
			return 0;        /* the server closes here */
		off += CTL_HDR_LEN;
		if (h.length > size - off)
			return 0;        /* truncated: waits, then times out */
		uint8_t *body = malloc(h.length ? h.length : 1);
		memcpy(body, data + off, h.length);   /* exact size for ASan */
		off += h.length;
		ctl_request_t r;
		if (!ctl_request_parse(body, h.length, &r)) {
			uint8_t *enc;
			size_t enc_len;
			if (!ctl_request_encode(r.flags, r.argc, r.argv, &enc, &enc_len))
				abort();
			ctl_request_t r2;
			if (ctl_request_parse(enc + CTL_HDR_LEN, enc_len - CTL_HDR_LEN, &r2))
				abort();
			if (r2.argc != r.argc || r2.flags != r.flags)
				abort();
			for (int i = 0; i < r.argc; i++)
				if (strcmp(r.argv[i], r2.argv[i]))
					abort();
			ctl_request_free(&r2);
			free(enc);
			ctl_request_free(&r);
		}
		free(body);
	}
	return 0;
}
