/*
 * registry: the models built into the faultline CLI, by name.
 *
 * The engine library knows no model; the CLI, the tests and the benchmarks
 * pass this table to fl_scenario_load, and an embedder can pass its own.
 */
#ifndef FL_MODELS_REGISTRY_H
#define FL_MODELS_REGISTRY_H

#include "faultline/service.h"

/* NULL-terminated, sorted by name. */
extern const struct fl_model *const fl_models_builtin[];

#endif /* FL_MODELS_REGISTRY_H */
