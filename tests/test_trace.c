/*
 * test_trace: every record is one valid JSON line whatever text a model
 * writes, and the fingerprint does not depend on whether a file is written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "faultline/faultline.h"
#include "trace.h"

static void emit_text(struct fl_trace *trace, const char *text, uint32_t len) {
    struct fl_trace_record r = {.kind = FL_TR_ANNOTATE, .node = 0, .peer = FL_NODE_NONE,
                                .text = text, .text_len = len};
    fl_trace_emit(trace, &r);
}

/* Writes one annotation and returns the JSON line, without its newline. */
static void line_for(const char *text, uint32_t len, char *out, size_t out_size) {
    FILE *file = tmpfile();
    assert_non_null(file);
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 2, 3, &allocs);
    emit_text(&trace, text, len);
    assert_true(fl_trace_flush(&trace));
    fl_trace_deinit(&trace);
    rewind(file);
    assert_non_null(fgets(out, (int)out_size, file));
    size_t n = strlen(out);
    assert_true(n > 0 && out[n - 1] == '\n');
    out[n - 1] = '\0';
    fclose(file);
}

static void test_text_is_escaped_as_json(void **state) {
    (void)state;
    char line[512];
    static const char text[] = "say \"hi\"\\ now\nthen\x01";
    line_for(text, sizeof text - 1, line, sizeof line);
    assert_non_null(strstr(line, "\"text\":\"say \\\"hi\\\"\\\\ now\\nthen\\u0001\"}"));
    assert_non_null(strstr(line, "{\"id\":1,\"t\":0,\"kind\":\"annotate\",\"node\":\"n1\""));
}

static void test_valid_utf8_is_kept_and_invalid_bytes_replaced(void **state) {
    (void)state;
    char line[512];
    static const char text[] = "caf\xc3\xa9 \xe2\x82\xac \xff \xc0\xaf \xed\xa0\x80 \xe2\x82";
    line_for(text, sizeof text - 1, line, sizeof line);
    /* é and € pass through; a stray 0xff, an overlong '/', a surrogate and a
     * cut-off sequence each become U+FFFD per byte. */
    assert_non_null(strstr(line, "\"text\":\"caf\xc3\xa9 \xe2\x82\xac \\ufffd \\ufffd\\ufffd "
                                 "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"}"));
}

static void test_long_text_spanning_buffers_is_one_line(void **state) {
    (void)state;
    static char text[3 * 1024 * 1024];
    memset(text, 'x', sizeof text);
    FILE *file = tmpfile();
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 1, 1, &allocs);
    emit_text(&trace, text, sizeof text);
    emit_text(&trace, "end", 3);
    fl_trace_deinit(&trace);
    rewind(file);
    int c, lines = 0;
    long length = 0, longest = 0;
    while ((c = fgetc(file)) != EOF) {
        length++;
        if (c == '\n') {
            lines++;
            if (length > longest) longest = length;
            length = 0;
        }
    }
    assert_int_equal(lines, 2);
    assert_true(longest > (long)sizeof text);
    fclose(file);
}

static uint64_t fingerprint_of(FILE *file, int records) {
    uint64_t allocs = 0;
    struct fl_trace trace;
    fl_trace_init(&trace, file, 3, 5, &allocs);
    for (int i = 0; i < records; i++) {
        struct fl_trace_record r = {.kind = FL_TR_SEND, .node = (uint32_t)(i % 5),
                                    .peer = (uint32_t)((i + 1) % 5), .a = 64,
                                    .b = (uint64_t)i * 0x9e3779b97f4a7c15ull,
                                    .cause = i > 0 ? (uint64_t)i : 0, .time_ns = (uint64_t)i};
        fl_trace_emit(&trace, &r);
        if (i % 1000 == 0) emit_text(&trace, "note", 4);
    }
    uint64_t fingerprint = fl_trace_fingerprint(&trace);
    fl_trace_deinit(&trace);
    return fingerprint;
}

static void test_fingerprint_is_the_same_with_or_without_a_file(void **state) {
    (void)state;
    FILE *file = tmpfile();
    uint64_t with = fingerprint_of(file, 100000);
    uint64_t without = fingerprint_of(NULL, 100000);
    assert_int_equal(with, without);
    assert_int_not_equal(without, fingerprint_of(NULL, 99999));
    fclose(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_is_escaped_as_json),
        cmocka_unit_test(test_valid_utf8_is_kept_and_invalid_bytes_replaced),
        cmocka_unit_test(test_long_text_spanning_buffers_is_one_line),
        cmocka_unit_test(test_fingerprint_is_the_same_with_or_without_a_file),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
