/* PLACEHOLDER: being written; replaced before commit. */
#include "cli.h"
int cli_sweep(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "faultline sweep: not built yet\n");
    return FL_EXIT_INTERNAL;
}
void cli_sweep_usage(FILE *out) {
    fprintf(out, "faultline sweep: not built yet\n");
}
