/*
 * test_net.c - the socket manager over loopback: IKE and NAT-T ports, the
 * non-ESP marker, keepalives and ESP dropped, short and oversized datagrams
 * dropped, source address selection (IP_PKTINFO), IPv6, batches; and the
 * address helpers.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ikev2d/runtime.h>
#include <net/addr.h>
#include <net/net.h>

static pthread_t loop_thread;
static uint16_t ike_port, natt_port;

#define MAX_RX 256
static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static packet_t *rx[MAX_RX];
static _Atomic int n_rx;

static void receiver(packet_t *p, void *ctx)
{
	pthread_mutex_lock(&rx_lock);
	int n = atomic_load(&n_rx);
	if (n < MAX_RX)
		rx[n] = p;
	else
		packet_destroy(p);
	atomic_store(&n_rx, n + 1);
	pthread_mutex_unlock(&rx_lock);
}

static bool wait_rx(int want)
{
	for (int i = 0; i < 3000 && atomic_load(&n_rx) < want; i++)
		usleep(1000);
	return atomic_load(&n_rx) >= want;
}

static void *run_loop(void *arg)
{
	runtime_run();
	return NULL;
}

static void setup(void)
{
	ck_assert(runtime_init(2, 4));
	pthread_create(&loop_thread, NULL, run_loop, NULL);
	atomic_store(&n_rx, 0);
	net_set_receiver(receiver, NULL);
	ck_assert(net_open(0, 0));
	net_get_ports(&ike_port, &natt_port);
	ck_assert_uint_ne(ike_port, 0);
	ck_assert_uint_ne(natt_port, 0);
	ck_assert_uint_ne(ike_port, natt_port);
}

static void teardown(void)
{
	net_close();
	runtime_stop();
	pthread_join(loop_thread, NULL);
	runtime_deinit();
	for (int i = 0; i < atomic_load(&n_rx) && i < MAX_RX; i++)
		packet_destroy(rx[i]);
	net_set_receiver(NULL, NULL);
}

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	ck_assert(addr_from_str(ip, port, &ss));
	return ss;
}

static packet_t *make_packet(const char *src, uint16_t sport, const char *dst,
                             uint16_t dport, size_t len, uint8_t fill)
{
	packet_t *p = packet_create();

	p->src = addr(src, sport);
	p->dst = addr(dst, dport);
	p->data = chunk_alloc(len);
	memset(p->data.ptr, fill, len);
	return p;
}

/* Send raw bytes from a throw-away socket to one of our ports. */
static void raw_send(uint16_t port, const void *data, size_t len)
{
	struct sockaddr_storage to = addr("127.0.0.1", port);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sendto(fd, data, len, 0, (struct sockaddr *)&to,
	                        addr_len(&to)), (ssize_t)len);
	close(fd);
}

START_TEST(test_ike_roundtrip)
{
	packet_t *p = make_packet("127.0.0.1", ike_port, "127.0.0.1", ike_port, 60, 0x42);

	ck_assert(net_send(p));
	ck_assert(wait_rx(1));
	ck_assert_uint_eq(rx[0]->data.len, 60);
	ck_assert_uint_eq(rx[0]->data.ptr[0], 0x42);
	ck_assert_uint_eq(addr_get_port(&rx[0]->src), ike_port);
	ck_assert_uint_eq(addr_get_port(&rx[0]->dst), ike_port);
	struct sockaddr_storage lo = addr("127.0.0.1", ike_port);
	ck_assert(addr_equals(&rx[0]->dst, &lo));
}
END_TEST

START_TEST(test_natt_marker)
{
	uint8_t buf[64];
	net_stats_t st;

	/* Our own send from the NAT-T port carries the marker; the
	 * receiving side strips it. */
	ck_assert(net_send(make_packet("127.0.0.1", natt_port, "127.0.0.1",
	                               natt_port, 40, 0x55)));
	ck_assert(wait_rx(1));
	ck_assert_uint_eq(rx[0]->data.len, 40);
	ck_assert_uint_eq(rx[0]->data.ptr[0], 0x55);
	ck_assert_uint_eq(addr_get_port(&rx[0]->dst), natt_port);
	ck_assert(net_is_natt_port(natt_port));
	ck_assert(!net_is_natt_port(ike_port));

	/* A peer's IKE message with the marker. */
	memset(buf, 0, 4);
	memset(buf + 4, 0x66, 36);
	raw_send(natt_port, buf, 40);
	ck_assert(wait_rx(2));
	ck_assert_uint_eq(rx[1]->data.len, 36);
	ck_assert_uint_eq(rx[1]->data.ptr[0], 0x66);

	/* Keepalive, ESP (non-zero SPI) and a 3-byte runt: never delivered. */
	buf[0] = 0xff;
	raw_send(natt_port, buf, 1);
	memset(buf, 0x11, sizeof(buf));
	raw_send(natt_port, buf, 48);
	raw_send(natt_port, buf, 3);
	/* marker followed by less than an IKE header */
	memset(buf, 0, 12);
	raw_send(natt_port, buf, 12);
	/* a sentinel that does arrive, to know the others were processed */
	memset(buf, 0, 4);
	memset(buf + 4, 0x77, 30);
	raw_send(natt_port, buf, 34);
	ck_assert(wait_rx(3));
	ck_assert_uint_eq(rx[2]->data.ptr[0], 0x77);
	ck_assert_int_eq(atomic_load(&n_rx), 3);
	net_get_stats(&st);
	/* With UDP_ENCAP the kernel eats keepalives and unknown ESP itself. */
	bool kernel_eats = net_natt_encap();
	ck_assert_uint_eq(st.rx_keepalives, kernel_eats ? 0 : 1);
	ck_assert_uint_eq(st.rx_esp, kernel_eats ? 0 : 1);
	ck_assert_uint_eq(st.rx_dropped, 2);
	ck_assert_uint_eq(st.rx_packets, 3);

	/* Our keepalive: one 0xFF byte from the NAT-T port, to a plain
	 * socket that shows what arrived and from where. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage any, to = addr("127.0.0.1", 0), from;
	socklen_t len = sizeof(to);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&to, addr_len(&to)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&to, &len), 0);
	memset(&any, 0, sizeof(any));
	ck_assert(net_send_keepalive(&any, &to));
	len = sizeof(from);
	ck_assert_int_eq(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	                          &len), 1);
	ck_assert_uint_eq(buf[0], 0xff);
	ck_assert_uint_eq(addr_get_port(&from), natt_port);
	close(fd);
}
END_TEST

START_TEST(test_bad_sizes)
{
	static uint8_t big[NET_MAX_PACKET + 100];
	net_stats_t st;

	raw_send(ike_port, big, 27);             /* below an IKE header */
	raw_send(ike_port, big, sizeof(big));    /* oversized */
	raw_send(ike_port, big, 0);              /* empty */
	raw_send(ike_port, big, NET_MAX_PACKET); /* largest accepted */
	ck_assert(wait_rx(1));
	ck_assert_uint_eq(rx[0]->data.len, NET_MAX_PACKET);
	usleep(20000);
	ck_assert_int_eq(atomic_load(&n_rx), 1);
	net_get_stats(&st);
	ck_assert_uint_eq(st.rx_dropped, 3);

	/* and we refuse to send what nobody should accept */
	ck_assert(!net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
	                                ike_port, NET_MAX_PACKET + 1, 0)));
	ck_assert(!net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
	                                ike_port, 0, 0)));
}
END_TEST

START_TEST(test_source_address)
{
	/* All of 127/8 is local: leave from 127.0.0.5 (IP_PKTINFO), arrive at
	 * 127.0.0.9, and both are seen as such. */
	ck_assert(net_send(make_packet("127.0.0.5", ike_port, "127.0.0.9",
	                               ike_port, 30, 1)));
	ck_assert(wait_rx(1));
	struct sockaddr_storage s = addr("127.0.0.5", ike_port);
	struct sockaddr_storage d = addr("127.0.0.9", ike_port);
	ck_assert(addr_equals(&rx[0]->src, &s));
	ck_assert(addr_equals(&rx[0]->dst, &d));

	struct sockaddr_storage src, dst = addr("127.0.0.9", 500);
	ck_assert(net_get_source(&dst, &src));
	ck_assert_int_eq(src.ss_family, AF_INET);
	ck_assert_uint_eq(addr_get_port(&src), 0);
}
END_TEST

START_TEST(test_ipv6)
{
	struct sockaddr_storage lo6;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	lo6 = addr("::1", 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&lo6, addr_len(&lo6)) < 0) {
		if (fd >= 0)
			close(fd);
		return;   /* no IPv6 loopback here: covered where there is one */
	}
	close(fd);
	ck_assert(net_send(make_packet("::1", natt_port, "::1", natt_port, 50, 9)));
	ck_assert(wait_rx(1));
	ck_assert_int_eq(rx[0]->src.ss_family, AF_INET6);
	ck_assert_uint_eq(rx[0]->data.len, 50);
	struct sockaddr_storage d = addr("::1", natt_port);
	ck_assert(addr_equals(&rx[0]->dst, &d));
}
END_TEST

START_TEST(test_burst)
{
	/* More than one recvmmsg batch at once. */
	for (int i = 0; i < 200; i++)
		ck_assert(net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
		                               ike_port, 28 + i, (uint8_t)i)));
	ck_assert(wait_rx(200));
	int seen[200] = { 0 };
	for (int i = 0; i < 200; i++) {
		size_t k = rx[i]->data.len - 28;
		ck_assert_uint_lt(k, 200);
		ck_assert_uint_eq(rx[i]->data.ptr[0], (uint8_t)k);
		seen[k]++;
	}
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(seen[i], 1);
}
END_TEST

START_TEST(test_closed)
{
	net_close();
	ck_assert(!net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
	                                ike_port, 30, 0)));
	uint16_t a, b;
	net_get_ports(&a, &b);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 0);
	/* and reopen on the same ports works */
	ck_assert(net_open(ike_port, natt_port));
	ck_assert(!net_open(ike_port, ike_port));  /* must differ */
}
END_TEST

/* Opening again while open replaces the sockets and their receive
 * threads: a datagram to the new port arrives once, nothing is read twice
 * (the old threads are gone, not left reading closed descriptors). */
START_TEST(test_reopen_while_open)
{
	uint16_t a, b;
	uint8_t buf[40];

	ck_assert(net_open(0, 0));
	net_get_ports(&a, &b);
	ck_assert_uint_ne(a, 0);
	memset(buf, 0x5a, sizeof(buf));
	raw_send(a, buf, sizeof(buf));
	ck_assert(wait_rx(1));
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&n_rx), 1);
	ck_assert_uint_eq(rx[0]->data.len, sizeof(buf));
	ck_assert(net_open(0, 0));   /* and once more */
	net_get_ports(&a, &b);
	raw_send(a, buf, sizeof(buf));
	ck_assert(wait_rx(2));
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&n_rx), 2);
}
END_TEST

static bool counting_sender(packet_t *p, void *ctx)
{
	(*(int *)ctx)++;
	packet_destroy(p);
	return true;
}

START_TEST(test_custom_sender)
{
	int sent = 0;

	/* A test's sender replaces the sockets (engines wired in-process)... */
	net_set_sender(counting_sender, &sent);
	ck_assert(net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
	                               ike_port, 30, 0)));
	ck_assert_int_eq(sent, 1);
	usleep(20000);
	ck_assert_int_eq(atomic_load(&n_rx), 0);
	/* ...until it is removed again. */
	net_set_sender(NULL, NULL);
	ck_assert(net_send(make_packet("127.0.0.1", ike_port, "127.0.0.1",
	                               ike_port, 30, 0)));
	ck_assert(wait_rx(1));
	ck_assert_int_eq(sent, 1);
}
END_TEST

START_TEST(test_addr_helpers)
{
	struct sockaddr_storage a, b;
	char buf[ADDR_STRLEN];

	ck_assert(addr_from_str("10.1.2.3", 500, &a));
	ck_assert_str_eq(addr_to_str(&a, buf, sizeof(buf)), "10.1.2.3[500]");
	ck_assert(addr_from_str("fe80::1", 4500, &b));
	ck_assert_str_eq(addr_to_str(&b, buf, sizeof(buf)), "fe80::1[4500]");
	ck_assert(!addr_ip_equals(&a, &b));
	ck_assert(!addr_from_str("10.1.2", 1, &a));
	ck_assert(!addr_from_str("", 1, &a));
	ck_assert(!addr_from_str(NULL, 1, &a));
	ck_assert(!addr_from_str("::g", 1, &a));
	ck_assert(addr_from_str("0.0.0.0", 0, &a));
	ck_assert(addr_is_any(&a));
	ck_assert(addr_from_str("10.0.0.1", 1, &a));
	ck_assert(addr_from_str("10.0.0.1", 2, &b));
	ck_assert(addr_ip_equals(&a, &b));
	ck_assert(!addr_equals(&a, &b));
	addr_set_port(&b, 1);
	ck_assert(addr_equals(&a, &b));
	ck_assert_uint_eq(addr_bytes(&a).len, 4);
	memset(&a, 0, sizeof(a));
	ck_assert(addr_is_any(&a));
	ck_assert_uint_eq(addr_len(&a), 0);
	ck_assert_str_eq(addr_to_str(&a, buf, sizeof(buf)), "%unknown[0]");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("sockets");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ike_roundtrip);
	tcase_add_test(tc, test_natt_marker);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_source_address);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_burst);
	tcase_add_test(tc, test_closed);
	tcase_add_test(tc, test_reopen_while_open);
	tcase_add_test(tc, test_custom_sender);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_test(tc, test_addr_helpers);
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
