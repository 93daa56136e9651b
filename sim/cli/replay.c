/* PLACEHOLDER: being written; replaced before commit. */
#include "cli.h"
int cli_replay(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "faultline replay: not built yet\n");
    return FL_EXIT_INTERNAL;
}
void cli_replay_usage(FILE *out) {
    fprintf(out, "faultline replay: not built yet\n");
}
