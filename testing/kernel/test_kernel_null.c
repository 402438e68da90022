/*
 * test_kernel_null.c - the kernel-ipsec registry and the null backend:
 * SPI reservation, SA and policy bookkeeping, refusals a kernel would make,
 * lifetime events, the state file and the control commands.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/bus.h>
#include <ikev2d/kernel_ipsec.h>
#include <ikev2d/runtime.h>

#include "../../kernel-backends/null/kernel_null.h"

static pthread_t loop_thread;
static kernel_null_t *kn;

/* Events seen by the listener. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static kernel_event_t events[16];
static _Atomic int n_events;

static void listener(const kernel_event_t *ev, void *ctx)
{
	pthread_mutex_lock(&ev_lock);
	int n = atomic_load(&n_events);
	if (n < 16)
		events[n] = *ev;
	atomic_store(&n_events, n + 1);
	pthread_mutex_unlock(&ev_lock);
}

static bool wait_events(int want, int timeout_ms)
{
	for (int i = 0; i < timeout_ms && atomic_load(&n_events) < want; i++)
		usleep(1000);
	return atomic_load(&n_events) >= want;
}

static void *run_loop(void *arg)
{
	runtime_run();
	return NULL;
}

static void setup_with(const char *state_file, unsigned spi_timeout_ms)
{
	ck_assert(runtime_init(2, 4));
	pthread_create(&loop_thread, NULL, run_loop, NULL);
	kn = kernel_null_create(state_file, spi_timeout_ms);
	ck_assert(kernel_ipsec_register("kernel-null", kernel_null_ipsec(kn)));
	atomic_store(&n_events, 0);
	kernel_ipsec_set_listener(listener, NULL);
}

static void setup(void)
{
	setup_with(NULL, 0);
}

static void teardown(void)
{
	kernel_ipsec_set_listener(NULL, NULL);
	kernel_ipsec_unregister(kernel_null_ipsec(kn));
	kernel_null_ipsec(kn)->destroy(kernel_null_ipsec(kn));
	runtime_stop();
	pthread_join(loop_thread, NULL);
	runtime_deinit();
}

static struct sockaddr_storage ip4(const char *s, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, s, &sin->sin_addr), 1);
	return ss;
}

static uint8_t key_bytes[64];

/* An inbound AES-GCM-16/128 SA from b to a with a reserved SPI. */
static kernel_sa_t gcm_sa(uint32_t spi)
{
	kernel_sa_t sa;

	memset(&sa, 0, sizeof(sa));
	sa.id.dst = ip4("10.0.0.1", 0);
	sa.id.spi = spi;
	sa.id.protocol = KERNEL_PROTO_ESP;
	sa.src = ip4("10.0.0.2", 0);
	sa.dir = KERNEL_DIR_IN;
	sa.mode = KERNEL_MODE_TUNNEL;
	sa.reqid = 7;
	sa.encr_alg = ENCR_AES_GCM_16;
	sa.encr_keylen_bits = 128;
	sa.encr_salt_len = 4;
	sa.icv_bits = 128;
	sa.encr_key = chunk_create(key_bytes, 20);
	sa.integ_alg = INTEG_NONE;
	sa.replay_window = 32;
	return sa;
}

static kernel_policy_t out_policy(uint32_t reqid)
{
	kernel_policy_t p;
	struct sockaddr_storage a = ip4("10.1.0.0", 0), b = ip4("10.2.0.5", 0);

	memset(&p, 0, sizeof(p));
	kernel_ts_from_addr(&p.src_ts, &a);
	p.src_ts.to[2] = 0xff;
	p.src_ts.to[3] = 0xff;
	kernel_ts_from_addr(&p.dst_ts, &b);
	p.dir = KERNEL_DIR_OUT;
	p.action = KERNEL_POLICY_PROTECT;
	p.reqid = reqid;
	p.mode = KERNEL_MODE_TUNNEL;
	p.sa_src = ip4("10.0.0.1", 0);
	p.sa_dst = ip4("10.0.0.2", 0);
	p.protocol = KERNEL_PROTO_ESP;
	return p;
}

START_TEST(test_no_backend)
{
	uint32_t spi;
	struct sockaddr_storage a = ip4("10.0.0.1", 0);

	/* Without a registered backend every wrapper fails cleanly. */
	kernel_ipsec_unregister(kernel_null_ipsec(kn));
	ck_assert_ptr_null(kernel_ipsec_name());
	ck_assert(!kernel_get_spi(&a, &a, KERNEL_PROTO_ESP, 0, &spi));
	kernel_sa_t sa = gcm_sa(1000);
	ck_assert(!kernel_add_sa(&sa));
	ck_assert(kernel_ipsec_register("kernel-null", kernel_null_ipsec(kn)));
	ck_assert_str_eq(kernel_ipsec_name(), "kernel-null");
	/* A second provider is refused. */
	kernel_null_t *other = kernel_null_create(NULL, 0);
	ck_assert(!kernel_ipsec_register("other", kernel_null_ipsec(other)));
	kernel_null_ipsec(other)->destroy(kernel_null_ipsec(other));
}
END_TEST

START_TEST(test_spi_and_sa)
{
	struct sockaddr_storage a = ip4("10.0.0.1", 0), b = ip4("10.0.0.2", 0);
	uint32_t spi, spi2;

	ck_assert(kernel_get_spi(&b, &a, KERNEL_PROTO_ESP, 7, &spi));
	ck_assert(kernel_get_spi(&b, &a, KERNEL_PROTO_ESP, 7, &spi2));
	ck_assert_uint_ge(spi, 256);
	ck_assert_uint_ne(spi, spi2);
	ck_assert_uint_eq(kernel_null_count_spis(kn), 2);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 0);

	kernel_sa_t sa = gcm_sa(spi);
	ck_assert(kernel_add_sa(&sa));
	ck_assert_uint_eq(kernel_null_count_spis(kn), 1);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 1);
	/* installing it twice fails */
	ck_assert(!kernel_add_sa(&sa));

	kernel_null_sa_t rec;
	ck_assert(kernel_null_get_sa(kn, &sa.id, &rec));
	ck_assert_uint_eq(rec.sa.reqid, 7);
	ck_assert_uint_eq(rec.encr_key_len, 20);
	ck_assert_ptr_null(rec.sa.encr_key.ptr);   /* keys are not kept */

	kernel_usage_t u;
	ck_assert(kernel_query_sa(&sa.id, &u));
	ck_assert_uint_eq(u.bytes, 0);

	ck_assert(kernel_del_sa(&sa.id));
	ck_assert(!kernel_del_sa(&sa.id));
	ck_assert(!kernel_query_sa(&sa.id, &u));
	ck_assert_uint_eq(kernel_null_count_sas(kn), 0);

	/* releasing the other reserved SPI */
	kernel_sa_id_t id = sa.id;
	id.spi = spi2;
	ck_assert(kernel_del_sa(&id));
	ck_assert_uint_eq(kernel_null_count_spis(kn), 0);
}
END_TEST

START_TEST(test_refusals)
{
	kernel_sa_t sa = gcm_sa(5000);

	sa.encr_key.len = 16;           /* salt missing */
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.integ_alg = INTEG_HMAC_SHA2_256_128;  /* AEAD plus integrity */
	sa.integ_key = chunk_create(key_bytes, 32);
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.encr_keylen_bits = 100;
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(200);               /* reserved SPI range */
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.encap = true;                /* without ports */
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.encr_salt_len = 0;           /* salt length not the transform's */
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.icv_bits = 64;               /* GCM-16 has a 128-bit ICV */
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.encr_alg = ENCR_CHACHA20_POLY1305;
	sa.encr_keylen_bits = 0;        /* the ambiguous 0 of old */
	sa.encr_key.len = 36;
	ck_assert(!kernel_add_sa(&sa));
	sa = gcm_sa(5000);
	sa.encr_alg = ENCR_AES_CBC;     /* CBC without integrity */
	sa.encr_salt_len = 0;
	sa.icv_bits = 0;
	sa.encr_key.len = 16;
	ck_assert(!kernel_add_sa(&sa));
	sa.integ_alg = INTEG_HMAC_SHA2_256_128;
	sa.icv_bits = 128;
	sa.integ_key = chunk_create(key_bytes, 31);
	ck_assert(!kernel_add_sa(&sa));
	sa.integ_key.len = 32;
	ck_assert(kernel_add_sa(&sa));
	sa = gcm_sa(5001);
	sa.encr_alg = ENCR_3DES;
	sa.encr_keylen_bits = 192;
	sa.encr_salt_len = 0;
	sa.icv_bits = 96;
	sa.encr_key.len = 24;
	sa.integ_alg = INTEG_HMAC_SHA1_96;
	sa.integ_key = chunk_create(key_bytes, 20);
	sa.soft.secs = 20;
	sa.hard.secs = 10;              /* soft beyond hard */
	ck_assert(!kernel_add_sa(&sa));
	sa.hard.secs = 30;
	ck_assert(kernel_add_sa(&sa));
	ck_assert_uint_eq(kernel_null_count_sas(kn), 2);
}
END_TEST

START_TEST(test_policies)
{
	kernel_policy_t p = out_policy(7);
	kernel_usage_t u;

	ck_assert(kernel_add_policy(&p));
	ck_assert(kernel_add_policy(&p));   /* same selectors: replaced */
	ck_assert_uint_eq(kernel_null_count_policies(kn), 1);
	p.dir = KERNEL_DIR_IN;
	ck_assert(kernel_add_policy(&p));
	ck_assert_uint_eq(kernel_null_count_policies(kn), 2);
	ck_assert(kernel_query_policy(&p, &u));
	ck_assert(kernel_del_policy(&p));
	ck_assert(!kernel_del_policy(&p));
	ck_assert(!kernel_query_policy(&p, &u));
	p.dir = KERNEL_DIR_OUT;
	ck_assert(kernel_null_has_policy(kn, &p));
	p.dst_ts.family = AF_INET6;         /* mixed families */
	ck_assert(!kernel_add_policy(&p));
}
END_TEST

START_TEST(test_injected_events)
{
	kernel_sa_t sa = gcm_sa(0x1234);
	kernel_policy_t p = out_policy(7);

	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_add_policy(&p));

	ck_assert(kernel_null_expire(kn, &sa.id, false));
	ck_assert_int_eq(atomic_load(&n_events), 1);
	ck_assert_int_eq(events[0].type, KERNEL_EV_EXPIRE);
	ck_assert(!events[0].expire.hard);
	ck_assert_uint_eq(events[0].expire.sa.spi, 0x1234);
	ck_assert_uint_eq(events[0].expire.reqid, 7);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 1);

	ck_assert(kernel_null_command(kn, "expire hard 1234 10.0.0.1"));
	ck_assert_int_eq(atomic_load(&n_events), 2);
	ck_assert(events[1].expire.hard);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 0);   /* gone, as in XFRM */
	ck_assert(!kernel_null_command(kn, "expire hard 1234 10.0.0.1"));

	ck_assert(kernel_null_command(kn, "acquire 7"));
	ck_assert_int_eq(atomic_load(&n_events), 3);
	ck_assert_int_eq(events[2].type, KERNEL_EV_ACQUIRE);
	ck_assert_uint_eq(events[2].acquire.reqid, 7);
	ck_assert_int_eq(events[2].acquire.dst_ts.family, AF_INET);
	ck_assert(!kernel_null_command(kn, "acquire 8"));

	/* Bad commands are refused, never crash. */
	ck_assert(!kernel_null_command(kn, ""));
	ck_assert(!kernel_null_command(kn, "expire"));
	ck_assert(!kernel_null_command(kn, "expire medium 1234 10.0.0.1"));
	ck_assert(!kernel_null_command(kn, "expire soft zz 10.0.0.1"));
	ck_assert(!kernel_null_command(kn, "expire soft 1234 not-an-ip"));
	ck_assert(!kernel_null_command(kn, "acquire -1x"));
	ck_assert(!kernel_null_command(kn, "reboot"));
	ck_assert(!kernel_null_command(kn, "acquire 7junk"));
	ck_assert(!kernel_null_command(kn, "acquire 7 8"));
	ck_assert(!kernel_null_command(kn, "expire soft 1234 10.0.0.1 extra"));
	ck_assert_int_eq(atomic_load(&n_events), 3);
}
END_TEST

/* Someone else's policies (an administrator's): match_policy sees only
 * them, with their mode, mark, selectors and template endpoints; the
 * backend's add_policy by that name leaves them, del_policy and flush
 * leave them; their ACQUIRE is marked foreign; the control command. */
START_TEST(test_other_policies)
{
	ck_assert(kernel_null_command(kn, "other add out 10.88.1.0/24 10.88.2.0/24 "
	                                  "tunnel 7070 192.0.2.1 192.0.2.2"));
	ck_assert_uint_eq(kernel_null_count_policies(kn), 0);
	kernel_policy_t w = { .dir = KERNEL_DIR_OUT, .action = KERNEL_POLICY_PROTECT,
	                      .mode = KERNEL_MODE_TUNNEL, .protocol = KERNEL_PROTO_ESP };
	w.src_ts = out_policy(0).src_ts;
	inet_pton(AF_INET, "10.88.1.0", w.src_ts.from);
	inet_pton(AF_INET, "10.88.1.127", w.src_ts.to);
	w.dst_ts = w.src_ts;
	inet_pton(AF_INET, "10.88.2.5", w.dst_ts.from);
	inet_pton(AF_INET, "10.88.2.5", w.dst_ts.to);
	uint32_t rq = 0;
	ck_assert(kernel_match_policy(&w, &rq));
	ck_assert_uint_eq(rq, 7070);
	/* the endpoints asked for must be the template's */
	struct sockaddr_in *a = (struct sockaddr_in *)&w.sa_src, *b = (struct sockaddr_in *)&w.sa_dst;
	a->sin_family = b->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &a->sin_addr);
	inet_pton(AF_INET, "192.0.2.2", &b->sin_addr);
	ck_assert(kernel_match_policy(&w, &rq));
	inet_pton(AF_INET, "192.0.2.9", &b->sin_addr);
	ck_assert(!kernel_match_policy(&w, &rq));
	inet_pton(AF_INET, "192.0.2.2", &b->sin_addr);
	/* wider than the policy, other mode, other mark, other direction */
	inet_pton(AF_INET, "10.88.0.0", w.src_ts.from);
	ck_assert(!kernel_match_policy(&w, &rq));
	inet_pton(AF_INET, "10.88.1.0", w.src_ts.from);
	w.mode = KERNEL_MODE_TRANSPORT;
	ck_assert(!kernel_match_policy(&w, &rq));
	w.mode = KERNEL_MODE_TUNNEL;
	w.mark.value = w.mark.mask = 5;
	ck_assert(!kernel_match_policy(&w, &rq));
	w.mark.value = w.mark.mask = 0;
	w.dir = KERNEL_DIR_IN;
	ck_assert(!kernel_match_policy(&w, &rq));
	w.dir = KERNEL_DIR_OUT;

	/* the backend's policy by that name: the administrator's stays */
	kernel_policy_t same = w;
	inet_pton(AF_INET, "10.88.1.0", same.src_ts.from);
	inet_pton(AF_INET, "10.88.1.255", same.src_ts.to);
	inet_pton(AF_INET, "10.88.2.0", same.dst_ts.from);
	inet_pton(AF_INET, "10.88.2.255", same.dst_ts.to);
	same.reqid = 1;
	ck_assert(kernel_add_policy(&same));
	ck_assert_uint_eq(kernel_null_count_policies(kn), 0);
	ck_assert(kernel_match_policy(&w, &rq));
	ck_assert_uint_eq(rq, 7070);
	ck_assert(!kernel_del_policy(&same));
	/* a policy of the backend's own justifies nothing */
	kernel_policy_t ours = same;
	inet_pton(AF_INET, "10.89.1.0", ours.src_ts.from);
	inet_pton(AF_INET, "10.89.1.255", ours.src_ts.to);
	ck_assert(kernel_add_policy(&ours));
	kernel_policy_t w2 = w;
	w2.src_ts = ours.src_ts;
	ck_assert(!kernel_match_policy(&w2, &rq));
	ck_assert(!kernel_null_add_other_policy(kn, &ours));   /* ours by that name */
	kernel_flush();
	ck_assert_uint_eq(kernel_null_count_policies(kn), 0);
	ck_assert(kernel_match_policy(&w, &rq));

	/* its ACQUIRE: foreign, its selectors, template and the packet */
	ck_assert(kernel_null_command(kn, "acquire 10.88.1.7 10.88.2.9"));
	ck_assert(wait_events(1, 1000));
	ck_assert(events[0].acquire.foreign);
	ck_assert_uint_eq(events[0].acquire.reqid, 7070);
	ck_assert_int_eq(events[0].acquire.mode, KERNEL_MODE_TUNNEL);
	ck_assert_int_eq(events[0].acquire.tmpl_dst.ss_family, AF_INET);
	char s[KERNEL_TS_STRLEN];
	ck_assert_str_eq(kernel_ts_to_str(&events[0].acquire.src_ts, s, sizeof(s)),
	                 "10.88.1.0-10.88.1.255[0/0-65535]");
	ck_assert_str_eq(kernel_ts_to_str(&events[0].acquire.pkt_dst_ts, s, sizeof(s)),
	                 "10.88.2.9[0/0-65535]");

	/* bad lines refused; del */
	ck_assert(!kernel_null_command(kn, "other add out 10.88.1.0/33 10.88.2.0/24 tunnel 1"));
	ck_assert(!kernel_null_command(kn, "other add sideways 10.88.1.0/24 10.88.2.0/24 tunnel 1"));
	ck_assert(!kernel_null_command(kn, "other add out 10.88.1.0/24 ::/0 tunnel 1"));
	ck_assert(!kernel_null_command(kn, "other add out 10.88.1.0/24 10.88.2.0/24 tunnel 1 192.0.2.1"));
	ck_assert(!kernel_null_command(kn, "other add out 10.88.1.0/24 10.88.2.0/24 tunnel -1"));
	ck_assert(!kernel_null_command(kn, "other del out 10.77.1.0/24 10.88.2.0/24 tunnel 7070"));
	ck_assert(kernel_null_command(kn, "other del out 10.88.1.0/24 10.88.2.0/24 tunnel 7070"));
	ck_assert(!kernel_match_policy(&w, &rq));
}
END_TEST

/* "acquire <src> <dst>": the outbound policy holding both addresses,
 * its selectors narrowed to them; none when an SA serves the policy. */
START_TEST(test_acquire_by_packet)
{
	kernel_policy_t p = out_policy(9), pass = out_policy(0);
	kernel_sa_t sa = gcm_sa(0x3000);

	ck_assert(kernel_add_policy(&p));
	ck_assert(kernel_null_command(kn, "acquire 10.1.3.4 10.2.0.5"));
	ck_assert(wait_events(1, 1000));
	ck_assert_int_eq(events[0].type, KERNEL_EV_ACQUIRE);
	ck_assert_uint_eq(events[0].acquire.reqid, 9);
	char s[KERNEL_TS_STRLEN], d[KERNEL_TS_STRLEN];
	ck_assert_str_eq(kernel_ts_to_str(&events[0].acquire.src_ts, s, sizeof(s)),
	                 "10.1.3.4[0/0-65535]");
	ck_assert_str_eq(kernel_ts_to_str(&events[0].acquire.dst_ts, d, sizeof(d)),
	                 "10.2.0.5[0/0-65535]");
	/* outside the selectors, other family, garbage: refused */
	ck_assert(!kernel_null_command(kn, "acquire 10.1.3.4 10.2.0.6"));
	ck_assert(!kernel_null_command(kn, "acquire 10.3.0.1 10.2.0.5"));
	ck_assert(!kernel_null_command(kn, "acquire 10.1.3.4 2001:db8::1"));
	ck_assert(!kernel_null_command(kn, "acquire 10.1.3.4 10.2.0.5 x"));
	ck_assert(!kernel_null_command(kn, "acquire 10.1.3 10.2.0.5"));
	/* an SA with the policy's reqid serves it: no ACQUIRE */
	sa.dir = KERNEL_DIR_OUT;
	sa.reqid = 9;
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_null_command(kn, "acquire 10.1.3.4 10.2.0.5"));
	ck_assert(kernel_del_sa(&sa.id));
	/* a higher-priority pass policy for the same traffic wins */
	pass.action = KERNEL_POLICY_PASS;
	pass.priority = 1;
	pass.src_ts.to[2] = 0x00;      /* 10.1.0.0-10.1.0.255 */
	pass.src_ts.to[3] = 0xff;
	p.priority = 10;
	ck_assert(kernel_add_policy(&p));
	ck_assert(kernel_add_policy(&pass));
	ck_assert(!kernel_null_command(kn, "acquire 10.1.0.9 10.2.0.5"));
	ck_assert(kernel_null_command(kn, "acquire 10.1.1.9 10.2.0.5"));
	ck_assert(wait_events(2, 1000));
	ck_assert_int_eq(atomic_load(&n_events), 2);
	/* IPv6: an fd01::/64 -> fd02::5 trap */
	kernel_policy_t p6 = out_policy(11);
	struct sockaddr_storage a6 = { .ss_family = AF_INET6 }, b6 = a6;
	inet_pton(AF_INET6, "fd01::", &((struct sockaddr_in6 *)&a6)->sin6_addr);
	inet_pton(AF_INET6, "fd02::5", &((struct sockaddr_in6 *)&b6)->sin6_addr);
	kernel_ts_from_addr(&p6.src_ts, &a6);
	memset(p6.src_ts.to + 8, 0xff, 8);
	kernel_ts_from_addr(&p6.dst_ts, &b6);
	ck_assert(kernel_add_policy(&p6));
	ck_assert(kernel_null_command(kn, "acquire fd01::1234 fd02::5"));
	ck_assert(wait_events(3, 1000));
	ck_assert_uint_eq(events[2].acquire.reqid, 11);
	ck_assert_str_eq(kernel_ts_to_str(&events[2].acquire.src_ts, s, sizeof(s)),
	                 "fd01::1234[0/0-65535]");
	ck_assert(!kernel_null_command(kn, "acquire fd01:0:0:1::1 fd02::5"));
	ck_assert_int_eq(atomic_load(&n_events), 3);
}
END_TEST

/* "mapping <spi> <dst> <ip> <port>": a MAPPING event for an installed
 * UDP-encapsulated SA, refused for anything else. */
START_TEST(test_mapping_event)
{
	kernel_sa_t sa = gcm_sa(0x4000), plain = gcm_sa(0x4001);

	sa.encap = true;
	sa.id.dst = ip4("10.0.0.1", 4500);
	sa.src = ip4("10.0.0.2", 4500);
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_add_sa(&plain));
	ck_assert(kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 40000"));
	ck_assert(wait_events(1, 1000));
	ck_assert_int_eq(events[0].type, KERNEL_EV_MAPPING);
	ck_assert_uint_eq(events[0].mapping.sa.spi, 0x4000);
	ck_assert_uint_eq(events[0].mapping.reqid, 7);
	const struct sockaddr_in *np = (const struct sockaddr_in *)&events[0].mapping.new_peer;
	ck_assert_int_eq(np->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(np->sin_port), 40000);
	ck_assert_uint_eq(ntohl(np->sin_addr.s_addr), 0x0a090909);
	/* the backend only reports: the SA is unchanged until update_sa */
	kernel_null_sa_t rec;
	ck_assert(kernel_null_get_sa(kn, &sa.id, &rec));
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&rec.sa.src)->sin_port), 4500);
	struct sockaddr_storage nsrc = ip4("10.9.9.9", 40000), ndst = ip4("10.0.0.1", 4500);
	ck_assert(kernel_update_sa(&sa.id, &nsrc, &ndst, true));
	ck_assert(kernel_null_get_sa(kn, &sa.id, &rec));
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&rec.sa.src)->sin_port), 40000);
	/* refused: not encapsulated, unknown, bad port/address/arity */
	ck_assert(!kernel_null_command(kn, "mapping 4001 10.0.0.1 10.9.9.9 40000"));
	ck_assert(!kernel_null_command(kn, "mapping 4999 10.0.0.1 10.9.9.9 40000"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 0"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 65536"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 -5"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 4x"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9 40000"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 2001:db8::1 40000"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9"));
	ck_assert(!kernel_null_command(kn, "mapping 4000 10.0.0.1 10.9.9.9 40000 1"));
	usleep(50 * 1000);
	ck_assert_int_eq(atomic_load(&n_events), 1);
}
END_TEST

START_TEST(test_usage_limits)
{
	kernel_sa_t sa = gcm_sa(0x2000);
	kernel_usage_t u = { 0 };

	sa.soft.bytes = 1000;
	sa.hard.bytes = 2000;
	ck_assert(kernel_add_sa(&sa));
	u.bytes = 500;
	ck_assert(kernel_null_set_usage(kn, &sa.id, &u));
	ck_assert_int_eq(atomic_load(&n_events), 0);
	u.bytes = 1500;
	ck_assert(kernel_null_set_usage(kn, &sa.id, &u));
	u.bytes = 1600;
	ck_assert(kernel_null_set_usage(kn, &sa.id, &u));
	ck_assert_int_eq(atomic_load(&n_events), 1);       /* soft once */
	ck_assert(!events[0].expire.hard);
	kernel_usage_t q;
	ck_assert(kernel_query_sa(&sa.id, &q));
	ck_assert_uint_eq(q.bytes, 1600);
	u.bytes = 2000;
	ck_assert(kernel_null_set_usage(kn, &sa.id, &u));
	ck_assert_int_eq(atomic_load(&n_events), 2);
	ck_assert(events[1].expire.hard);
	ck_assert(!kernel_query_sa(&sa.id, &q));
}
END_TEST

START_TEST(test_time_lifetimes)
{
	kernel_sa_t sa = gcm_sa(0x3000);

	sa.soft.secs = 1;
	sa.hard.secs = 2;
	ck_assert(kernel_add_sa(&sa));
	ck_assert(wait_events(1, 1800));
	ck_assert_int_eq(events[0].type, KERNEL_EV_EXPIRE);
	ck_assert(!events[0].expire.hard);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 1);
	ck_assert(wait_events(2, 1800));
	ck_assert(events[1].expire.hard);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 0);

	/* A deleted SA's timers never fire. */
	sa = gcm_sa(0x3001);
	sa.soft.secs = 1;
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_del_sa(&sa.id));
	usleep(1300 * 1000);
	ck_assert_int_eq(atomic_load(&n_events), 2);
}
END_TEST

START_TEST(test_soft_by_usage_then_hard_by_time)
{
	kernel_sa_t sa = gcm_sa(0x3100);
	kernel_usage_t u = { .bytes = 5000 };

	/* soft by traffic first, the time-based hard limit still follows */
	sa.soft.bytes = 1000;
	sa.hard.bytes = 100000;
	sa.soft.secs = 1;
	sa.hard.secs = 2;
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_null_set_usage(kn, &sa.id, &u));
	ck_assert_int_eq(atomic_load(&n_events), 1);
	ck_assert(!events[0].expire.hard);
	/* the soft timer finds it raised already: no second soft event */
	ck_assert(wait_events(2, 2800));
	ck_assert(events[1].expire.hard);
	ck_assert_int_eq(atomic_load(&n_events), 2);
	ck_assert_uint_eq(kernel_null_count_sas(kn), 0);
}
END_TEST

START_TEST(test_update_sa)
{
	kernel_sa_t sa = gcm_sa(0x4000);
	struct sockaddr_storage nsrc = ip4("10.0.0.1", 4500), ndst = ip4("10.9.0.9", 4501);
	kernel_null_sa_t rec;

	sa.dir = KERNEL_DIR_OUT;
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_update_sa(&sa.id, &nsrc, &ndst, true));
	ck_assert(!kernel_null_get_sa(kn, &sa.id, &rec));
	kernel_sa_id_t nid = sa.id;
	nid.dst = ndst;
	ck_assert(kernel_null_get_sa(kn, &nid, &rec));
	ck_assert(rec.sa.encap);
	/* ports required with encap */
	struct sockaddr_storage noport = ip4("10.9.0.10", 0);
	ck_assert(!kernel_update_sa(&nid, &nsrc, &noport, true));
	ck_assert(!kernel_update_sa(&sa.id, &nsrc, &ndst, true));  /* old id gone */
}
END_TEST

START_TEST(test_spi_timeout)
{
	struct sockaddr_storage a = ip4("10.0.0.1", 0), b = ip4("10.0.0.2", 0);
	uint32_t spi;

	/* setup_spi_timeout: 200 ms */
	ck_assert(kernel_get_spi(&b, &a, KERNEL_PROTO_ESP, 1, &spi));
	ck_assert_uint_eq(kernel_null_count_spis(kn), 1);
	for (int i = 0; i < 1000 && kernel_null_count_spis(kn); i++)
		usleep(1000);
	ck_assert_uint_eq(kernel_null_count_spis(kn), 0);
	ck_assert_int_eq(atomic_load(&n_events), 0);    /* silently */
}
END_TEST

static char state_path[] = "/tmp/net-kn-test-XXXXXX";

static void setup_state(void)
{
	int fd = mkstemp(state_path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	setup_with(state_path, 200);
}

static void teardown_state(void)
{
	teardown();
	unlink(state_path);
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_state_file)
{
	kernel_sa_t sa = gcm_sa(0xc0ffee01);
	kernel_policy_t p = out_policy(7);
	char *s;

	memset(key_bytes, 0xab, sizeof(key_bytes));
	sa.encap = true;
	sa.src = ip4("10.0.0.2", 4500);
	sa.id.dst = ip4("10.0.0.1", 4500);
	ck_assert(kernel_add_sa(&sa));
	ck_assert(kernel_add_policy(&p));
	s = slurp(state_path);
	ck_assert_ptr_nonnull(strstr(s, "# kernel-null state: 1 sa, 1 policy, 0 spi\n"));
	ck_assert_ptr_nonnull(strstr(s, "sa dir=in spi=c0ffee01 proto=esp "
	                      "src=10.0.0.2[4500] dst=10.0.0.1[4500] mode=tunnel "
	                      "reqid=7 encap=yes encr=aes-gcm-16 encr_keylen=128 "
	                      "salt=4 icv=128 integ=none esn=no replay=32 "));
	ck_assert_ptr_nonnull(strstr(s, "policy dir=out src=10.1.0.0-10.1.255.255[0/0-65535] "
	                      "dst=10.2.0.5[0/0-65535] action=protect reqid=7 "));
	/* never any key material */
	ck_assert_ptr_null(strstr(s, "abab"));
	ck_assert_ptr_null(strstr(s, "ABAB"));
	char *d = kernel_null_dump(kn);
	ck_assert_str_eq(s, d);
	free(d);

	ck_assert(kernel_del_sa(&sa.id));
	ck_assert(kernel_del_policy(&p));
	s = slurp(state_path);
	ck_assert_str_eq(s, "# kernel-null state: 0 sa, 0 policy, 0 spi\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kernel-null");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_no_backend);
	tcase_add_test(tc, test_spi_and_sa);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_policies);
	tcase_add_test(tc, test_injected_events);
	tcase_add_test(tc, test_acquire_by_packet);
	tcase_add_test(tc, test_other_policies);
	tcase_add_test(tc, test_mapping_event);
	tcase_add_test(tc, test_usage_limits);
	tcase_add_test(tc, test_time_lifetimes);
	tcase_add_test(tc, test_soft_by_usage_then_hard_by_time);
	tcase_add_test(tc, test_update_sa);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup_state, teardown_state);
	tcase_add_test(tc, test_state_file);
	tcase_add_test(tc, test_spi_timeout);
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
	return failed ? 1 : 0;
}
