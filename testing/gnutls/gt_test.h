/*
 * gt_test.h - what the gnutls plugin tests share: loading the plugin
 * through the real loader, capturing log lines, files and hex.
 */
#ifndef IKEV2D_GT_TEST_H
#define IKEV2D_GT_TEST_H

#include <ikev2d/cred.h>

#include <stdbool.h>
#include <stddef.h>

/* Load the named plugins (in this order) through the plugin loader and
 * install a log listener; false if loading failed. */
bool gt_test_load(const char *const *names, int n);
/* Load just "gnutls". */
bool gt_test_load_gnutls(void);
void gt_test_unload(void);

/* Log capture: whether a line containing text was logged since the last
 * gt_test_clear_log(); gt_test_dump_log prints them to stderr. */
bool gt_test_logged(const char *text);
void gt_test_clear_log(void);
void gt_test_dump_log(void);

/* A fresh temporary directory "/tmp/gnutls-<tag>-XXXXXX" (caller frees
 * the string; gt_test_rmdir removes it and everything in it). */
char *gt_test_tmpdir(const char *tag);
void gt_test_rmdir(const char *dir);

/* Run a shell command (with sh -c), return its exit status, -1 if it
 * could not run or was killed.  Output goes to the test log. */
int gt_test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole file into a chunk (chunk_free), chunk_empty on error. */
chunk_t gt_test_read(const char *path);
bool gt_test_write(const char *path, chunk_t data);

/* A fresh temporary directory holding the keys, certificates and CRLs
 * that mkcreds.sh makes with certtool (caller frees the string).  Exits
 * the test program with 77 (skip) if certtool is missing, with 1 if
 * mkcreds.sh fails. */
char *gt_test_make_creds(const char *tag);

/* "$top_srcdir/<rel>" (caller frees). */
char *gt_test_srcpath(const char *rel);

#endif
