/* tp_nosym: right ABI, but no ikev2d_plugin_create. */
#include <ikev2d/plugin.h>

const char ikev2d_plugin_abi[] = IKEV2D_PLUGIN_ABI;

int tp_nosym_something(void);
int tp_nosym_something(void)
{
	return 1;
}
