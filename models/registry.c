/* registry: the built-in models; see registry.h. */
#include "models/registry.h"

#include "models/echo/echo.h"
#include "models/gossip/gossip.h"

const struct fl_model *const fl_models_builtin[] = {
    &fl_model_echo,
    &fl_model_gossip,
    NULL,
};
