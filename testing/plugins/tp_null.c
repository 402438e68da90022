/* tp_null: a constructor that fails. */
#include <ikev2d/bus.h>
#include <ikev2d/plugin.h>

#include <stddef.h>

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	log_error(DBG_PLUGIN, "tp_null: refusing to start");
	return NULL;
}
