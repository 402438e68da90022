/*
 * vector_file.h - reads the plain-text vector files of testing/vectors:
 * "name = value" lines, records separated by blank lines, '#' comments.
 */
#ifndef TESTING_VECTOR_FILE_H
#define TESTING_VECTOR_FILE_H

#include <stdbool.h>
#include <stdio.h>

#include <ikev2d/chunk.h>

#define VF_MAX_FIELDS 32

typedef struct {
	FILE *f;
	char *path;
	int line;                      /* line number of the record's start */
	int n;
	char *name[VF_MAX_FIELDS];
	char *value[VF_MAX_FIELDS];
} vector_file_t;

/* Open testing/vectors/<rel> under $top_srcdir; NULL (and a message) if
 * it cannot be opened. */
vector_file_t *vf_open(const char *rel);
/* Read the next record; false at end of file. */
bool vf_next(vector_file_t *vf);
/* The value of a field of the current record, or NULL. */
const char *vf_get(vector_file_t *vf, const char *name);
/* A field as bytes (empty chunk for an empty value); the field must exist
 * (the test fails otherwise).  Caller frees. */
chunk_t vf_hex(vector_file_t *vf, const char *name);
/* A field as a number; the field must exist. */
long vf_int(vector_file_t *vf, const char *name);
void vf_close(vector_file_t *vf);

#endif
