/*
 * ctl_out.h - a growing text buffer with printf, JSON string and
 * Prometheus label escaping, for the control commands and the metrics.
 */
#ifndef IKEV2D_CTL_OUT_H
#define IKEV2D_CTL_OUT_H

#include <stddef.h>

typedef struct {
	char *p;
	size_t len, cap;
} sbuf_t;

void sb_printf(sbuf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Without printf (a dump of 100,000 SAs formats millions of fields). */
void sb_puts(sbuf_t *b, const char *s);
void sb_u64(sbuf_t *b, unsigned long long v);
/* s as a JSON string, quotes included. */
void sb_json_str(sbuf_t *b, const char *s);
/* s as a Prometheus label value, quotes included. */
void sb_prom_str(sbuf_t *b, const char *s);
void sb_reset(sbuf_t *b);
void sb_free(sbuf_t *b);

#endif
