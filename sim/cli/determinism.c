/* PLACEHOLDER: being written; replaced before commit. */
#include "cli.h"
bool cli_check_determinism(const struct fl_scenario *scenario,
                           const struct fl_run_options *options, struct fl_result *result,
                           struct cli_divergence *divergence) {
    (void)scenario;
    (void)options;
    (void)result;
    (void)divergence;
    return false;
}
void cli_print_divergence(FILE *out, const char *scenario_path, uint64_t seed,
                          const struct cli_divergence *divergence) {
    (void)out;
    (void)scenario_path;
    (void)seed;
    (void)divergence;
}
