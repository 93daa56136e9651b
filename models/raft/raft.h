/* raft: leader election, log replication and a key-value state machine on the
 * simulated disk, with the bugs Raft implementations shipped; see raft.c. */
#ifndef FL_MODELS_RAFT_H
#define FL_MODELS_RAFT_H

#include "faultline/service.h"

extern const struct fl_model fl_model_raft;

#endif /* FL_MODELS_RAFT_H */
