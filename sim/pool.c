/*
 * pool: size-classed free lists for message payloads. See pool.h.
 */
#include "pool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES_MIN (64u * 1024u)

_Static_assert(FL_POOL_CLASSES <= 255, "class index fits in a byte");
_Static_assert((1u << FL_POOL_CLASS_MIN_SHIFT) >= sizeof(void *), "a free block holds its link");

void fl_pool_init(struct fl_pool *pool, uint64_t *alloc_count) {
    assert(alloc_count != NULL);
    memset(pool, 0, sizeof *pool);
    pool->alloc_count = alloc_count;
}

void fl_pool_deinit(struct fl_pool *pool) {
    for (uint32_t i = 0; i < pool->chunk_count; i++) free(pool->chunks[i]);
    free(pool->chunks);
    memset(pool, 0, sizeof *pool);
}

uint8_t fl_pool_class(size_t size_bytes) {
    assert(size_bytes <= (1u << FL_POOL_CLASS_MAX_SHIFT));
    uint8_t size_class = 0;
    while (((size_t)1 << (FL_POOL_CLASS_MIN_SHIFT + size_class)) < size_bytes) size_class++;
    assert(size_class < FL_POOL_CLASSES);
    return size_class;
}

static void refill(struct fl_pool *pool, uint8_t size_class) {
    size_t block_bytes = (size_t)1 << (FL_POOL_CLASS_MIN_SHIFT + size_class);
    size_t chunk_bytes = block_bytes * 16 > CHUNK_BYTES_MIN ? block_bytes * 16 : CHUNK_BYTES_MIN;
    if (pool->chunk_count == pool->chunk_capacity) {
        uint32_t capacity = pool->chunk_capacity ? pool->chunk_capacity * 2 : 16;
        void **chunks = realloc(pool->chunks, capacity * sizeof chunks[0]);
        if (chunks == NULL) abort();
        (*pool->alloc_count)++;
        pool->chunks = chunks;
        pool->chunk_capacity = capacity;
    }
    char *chunk = malloc(chunk_bytes);
    if (chunk == NULL) abort();
    (*pool->alloc_count)++;
    pool->chunks[pool->chunk_count++] = chunk;
    /* Thread the blocks in address order within the chunk; the order blocks are
     * handed out never reaches the simulation (payload addresses are not
     * observable), it only keeps neighbouring sends in neighbouring memory. */
    for (size_t offset = chunk_bytes; offset >= block_bytes; offset -= block_bytes) {
        void *block = chunk + offset - block_bytes;
        memcpy(block, &pool->free[size_class], sizeof(void *));
        pool->free[size_class] = block;
    }
}

void *fl_pool_get(struct fl_pool *pool, uint8_t size_class) {
    assert(size_class < FL_POOL_CLASSES);
    if (pool->free[size_class] == NULL) refill(pool, size_class);
    void *block = pool->free[size_class];
    memcpy(&pool->free[size_class], block, sizeof(void *));
    return block;
}

void fl_pool_put(struct fl_pool *pool, void *block, uint8_t size_class) {
    assert(block != NULL);
    assert(size_class < FL_POOL_CLASSES);
    memcpy(block, &pool->free[size_class], sizeof(void *));
    pool->free[size_class] = block;
}
