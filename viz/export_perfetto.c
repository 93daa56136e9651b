/*
 * export_perfetto: a trace as Chrome trace-event JSON, for ui.perfetto.dev.
 *
 * The mapping (docs/exports.md shows it in the UI):
 *   - one process (pid 1) for the run; one thread track per node, tid = the
 *     node's index + 1, named n1..nN, c1..cM by thread_name metadata, in that
 *     order (thread_sort_index); one more track, "world", for what happens to
 *     no node: network faults, a checker's violation, the end;
 *   - a complete slice ("ph":"X") per handler run: start, restart, deliver
 *     (named by the model's message kind, else request/reply/message), timer,
 *     sync (a disk sync completed). Handlers take no simulated time, so a
 *     slice is drawn with a nominal width, the run's length / 5000 clamped
 *     to [1 us, 1 ms], cut short where the node's next handler (or crash)
 *     starts so slices never overlap; args.sim_dur_ns is 0 to say so;
 *   - an arrow per delivered message copy: a flow start ("s") inside the
 *     sending handler's slice and a flow end ("f", "bp":"e") inside the
 *     delivering slice, sharing cat, name and id (Perfetto keys v1 flows on
 *     all three); id = the copy's index + 1. A slice may send several
 *     messages and receive one, which the one-bind_id-per-slice v2 flows
 *     cannot say, hence v1. Flow points sit mid-slice, where the slice is
 *     open whatever order equal timestamps are read in;
 *   - instant events ("ph":"i", "s":"t") for faults (crash, restart, pause,
 *     resume, clock jump, disk faults), drops (on the receiver, as in the
 *     trace), annotations, failed disk operations and the violation; network
 *     faults and the end on the world track;
 *   - each node's role as a counter ("ph":"C", name "nK", arg "role", so the
 *     track reads "nK role"): 0 while the node is down or has no role, else
 *     the role's number in order of first appearance; otherData.roles lists
 *     the numbers' names, and every slice carries the role and label as args.
 *
 * Timestamps are microseconds with three decimals ("ts":1146.158): the
 * format's unit, at the trace's nanosecond precision, printed from integers
 * (never through a double) so two exports of one trace are byte-identical.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

#define SLICE_NS_MIN 1000u       /* 1 us */
#define SLICE_NS_MAX 1000000u    /* 1 ms */
#define SLICE_SPAN_DIVISOR 5000u /* nominal slice width: a 5000th of the run */
#define ROLES_MAX 255u           /* distinct roles numbered; more share the last */

struct pf {
    const struct fl_trace_file *t;
    FILE *out;
    uint64_t *dur_ns; /* per event: its slice's drawn width (handlers only) */
    uint32_t *roles;  /* arena offsets of the distinct roles, by number - 1 */
    uint32_t role_count;
    uint32_t world_tid;
    bool first; /* no event written yet: no comma before the next */
};

static bool is_handler(uint8_t kind) {
    return kind == FL_TF_START || kind == FL_TF_RESTART || kind == FL_TF_DELIVER ||
           kind == FL_TF_TIMER || kind == FL_TF_DISK_SYNCED;
}

static uint32_t tid_of(const struct pf *pf, uint32_t node) {
    return node == FL_TF_NONE ? pf->world_tid : node + 1;
}

/* Each handler's drawn width: the nominal one, cut at the node's next handler
 * or crash. A backward pass knows when each node acts next. */
static void compute_widths(struct pf *pf, uint64_t *next_ns) {
    const struct fl_trace_file *t = pf->t;
    uint64_t nominal = t->end_ns / SLICE_SPAN_DIVISOR;
    if (nominal < SLICE_NS_MIN) nominal = SLICE_NS_MIN;
    if (nominal > SLICE_NS_MAX) nominal = SLICE_NS_MAX;
    for (uint32_t k = 0; k < t->node_count; k++)
        next_ns[k] = FL_TF_NEVER;
    for (uint64_t i = t->event_count; i-- > 0;) {
        const struct fl_tf_event *e = &t->events[i];
        bool boundary = is_handler(e->kind) || e->kind == FL_TF_CRASH;
        if (!boundary || e->node == FL_TF_NONE) continue;
        assert(e->node < t->node_count);
        if (is_handler(e->kind)) {
            uint64_t gap = next_ns[e->node] == FL_TF_NEVER ? nominal : next_ns[e->node] - e->t_ns;
            pf->dur_ns[i] = gap < nominal ? gap : nominal;
        }
        next_ns[e->node] = e->t_ns;
    }
}

static uint32_t role_number(struct pf *pf, uint32_t role) {
    const char *name = fl_tf_str(pf->t, role);
    if (name[0] == '\0') return 0;
    for (uint32_t i = 0; i < pf->role_count; i++) {
        if (strcmp(fl_tf_str(pf->t, pf->roles[i]), name) == 0) return i + 1;
    }
    if (pf->role_count == ROLES_MAX) return ROLES_MAX;
    pf->roles[pf->role_count++] = role;
    return pf->role_count;
}

/* --- writing ------------------------------------------------------------------- */

static void begin_event(struct pf *pf, const char *ph, uint32_t tid, uint64_t ts_ns) {
    fputs(pf->first ? "\n" : ",\n", pf->out);
    pf->first = false;
    fprintf(pf->out, "{\"ph\":\"%s\",\"pid\":1,\"tid\":%u,\"ts\":", ph, tid);
    fl_export_us(pf->out, ts_ns);
}

static void str_field(struct pf *pf, const char *key, const char *value) {
    fprintf(pf->out, ",\"%s\":\"", key);
    fl_export_json_text(pf->out, value);
    fputc('"', pf->out);
}

static void metadata(struct pf *pf, const char *name, uint32_t tid, const char *value,
                     uint32_t sort_index) {
    fputs(pf->first ? "\n" : ",\n", pf->out);
    pf->first = false;
    fprintf(pf->out, "{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"%s\",\"args\":{", tid, name);
    if (value != NULL) {
        fputs("\"name\":\"", pf->out);
        fl_export_json_text(pf->out, value);
        fputc('"', pf->out);
    } else {
        fprintf(pf->out, "\"sort_index\":%u", sort_index);
    }
    fputs("}}", pf->out);
}

static void write_metadata(struct pf *pf, const char *process_name) {
    const struct fl_trace_file *t = pf->t;
    metadata(pf, "process_name", 0, process_name, 0);
    for (uint32_t k = 0; k < t->node_count; k++) {
        metadata(pf, "thread_name", tid_of(pf, k), fl_tf_node_name(t, k), 0);
        metadata(pf, "thread_sort_index", tid_of(pf, k), NULL, k + 1);
    }
    metadata(pf, "thread_name", pf->world_tid, "world", 0);
    metadata(pf, "thread_sort_index", pf->world_tid, NULL, pf->world_tid);
}

/* The slice's name: what the handler ran for. */
static const char *slice_name(const struct pf *pf, const struct fl_tf_event *e) {
    const struct fl_trace_file *t = pf->t;
    if (e->kind == FL_TF_DELIVER) {
        assert(e->ref < t->message_count);
        const char *mkind = fl_tf_str(t, t->messages[e->ref].mkind);
        if (mkind[0] != '\0') return mkind;
        return e->type == FL_TF_MSG_REQUEST ? "request"
               : e->type == FL_TF_MSG_REPLY ? "reply"
                                            : "message";
    }
    if (e->kind == FL_TF_DISK_SYNCED) return "sync";
    return fl_tf_kind_name(e->kind);
}

static void slice_args(struct pf *pf, uint64_t index, const struct fl_tf_event *e) {
    const struct fl_trace_file *t = pf->t;
    fprintf(pf->out, ",\"args\":{\"event\":%llu,\"cause\":%llu,\"sim_dur_ns\":0",
            (unsigned long long)(index + 1), (unsigned long long)e->cause);
    if (e->kind == FL_TF_DELIVER) {
        const struct fl_tf_message *m = &t->messages[e->ref];
        str_field(pf, "from", fl_tf_node_name(t, m->from));
        fprintf(pf->out, ",\"size\":%u", m->size_bytes);
        if (m->req != 0) fprintf(pf->out, ",\"req\":%llu", (unsigned long long)m->req);
        if (m->trace_id != 0) fprintf(pf->out, ",\"trace\":%llu", (unsigned long long)m->trace_id);
        if (fl_tf_str(t, m->mtext)[0] != '\0') str_field(pf, "text", fl_tf_str(t, m->mtext));
        if (m->corrupt) fputs(",\"corrupt\":true", pf->out);
        if (m->copy_of != FL_TF_NONE) fputs(",\"duplicate\":true", pf->out);
    } else if (e->kind == FL_TF_TIMER) {
        fprintf(pf->out, ",\"tag\":%llu", (unsigned long long)e->a);
    } else if (e->kind == FL_TF_START || e->kind == FL_TF_RESTART) {
        fprintf(pf->out, ",\"incarnation\":%llu", (unsigned long long)e->a);
    }
    /* The node's state once the handler ran: the view written after it. */
    const struct fl_tf_change *c = fl_tf_node_state(t, e->node, e->t_ns);
    if (c != NULL && fl_tf_str(t, c->role)[0] != '\0') str_field(pf, "role", fl_tf_str(t, c->role));
    if (c != NULL && fl_tf_str(t, c->label)[0] != '\0') {
        str_field(pf, "label", fl_tf_str(t, c->label));
    }
    fputs("}}", pf->out);
}

static void write_slice(struct pf *pf, uint64_t index) {
    const struct fl_tf_event *e = &pf->t->events[index];
    begin_event(pf, "X", tid_of(pf, e->node), e->t_ns);
    fputs(",\"dur\":", pf->out);
    fl_export_us(pf->out, pf->dur_ns[index]);
    fputs(",\"cat\":\"handler\"", pf->out);
    str_field(pf, "name", slice_name(pf, e));
    slice_args(pf, index, e);
}

/* Where a flow point goes: mid-slice of the handler event (0-based index). */
static uint64_t mid_slice_ns(const struct pf *pf, uint64_t index) {
    return pf->t->events[index].t_ns + pf->dur_ns[index] / 2;
}

/* The arrow of the message copy a deliver event received. */
static void write_flow(struct pf *pf, uint64_t deliver_index) {
    const struct fl_trace_file *t = pf->t;
    const struct fl_tf_event *d = &t->events[deliver_index];
    assert(d->ref < t->message_count);
    const struct fl_tf_message *m = &t->messages[d->ref];
    assert(m->send_id >= 1 && m->send_id <= t->event_count);
    const struct fl_tf_event *send = &t->events[m->send_id - 1];
    uint32_t from_tid = tid_of(pf, m->from);
    uint64_t from_ns = send->t_ns;
    if (send->cause >= 1 && is_handler(t->events[send->cause - 1].kind)) {
        from_ns = mid_slice_ns(pf, send->cause - 1);
    }
    unsigned id = d->ref + 1u;
    begin_event(pf, "s", from_tid, from_ns);
    fprintf(pf->out, ",\"cat\":\"message\",\"name\":\"message\",\"id\":%u}", id);
    begin_event(pf, "f", tid_of(pf, d->node), mid_slice_ns(pf, deliver_index));
    fprintf(pf->out, ",\"bp\":\"e\",\"cat\":\"message\",\"name\":\"message\",\"id\":%u}", id);
}

/* An instant on a node's track (or the world's); text (may be "") goes in args. */
static void write_instant(struct pf *pf, const struct fl_tf_event *e, uint64_t index,
                          const char *name, const char *text) {
    begin_event(pf, "i", tid_of(pf, e->node), e->t_ns);
    fputs(",\"s\":\"t\",\"cat\":\"", pf->out);
    fputs(e->kind == FL_TF_VIOLATION  ? "violation"
          : e->kind == FL_TF_ANNOTATE ? "annotation"
          : e->kind == FL_TF_DROP     ? "drop"
                                      : "fault",
          pf->out);
    fputc('"', pf->out);
    str_field(pf, "name", name);
    fprintf(pf->out, ",\"args\":{\"event\":%llu", (unsigned long long)(index + 1));
    if (text[0] != '\0') str_field(pf, "text", text);
    fputs("}}", pf->out);
}

static void write_event(struct pf *pf, uint64_t index) {
    const struct fl_trace_file *t = pf->t;
    const struct fl_tf_event *e = &t->events[index];
    const char *text = fl_tf_str(t, e->text);
    char name[96];
    if (is_handler(e->kind)) {
        write_slice(pf, index);
        if (e->kind == FL_TF_DELIVER) write_flow(pf, index);
    }
    switch ((enum fl_tf_kind)e->kind) {
    case FL_TF_CRASH:
    case FL_TF_RESTART:
    case FL_TF_PAUSE:
    case FL_TF_RESUME:
    case FL_TF_NET:
        write_instant(pf, e, index, e->kind == FL_TF_NET ? text : fl_tf_kind_name(e->kind), text);
        break;
    case FL_TF_CLOCK_JUMP: {
        char delta[32];
        int64_t ns = (int64_t)e->a;
        fl_export_duration(delta, sizeof delta, ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns);
        snprintf(name, sizeof name, "clock_jump %s%s", ns < 0 ? "-" : "+", delta);
        write_instant(pf, e, index, name, "");
        break;
    }
    case FL_TF_DISK_FAULT:
        snprintf(name, sizeof name, "disk %s", text);
        write_instant(pf, e, index, name, "");
        break;
    case FL_TF_DROP:
        snprintf(name, sizeof name, "drop (%s)", fl_tf_drop_reason_name((uint8_t)e->a));
        write_instant(pf, e, index, name, "");
        break;
    case FL_TF_ANNOTATE:
    case FL_TF_OP_INVOKE: /* a client's history: "cas k3 1 -> 2", "ok read -> 7" */
    case FL_TF_OP_RETURN: write_instant(pf, e, index, text, ""); break;
    case FL_TF_VIOLATION: write_instant(pf, e, index, "violation", text); break;
    case FL_TF_END:
        snprintf(name, sizeof name, "end (%s)", fl_tf_end_reason_name(t->end_reason));
        write_instant(pf, e, index, name, "");
        break;
    case FL_TF_DISK_WRITE:
    case FL_TF_DISK_READ:
    case FL_TF_DISK_TRUNCATE:
    case FL_TF_DISK_SYNCED:
        if ((e->flags & FL_TF_EVENT_FAILED) == 0) break;
        snprintf(name, sizeof name, "%s failed", fl_tf_kind_name(e->kind));
        write_instant(pf, e, index, name, text);
        break;
    default: break;
    }
}

/* Each node's role over time: a value whenever its number changes. */
static void write_role_counters(struct pf *pf) {
    const struct fl_trace_file *t = pf->t;
    for (uint32_t k = 0; k < t->node_count; k++) {
        uint32_t last = UINT32_MAX;
        for (uint32_t c = t->node_changes_first[k]; c < t->node_changes_first[k + 1]; c++) {
            const struct fl_tf_change *change = &t->changes[c];
            assert(change->node == k);
            bool superseded =
                c + 1 < t->node_changes_first[k + 1] && t->changes[c + 1].t_ns == change->t_ns;
            if (superseded) continue; /* one value per instant: the last */
            uint32_t number = change->up ? role_number(pf, change->role) : 0;
            if (number == last) continue;
            last = number;
            begin_event(pf, "C", tid_of(pf, k), change->t_ns);
            fputs(",\"name\":\"", pf->out);
            fl_export_json_text(pf->out, fl_tf_node_name(t, k));
            fprintf(pf->out, "\",\"args\":{\"role\":%u}}", number);
        }
    }
}

static void write_role_legend(struct pf *pf) {
    fputs("\"roles\":\"0: down or none", pf->out);
    for (uint32_t i = 0; i < pf->role_count; i++) {
        fprintf(pf->out, ", %u: ", i + 1);
        fl_export_json_text(pf->out, fl_tf_str(pf->t, pf->roles[i]));
    }
    fputc('"', pf->out);
}

bool fl_export_perfetto(const struct fl_trace_file *trace, const char *process_name, FILE *out) {
    assert(trace != NULL && out != NULL);
    struct pf pf = {.t = trace, .out = out, .world_tid = trace->node_count + 1, .first = true};
    pf.dur_ns = calloc(trace->event_count + 1, sizeof pf.dur_ns[0]);
    uint64_t *next_ns = calloc(trace->node_count + 1, sizeof next_ns[0]);
    pf.roles = calloc(ROLES_MAX, sizeof pf.roles[0]);
    if (pf.dur_ns == NULL || next_ns == NULL || pf.roles == NULL) abort();
    compute_widths(&pf, next_ns);
    free(next_ns);
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", out);
    write_metadata(&pf, process_name != NULL ? process_name : "faultline");
    for (uint64_t i = 0; i < trace->event_count; i++)
        write_event(&pf, i);
    write_role_counters(&pf);
    fputs("\n],\"otherData\":{\"generator\":\"faultline export\",", out);
    write_role_legend(&pf);
    fprintf(out, ",\"events\":%llu,\"messages_delivered\":%llu}}\n",
            (unsigned long long)trace->event_count, (unsigned long long)trace->counts.delivers);
    free(pf.dur_ns);
    free(pf.roles);
    return fflush(out) == 0 && !ferror(out);
}
