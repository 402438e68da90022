/*
 * ike_sa.c - IKE and CHILD SA state helpers.
 */
#include "sa/ike_sa.h"

#include <stdlib.h>

const char *ike_sa_state_name(ike_sa_state_t s)
{
	static const char *const names[] = {
		[IKE_CREATED] = "CREATED",
		[IKE_INIT_SENT] = "INIT_SENT",
		[IKE_INIT_DONE] = "INIT_DONE",
		[IKE_AUTH_SENT] = "AUTH_SENT",
		[IKE_ESTABLISHED] = "ESTABLISHED",
		[IKE_REKEYING] = "REKEYING",
		[IKE_DELETING] = "DELETING",
		[IKE_DEAD] = "DEAD",
	};
	if ((unsigned)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "?";
}

void child_sa_free(child_sa_t *c)
{
	if (!c)
		return;
	free(c->ts_local);
	free(c->ts_remote);
	free(c);
}

static void free_frags(chunk_t **frags, int *n)
{
	for (int i = 0; i < *n; i++)
		chunk_free(&(*frags)[i]);
	free(*frags);
	*frags = NULL;
	*n = 0;
}

void ike_sa_free(ike_sa_t *sa)
{
	if (!sa)
		return;
	chunk_free(&sa->last_response);
	chunk_free(&sa->pending_request);
	free_frags(&sa->last_response_frags, &sa->n_last_response_frags);
	free_frags(&sa->pending_frags, &sa->n_pending_frags);
	while (sa->children) {
		child_sa_t *c = sa->children;
		sa->children = c->next;
		child_sa_free(c);
	}
	free(sa);
}
