/*
 * prf_plus.c - prf+ of RFC 7296 §2.13:
 *
 *     prf+ (K,S) = T1 | T2 | T3 | ...
 *     T1 = prf (K, S | 0x01),  Tn = prf (K, Tn-1 | S | n)
 *
 * The counter is one octet, so at most 255 blocks can be produced.
 */
#include <ikev2d/crypto.h>

bool prf_plus(prf_t *prf, chunk_t seed, chunk_t out)
{
	size_t bs, blocks, done = 0;
	bool ok = true;

	if (!prf || (out.len && !out.ptr) || (seed.len && !seed.ptr))
		return false;
	if (!out.len)
		return true;
	bs = prf->get_block_size(prf);
	if (!bs)
		return false;
	blocks = (out.len + bs - 1) / bs;
	if (blocks > 255)
		return false;

	/* Input buffer Tn-1 | S | n; T0 is empty, so the first input starts
	 * bs bytes in.  Every block is written to 'block' (the previous T). */
	chunk_t buf = chunk_alloc_secure(bs + seed.len + 1);   /* key stream */
	uint8_t *block = buf.ptr;
	uint8_t *input = buf.ptr + bs;
	size_t input_len = seed.len + 1;

	if (seed.len)
		memcpy(buf.ptr + bs, seed.ptr, seed.len);
	for (size_t n = 1; n <= blocks; n++) {
		buf.ptr[bs + seed.len] = (uint8_t)n;
		if (!prf->get_bytes(prf, chunk_create(input, input_len), block)) {
			ok = false;
			break;
		}
		size_t take = out.len - done < bs ? out.len - done : bs;
		memcpy(out.ptr + done, block, take);
		done += take;
		input = buf.ptr;
		input_len = buf.len;
	}
	chunk_clear(&buf);
	if (!ok)
		memwipe(out.ptr, out.len);
	return ok;
}
