/*
 * esp_udp.c - the meeting point of the socket layer and a backend doing
 * ESP in user space (see <ikev2d/esp_udp.h>).  Two pointers each way,
 * atomic: they are read for every ESP datagram and set only at start-up
 * and shutdown, so no lock is taken on the data path.
 */
#include <stdatomic.h>

#include <ikev2d/bus.h>
#include <ikev2d/esp_udp.h>

static _Atomic(esp_udp_receiver_t) receiver;
static _Atomic(void *) receiver_ctx;
static _Atomic(esp_udp_sender_t) sender;

void esp_udp_set_receiver(esp_udp_receiver_t fn, void *ctx)
{
	/* ctx first: a reader that sees fn sees its ctx */
	atomic_store(&receiver_ctx, ctx);
	atomic_store(&receiver, fn);
}

bool esp_udp_wanted(void)
{
	return atomic_load(&receiver) != NULL;
}

void esp_udp_deliver(uint8_t *esp, size_t len,
                     const struct sockaddr_storage *from,
                     const struct sockaddr_storage *to)
{
	esp_udp_receiver_t fn = atomic_load(&receiver);

	if (fn)
		fn(esp, len, from, to, atomic_load(&receiver_ctx));
}

void esp_udp_set_sender(esp_udp_sender_t fn)
{
	atomic_store(&sender, fn);
}

size_t esp_udp_send(const esp_udp_datagram_t *d, size_t n)
{
	esp_udp_sender_t fn = atomic_load(&sender);

	if (!fn) {
		log_verbose(DBG_KERNEL, "esp-udp: no NAT-T socket to send ESP on");
		return 0;
	}
	return fn(d, n);
}
