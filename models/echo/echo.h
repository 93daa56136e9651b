/* echo: the smallest model with clients; see echo.c. */
#ifndef FL_MODELS_ECHO_H
#define FL_MODELS_ECHO_H

#include "faultline/service.h"

extern const struct fl_model fl_model_echo;

#endif /* FL_MODELS_ECHO_H */
