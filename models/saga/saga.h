/* saga: travel booking across three services, an orchestrator that persists its
 * progress and compensates in reverse; see saga.c. */
#ifndef FL_MODELS_SAGA_H
#define FL_MODELS_SAGA_H

#include "faultline/service.h"

extern const struct fl_model fl_model_saga;

#endif /* FL_MODELS_SAGA_H */
