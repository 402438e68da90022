/*
 * test_loader.c - the plugin loader against the test plugins of
 * testing/plugins: dependency resolution in any order, missing hard and soft
 * needs, wildcards, first provider wins, plugins left with nothing, failing
 * feature callbacks, cycles, critical plugins, the core's own needs, refused
 * modules (ABI, symbols, constructor) and unload order.
 *
 * Every test runs in its own process (Check's fork mode), so loader state
 * does not leak between tests.
 */
#define _GNU_SOURCE  /* asprintf */
#include "lib/plugin_loader.h"

#include <ikev2d/bus.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 256

static char *lines[MAX_LINES];
static int n_lines;

static void capture(bus_listener_t *self, dbg_group_t g, dbg_level_t l, const char *msg)
{
	if (n_lines < MAX_LINES)
		lines[n_lines++] = strdup(msg);
}

static bus_listener_t listener = { .log = capture, .all_levels = true };

static void setup(void)
{
	n_lines = 0;
	bus_add_listener(&listener);
}

static void teardown(void)
{
	plugin_loader_unload();
	bus_remove_listener(&listener);
	for (int i = 0; i < n_lines; i++)
		free(lines[i]);
	n_lines = 0;
}

/* Index of the first captured line containing text, or -1. */
static int find_line(const char *text)
{
	for (int i = 0; i < n_lines; i++)
		if (strstr(lines[i], text))
			return i;
	return -1;
}

static int count_lines(const char *text)
{
	int n = 0;
	for (int i = 0; i < n_lines; i++)
		if (strstr(lines[i], text))
			n++;
	return n;
}

static void dump(void)
{
	for (int i = 0; i < n_lines; i++)
		fprintf(stderr, "  log: %s\n", lines[i]);
}

#define assert_logged(text) do { \
	if (find_line(text) < 0) dump(); \
	ck_assert_msg(find_line(text) >= 0, "expected a log line with: %s", text); \
} while (0)

#define LOAD(...) ({ \
	const char *const names_[] = { __VA_ARGS__ }; \
	plugin_loader_load(names_, sizeof(names_) / sizeof(names_[0]), NULL, 0); \
})

START_TEST(test_dependencies)
{
	ck_assert(LOAD("tp_base", "tp_dep"));
	ck_assert(plugin_feature_loaded("tbase:one"));
	ck_assert(plugin_feature_loaded("tbase:two"));
	ck_assert(plugin_feature_loaded("tdep:x"));
	ck_assert(!plugin_feature_loaded("tdep:y"));
	ck_assert(plugin_feature_loaded("tdep:soft"));
	ck_assert(plugin_feature_loaded("tdep:wild"));
	/* the disabled feature is named once, with the need it lacks */
	assert_logged("feature 'tdep:y' of plugin 'tp_dep' disabled: it needs 'tmissing:z'");
	ck_assert_int_eq(count_lines("'tdep:y'"), 1);
	/* a need is loaded before what needs it */
	ck_assert_int_lt(find_line("tp tp_base load tbase:one"), find_line("tp tp_dep load tdep:x"));
	ck_assert_int_eq(plugin_loader_count(), 2);
	ck_assert_str_eq(plugin_feature_provider("tdep:x"), "tp_dep");
	ck_assert_ptr_null(plugin_feature_provider("tdep:y"));
}
END_TEST

START_TEST(test_order_independent)
{
	/* tp_dep first: its needs come later in the list and still resolve */
	ck_assert(LOAD("tp_dep", "tp_base"));
	ck_assert(plugin_feature_loaded("tdep:x"));
	ck_assert(plugin_feature_loaded("tdep:wild"));
	ck_assert(plugin_feature_loaded("tdep:soft"));
	ck_assert_int_lt(find_line("tp tp_base load tbase:one"), find_line("tp tp_dep load tdep:x"));
	/* a soft need that can load, loads first */
	ck_assert_int_lt(find_line("tp tp_base load tbase:two"), find_line("tp tp_dep load tdep:soft"));
}
END_TEST

START_TEST(test_missing_hard_dependency)
{
	ck_assert(LOAD("tp_dep"));
	ck_assert(!plugin_feature_loaded("tdep:x"));
	ck_assert(!plugin_feature_loaded("tdep:wild"));
	assert_logged("feature 'tdep:x' of plugin 'tp_dep' disabled: it needs 'tbase:one'");
	assert_logged("feature 'tdep:wild' of plugin 'tp_dep' disabled: it needs 'tbase:*'");
	/* missing soft needs do not stop a feature */
	ck_assert(plugin_feature_loaded("tdep:soft"));
	ck_assert(plugin_loader_plugin_loaded("tp_dep"));
	ck_assert_int_eq(find_line("tp tp_dep load tdep:x"), -1);
}
END_TEST

START_TEST(test_wildcard)
{
	ck_assert(LOAD("tp_base", "tp_dep"));
	ck_assert(plugin_feature_loaded("tbase:*"));
	ck_assert(plugin_feature_loaded("tdep:*"));
	ck_assert(!plugin_feature_loaded("tmissing:*"));
	const char *const need_ok[] = { "tbase:*", "tdep:x" };
	ck_assert(plugin_loader_require(need_ok, 2));
}
END_TEST

START_TEST(test_first_provider_wins)
{
	ck_assert(LOAD("tp_base", "tp_dup"));
	ck_assert_str_eq(plugin_feature_provider("tbase:one"), "tp_base");
	/* tp_dup has nothing left: unloaded (and destroyed) */
	assert_logged("plugin 'tp_dup' unloaded");
	assert_logged("tp tp_dup destroy");
	ck_assert(!plugin_loader_plugin_loaded("tp_dup"));
	ck_assert_int_eq(find_line("tp tp_dup load"), -1);
	ck_assert_int_eq(plugin_loader_count(), 1);
}
END_TEST

START_TEST(test_first_provider_wins_reversed)
{
	ck_assert(LOAD("tp_dup", "tp_base"));
	ck_assert_str_eq(plugin_feature_provider("tbase:one"), "tp_dup");
	assert_logged("feature 'tdup:own' of plugin 'tp_dup' disabled: it needs 'tnothing:at-all'");
	ck_assert(plugin_loader_plugin_loaded("tp_dup"));
	/* tp_base keeps tbase:two */
	ck_assert(plugin_loader_plugin_loaded("tp_base"));
	ck_assert_int_eq(find_line("tp tp_base load tbase:one"), -1);
	ck_assert_int_ge(find_line("tp tp_base load tbase:two"), 0);
}
END_TEST

START_TEST(test_failed_provider_passes_on)
{
	/* the first provider refuses: the next one in the list provides it */
	ck_assert(LOAD("tp_dupfail", "tp_base"));
	ck_assert_str_eq(plugin_feature_provider("tbase:one"), "tp_base");
	assert_logged("tp tp_dupfail load tbase:one refused");
	ck_assert_int_lt(find_line("tp tp_dupfail load tbase:one refused"),
	                 find_line("tp tp_base load tbase:one"));
	ck_assert(plugin_loader_plugin_loaded("tp_dupfail"));   /* tdupfail:ok */
}
END_TEST

START_TEST(test_feature_callback_fails)
{
	ck_assert(LOAD("tp_fail"));
	ck_assert(!plugin_feature_loaded("tfail:bad"));
	ck_assert(!plugin_feature_loaded("tfail:dependent"));
	assert_logged("tp tp_fail load tfail:bad refused");
	assert_logged("feature 'tfail:bad' of plugin 'tp_fail' disabled: the plugin could not provide it");
	assert_logged("feature 'tfail:dependent' of plugin 'tp_fail' disabled: it needs 'tfail:bad'");
	assert_logged("plugin 'tp_fail' unloaded");
	ck_assert_int_eq(plugin_loader_count(), 0);
}
END_TEST

START_TEST(test_cycle)
{
	ck_assert(LOAD("tp_cycle"));
	ck_assert(plugin_feature_loaded("tcyc:ok"));
	ck_assert(!plugin_feature_loaded("tcyc:a"));
	ck_assert(!plugin_feature_loaded("tcyc:b"));
	assert_logged("feature 'tcyc:a' of plugin 'tp_cycle' disabled");
	assert_logged("feature 'tcyc:b' of plugin 'tp_cycle' disabled: it needs 'tcyc:a'");
}
END_TEST

START_TEST(test_critical_missing)
{
	const char *const load[] = { "tp_base", "tp_nope" };
	const char *const crit[] = { "tp_nope" };
	ck_assert(!plugin_loader_load(load, 2, crit, 1));
	assert_logged("plugin 'tp_nope' not found");
	assert_logged("critical plugin 'tp_nope' is not loaded");
	/* the others still loaded; the caller decides to stop */
	ck_assert(plugin_loader_plugin_loaded("tp_base"));
}
END_TEST

START_TEST(test_critical_not_listed)
{
	const char *const load[] = { "tp_base" };
	const char *const crit[] = { "tp_dep" };
	ck_assert(!plugin_loader_load(load, 1, crit, 1));
	assert_logged("critical plugin 'tp_dep' is not loaded: it is not in the load list");
}
END_TEST

START_TEST(test_critical_left_empty)
{
	const char *const load[] = { "tp_base", "tp_dup" };
	const char *const crit[] = { "tp_base", "tp_dup" };
	ck_assert(!plugin_loader_load(load, 2, crit, 2));
	assert_logged("critical plugin 'tp_dup' is not loaded (see the messages above)");
	ck_assert_int_eq(find_line("critical plugin 'tp_base'"), -1);
}
END_TEST

START_TEST(test_critical_ok)
{
	const char *const load[] = { "tp_base", "tp_dep" };
	const char *const crit[] = { "tp_base", "tp_dep" };
	ck_assert(plugin_loader_load(load, 2, crit, 2));
}
END_TEST

START_TEST(test_abi_mismatch)
{
	ck_assert(LOAD("tp_badabi", "tp_base"));
	assert_logged("plugin 'tp_badabi'");
	assert_logged("built for ABI 'ikev2d-plugin-abi-0', this daemon has '" IKEV2D_PLUGIN_ABI "'");
	ck_assert(!plugin_loader_plugin_loaded("tp_badabi"));
	ck_assert(plugin_loader_plugin_loaded("tp_base"));
}
END_TEST

START_TEST(test_missing_symbol)
{
	ck_assert(LOAD("tp_nosym"));
	assert_logged("it does not export 'ikev2d_plugin_create'");
	ck_assert_int_eq(plugin_loader_count(), 0);
}
END_TEST

START_TEST(test_constructor_fails)
{
	ck_assert(LOAD("tp_null"));
	assert_logged("plugin 'tp_null' failed to initialise");
	ck_assert_int_eq(plugin_loader_count(), 0);
}
END_TEST

START_TEST(test_bad_names)
{
	ck_assert(LOAD("../plugins/tp_base", "", "tp_base", "tp_base", "/tmp/x"));
	assert_logged("plugin name '../plugins/tp_base' is invalid");
	assert_logged("plugin name '' is invalid");
	assert_logged("plugin name '/tmp/x' is invalid");
	assert_logged("plugin 'tp_base' is listed twice");
	ck_assert_int_eq(count_lines("tp tp_base load tbase:one"), 1);
	ck_assert_int_eq(plugin_loader_count(), 1);
}
END_TEST

START_TEST(test_require)
{
	ck_assert(LOAD("tp_base"));
	const char *const needs[] = { "tbase:one", "kernel-ipsec", "prf:*" };
	ck_assert(!plugin_loader_require(needs, 3));
	assert_logged("no loaded plugin provides 'kernel-ipsec'");
	assert_logged("no loaded plugin provides 'prf:*'");
	ck_assert_int_eq(find_line("provides 'tbase:one'"), -1);
	ck_assert(plugin_loader_require(needs, 1));
}
END_TEST

START_TEST(test_search_path)
{
	const char *path = getenv("IKEV2D_PLUGIN_PATH");
	ck_assert_msg(path != NULL, "IKEV2D_PLUGIN_PATH not set by the test environment");
	char *both;
	ck_assert_int_gt(asprintf(&both, "/nonexistent/dir::%s", path), 0);
	setenv("IKEV2D_PLUGIN_PATH", both, 1);
	ck_assert(LOAD("tp_base"));
	ck_assert(plugin_loader_plugin_loaded("tp_base"));
	plugin_loader_unload();

	setenv("IKEV2D_PLUGIN_PATH", "/nonexistent/dir", 1);
	ck_assert(LOAD("tp_base"));
	assert_logged("plugin 'tp_base' not found (looked for tp_base.la and tp_base.so in /nonexistent/dir)");
	ck_assert_int_eq(plugin_loader_count(), 0);
	setenv("IKEV2D_PLUGIN_PATH", path, 1);
	free(both);
}
END_TEST

START_TEST(test_unload_order)
{
	ck_assert(LOAD("tp_dep", "tp_base"));
	int loads = n_lines;
	plugin_loader_unload();
	/* every load has its unload, in reverse order, then the destroys */
	const char *feats[] = { "tbase:one", "tbase:two", "tdep:x", "tdep:soft", "tdep:wild" };
	for (size_t i = 0; i < 5; i++) {
		char l[64], u[64];
		snprintf(l, sizeof(l), " load %s", feats[i]);
		snprintf(u, sizeof(u), " unload %s", feats[i]);
		ck_assert_int_ge(find_line(l), 0);
		ck_assert_int_ge(find_line(u), loads);
		for (size_t j = 0; j < 5; j++) {
			char l2[64], u2[64];
			snprintf(l2, sizeof(l2), " load %s", feats[j]);
			snprintf(u2, sizeof(u2), " unload %s", feats[j]);
			if (find_line(l) < find_line(l2))
				ck_assert_int_gt(find_line(u), find_line(u2));
		}
	}
	/* plugins destroyed in reverse list order, after all features */
	ck_assert_int_lt(find_line("tp tp_base destroy"), find_line("tp tp_dep destroy"));
	ck_assert_int_gt(find_line("tp tp_base destroy"), find_line("unload tbase:one"));
	ck_assert_int_eq(plugin_loader_count(), 0);
	ck_assert(!plugin_feature_loaded("tbase:one"));
}
END_TEST

static void summary_count(const char *plugin, const char *feature, void *ctx)
{
	(*(int *)ctx)++;
}

START_TEST(test_listing)
{
	ck_assert(LOAD("tp_base", "tp_cycle"));
	char *s = plugin_loader_summary();
	ck_assert_str_eq(s, "tp_base: tbase:one tbase:two; tp_cycle: tcyc:ok");
	free(s);
	int n = 0;
	plugin_loader_foreach(summary_count, &n);
	ck_assert_int_eq(n, 3);
	plugin_loader_log_loaded();
	assert_logged("loaded plugin tp_base: tbase:one tbase:two");
	assert_logged("loaded plugin tp_cycle: tcyc:ok");
}
END_TEST

START_TEST(test_nothing_loaded)
{
	char *s = plugin_loader_summary();
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert(plugin_loader_load(NULL, 0, NULL, 0));
	ck_assert(!plugin_feature_loaded("anything"));
	ck_assert(!plugin_feature_loaded(NULL));
	plugin_loader_log_loaded();
	assert_logged("no plugin loaded");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("loader");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dependencies);
	tcase_add_test(tc, test_order_independent);
	tcase_add_test(tc, test_missing_hard_dependency);
	tcase_add_test(tc, test_wildcard);
	tcase_add_test(tc, test_first_provider_wins);
	tcase_add_test(tc, test_first_provider_wins_reversed);
	tcase_add_test(tc, test_feature_callback_fails);
	tcase_add_test(tc, test_failed_provider_passes_on);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_critical_missing);
	tcase_add_test(tc, test_critical_not_listed);
	tcase_add_test(tc, test_critical_left_empty);
	tcase_add_test(tc, test_critical_ok);
	tcase_add_test(tc, test_abi_mismatch);
	tcase_add_test(tc, test_missing_symbol);
	tcase_add_test(tc, test_constructor_fails);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_require);
	tcase_add_test(tc, test_search_path);
	tcase_add_test(tc, test_unload_order);
	tcase_add_test(tc, test_listing);
	tcase_add_test(tc, test_nothing_loaded);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
