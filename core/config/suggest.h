/*
 * suggest.h - "did you mean ...?" for misspelt keywords and names.
 */
#ifndef IKEV2D_CONFIG_SUGGEST_H
#define IKEV2D_CONFIG_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance between a and b (ASCII, case-insensitive), capped
 * at 'cap' + 1 so long words cost nothing extra. */
size_t edit_distance(const char *a, const char *b, size_t cap);

/* The candidate closest to word, if it is close enough to be a plausible
 * typo (at most 2 edits, or a third of the word's length for long words),
 * else the first candidate the word abbreviates (3 letters or more);
 * NULL otherwise.  candidates is a NULL-terminated array. */
const char *suggest_closest(const char *word, const char *const *candidates);

#endif
