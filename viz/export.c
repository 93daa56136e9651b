/*
 * export: the text helpers both exports share (JSON and XML escaping, time
 * formats). See export.h.
 *
 * Strings in a loaded trace came from a JSON file and are UTF-8 as the engine
 * writes them, but a trace may come from anywhere, so both escapers check
 * every sequence again: a byte that is not part of well-formed UTF-8 becomes
 * U+FFFD, so the output is always valid JSON, or well-formed XML.
 */
#include "export.h"

#include <assert.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (NUL-terminated), or 0 if it
 * is not one: overlong forms, surrogates and code points past U+10FFFF
 * included. */
static size_t utf8_length(const unsigned char *s) {
    unsigned char c = s[0];
    size_t need;
    uint32_t code;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2, code = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3, code = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4, code = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xc0u) != 0x80u) return 0; /* a NUL ends the check too */
        code = (code << 6) | (s[k] & 0x3fu);
    }
    bool overlong = (need == 3 && code < 0x800) || (need == 4 && code < 0x10000);
    bool surrogate = code >= 0xd800 && code <= 0xdfff;
    if (overlong || surrogate || code > 0x10ffff) return 0;
    return need;
}

void fl_export_json_text(FILE *out, const char *text) {
    assert(text != NULL);
    const unsigned char *s = (const unsigned char *)text;
    while (*s != '\0') {
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            s++;
        } else if (c < 0x80) {
            fputc(c, out);
            s++;
        } else {
            size_t n = utf8_length(s);
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
}

void fl_export_xml_text(FILE *out, const char *text) {
    assert(text != NULL);
    const unsigned char *s = (const unsigned char *)text;
    while (*s != '\0') {
        unsigned char c = *s;
        switch (c) {
        case '&':
            fputs("&amp;", out);
            s++;
            continue;
        case '<':
            fputs("&lt;", out);
            s++;
            continue;
        case '>':
            fputs("&gt;", out);
            s++;
            continue;
        case '"':
            fputs("&quot;", out);
            s++;
            continue;
        case '\'':
            fputs("&apos;", out);
            s++;
            continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) { /* only tab, LF, CR are XML; keep it one line */
            fputs(c == '\t' ? " " : "\xef\xbf\xbd", out);
            s++;
        } else if (c < 0x80) {
            fputc(c, out);
            s++;
        } else {
            size_t n = utf8_length(s);
            if (n == 0) {
                fputs("\xef\xbf\xbd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
}

void fl_export_us(FILE *out, uint64_t ns) {
    fprintf(out, "%llu.%03llu", (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

void fl_export_duration(char *out, size_t out_size, uint64_t ns) {
    static const struct {
        uint64_t ns;
        const char *unit;
    } units[] = {{3600000000000ull, "h"}, {60000000000ull, "min"}, {1000000000ull, "s"},
                 {1000000ull, "ms"},      {1000ull, "us"},         {1ull, "ns"}};
    if (ns == 0) {
        snprintf(out, out_size, "0");
        return;
    }
    size_t u = 0;
    while (units[u].ns > ns)
        u++;
    uint64_t whole = ns / units[u].ns;
    uint64_t rest = ns % units[u].ns;
    /* One or two decimals when they say something: 1.5ms, 2.25s. */
    uint64_t hundredths = units[u].ns >= 100 ? rest / (units[u].ns / 100) : 0;
    if (hundredths == 0) {
        snprintf(out, out_size, "%llu%s", (unsigned long long)whole, units[u].unit);
    } else if (hundredths % 10 == 0) {
        snprintf(out, out_size, "%llu.%llu%s", (unsigned long long)whole,
                 (unsigned long long)(hundredths / 10), units[u].unit);
    } else {
        snprintf(out, out_size, "%llu.%02llu%s", (unsigned long long)whole,
                 (unsigned long long)hundredths, units[u].unit);
    }
}
