/*
 * locked_mem.h - for tests: the flags the kernel shows for the mapping
 * that holds an address (/proc/self/smaps: VmFlags "lo" = mlocked, "dd" =
 * left out of core dumps) and its Locked: size.
 */
#ifndef IKEV2D_TESTING_LOCKED_MEM_H
#define IKEV2D_TESTING_LOCKED_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	bool found;           /* a mapping holds the address */
	bool locked, dontdump;
	unsigned long locked_kb;
} mem_flags_t;

static inline bool vmflag(const char *line, const char *flag)
{
	for (const char *p = line + strlen("VmFlags:"); (p = strstr(p, flag)); p += 2)
		if (p[-1] == ' ' && (p[2] == ' ' || p[2] == '\n' || p[2] == '\0'))
			return true;
	return false;
}

static inline mem_flags_t mem_flags(const void *addr)
{
	mem_flags_t r = { false, false, false, 0 };
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	uintptr_t a = (uintptr_t)addr;

	if (!f)
		return r;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;   /* past the mapping */
			in = a >= lo && a < hi;
			r.found = r.found || in;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, "Locked:", 7) == 0)
			sscanf(line + 7, "%lu", &r.locked_kb);
		else if (strncmp(line, "VmFlags:", 8) == 0) {
			r.locked = vmflag(line, "lo");
			r.dontdump = vmflag(line, "dd");
		}
	}
	fclose(f);
	return r;
}

#endif
