/*
 * faultline list: the built-in models, their variants and parameters, so a
 * scenario author need not read the model's source to know what to write.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "models/registry.h"

void cli_list_usage(FILE *out) {
    fprintf(out, "usage: faultline list\n\nLists the built-in models, variants and parameters.\n");
}

static void print_param(const struct fl_param *p) {
    const char *kind = p->kind == FL_PARAM_DURATION ? "duration"
                       : p->kind == FL_PARAM_BOOL   ? "bool"
                                                    : "integer";
    if (p->kind == FL_PARAM_DURATION) {
        printf("      %-16s %-8s default %" PRId64 " ns, %" PRId64 "..%" PRId64 " ns: %s\n",
               p->name, kind, p->value_default, p->value_min, p->value_max, p->help);
    } else {
        printf("      %-16s %-8s default %" PRId64 ", %" PRId64 "..%" PRId64 ": %s\n", p->name,
               kind, p->value_default, p->value_min, p->value_max, p->help);
    }
}

int cli_list(int argc, char **argv) {
    if (argc > 0) {
        if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
            cli_list_usage(stdout);
            return FL_EXIT_OK;
        }
        fprintf(stderr, "faultline list: unexpected argument \"%s\"\n", argv[0]);
        return FL_EXIT_USAGE;
    }
    for (const struct fl_model *const *m = fl_models_builtin; *m != NULL; m++) {
        const struct fl_model *model = *m;
        printf("%s: %s\n", model->name, model->summary);
        printf("  variants:\n");
        for (uint32_t i = 0; model->variants[i] != NULL; i++) {
            printf("    %-16s %s%s\n", model->variants[i], model->variant_help[i],
                   i == 0 ? " (default)" : "");
        }
        if (model->history_check != FL_HISTORY_NONE) {
            printf("  history check: %s linearizability of the clients' operations at the end\n",
                   model->history_check == FL_HISTORY_KV ? "kv" : "register");
        }
        if (model->params != NULL && model->params[0].name != NULL) {
            printf("  params:\n");
            for (const struct fl_param *p = model->params; p->name != NULL; p++) print_param(p);
        }
        printf("\n");
    }
    return FL_EXIT_OK;
}
