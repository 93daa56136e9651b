/* crashy: service code that misbehaves on purpose; see crashy.c. */
#ifndef FL_MODELS_CRASHY_H
#define FL_MODELS_CRASHY_H

#include "faultline/service.h"

extern const struct fl_model fl_model_crashy;

#endif /* FL_MODELS_CRASHY_H */
