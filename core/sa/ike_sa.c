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
	chunk_free(&c->peer_rekey_nonce);
	chunk_free(&c->our_rekey_nonce);
	chunk_clear(&c->deferred_out);
	free(c->ts_local);
	free(c->ts_remote);
	free(c);
}

void ike_sa_free_msgs(chunk_t **frags, int *n)
{
	if (!*frags)
		return;
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
	ike_sa_free_msgs(&sa->resp, &sa->n_resp);
	ike_sa_free_msgs(&sa->req, &sa->n_req);
	ike_sa_free_msgs(&sa->req_alt, &sa->n_req_alt);
	chunk_free(&sa->peer_id);
	free(sa->acq);
	while (sa->children) {
		child_sa_t *c = sa->children;
		sa->children = c->next;
		child_sa_free(c);
	}
	free(sa);
}

void ike_sa_set_peer_id(ike_sa_t *sa, uint8_t type, chunk_t data)
{
	chunk_free(&sa->peer_id);
	sa->peer_id_type = type;
	sa->peer_id = chunk_clone(data);
}
