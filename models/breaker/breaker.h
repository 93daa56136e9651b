/* breaker: clients with retries, backoff and circuit breakers calling replicas
 * of a service with finite capacity (retry storms); see breaker.c. */
#ifndef FL_MODELS_BREAKER_H
#define FL_MODELS_BREAKER_H

#include "faultline/service.h"

extern const struct fl_model fl_model_breaker;

#endif /* FL_MODELS_BREAKER_H */
