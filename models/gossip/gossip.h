/* gossip: messages forwarded between servers; see gossip.c. */
#ifndef FL_MODELS_GOSSIP_H
#define FL_MODELS_GOSSIP_H

#include "faultline/service.h"

extern const struct fl_model fl_model_gossip;

#endif /* FL_MODELS_GOSSIP_H */
