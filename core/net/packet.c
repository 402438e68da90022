/*
 * packet.c - packets, and the two hooks between the socket layer and the
 * engine: where received packets go (the receiver) and how packets leave
 * (the sender: the daemon's sockets unless a test installed its own).
 */
#include <pthread.h>
#include <stdlib.h>

#include <ikev2d/bus.h>
#include <net/net.h>
#include <net/packet.h>

packet_t *packet_create(void)
{
	return xzalloc(sizeof(packet_t));
}

packet_t *packet_clone(const packet_t *p)
{
	packet_t *c = packet_create();

	c->src = p->src;
	c->dst = p->dst;
	c->data = p->data.len ? chunk_clone(p->data) : chunk_empty;
	return c;
}

void packet_destroy(packet_t *p)
{
	if (!p)
		return;
	chunk_free(&p->data);
	free(p);
}

/* Hooks; set at start-up (or by tests) and read on every packet. */
static pthread_rwlock_t hook_lock = PTHREAD_RWLOCK_INITIALIZER;
static packet_receiver_t receiver_fn;
static void *receiver_ctx;
static packet_sender_t sender_fn;
static void *sender_ctx;
/* The sockets' own sender, installed by net_open; used when no test
 * replaced it with net_set_sender. */
static packet_sender_t default_fn;

void net_set_receiver(packet_receiver_t fn, void *ctx)
{
	pthread_rwlock_wrlock(&hook_lock);
	receiver_fn = fn;
	receiver_ctx = ctx;
	pthread_rwlock_unlock(&hook_lock);
}

void net_set_default_sender(packet_sender_t fn)
{
	pthread_rwlock_wrlock(&hook_lock);
	default_fn = fn;
	pthread_rwlock_unlock(&hook_lock);
}

void net_set_sender(packet_sender_t fn, void *ctx)
{
	pthread_rwlock_wrlock(&hook_lock);
	sender_fn = fn;
	sender_ctx = ctx;
	pthread_rwlock_unlock(&hook_lock);
}

bool net_send(packet_t *packet)
{
	packet_sender_t fn;
	void *ctx;

	if (!packet)
		return false;
	pthread_rwlock_rdlock(&hook_lock);
	fn = sender_fn ? sender_fn : default_fn;
	ctx = sender_fn ? sender_ctx : NULL;
	pthread_rwlock_unlock(&hook_lock);
	if (fn)
		return fn(packet, ctx);
	log_error(DBG_NET, "net: no socket open, %zu-byte packet not sent",
	          packet->data.len);
	packet_destroy(packet);
	return false;
}

void net_deliver(packet_t *packet)
{
	packet_receiver_t fn;
	void *ctx;

	pthread_rwlock_rdlock(&hook_lock);
	fn = receiver_fn;
	ctx = receiver_ctx;
	pthread_rwlock_unlock(&hook_lock);
	if (!fn) {
		log_verbose(DBG_NET, "net: no receiver installed, %zu-byte "
		            "packet dropped", packet->data.len);
		packet_destroy(packet);
		return;
	}
	fn(packet, ctx);
}
