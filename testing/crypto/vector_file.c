/*
 * vector_file.c - reader for the .txt files under testing/vectors.
 */
#define _GNU_SOURCE
#include "vector_file.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

vector_file_t *vf_open(const char *rel)
{
	const char *top = getenv("top_srcdir");
	vector_file_t *vf;
	char *path;

	if (asprintf(&path, "%s/testing/vectors/%s", top ? top : "..", rel) < 0)
		return NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		free(path);
		return NULL;
	}
	vf = xzalloc(sizeof(*vf));
	vf->f = f;
	vf->path = path;
	return vf;
}

static void clear_record(vector_file_t *vf)
{
	for (int i = 0; i < vf->n; i++) {
		free(vf->name[i]);
		free(vf->value[i]);
	}
	vf->n = 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		s[--len] = '\0';
	return s;
}

bool vf_next(vector_file_t *vf)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;

	clear_record(vf);
	while (getline(&line, &cap, vf->f) >= 0) {
		lineno++;
		char *t = trim(line);
		if (*t == '#')
			continue;
		if (!*t) {
			if (vf->n)
				break;
			continue;
		}
		char *eq = strstr(t, " =");
		ck_assert_msg(eq, "%s: bad line '%s'", vf->path, t);
		*eq = '\0';
		ck_assert_int_lt(vf->n, VF_MAX_FIELDS);
		vf->name[vf->n] = xstrdup(trim(t));
		vf->value[vf->n] = xstrdup(trim(eq + 2));
		vf->n++;
	}
	free(line);
	vf->line += lineno;
	return vf->n > 0;
}

const char *vf_get(vector_file_t *vf, const char *name)
{
	for (int i = 0; i < vf->n; i++)
		if (strcmp(vf->name[i], name) == 0)
			return vf->value[i];
	return NULL;
}

chunk_t vf_hex(vector_file_t *vf, const char *name)
{
	const char *v = vf_get(vf, name);

	ck_assert_msg(v, "%s: record before line %d has no '%s'", vf->path,
	              vf->line, name);
	if (!*v)
		return chunk_empty;
	chunk_t c = chunk_from_hex(v);
	ck_assert_msg(c.len, "%s: '%s' is not hex", vf->path, name);
	return c;
}

long vf_int(vector_file_t *vf, const char *name)
{
	const char *v = vf_get(vf, name);
	char *end;

	ck_assert_msg(v, "%s: record before line %d has no '%s'", vf->path,
	              vf->line, name);
	long n = strtol(v, &end, 0);
	ck_assert_msg(*v && !*end, "%s: '%s' is not a number", vf->path, name);
	return n;
}

void vf_close(vector_file_t *vf)
{
	if (!vf)
		return;
	clear_record(vf);
	fclose(vf->f);
	free(vf->path);
	free(vf);
}
