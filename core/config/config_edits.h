/*
 * config_edits.h - changes to the running configuration that no file
 * holds (ikeadm add|del rule|preshared): rules added (the libconfig text
 * of one rules entry) or deleted (by label), preshared entries added (the
 * text of one keys entry, which replaces the key of every label it names)
 * or deleted (by label).
 *
 * The changes are kept in order and applied to the parsed trees each time
 * the configuration file (config_load_edited) and its preshared file are
 * loaded, before anything is checked: a change is validated exactly as the
 * file's own rules and keys are, with every message file:line, and put in
 * force by the same path as a reload.  write rule serializes the edited
 * tree (config_edited_text).
 *
 * Key text is secret: it is wiped when freed and never logged.
 *
 * Owner: core/config.
 */
#ifndef IKEV2D_CONFIG_CONFIG_EDITS_H
#define IKEV2D_CONFIG_CONFIG_EDITS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg_ctx.h"

/* The longest text of one added rule or key entry. */
#define CONFIG_EDIT_MAX_TEXT (64 * 1024)

typedef struct config_edits config_edits_t;

config_edits_t *config_edits_new(void);
void config_edits_free(config_edits_t *ed);   /* NULL is fine */
/* A copy of ed (NULL: an empty set) with the changes of more after its
 * own. */
config_edits_t *config_edits_join(const config_edits_t *ed,
                                  const config_edits_t *more);
int config_edits_count(const config_edits_t *ed);

/* Record a change.  The text of an added entry must parse as one group
 * with a string label (a rule) or a label string or list (a key entry);
 * otherwise false with err saying why (for a key entry: never the key).
 * label_out (if given) gets the rule's label / the entry's first label. */
bool config_edits_add_rule(config_edits_t *ed, const char *text,
                           char *label_out, size_t label_len,
                           char *err, size_t errlen);
bool config_edits_add_key(config_edits_t *ed, const char *text,
                          char *label_out, size_t label_len,
                          char *err, size_t errlen);
void config_edits_del_rule(config_edits_t *ed, const char *label);
void config_edits_del_key(config_edits_t *ed, const char *label);

/* For the loaders: apply the rule changes to the tree's "rules" list and
 * the key changes to a preshared tree's "keys" list, in order.  A delete
 * of a label that is not there is an error (through ctx). */
void config_edits_apply_rules(cfg_ctx_t *ctx, config_setting_t *root,
                              const config_edits_t *ed);
void config_edits_apply_keys(cfg_ctx_t *ctx, config_setting_t *root,
                             const config_edits_t *ed);

/* The configuration file at path with ed's rule changes, as libconfig
 * text (fresh memory), for `ikeadm write rule`; NULL with err on failure.
 * @include files are written in place.  mask: the secret the file may
 * hold (daemon.pkcs11_token.pin) as X (ikeadm -p). */
char *config_edited_text(const char *path, const config_edits_t *ed, bool mask,
                         char *err, size_t errlen);

#endif
