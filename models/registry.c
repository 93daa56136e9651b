/* registry: the built-in models; see registry.h. */
#include "registry.h"

#include "breaker/breaker.h"
#include "crashy/crashy.h"
#include "echo/echo.h"
#include "gossip/gossip.h"
#include "jobqueue/jobqueue.h"
#include "payments/payments.h"
#include "raft/raft.h"
#include "saga/saga.h"
#include "wal/wal.h"

const struct fl_model *const fl_models_builtin[] = {
    &fl_model_breaker,
    &fl_model_crashy,
    &fl_model_echo,
    &fl_model_gossip,
    &fl_model_jobqueue,
    &fl_model_payments,
    &fl_model_raft,
    &fl_model_saga,
    &fl_model_wal,
    NULL,
};
