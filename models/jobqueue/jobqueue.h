/* jobqueue: an at-least-once job queue with leases, fencing tokens, an
 * idempotent result store and a dead-letter queue; see jobqueue.c. */
#ifndef FL_MODELS_JOBQUEUE_H
#define FL_MODELS_JOBQUEUE_H

#include "faultline/service.h"

extern const struct fl_model fl_model_jobqueue;

#endif /* FL_MODELS_JOBQUEUE_H */
