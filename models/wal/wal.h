/* wal: a write-ahead log on the simulated disk, with crash recovery; see wal.c. */
#ifndef FL_MODELS_WAL_H
#define FL_MODELS_WAL_H

#include "faultline/service.h"

extern const struct fl_model fl_model_wal;

#endif /* FL_MODELS_WAL_H */
