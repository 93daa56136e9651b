/* PLACEHOLDER: being written; replaced before commit. */
#include "cli.h"
int cli_merge(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "faultline merge: not built yet\n");
    return FL_EXIT_INTERNAL;
}
void cli_merge_usage(FILE *out) {
    fprintf(out, "faultline merge: not built yet\n");
}
