/*
 * test_privsep.c - the privsep message codec (core/kernel/privsep_msg.c)
 * and the parent's checks (core/kernel/privsep_guard.c): round trips of
 * every request, every kind of malformed message, and the guard's verdicts
 * against a configuration loaded from a file, as the parent loads it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ikev2d/transform.h>
#include "config/config.h"
#include "kernel/privsep_guard.h"
#include "kernel/privsep_msg.h"

static uint8_t buf[PSM_MSG_MAX + 1];
static char why[256];

static void v4(struct sockaddr_storage *ss, const char *ip)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void ts4(kernel_ts_t *ts, const char *from, const char *to)
{
	memset(ts, 0, sizeof(*ts));
	ts->family = AF_INET;
	inet_pton(AF_INET, from, ts->from);
	inet_pton(AF_INET, to, ts->to);
	ts->port_to = 65535;
}

static bool decode(size_t n, psm_msg_t *m)
{
	return psm_decode(buf, n, false, m, why, sizeof(why));
}

static void gcm_sa(psm_sa_t *s, const char *src, const char *dst, kernel_dir_t dir,
                   uint32_t spi)
{
	memset(s, 0, sizeof(*s));
	v4(&s->src, src);
	v4(&s->id.dst, dst);
	s->id.spi = spi;
	s->id.protocol = KERNEL_PROTO_ESP;
	s->dir = dir;
	s->mode = KERNEL_MODE_TUNNEL;
	s->encr_alg = ENCR_AES_GCM_16;
	s->encr_keylen_bits = 128;
	s->encr_salt_len = 4;
	s->icv_bits = 128;
	s->encr_key_len = 20;
}

START_TEST(round_trip)
{
	psm_msg_t m;
	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	/* junk past the address must not survive decoding */
	((uint8_t *)&q.src)[100] = 0x77;
	q.protocol = KERNEL_PROTO_ESP;
	q.reqid = 7;
	size_t n = psm_encode(buf, sizeof(buf), PSM_GET_SPI, 99, &q, sizeof(q), NULL, 0);
	ck_assert_uint_eq(n, sizeof(psm_hdr_t) + sizeof(q));
	ck_assert(decode(n, &m));
	ck_assert_uint_eq(m.hdr.seq, 99);
	ck_assert_uint_eq(m.u.get_spi.reqid, 7);
	ck_assert_uint_eq(((uint8_t *)&m.u.get_spi.src)[100], 0);

	kernel_sa_t sa, back;
	uint8_t ek[20], ik[32];
	memset(&sa, 0, sizeof(sa));
	memset(ek, 1, sizeof(ek));
	memset(ik, 2, sizeof(ik));
	v4(&sa.src, "10.0.0.1");
	v4(&sa.id.dst, "10.0.0.2");
	sa.id.spi = 0x1234;
	sa.id.protocol = KERNEL_PROTO_ESP;
	sa.encr_key = chunk_create(ek, sizeof(ek));
	sa.integ_key = chunk_create(ik, sizeof(ik));
	sa.esn = true;
	psm_sa_t p;
	ck_assert(psm_sa_from_kernel(&p, &sa));
	n = psm_encode(buf, sizeof(buf), PSM_ADD_SA, 1, &p, sizeof(p), NULL, 0);
	ck_assert(decode(n, &m));
	psm_sa_to_kernel(&back, &m.u.sa);
	ck_assert_uint_eq(back.id.spi, 0x1234);
	ck_assert(back.esn);
	ck_assert_uint_eq(back.encr_key.len, 20);
	ck_assert_mem_eq(back.integ_key.ptr, ik, 32);

	/* a key longer than the message carries is not encoded */
	uint8_t big[PSM_KEY_MAX + 1];
	sa.encr_key = chunk_create(big, sizeof(big));
	ck_assert(!psm_sa_from_kernel(&p, &sa));

	n = psm_encode(buf, sizeof(buf), PSM_FLUSH, 3, NULL, 0, NULL, 0);
	ck_assert(decode(n, &m));
	ck_assert_uint_eq(m.hdr.type, PSM_FLUSH);

	uint8_t esp[40] = { 0 };
	psm_esp_t e;
	memset(&e, 0, sizeof(e));
	v4(&e.from, "10.0.0.2");
	v4(&e.to, "10.0.0.1");
	e.esp_len = sizeof(esp);
	n = psm_encode(buf, sizeof(buf), PSM_ESP, 0, &e, sizeof(e), esp, sizeof(esp));
	ck_assert(decode(n, &m));
	ck_assert_uint_eq(m.var_len, sizeof(esp));

	/* an ACQUIRE for someone else's policy: template mode, endpoints
	 * and the flag come through; a flag byte other than 0/1, a bad
	 * mode or template family does not decode */
	kernel_event_t ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = KERNEL_EV_ACQUIRE;
	ev.acquire.foreign = true;
	ev.acquire.reqid = 4343;
	ev.acquire.mode = KERNEL_MODE_TUNNEL;
	v4(&ev.acquire.tmpl_src, "10.0.0.1");
	v4(&ev.acquire.tmpl_dst, "10.0.0.2");
	ts4(&ev.acquire.src_ts, "10.1.7.0", "10.1.7.255");
	ts4(&ev.acquire.dst_ts, "10.2.7.0", "10.2.7.255");
	n = psm_encode(buf, sizeof(buf), PSM_EVENT, 0, &ev, sizeof(ev), NULL, 0);
	ck_assert_msg(decode(n, &m), "%s", why);
	ck_assert(m.u.event.acquire.foreign);
	ck_assert_uint_eq(m.u.event.acquire.reqid, 4343);
	ck_assert_int_eq(m.u.event.acquire.tmpl_dst.ss_family, AF_INET);
	kernel_event_t bad = ev;
	memset(&bad.acquire.foreign, 2, 1);
	n = psm_encode(buf, sizeof(buf), PSM_EVENT, 0, &bad, sizeof(bad), NULL, 0);
	ck_assert(!decode(n, &m));
	bad = ev;
	bad.acquire.mode = (kernel_mode_t)7;
	n = psm_encode(buf, sizeof(buf), PSM_EVENT, 0, &bad, sizeof(bad), NULL, 0);
	ck_assert(!decode(n, &m));
	bad = ev;
	bad.acquire.tmpl_src.ss_family = AF_UNIX;
	n = psm_encode(buf, sizeof(buf), PSM_EVENT, 0, &bad, sizeof(bad), NULL, 0);
	ck_assert(!decode(n, &m));
}
END_TEST

START_TEST(malformed)
{
	psm_msg_t m;
	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	q.protocol = KERNEL_PROTO_ESP;
	size_t n = psm_encode(buf, sizeof(buf), PSM_GET_SPI, 1, &q, sizeof(q), NULL, 0);

	/* shorter than a header */
	ck_assert(!decode(10, &m));
	ck_assert_ptr_nonnull(strstr(why, "truncated"));
	/* fewer bytes than the header says */
	ck_assert(!decode(n - 1, &m));
	ck_assert_ptr_nonnull(strstr(why, "received"));
	/* an oversized datagram */
	ck_assert(!psm_decode(buf, n, true, &m, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "oversized"));
	/* the header's length agrees but not with the type */
	psm_hdr_t h = { .type = PSM_ADD_SA, .len = (uint32_t)n, .seq = 1 };
	memcpy(buf, &h, sizeof(h));
	ck_assert(!decode(n, &m));
	ck_assert_ptr_nonnull(strstr(why, "expected"));
	/* unknown type */
	h.type = 200;
	memcpy(buf, &h, sizeof(h));
	ck_assert(!decode(n, &m));
	ck_assert_ptr_nonnull(strstr(why, "unknown type"));
	/* reserved bits */
	h.type = PSM_GET_SPI;
	h.reserved = 1;
	memcpy(buf, &h, sizeof(h));
	ck_assert(!decode(n, &m));
	/* a family other than IPv4/IPv6 */
	q.src.ss_family = AF_UNIX;
	n = psm_encode(buf, sizeof(buf), PSM_GET_SPI, 1, &q, sizeof(q), NULL, 0);
	ck_assert(!decode(n, &m));
	/* an SA key length past the inline buffer */
	psm_sa_t s;
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x1000);
	s.encr_key_len = PSM_KEY_MAX + 1;
	n = psm_encode(buf, sizeof(buf), PSM_ADD_SA, 1, &s, sizeof(s), NULL, 0);
	ck_assert(!decode(n, &m));
	/* a policy action out of range */
	kernel_policy_t p;
	memset(&p, 0, sizeof(p));
	ts4(&p.src_ts, "10.1.0.0", "10.1.0.255");
	ts4(&p.dst_ts, "10.2.0.0", "10.2.0.255");
	p.action = 7;
	n = psm_encode(buf, sizeof(buf), PSM_ADD_POLICY, 1, &p, sizeof(p), NULL, 0);
	ck_assert(!decode(n, &m));
	/* a selector whose range runs backwards */
	p.action = KERNEL_POLICY_PROTECT;
	ts4(&p.src_ts, "10.1.0.9", "10.1.0.1");
	n = psm_encode(buf, sizeof(buf), PSM_ADD_POLICY, 1, &p, sizeof(p), NULL, 0);
	ck_assert(!decode(n, &m));
	/* reload parts that do not add up, and a NUL inside */
	psm_reload_t r = { .path_len = 3, .text_len = 5 };
	n = psm_encode(buf, sizeof(buf), PSM_RELOAD, 1, &r, sizeof(r), "abcdefg", 7);
	ck_assert(!decode(n, &m));
	n = psm_encode(buf, sizeof(buf), PSM_RELOAD, 1, &r, sizeof(r), "abc\0efgh", 8);
	ck_assert(!decode(n, &m));
	n = psm_encode(buf, sizeof(buf), PSM_RELOAD, 1, &r, sizeof(r), "abcdefgh", 8);
	ck_assert(decode(n, &m));
	/* ikeadm read's paths: absolute, adding up, no NUL; its answer */
	psm_read_t rd = { .path_len = 6, .psk_path_len = 4 };
	n = psm_encode(buf, sizeof(buf), PSM_READ, 7, &rd, sizeof(rd), "/a.cfg/psk", 10);
	ck_assert(decode(n, &m));
	ck_assert_int_eq(m.hdr.seq, 7);
	ck_assert_int_eq(m.var_len, 10);
	n = psm_encode(buf, sizeof(buf), PSM_READ, 7, &rd, sizeof(rd), "/a.cfgrel/", 10);
	ck_assert(!decode(n, &m));                     /* relative preshared path */
	n = psm_encode(buf, sizeof(buf), PSM_READ, 7, &rd, sizeof(rd), "/a.cfg/ps", 9);
	ck_assert(!decode(n, &m));                     /* lengths do not add up */
	n = psm_encode(buf, sizeof(buf), PSM_READ, 7, &rd, sizeof(rd), "/a\0cfg/psk", 10);
	ck_assert(!decode(n, &m));
	psm_read_t none = { 0, 0 };
	n = psm_encode(buf, sizeof(buf), PSM_READ, 8, &none, sizeof(none), NULL, 0);
	ck_assert(decode(n, &m));                      /* the daemon's own files */
	psm_read_done_t dn = { .ok = 0, .msg_len = 5 };
	n = psm_encode(buf, sizeof(buf), PSM_READ_DONE, 7, &dn, sizeof(dn), "nope!", 5);
	ck_assert(decode(n, &m));
	dn.ok = 2;
	n = psm_encode(buf, sizeof(buf), PSM_READ_DONE, 7, &dn, sizeof(dn), "nope!", 5);
	ck_assert(!decode(n, &m));
	dn = (psm_read_done_t){ .ok = 0, .msg_len = PSM_READ_MSG_MAX + 1 };
	static char longmsg[PSM_READ_MSG_MAX + 1];
	memset(longmsg, 'x', sizeof(longmsg));
	n = psm_encode(buf, sizeof(buf), PSM_READ_DONE, 7, &dn, sizeof(dn), longmsg, sizeof(longmsg));
	ck_assert(!decode(n, &m));
	/* an ESP length that disagrees with the datagram */
	psm_esp_t e;
	memset(&e, 0, sizeof(e));
	v4(&e.from, "10.0.0.2");
	v4(&e.to, "10.0.0.1");
	e.esp_len = 100;
	n = psm_encode(buf, sizeof(buf), PSM_ESP, 0, &e, sizeof(e), "xy", 2);
	ck_assert(!decode(n, &m));
	/* the environment of the engine */
	psm_env_t env;
	ck_assert(psm_env_parse("3,4,5,6,7,-1,-1,1,0", &env));
	ck_assert_int_eq(env.kernel, 4);
	ck_assert(env.encap && !env.esp);
	ck_assert(!psm_env_parse("3,4,5", &env));
	ck_assert(!psm_env_parse("3,4,5,6,7,8,9,1,0x", &env));
	ck_assert(!psm_env_parse(NULL, &env));
}
END_TEST

/* ------------------------------------------------------------ guard */

static config_t *load_cfg_with(const char *child_extra)
{
	char dir[] = "/tmp/test_privsep.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256], psk[256];
	snprintf(path, sizeof(path), "%s/ikev2.config", dir);
	snprintf(psk, sizeof(psk), "%s/ikev2.preshared", dir);
	FILE *f = fopen(path, "w");
	fprintf(f,
	        "daemon = { preshared_file = \"%s\"; };\n"
	        "plugins = { load = [ \"nettle\" ]; };\n"
	        "rules = ( { label = \"r\"; auth_method = \"preshared\";\n"
	        "  local_addr = \"10.0.0.1\"; remote_addr = \"10.0.0.2\";\n"
	        "  local_id = { type = \"fqdn\"; value = \"a.test\"; };\n"
	        "  remote_id = { type = \"fqdn\"; value = \"b.test\"; };\n"
	        "  ikesa_xform = ( { encr_alg = \"aes\"; encr_keylen = 128; auth_alg = \"sha256\"; dh_group = 19; } );\n"
	        "  childsa = ( { local_ts = \"10.1.0.0/24\"; remote_ts = \"10.2.0.0/24\";\n"
	        "    esp_xform = ( { encr_alg = \"aes-gcm\"; encr_keylen = 128; } ); %s } ); } );\n",
	        psk, child_extra);
	fclose(f);
	f = fopen(psk, "w");
	fprintf(f, "keys = ( { label = \"r\"; key = \"0123456789abcdef0123\"; } );\n");
	fclose(f);
	chmod(path, 0600);
	chmod(psk, 0600);
	int errs = 0;
	config_t *cfg = config_load(path, &errs);
	ck_assert_msg(cfg != NULL, "test configuration does not load (%d errors)", errs);
	unlink(path);
	unlink(psk);
	rmdir(dir);
	return cfg;
}

static config_t *load_cfg(void)
{
	return load_cfg_with("");
}

static bool check(psg_t *g, uint16_t type, const void *body, size_t len)
{
	psm_msg_t m;
	size_t n = psm_encode(buf, sizeof(buf), type, 1, body, len, NULL, 0);
	ck_assert_msg(decode(n, &m), "does not decode: %s", why);
	return psg_check(g, &m, why, sizeof(why));
}

static void done(psg_t *g, uint16_t type, const void *body, size_t len, uint32_t spi)
{
	psm_msg_t m;
	size_t n = psm_encode(buf, sizeof(buf), type, 1, body, len, NULL, 0);
	ck_assert(decode(n, &m));
	psg_done(g, &m, true, spi);
}

START_TEST(guard)
{
	config_t *cfg = load_cfg();
	psg_t *g = psg_create();
	psg_set_config(g, cfg);
	config_unref(cfg);

	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	q.protocol = KERNEL_PROTO_ESP;
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	ck_assert(check(g, PSM_GET_SPI, &q, sizeof(q)));
	done(g, PSM_GET_SPI, &q, sizeof(q), 0x5000);
	v4(&q.src, "10.9.9.9");
	ck_assert(!check(g, PSM_GET_SPI, &q, sizeof(q)));

	psm_sa_t s;
	/* inbound with the allocated SPI: yes; with another: no */
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x5000);
	ck_assert_msg(check(g, PSM_ADD_SA, &s, sizeof(s)), "%s", why);
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x5001);
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	ck_assert_ptr_nonnull(strstr(why, "not allocated"));
	/* outbound to the rule's peer: yes; elsewhere: no */
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x6000);
	ck_assert(check(g, PSM_ADD_SA, &s, sizeof(s)));
	done(g, PSM_ADD_SA, &s, sizeof(s), 0);
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));    /* twice */
	gcm_sa(&s, "10.0.0.1", "192.0.2.1", KERNEL_DIR_OUT, 0x6001);
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	ck_assert_ptr_nonnull(strstr(why, "outer addresses"));
	/* an algorithm the proposals do not have, or the wrong key length */
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x6002);
	s.encr_keylen_bits = 256;
	s.encr_key_len = 36;
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x6002);
	s.encr_key_len = 16;
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x6002);
	s.icv_bits = 64;
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));

	/* query/del only what was installed */
	kernel_sa_id_t id = s.id;
	id.spi = 0x6000;
	ck_assert(check(g, PSM_QUERY_SA, &id, sizeof(id)));
	ck_assert(check(g, PSM_DEL_SA, &id, sizeof(id)));
	done(g, PSM_DEL_SA, &id, sizeof(id), 0);
	ck_assert(!check(g, PSM_DEL_SA, &id, sizeof(id)));

	/* policies: inside the selectors yes, wider or bypass/drop no */
	kernel_policy_t p;
	memset(&p, 0, sizeof(p));
	p.dir = KERNEL_DIR_OUT;
	p.mode = KERNEL_MODE_TUNNEL;
	v4(&p.sa_src, "10.0.0.1");
	v4(&p.sa_dst, "10.0.0.2");
	ts4(&p.src_ts, "10.1.0.0", "10.1.0.255");
	ts4(&p.dst_ts, "10.2.0.5", "10.2.0.5");
	ck_assert_msg(check(g, PSM_ADD_POLICY, &p, sizeof(p)), "%s", why);
	ck_assert(!check(g, PSM_DEL_POLICY, &p, sizeof(p)));
	done(g, PSM_ADD_POLICY, &p, sizeof(p), 0);
	ck_assert(check(g, PSM_DEL_POLICY, &p, sizeof(p)));
	p.dir = KERNEL_DIR_IN;   /* the same selectors inbound are reversed */
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	p.dir = KERNEL_DIR_OUT;
	ts4(&p.dst_ts, "10.2.0.0", "10.2.1.0");
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	ts4(&p.dst_ts, "10.2.0.5", "10.2.0.5");
	p.action = KERNEL_POLICY_PASS;
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	p.action = KERNEL_POLICY_DROP;
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	p.action = KERNEL_POLICY_PROTECT;
	v4(&p.sa_dst, "192.0.2.1");
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));

	/* an SPD look-up: only for a childsa entry with
	 * require_kernel_policy, and selectors inside it */
	kernel_policy_t w;
	memset(&w, 0, sizeof(w));
	w.dir = KERNEL_DIR_OUT;
	w.mode = KERNEL_MODE_TUNNEL;
	ts4(&w.src_ts, "10.1.0.0", "10.1.0.255");
	ts4(&w.dst_ts, "10.2.0.5", "10.2.0.5");
	ck_assert(!check(g, PSM_MATCH_POLICY, &w, sizeof(w)));
	ck_assert_ptr_nonnull(strstr(why, "require_kernel_policy"));
	cfg->rules[0].child[0].require_kernel_policy = true;   /* g holds cfg */
	ck_assert_msg(check(g, PSM_MATCH_POLICY, &w, sizeof(w)), "%s", why);
	ts4(&w.dst_ts, "10.2.0.0", "10.2.1.0");
	ck_assert(!check(g, PSM_MATCH_POLICY, &w, sizeof(w)));

	/* flush only at shutdown */
	ck_assert(!check(g, PSM_FLUSH, NULL, 0));
	psg_set_shutdown(g, true);
	ck_assert(check(g, PSM_FLUSH, NULL, 0));
	/* a reply is not a request */
	psm_reply_t r = { .ok = 1 };
	ck_assert(!check(g, PSM_REPLY, &r, sizeof(r)));
	psg_destroy(g);
}
END_TEST

/* The policies of a CHILD SA made for an administrator's policy (outside
 * the childsa's selectors): allowed only while the kernel holds such a
 * policy, not the backend's, with the request's mode, endpoints and reqid;
 * asked once per request, again for each one. */
static struct {
	bool present;              /* the administrator's policy is there */
	int calls;
	kernel_policy_t last;
} spd;

static bool fake_spd(const kernel_policy_t *want, uint32_t *reqid)
{
	kernel_ts_t s, d;
	struct sockaddr_storage a, b;
	spd.calls++;
	spd.last = *want;
	ts4(&s, "10.1.7.0", "10.1.7.255");
	ts4(&d, "10.2.7.0", "10.2.7.255");
	v4(&a, "10.0.0.1");
	v4(&b, "10.0.0.2");
	if (!spd.present || want->dir != KERNEL_DIR_OUT || want->mode != KERNEL_MODE_TUNNEL ||
	    want->mark.value || want->mark.mask ||
	    memcmp(s.from, want->src_ts.from, 4) > 0 || memcmp(want->src_ts.to, s.to, 4) > 0 ||
	    memcmp(d.from, want->dst_ts.from, 4) > 0 || memcmp(want->dst_ts.to, d.to, 4) > 0 ||
	    !kernel_tmpl_addr_ok(&want->sa_src, AF_INET, &((struct sockaddr_in *)&a)->sin_addr) ||
	    !kernel_tmpl_addr_ok(&want->sa_dst, AF_INET, &((struct sockaddr_in *)&b)->sin_addr))
		return false;
	*reqid = 4343;
	return true;
}

START_TEST(guard_admin_policy)
{
	config_t *cfg = load_cfg(), *older = load_cfg();
	psg_t *g = psg_create();
	psg_set_config(g, older);      /* two configurations in force */
	psg_set_config(g, cfg);
	config_unref(cfg);
	config_unref(older);
	memset(&spd, 0, sizeof(spd));
	spd.present = true;

	kernel_policy_t p;
	memset(&p, 0, sizeof(p));
	p.dir = KERNEL_DIR_OUT;
	p.mode = KERNEL_MODE_TUNNEL;
	p.reqid = 4343;
	v4(&p.sa_src, "10.0.0.1");
	v4(&p.sa_dst, "10.0.0.2");
	ts4(&p.src_ts, "10.1.7.0", "10.1.7.255");
	ts4(&p.dst_ts, "10.2.7.0", "10.2.7.255");
	/* no look-up set: outside the selectors is refused */
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	ck_assert_ptr_nonnull(strstr(why, "no rule allows"));
	psg_set_spd(g, fake_spd);
	ck_assert_msg(check(g, PSM_ADD_POLICY, &p, sizeof(p)), "%s", why);
	ck_assert_int_eq(spd.calls, 1);             /* once for both configs */
	done(g, PSM_ADD_POLICY, &p, sizeof(p), 0);
	ck_assert(check(g, PSM_DEL_POLICY, &p, sizeof(p)));
	/* inbound and forward: the same question, local -> remote */
	kernel_policy_t in = p;
	in.dir = KERNEL_DIR_IN;
	in.src_ts = p.dst_ts;
	in.dst_ts = p.src_ts;
	in.sa_src = p.sa_dst;
	in.sa_dst = p.sa_src;
	ck_assert_msg(check(g, PSM_ADD_POLICY, &in, sizeof(in)), "%s", why);
	ck_assert_int_eq(spd.calls, 2);
	ck_assert_int_eq(spd.last.dir, KERNEL_DIR_OUT);
	ck_assert_mem_eq(spd.last.src_ts.from, p.src_ts.from, 4);
	ck_assert_mem_eq(&spd.last.sa_dst, &p.sa_dst, sizeof(p.sa_dst));
	in.dir = KERNEL_DIR_FWD;
	ck_assert_msg(check(g, PSM_ADD_POLICY, &in, sizeof(in)), "%s", why);
	/* the packet's selectors, inside the administrator's */
	kernel_policy_t pkt = p;
	ts4(&pkt.src_ts, "10.1.7.1", "10.1.7.1");
	ts4(&pkt.dst_ts, "10.2.7.1", "10.2.7.1");
	ck_assert_msg(check(g, PSM_ADD_POLICY, &pkt, sizeof(pkt)), "%s", why);

	/* forged: another reqid, wider, other endpoints, none, other mode,
	 * a mark the childsa does not give */
	int calls = spd.calls;
	kernel_policy_t f = p;
	f.reqid = 4344;
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	ck_assert_msg(strstr(why, "reqid 4343, not 4344") != NULL, "%s", why);
	f = p;
	ts4(&f.dst_ts, "10.2.0.0", "10.2.255.255");
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	ck_assert_msg(strstr(why, "no administrator's policy justifies") != NULL, "%s", why);
	f = p;
	v4(&f.sa_dst, "10.0.0.9");
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));   /* not the rule's */
	f = p;
	memset(&f.sa_src, 0, sizeof(f.sa_src));
	memset(&f.sa_dst, 0, sizeof(f.sa_dst));
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	f = p;
	f.mode = KERNEL_MODE_TRANSPORT;
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	f = p;
	f.mark.value = f.mark.mask = 5;
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	f = p;
	f.action = KERNEL_POLICY_PASS;
	ck_assert(!check(g, PSM_ADD_POLICY, &f, sizeof(f)));
	/* only the reqid and the wider one got as far as the kernel */
	ck_assert_int_eq(spd.calls, calls + 2);

	/* the administrator removes the policy: nothing more is allowed,
	 * though the engine's copy is still installed */
	spd.present = false;
	ck_assert(!check(g, PSM_ADD_POLICY, &pkt, sizeof(pkt)));
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	ck_assert(check(g, PSM_DEL_POLICY, &p, sizeof(p)));   /* it was installed */
	psg_destroy(g);
}
END_TEST

/* Marks and interface IDs: an SA or policy must carry exactly its
 * direction's (mark_in/if_id_in for in and fwd, _out for out). */
START_TEST(guard_marks)
{
	config_t *cfg = load_cfg_with("mark_in = \"0x10/0xf0\"; mark_out = 0x2a; "
	                              "if_id_in = 5; if_id_out = 6;");
	psg_t *g = psg_create();
	psg_set_config(g, cfg);
	config_unref(cfg);

	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	q.protocol = KERNEL_PROTO_ESP;
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	ck_assert(check(g, PSM_GET_SPI, &q, sizeof(q)));
	done(g, PSM_GET_SPI, &q, sizeof(q), 0x5000);

	psm_sa_t s;
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x5000);
	/* none: refused, naming what it carried */
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	ck_assert_msg(strstr(why, "gives an in SA mark 0x0/0x0 and if_id 0") != NULL, "%s", why);
	/* the outbound's values on the inbound SA: refused */
	s.id.mark = (kernel_mark_t){ 0x2a, 0xffffffff };
	s.if_id = 6;
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	/* the right mark, the wrong interface: refused */
	s.id.mark = (kernel_mark_t){ 0x10, 0xf0 };
	s.if_id = 6;
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	s.if_id = 5;
	ck_assert_msg(check(g, PSM_ADD_SA, &s, sizeof(s)), "%s", why);
	done(g, PSM_ADD_SA, &s, sizeof(s), 0);
	/* the installed SA is named with its mark: without it, not found */
	kernel_sa_id_t id = s.id;
	ck_assert(check(g, PSM_QUERY_SA, &id, sizeof(id)));
	id.mark = (kernel_mark_t){ 0, 0 };
	ck_assert(!check(g, PSM_QUERY_SA, &id, sizeof(id)));
	gcm_sa(&s, "10.0.0.1", "10.0.0.2", KERNEL_DIR_OUT, 0x6000);
	s.id.mark = (kernel_mark_t){ 0x2a, 0xffffffff };
	s.if_id = 6;
	ck_assert_msg(check(g, PSM_ADD_SA, &s, sizeof(s)), "%s", why);

	kernel_policy_t p;
	memset(&p, 0, sizeof(p));
	p.dir = KERNEL_DIR_OUT;
	p.mode = KERNEL_MODE_TUNNEL;
	v4(&p.sa_src, "10.0.0.1");
	v4(&p.sa_dst, "10.0.0.2");
	ts4(&p.src_ts, "10.1.0.0", "10.1.0.255");
	ts4(&p.dst_ts, "10.2.0.0", "10.2.0.255");
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	ck_assert_msg(strstr(why, "gives mark 0x0/0x0 and if_id 0") != NULL, "%s", why);
	p.mark = (kernel_mark_t){ 0x2a, 0xffffffff };
	p.if_id = 6;
	ck_assert_msg(check(g, PSM_ADD_POLICY, &p, sizeof(p)), "%s", why);
	done(g, PSM_ADD_POLICY, &p, sizeof(p), 0);
	/* deleting it needs its whole name, if_id included */
	ck_assert(check(g, PSM_DEL_POLICY, &p, sizeof(p)));
	p.if_id = 0;
	ck_assert(!check(g, PSM_DEL_POLICY, &p, sizeof(p)));
	/* fwd takes the _in values, with the selectors reversed */
	p.dir = KERNEL_DIR_FWD;
	v4(&p.sa_src, "10.0.0.2");
	v4(&p.sa_dst, "10.0.0.1");
	ts4(&p.src_ts, "10.2.0.0", "10.2.0.255");
	ts4(&p.dst_ts, "10.1.0.0", "10.1.0.255");
	p.if_id = 6;
	ck_assert(!check(g, PSM_ADD_POLICY, &p, sizeof(p)));
	p.mark = (kernel_mark_t){ 0x10, 0xf0 };
	p.if_id = 5;
	ck_assert_msg(check(g, PSM_ADD_POLICY, &p, sizeof(p)), "%s", why);
	psg_destroy(g);
}
END_TEST

/* An engine that allocates SPIs and never installs them: at most
 * PSG_SPI_MAX are kept, get_spi beyond is refused, and they age out. */
static uint64_t fake_now;
static uint64_t fake_clock(void)
{
	return fake_now;
}

START_TEST(spi_bound)
{
	config_t *cfg = load_cfg();
	psg_t *g = psg_create();
	psg_set_config(g, cfg);
	config_unref(cfg);
	psg_set_clock(g, fake_clock);
	fake_now = 1000000;

	psm_get_spi_t q;
	memset(&q, 0, sizeof(q));
	q.protocol = KERNEL_PROTO_ESP;
	v4(&q.src, "10.0.0.2");
	v4(&q.dst, "10.0.0.1");
	for (uint32_t i = 0; i < PSG_SPI_MAX; i++) {
		ck_assert_msg(check(g, PSM_GET_SPI, &q, sizeof(q)), "get_spi %u: %s", i, why);
		done(g, PSM_GET_SPI, &q, sizeof(q), 0x10000 + i);
		if (i == 0)
			fake_now += 30000;   /* the first is older than the rest */
	}
	ck_assert_uint_eq(psg_spis(g), PSG_SPI_MAX);
	/* full: refused, and nothing more is kept */
	ck_assert(!check(g, PSM_GET_SPI, &q, sizeof(q)));
	ck_assert_msg(strstr(why, "not used yet") != NULL, "%s", why);
	size_t sas, pols;
	psg_counts(g, &sas, &pols);
	ck_assert_uint_eq(sas, PSG_SPI_MAX);
	/* using one (inbound add_sa) frees a place; that SA stays known */
	psm_sa_t s;
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x10000 + 7);
	ck_assert_msg(check(g, PSM_ADD_SA, &s, sizeof(s)), "%s", why);
	done(g, PSM_ADD_SA, &s, sizeof(s), 0);
	ck_assert_uint_eq(psg_spis(g), PSG_SPI_MAX - 1);
	ck_assert(check(g, PSM_GET_SPI, &q, sizeof(q)));
	done(g, PSM_GET_SPI, &q, sizeof(q), 0x20000);
	ck_assert(!check(g, PSM_GET_SPI, &q, sizeof(q)));
	/* deleting an allocated SPI frees a place too */
	kernel_sa_id_t id = s.id;
	id.spi = 0x10000 + 9;
	ck_assert(check(g, PSM_DEL_SA, &id, sizeof(id)));
	done(g, PSM_DEL_SA, &id, sizeof(id), 0);
	ck_assert_uint_eq(psg_spis(g), PSG_SPI_MAX - 1);

	/* the first SPI reaches the age limit (60 s with the default
	 * response_wait_time of 30 s): forgotten at the next get_spi, and an
	 * add_sa with it is refused */
	fake_now += PSG_SPI_AGE_MIN_MS - 30000;
	ck_assert(check(g, PSM_GET_SPI, &q, sizeof(q)));
	ck_assert_uint_eq(psg_spis(g), PSG_SPI_MAX - 2);
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x10000);
	ck_assert(!check(g, PSM_ADD_SA, &s, sizeof(s)));
	ck_assert_ptr_nonnull(strstr(why, "not allocated"));
	/* one younger than the limit is still good */
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x10000 + 1);
	ck_assert_msg(check(g, PSM_ADD_SA, &s, sizeof(s)), "%s", why);
	/* all the others age out: the table is back to the installed SA */
	fake_now += 30000;
	ck_assert(check(g, PSM_GET_SPI, &q, sizeof(q)));
	ck_assert_uint_eq(psg_spis(g), 0);
	psg_counts(g, &sas, &pols);
	ck_assert_uint_eq(sas, 1);
	gcm_sa(&s, "10.0.0.2", "10.0.0.1", KERNEL_DIR_IN, 0x10000 + 7);
	ck_assert(check(g, PSM_QUERY_SA, &s.id, sizeof(s.id)));
	psg_destroy(g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("privsep");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, guard);
	tcase_add_test(tc, guard_marks);
	tcase_add_test(tc, guard_admin_policy);
	tcase_add_test(tc, spi_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
