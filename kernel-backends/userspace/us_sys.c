/*
 * us_sys.c - what the userspace backend asks of the system, all of it
 * needing CAP_NET_ADMIN / CAP_NET_RAW, kept apart from the data path so a
 * privileged parent can do it and hand the descriptors over:
 *
 *  - the TUN device (one queue per data-path thread, IFF_MULTI_QUEUE),
 *    its MTU and link state;
 *  - a routing table (cfg.table) holding a route via the TUN for each
 *    OUT policy's destination, and one rule per family "not fwmark M
 *    lookup table" (cfg.rule_priority), so that our own outer packets
 *    (ESP, IKE, keepalives: sockets marked M) never enter the TUN even
 *    when the peer's address is inside a selector (transport mode);
 *  - raw IP protocol 50 sockets for ESP without UDP encapsulation.
 */
#define _GNU_SOURCE
#include "us.h"
#include "us_tunio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <ikev2d/bus.h>

/* ------------------------------------------------------------ netlink */

/* Send one request and wait for its acknowledgement; errno-style result
 * (0 = done). */
static int nl_request(us_t *u, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid;
	int ret, err = 0;

	pthread_mutex_lock(&u->nl_lock);
	nlh->nlmsg_seq = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)nlh;
	nlh->nlmsg_flags |= NLM_F_ACK;
	portid = mnl_socket_get_portid(u->nl);
	if (mnl_socket_sendto(u->nl, nlh, nlh->nlmsg_len) < 0) {
		err = errno;
		goto out;
	}
	ret = mnl_socket_recvfrom(u->nl, buf, sizeof(buf));
	if (ret < 0) {
		err = errno;
		goto out;
	}
	if (mnl_cb_run(buf, (size_t)ret, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
		err = errno;
out:
	pthread_mutex_unlock(&u->nl_lock);
	return err;
}

static int rule(us_t *u, int family, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *fr;

	nlh->nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	fr = mnl_nlmsg_put_extra_header(nlh, sizeof(*fr));
	fr->family = (uint8_t)family;
	fr->action = FR_ACT_TO_TBL;
	fr->table = u->cfg.table < 256 ? (uint8_t)u->cfg.table : RT_TABLE_UNSPEC;
	fr->flags = FIB_RULE_INVERT;
	mnl_attr_put_u32(nlh, FRA_TABLE, u->cfg.table);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, u->cfg.rule_priority);
	mnl_attr_put_u32(nlh, FRA_FWMARK, u->cfg.fwmark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, u->cfg.fwmark);
	return nl_request(u, nlh);
}

bool us_sys_route(us_t *u, int family, const us_prefix_t *p,
                  const uint8_t *prefsrc, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char a[64];
	size_t al = family == AF_INET6 ? 16 : 4;
	int err;

	for (int attempt = 0; attempt < 2; attempt++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct rtmsg *rt;
		nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
		nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
		rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
		rt->rtm_family = (uint8_t)family;
		rt->rtm_dst_len = p->plen;
		rt->rtm_table = u->cfg.table < 256 ? (uint8_t)u->cfg.table : RT_TABLE_UNSPEC;
		rt->rtm_protocol = RTPROT_STATIC;
		rt->rtm_scope = RT_SCOPE_LINK;
		rt->rtm_type = RTN_UNICAST;
		mnl_attr_put_u32(nlh, RTA_TABLE, u->cfg.table);
		mnl_attr_put(nlh, RTA_DST, al, p->addr);
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)u->tun_ifindex);
		if (add && prefsrc && attempt == 0)
			mnl_attr_put(nlh, RTA_PREFSRC, al, prefsrc);
		err = nl_request(u, nlh);
		/* a preferred source that is not (yet) ours: route without */
		if (!(add && prefsrc && attempt == 0 && err == EINVAL))
			break;
	}
	inet_ntop(family, p->addr, a, sizeof(a));
	if (err && !(!add && (err == ESRCH || err == ENODEV))) {
		log_error(DBG_KERNEL, US_NAME ": %s route %s/%u via %s: %s",
		          add ? "adding" : "removing", a, p->plen, u->cfg.interface,
		          strerror(err));
		return false;
	}
	log_verbose(DBG_KERNEL, US_NAME ": route %s/%u via %s %s", a, p->plen,
	            u->cfg.interface, add ? "added" : "removed");
	return true;
}

/* -------------------------------------------------------------- TUN */

static int open_tun_queue(us_t *u, const char *name, int *err)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* a virtio_net_hdr in front of every packet (us_tunio.c): writes
	 * may then hand the stack coalesced TCP segments as one packet */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		*err = errno;
		close(fd);
		return -1;
	}
	/* TSO packets (us_tunio.c cuts them): one pass of the stack per
	 * 64 KB instead of one per MSS; a kernel without it hands whole
	 * packets as before */
	if (u->cfg.offload && !us_tun_offload(fd)) {
		log_op(DBG_KERNEL, US_NAME ": %s refused TCP segmentation "
		       "offload (%s): packets are read one by one", name,
		       strerror(errno));
		u->cfg.offload = false;   /* not asked of the other queues */
	}
	return fd;
}

static bool link_up(us_t *u)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", u->cfg.interface);
	ifr.ifr_mtu = u->cfg.mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		log_error(DBG_KERNEL, US_NAME ": MTU %d on %s: %s", u->cfg.mtu,
		          u->cfg.interface, strerror(errno));
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto out;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		log_error(DBG_KERNEL, US_NAME ": cannot bring %s up: %s",
		          u->cfg.interface, strerror(errno));
		goto out;
	}
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		goto out;
	u->tun_ifindex = ifr.ifr_ifindex;
	ok = true;
out:
	close(s);
	return ok;
}

static int open_raw(us_t *u, int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ESP);
	int on = 1, rcvbuf = 4 * 1024 * 1024;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		int pmtu = IP_PMTUDISC_DONT;
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
		/* outer packets may be fragmented rather than dropped */
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!us_sys_mark_socket(u, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool us_sys_mark_socket(us_t *u, int fd)
{
	uint32_t mark = u->cfg.fwmark;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		log_error(DBG_KERNEL, US_NAME ": SO_MARK on a socket: %s (its "
		          "packets could be routed into %s)", strerror(errno),
		          u->cfg.interface);
		return false;
	}
	return true;
}

bool us_sys_open(us_t *u)
{
	int err = 0;

	for (int i = 0; i < US_MAX_THREADS; i++)
		u->tun_fd[i] = -1;
	u->raw4 = u->raw6 = -1;
	pthread_mutex_init(&u->nl_lock, NULL);
	u->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!u->nl || mnl_socket_bind(u->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_error(DBG_KERNEL, US_NAME ": rtnetlink: %s", strerror(errno));
		return false;
	}
	for (int i = 0; i < u->cfg.threads; i++) {
		u->tun_fd[i] = open_tun_queue(u, u->cfg.interface, &err);
		if (u->tun_fd[i] < 0) {
			log_error(DBG_KERNEL, US_NAME ": cannot open TUN device %s: %s",
			          u->cfg.interface, strerror(err));
			return false;
		}
	}
	if (!link_up(u))
		return false;
	u->raw4 = open_raw(u, AF_INET);
	if (u->raw4 < 0) {
		log_error(DBG_KERNEL, US_NAME ": raw ESP socket: %s", strerror(errno));
		return false;
	}
	u->raw6 = open_raw(u, AF_INET6);
	if (u->raw6 < 0)
		log_verbose(DBG_KERNEL, US_NAME ": no IPv6 raw ESP socket: %s",
		            strerror(errno));
	err = rule(u, AF_INET, true);
	if (err && err != EEXIST) {
		log_error(DBG_KERNEL, US_NAME ": policy routing rule (IPv4): %s",
		          strerror(err));
		return false;
	}
	u->rule4 = true;
	err = rule(u, AF_INET6, true);
	if (err && err != EEXIST)
		log_verbose(DBG_KERNEL, US_NAME ": no IPv6 policy routing rule: %s",
		            strerror(err));
	else
		u->rule6 = true;
	u->tun_tso = u->cfg.offload;
	log_op(DBG_KERNEL, US_NAME ": ESP in user space on %s (mtu %d, %d "
	       "queue%s, TSO %s), routes in table %u, own packets marked 0x%x",
	       u->cfg.interface, u->cfg.mtu, u->cfg.threads,
	       u->cfg.threads == 1 ? "" : "s", u->tun_tso ? "on" : "off",
	       u->cfg.table, u->cfg.fwmark);
	return true;
}

void us_sys_close(us_t *u)
{
	if (u->nl) {
		if (u->rule4)
			rule(u, AF_INET, false);
		if (u->rule6)
			rule(u, AF_INET6, false);
		u->rule4 = u->rule6 = false;
	}
	/* routes go with the device */
	for (int i = 0; i < US_MAX_THREADS; i++)
		if (u->tun_fd[i] >= 0) {
			close(u->tun_fd[i]);
			u->tun_fd[i] = -1;
		}
	if (u->raw4 >= 0)
		close(u->raw4);
	if (u->raw6 >= 0)
		close(u->raw6);
	u->raw4 = u->raw6 = -1;
	if (u->nl)
		mnl_socket_close(u->nl);
	u->nl = NULL;
	pthread_mutex_destroy(&u->nl_lock);
}
