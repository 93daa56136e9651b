/*
 * pool: memory for message payloads in flight.
 *
 * Every send copies the payload (a message is bytes, and the sender may reuse
 * its buffer at once), and the copy lives until the message is delivered or
 * dropped. Size classes are powers of two from 64 bytes to 1 MiB; each class
 * keeps an intrusive free list of blocks carved from chunks that are never
 * returned before the pool dies. Once a run has seen its peak of bytes in
 * flight per class, sends allocate nothing.
 *
 * Rejected: malloc per message (an allocation per event, and glibc's arenas are
 * slower than a free-list pop); one fixed block size (1 MiB messages are allowed).
 */
#ifndef FL_POOL_H
#define FL_POOL_H

#include <stddef.h>
#include <stdint.h>

#define FL_POOL_CLASS_MIN_SHIFT 6u  /* 64 bytes */
#define FL_POOL_CLASS_MAX_SHIFT 20u /* 1 MiB */
#define FL_POOL_CLASSES (FL_POOL_CLASS_MAX_SHIFT - FL_POOL_CLASS_MIN_SHIFT + 1u)

struct fl_pool {
    void *free[FL_POOL_CLASSES]; /* free list heads, linked through the blocks' first bytes */
    void **chunks;               /* every chunk, freed at deinit */
    uint32_t chunk_count;
    uint32_t chunk_capacity;
    uint64_t *alloc_count;       /* incremented on every heap allocation */
};

void fl_pool_init(struct fl_pool *pool, uint64_t *alloc_count);
void fl_pool_deinit(struct fl_pool *pool);

/* The class of a block able to hold size_bytes (size_bytes <= 1 MiB). */
uint8_t fl_pool_class(size_t size_bytes);
void *fl_pool_get(struct fl_pool *pool, uint8_t size_class);
void fl_pool_put(struct fl_pool *pool, void *block, uint8_t size_class);

#endif /* FL_POOL_H */
