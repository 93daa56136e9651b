#ifndef FL_MODELS_PAYMENTS_H
#define FL_MODELS_PAYMENTS_H

#include "faultline/service.h"

extern const struct fl_model fl_model_payments;

#endif /* FL_MODELS_PAYMENTS_H */
