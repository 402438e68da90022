/*
 * suggest.c - edit distance and the closest-keyword suggestion used in
 * configuration error messages.
 */
#include "config/suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Words longer than this are not compared: no keyword is that long, and
 * the row buffer stays on the stack. */
#define SUGGEST_MAX_LEN 64

size_t edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[SUGGEST_MAX_LEN + 1];

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best = i;
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			              tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t v = diag + cost;
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb] > cap ? cap + 1 : row[lb];
}

const char *suggest_closest(const char *word, const char *const *candidates)
{
	size_t len = strlen(word);
	size_t limit = len / 3 > 2 ? len / 3 : 2;
	const char *best = NULL;
	size_t best_d = limit + 1;

	if (len == 0)
		return NULL;
	for (const char *const *c = candidates; *c; c++) {
		size_t d = edit_distance(word, *c, limit);
		/* A distance equal to the whole word means no shared letter
		 * worth mentioning ("ab" vs "xy"). */
		if (d < best_d && d < len && d < strlen(*c)) {
			best_d = d;
			best = *c;
		}
	}
	/* Abbreviations: "chacha20" for "chacha20-poly1305". */
	if (!best && len >= 3) {
		for (const char *const *c = candidates; *c; c++) {
			if (strncasecmp(*c, word, len) == 0)
				return *c;
		}
	}
	return best;
}
