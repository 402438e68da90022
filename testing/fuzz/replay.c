/*
 * replay.c - run a fuzz target's LLVMFuzzerTestOneInput over every file of
 * the committed corpus, without libFuzzer (built with the normal compiler
 * in make check; under --enable-sanitizers it runs with ASan/UBSan).
 *
 *   replay_parse [DIR...]   default: $top_srcdir/testing/fuzz/corpus/<target>
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_TARGET
#error FUZZ_TARGET must name the corpus directory
#endif

static int replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open corpus %s\n", dir);
		return -1;
	}
	struct dirent *e;
	int n = 0;
	static uint8_t buf[1 << 20];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		/* a private copy of exactly len bytes, so ASan sees overreads */
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
		n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int total = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			int n = replay_dir(argv[i]);
			if (n < 0)
				return 1;
			total += n;
		}
	} else {
		const char *top = getenv("top_srcdir");
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/testing/fuzz/corpus/%s",
		         top ? top : ".", FUZZ_TARGET);
		total = replay_dir(dir);
		if (total < 0)
			return 1;
	}
	printf("replayed %d inputs through the %s target\n", total, FUZZ_TARGET);
	return total > 0 ? 0 : 1;
}
