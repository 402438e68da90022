/* tp_badabi: built for another plugin ABI; the loader must refuse it. */
#include <ikev2d/chunk.h>
#include <ikev2d/plugin.h>

const char ikev2d_plugin_abi[] = "ikev2d-plugin-abi-0";

ikev2d_plugin_t *ikev2d_plugin_create(void);
ikev2d_plugin_t *ikev2d_plugin_create(void)
{
	/* Never reached: the ABI check comes first. */
	return xzalloc(sizeof(ikev2d_plugin_t));
}
