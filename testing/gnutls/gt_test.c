/*
 * gt_test.c - helpers of the gnutls plugin tests (see gt_test.h).
 */
#define _GNU_SOURCE  /* vasprintf */
#include "gt_test.h"

#include "lib/plugin_loader.h"

#include <ikev2d/bus.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_LINES 1024

static char *lines[MAX_LINES];
static int n_lines;

/* Log lines also come from fetch threads (async revocation fetches). */
static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;

static void capture(bus_listener_t *self, dbg_group_t g, dbg_level_t l,
                    const char *msg)
{
	pthread_mutex_lock(&lines_lock);
	if (n_lines < MAX_LINES)
		lines[n_lines++] = strdup(msg);
	pthread_mutex_unlock(&lines_lock);
}

static bus_listener_t listener = { .log = capture, .all_levels = true };
static bool listening;

bool gt_test_load(const char *const *names, int n)
{
	if (!listening) {
		bus_add_listener(&listener);
		listening = true;
	}
	return plugin_loader_load(names, n, names, n);
}

bool gt_test_load_gnutls(void)
{
	static const char *const names[] = { "gnutls" };

	return gt_test_load(names, 1);
}

void gt_test_unload(void)
{
	plugin_loader_unload();
	gt_test_clear_log();
	if (listening) {
		bus_remove_listener(&listener);
		listening = false;
	}
}

bool gt_test_logged(const char *text)
{
	bool found = false;

	pthread_mutex_lock(&lines_lock);
	for (int i = 0; i < n_lines && !found; i++)
		found = strstr(lines[i], text) != NULL;
	pthread_mutex_unlock(&lines_lock);
	return found;
}

void gt_test_clear_log(void)
{
	pthread_mutex_lock(&lines_lock);
	for (int i = 0; i < n_lines; i++)
		free(lines[i]);
	n_lines = 0;
	pthread_mutex_unlock(&lines_lock);
}

void gt_test_dump_log(void)
{
	pthread_mutex_lock(&lines_lock);
	for (int i = 0; i < n_lines; i++)
		fprintf(stderr, "  log: %s\n", lines[i]);
	pthread_mutex_unlock(&lines_lock);
}

char *gt_test_tmpdir(const char *tag)
{
	char *dir;

	if (asprintf(&dir, "/tmp/gnutls-%s-XXXXXX", tag) < 0)
		abort();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
	return dir;
}

void gt_test_rmdir(const char *dir)
{
	if (dir && strncmp(dir, "/tmp/gnutls-", 12) == 0)
		gt_test_sh("rm -rf '%s'", dir);
}

int gt_test_sh(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	rc = system(cmd);
	free(cmd);
	if (rc == -1 || !WIFEXITED(rc))
		return -1;
	return WEXITSTATUS(rc);
}

chunk_t gt_test_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	chunk_t c = chunk_empty;
	long len;

	if (!f)
		return c;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		c = chunk_alloc((size_t)len);
		if (fread(c.ptr, 1, c.len, f) != c.len)
			chunk_free(&c);
	}
	fclose(f);
	return c;
}

bool gt_test_write(const char *path, chunk_t data)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = data.len == 0 || fwrite(data.ptr, 1, data.len, f) == data.len;
	return fclose(f) == 0 && ok;
}

char *gt_test_srcpath(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char *p;

	if (asprintf(&p, "%s/%s", top ? top : ".", rel) < 0)
		abort();
	return p;
}

char *gt_test_make_creds(const char *tag)
{
	char *dir, *script;
	int rc;

	if (gt_test_sh("command -v certtool >/dev/null") != 0) {
		printf("SKIP: certtool (Debian gnutls-bin) is not installed\n");
		exit(77);
	}
	dir = gt_test_tmpdir(tag);
	script = gt_test_srcpath("testing/gnutls/mkcreds.sh");
	rc = gt_test_sh("sh '%s' '%s'", script, dir);
	free(script);
	if (rc != 0) {
		fprintf(stderr, "mkcreds.sh failed (%d), see %s/certtool.log\n",
		        rc, dir);
		exit(1);
	}
	return dir;
}
