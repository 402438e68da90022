/*
 * bus.c - log messages and SA events, delivered to registered listeners.
 *
 * Thread safety: the level masks are atomics, so the filter test on the hot
 * path takes no lock.  The listener list is an array under a rwlock: logging
 * and emitting take it shared, so any number of threads deliver at once;
 * adding and removing take it exclusive.  A message is formatted once, then
 * handed to every listener that wants it.
 */
#include <ikev2d/bus.h>
#include <ikev2d/chunk.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* Messages up to this size are formatted on the stack. */
#define BUS_STACK_MSG 512

static _Atomic uint32_t verbose_mask;
static _Atomic uint32_t raw_mask;
/* How many listeners have all_levels set: while any does, every message
 * must be formatted, whatever the masks say. */
static _Atomic int all_levels_count;  /* all_levels is read when a listener is added */

static pthread_rwlock_t listeners_lock = PTHREAD_RWLOCK_INITIALIZER;
static bus_listener_t **listeners;
static size_t n_listeners, cap_listeners;

void bus_set_levels(uint32_t verbose, uint32_t raw)
{
	/* RAW implies VERBOSE for the same group. */
	atomic_store(&verbose_mask, (verbose | raw) & DBG_ALL);
	atomic_store(&raw_mask, raw & DBG_ALL);
}

void bus_get_levels(uint32_t *verbose, uint32_t *raw)
{
	if (verbose)
		*verbose = atomic_load(&verbose_mask);
	if (raw)
		*raw = atomic_load(&raw_mask);
}

/* Whether the level masks let a message through (ignoring all_levels). */
static bool passes_filter(dbg_group_t group, dbg_level_t level)
{
	switch (level) {
	case LVL_ERROR:
	case LVL_OP:
		return true;
	case LVL_VERBOSE:
		return (atomic_load_explicit(&verbose_mask, memory_order_relaxed) & group) != 0;
	case LVL_RAW:
		return (atomic_load_explicit(&raw_mask, memory_order_relaxed) & group) != 0;
	}
	return false;
}

/* Inlined into bus_log/bus_vlog: a filtered-out call must cost almost
 * nothing (no call through the PLT, no formatting). */
static inline bool log_enabled(dbg_group_t group, dbg_level_t level)
{
	if (level <= LVL_OP)
		return true;
	if (atomic_load_explicit(&all_levels_count, memory_order_relaxed) > 0)
		return true;
	return passes_filter(group, level);
}

bool bus_log_enabled(dbg_group_t group, dbg_level_t level)
{
	return log_enabled(group, level);
}

/* With no listener at all (early start-up, a tool that never set one up)
 * errors still reach someone: they go to stderr. */
static void fallback_log(dbg_group_t group, dbg_level_t level, const char *msg)
{
	if (level == LVL_ERROR)
		fprintf(stderr, "ikev2d[%s]: %s\n", dbg_group_name(group), msg);
}

static void deliver(dbg_group_t group, dbg_level_t level, const char *msg)
{
	bool filtered_in = passes_filter(group, level);

	pthread_rwlock_rdlock(&listeners_lock);
	for (size_t i = 0; i < n_listeners; i++) {
		bus_listener_t *l = listeners[i];
		if (!l->log || !(filtered_in || l->all_levels))
			continue;
		l->log(l, group, level, msg);
	}
	bool none = n_listeners == 0;
	pthread_rwlock_unlock(&listeners_lock);
	if (none)
		fallback_log(group, level, msg);
}

/* Format once, deliver to every listener that wants it. */
static void vlog(dbg_group_t group, dbg_level_t level, const char *fmt, va_list ap)
{
	char stackbuf[BUS_STACK_MSG];
	char *msg = stackbuf;
	va_list copy;

	va_copy(copy, ap);
	int len = vsnprintf(stackbuf, sizeof(stackbuf), fmt, copy);
	va_end(copy);
	if (len < 0)
		return;  /* encoding error: nothing sensible to show */
	if ((size_t)len >= sizeof(stackbuf)) {
		msg = xmalloc((size_t)len + 1);
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
	}
	/* Listeners get one line: drop a trailing newline if a caller added one. */
	if (len > 0 && msg[len - 1] == '\n')
		msg[len - 1] = '\0';

	deliver(group, level, msg);
	if (msg != stackbuf)
		free(msg);
}

void bus_vlog(dbg_group_t group, dbg_level_t level, const char *fmt, va_list ap)
{
	if (log_enabled(group, level))
		vlog(group, level, fmt, ap);
}

void bus_log(dbg_group_t group, dbg_level_t level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(group, level))
		return;
	va_start(ap, fmt);
	vlog(group, level, fmt, ap);
	va_end(ap);
}

const char *dbg_group_name(dbg_group_t group)
{
	switch (group) {
	case DBG_CERT:    return "cert";
	case DBG_KEY:     return "key";
	case DBG_OP:      return "op";
	case DBG_IKESA:   return "phase1";
	case DBG_CHILDSA: return "phase2";
	case DBG_KERNEL:  return "pfkey";
	case DBG_POLICY:  return "policy";
	case DBG_PROP:    return "prop";
	case DBG_CTL:     return "door";
	case DBG_CONFIG:  return "config";
	case DBG_NET:     return "net";
	case DBG_CODEC:   return "codec";
	case DBG_PLUGIN:  return "plugin";
	case DBG_CRYPTO:  return "crypto";
	case DBG_ALL:     return "all";
	}
	return "?";
}

void bus_add_listener(bus_listener_t *listener)
{
	pthread_rwlock_wrlock(&listeners_lock);
	for (size_t i = 0; i < n_listeners; i++) {
		if (listeners[i] == listener) {
			/* Already there: adding twice would deliver twice. */
			pthread_rwlock_unlock(&listeners_lock);
			return;
		}
	}
	if (n_listeners == cap_listeners) {
		cap_listeners = cap_listeners ? 2 * cap_listeners : 8;
		listeners = xrealloc(listeners, cap_listeners * sizeof(*listeners));
	}
	listeners[n_listeners++] = listener;
	if (listener->all_levels)
		atomic_fetch_add(&all_levels_count, 1);
	pthread_rwlock_unlock(&listeners_lock);
}

void bus_remove_listener(bus_listener_t *listener)
{
	pthread_rwlock_wrlock(&listeners_lock);
	for (size_t i = 0; i < n_listeners; i++) {
		if (listeners[i] != listener)
			continue;
		/* Keep registration order: listeners see messages in the
		 * order they were added. */
		memmove(&listeners[i], &listeners[i + 1],
		        (n_listeners - i - 1) * sizeof(*listeners));
		n_listeners--;
		if (listener->all_levels)
			atomic_fetch_sub(&all_levels_count, 1);
		break;
	}
	if (n_listeners == 0) {
		free(listeners);
		listeners = NULL;
		cap_listeners = 0;
	}
	pthread_rwlock_unlock(&listeners_lock);
}

void bus_emit(const bus_event_t *ev)
{
	pthread_rwlock_rdlock(&listeners_lock);
	for (size_t i = 0; i < n_listeners; i++) {
		bus_listener_t *l = listeners[i];
		if (l->event)
			l->event(l, ev);
	}
	pthread_rwlock_unlock(&listeners_lock);
}
