/* png: a minimal PNG writer; see png.h. */
#include "png.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t fl_png_crc32(uint32_t crc, const uint8_t *data, size_t size) {
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The deflate output: bits are packed from each byte's low end. */
struct bits {
    uint8_t *data;
    size_t used, size;
    uint32_t acc; /* pending bits, low first */
    uint32_t count;
    bool failed; /* out of memory */
};

static void put_bits(struct bits *b, uint32_t value, uint32_t n) {
    assert(n <= 24);
    b->acc |= value << b->count;
    b->count += n;
    while (b->count >= 8) {
        if (b->used == b->size) {
            size_t next = b->size < 4096 ? 4096 : b->size * 2;
            uint8_t *p = realloc(b->data, next);
            if (p == NULL) {
                b->failed = true;
                b->used = 0; /* keep going harmlessly; the caller checks failed */
            } else {
                b->data = p;
                b->size = next;
            }
        }
        if (b->size > 0) b->data[b->used++] = (uint8_t)b->acc;
        b->acc >>= 8;
        b->count -= 8;
    }
}

/* Huffman codes go most significant bit first. */
static void put_code(struct bits *b, uint32_t code, uint32_t n) {
    uint32_t reversed = 0;
    for (uint32_t i = 0; i < n; i++)
        reversed |= ((code >> i) & 1u) << (n - 1 - i);
    put_bits(b, reversed, n);
}

/* A literal or length symbol (0..287) in the fixed code of RFC 1951 3.2.6. */
static void put_symbol(struct bits *b, uint32_t symbol) {
    if (symbol < 144)
        put_code(b, 0x30 + symbol, 8);
    else if (symbol < 256)
        put_code(b, 0x190 + symbol - 144, 9);
    else if (symbol < 280)
        put_code(b, symbol - 256, 7);
    else
        put_code(b, 0xc0 + symbol - 280, 8);
}

static const uint16_t length_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                         15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                         67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t length_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                         2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t distance_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t distance_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                           6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static void put_match(struct bits *b, uint32_t length, uint32_t distance) {
    assert(length >= 3 && length <= 258 && distance >= 1 && distance <= 32768);
    uint32_t l = 28;
    while (length_base[l] > length)
        l--;
    put_symbol(b, 257 + l);
    put_bits(b, length - length_base[l], length_extra[l]);
    uint32_t d = 29;
    while (distance_base[d] > distance)
        d--;
    put_code(b, d, 5);
    put_bits(b, distance - distance_base[d], distance_extra[d]);
}

static uint32_t match_length(const uint8_t *data, size_t at, size_t size, size_t distance) {
    if (distance > at || distance > 32768) return 0;
    uint32_t n = 0;
    while (at + n < size && n < 258 && data[at + n] == data[at + n - distance])
        n++;
    return n;
}

/* zlib stream of data: header, one fixed-Huffman block, Adler-32. */
static bool deflate_fixed(const uint8_t *data, size_t size, size_t row_bytes, struct bits *b) {
    put_bits(b, 0x78, 8);
    put_bits(b, 0x01, 8); /* 0x7801: deflate, 32 KiB window, no dictionary, check bits */
    put_bits(b, 1, 1);    /* the last block */
    put_bits(b, 1, 2);    /* fixed Huffman codes */
    for (size_t i = 0; i < size;) {
        uint32_t run = match_length(data, i, size, 3);
        uint32_t up = match_length(data, i, size, row_bytes);
        uint32_t best = run >= up ? run : up;
        if (best >= 3) {
            put_match(b, best, run >= up ? 3 : (uint32_t)row_bytes);
            i += best;
        } else {
            put_symbol(b, data[i]);
            i++;
        }
    }
    put_symbol(b, 256);
    put_bits(b, 0, 7); /* flush to a byte */
    b->count = 0;
    uint32_t s1 = 1, s2 = 0;
    for (size_t i = 0; i < size; i++) {
        s1 = (s1 + data[i]) % 65521u;
        s2 = (s2 + s1) % 65521u;
    }
    uint32_t adler = (s2 << 16) | s1;
    for (int k = 3; k >= 0; k--)
        put_bits(b, (adler >> (8 * k)) & 0xffu, 8);
    return !b->failed;
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static bool write_chunk(FILE *file, const char type[4], const uint8_t *data, size_t size) {
    uint8_t head[8];
    put_be32(head, (uint32_t)size);
    memcpy(head + 4, type, 4);
    uint32_t crc = fl_png_crc32(0, head + 4, 4);
    crc = fl_png_crc32(crc, data, size);
    uint8_t tail[4];
    put_be32(tail, crc);
    return fwrite(head, 1, 8, file) == 8 && (size == 0 || fwrite(data, 1, size, file) == size) &&
           fwrite(tail, 1, 4, file) == 4;
}

bool fl_png_write(const char *path, const uint32_t *pixels, uint32_t width, uint32_t height,
                  size_t pitch_bytes) {
    assert(width > 0 && height > 0);
    size_t row_bytes = (size_t)width * 3 + 1;
    size_t size = row_bytes * height;
    uint8_t *raw = malloc(size);
    if (raw == NULL) return false;
    for (uint32_t y = 0; y < height; y++) {
        const uint32_t *row =
            (const uint32_t *)(const void *)((const uint8_t *)pixels + y * pitch_bytes);
        uint8_t *out = raw + y * row_bytes;
        *out++ = 0; /* filter: none */
        for (uint32_t x = 0; x < width; x++) {
            *out++ = (uint8_t)(row[x] >> 16);
            *out++ = (uint8_t)(row[x] >> 8);
            *out++ = (uint8_t)row[x];
        }
    }
    struct bits b = {0};
    bool ok = deflate_fixed(raw, size, row_bytes, &b);
    free(raw);
    FILE *file = ok ? fopen(path, "wb") : NULL;
    if (file == NULL) {
        free(b.data);
        return false;
    }
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t header[13];
    put_be32(header, width);
    put_be32(header + 4, height);
    header[8] = 8;  /* bits per channel */
    header[9] = 2;  /* colour type: RGB */
    header[10] = 0; /* deflate */
    header[11] = 0; /* adaptive filtering */
    header[12] = 0; /* no interlace */
    ok = fwrite(signature, 1, 8, file) == 8 && write_chunk(file, "IHDR", header, 13) &&
         write_chunk(file, "IDAT", b.data, b.used) && write_chunk(file, "IEND", NULL, 0);
    free(b.data);
    if (fclose(file) != 0) ok = false;
    return ok;
}
