/*
 * Tests for sim/checksum.c: fl_crc32c, fl_crc32c_extend and fl_fnv1a32.
 *
 * Every model's disk records and messages carry one of these, and a scenario's
 * fingerprint covers those bytes, so the values are pinned three ways: the
 * published vectors (the "123456789" check value, RFC 3720's iSCSI vectors, the
 * FNV reference strings); the definitions written out bit by bit, over inputs
 * of every length up to 300 from a fixed generator; and the 16-entry nibble
 * form the models used before, whose results the shipped fingerprints hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "faultline/service.h"

/* CRC-32C by its definition: reflected, one bit at a time. */
static uint32_t crc32c_bitwise(const uint8_t *data, size_t size) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* The form models/wal, saga and payments carried: four bits at a time. */
static uint32_t crc32c_nibble(const uint8_t *data, size_t size) {
    static const uint32_t nibble[16] = {
        0x00000000u, 0x105ec76fu, 0x20bd8edeu, 0x30e349b1u, 0x417b1dbcu, 0x5125dad3u,
        0x61c69362u, 0x7198540du, 0x82f63b78u, 0x92a8fc17u, 0xa24bb5a6u, 0xb21572c9u,
        0xc38d26c4u, 0xd3d3e1abu, 0xe330a81au, 0xf36e6f75u,
    };
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ nibble[crc & 15u];
        crc = (crc >> 4) ^ nibble[crc & 15u];
    }
    return ~crc;
}

/* FNV-1a 32 by its definition, the product taken in 64 bits and cut. */
static uint32_t fnv1a32_reference(const uint8_t *data, size_t size) {
    uint64_t h = 0x811c9dc5u;
    for (size_t i = 0; i < size; i++) h = ((h ^ data[i]) * 0x01000193u) & 0xffffffffu;
    return (uint32_t)h;
}

/* Bytes from a fixed 64-bit LCG: the same inputs on every run. */
static void fill(uint8_t *out, size_t size, uint64_t seed) {
    uint64_t x = seed * 0x9e3779b97f4a7c15u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        out[i] = (uint8_t)(x >> 56);
    }
}

static void test_crc32c_published_vectors(void **state) {
    (void)state;
    assert_int_equal(fl_crc32c("123456789", 9), 0xe3069283u);
    assert_int_equal(fl_crc32c("", 0), 0x00000000u);
    assert_int_equal(fl_crc32c(NULL, 0), 0x00000000u);
    uint8_t block[32];
    memset(block, 0x00, sizeof block); /* RFC 3720 B.4: 32 bytes of zeros */
    assert_int_equal(fl_crc32c(block, sizeof block), 0x8a9136aau);
    memset(block, 0xff, sizeof block); /* 32 bytes of ones */
    assert_int_equal(fl_crc32c(block, sizeof block), 0x62a8ab43u);
    for (int i = 0; i < 32; i++) block[i] = (uint8_t)i; /* incrementing */
    assert_int_equal(fl_crc32c(block, sizeof block), 0x46dd794eu);
}

static void test_crc32c_matches_bitwise_and_nibble_forms(void **state) {
    (void)state;
    uint8_t buf[300] = {0};
    for (size_t size = 0; size <= sizeof buf; size++) {
        fill(buf, size, size);
        uint32_t crc = fl_crc32c(buf, size);
        assert_int_equal(crc, crc32c_bitwise(buf, size));
        assert_int_equal(crc, crc32c_nibble(buf, size));
    }
}

static void test_crc32c_extend_chains(void **state) {
    (void)state;
    assert_int_equal(fl_crc32c_extend(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(fl_crc32c_extend(fl_crc32c("1234", 4), "56789", 5), 0xe3069283u);
    assert_int_equal(fl_crc32c_extend(0xe3069283u, "", 0), 0xe3069283u);
    uint8_t buf[200];
    fill(buf, sizeof buf, 7);
    uint32_t whole = fl_crc32c(buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 13) {
        assert_int_equal(fl_crc32c_extend(fl_crc32c(buf, cut), buf + cut, sizeof buf - cut), whole);
    }
}

static void test_crc32c_catches_one_flipped_bit(void **state) {
    (void)state;
    uint8_t buf[64];
    fill(buf, sizeof buf, 3);
    uint32_t good = fl_crc32c(buf, sizeof buf);
    for (size_t bit = 0; bit < 8 * sizeof buf; bit++) {
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_not_equal(fl_crc32c(buf, sizeof buf), good);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(fl_crc32c(buf, sizeof buf), good);
}

static void test_fnv1a32_published_vectors(void **state) {
    (void)state;
    assert_int_equal(fl_fnv1a32("", 0), 0x811c9dc5u);
    assert_int_equal(fl_fnv1a32(NULL, 0), 0x811c9dc5u);
    assert_int_equal(fl_fnv1a32("a", 1), 0xe40c292cu);
    assert_int_equal(fl_fnv1a32("foobar", 6), 0xbf9cf968u);
}

static void test_fnv1a32_matches_definition(void **state) {
    (void)state;
    uint8_t buf[300] = {0};
    for (size_t size = 0; size <= sizeof buf; size++) {
        fill(buf, size, size + 1000);
        assert_int_equal(fl_fnv1a32(buf, size), fnv1a32_reference(buf, size));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_published_vectors),
        cmocka_unit_test(test_crc32c_matches_bitwise_and_nibble_forms),
        cmocka_unit_test(test_crc32c_extend_chains),
        cmocka_unit_test(test_crc32c_catches_one_flipped_bit),
        cmocka_unit_test(test_fnv1a32_published_vectors),
        cmocka_unit_test(test_fnv1a32_matches_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
