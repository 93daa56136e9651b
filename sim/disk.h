/*
 * disk: one node's simulated disk, its durability and its faults.
 *
 * Each file has two copies of its bytes: the cache (what the node sees: every
 * write, read and truncate acts on it at once, like a POSIX page cache) and
 * the durable copy (what survives a crash). Operations are also queued as
 * pending; a sync marks the queue's current end, and when it completes every
 * pending operation up to the mark is applied to the durable copy, in order.
 * A crash resolves each operation still pending: lost, kept, or torn, where a
 * torn write keeps a random subset of its sectors (the fractions come from the
 * scenario; which one is a draw from the node's disk stream). The cache is
 * then rebuilt from the durable copy.
 *
 * The device's faults live between the cache and the durable copy, so they
 * surface when data comes back from the device, after a restart, exactly where
 * a real service meets them: a lost write (acknowledged, never stored), a
 * misdirected write (stored 1 to 8 sectors off), a corrupted write (stored with
 * a bit flipped). Read errors and sync errors are status codes at the call;
 * a full disk refuses writes that grow it; bit rot flips a stored bit in place.
 *
 * The module knows nothing of events or traces: the engine calls it and turns
 * its notes (one per fault and per crash fate) into trace records.
 *
 * Rejected: a full block-device model with a page cache of its own (more
 * faithful, much slower, and the extra states are not ones services get wrong
 * differently); asynchronous reads and writes (they add callbacks to every model
 * while the bugs this simulator exists to find are about what is durable when,
 * which the asynchronous sync already exposes).
 */
#ifndef FL_DISK_H
#define FL_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "faultline/service.h"
#include "rng.h"
#include "scenario.h"

#define FL_DISK_FILES_MAX 64u

enum fl_disk_note_kind {
    FL_DISK_NOTE_LOST_WRITE = 1,    /* acknowledged, never stored */
    FL_DISK_NOTE_MISDIRECTED = 2,   /* stored at offset_stored instead of offset */
    FL_DISK_NOTE_CORRUPT = 3,       /* stored with bit `bit` of the write flipped */
    FL_DISK_NOTE_READ_ERROR = 4,
    FL_DISK_NOTE_SYNC_ERROR = 5,
    FL_DISK_NOTE_FULL = 6,          /* a write or truncate refused: quota or disk_full */
    FL_DISK_NOTE_UNSYNCED_LOST = 7, /* crash: a pending operation vanished */
    FL_DISK_NOTE_UNSYNCED_KEPT = 8, /* crash: a pending operation survived whole */
    FL_DISK_NOTE_UNSYNCED_TORN = 9, /* crash: sectors_kept of sectors survived */
    FL_DISK_NOTE_BIT_ROT = 10,      /* a stored bit flipped in place */
    FL_DISK_NOTE_FULL_BEGIN = 11,   /* a disk_full fault began (timeline) */
    FL_DISK_NOTE_FULL_END = 12,     /* and ended */
};

struct fl_disk_note {
    enum fl_disk_note_kind kind;
    const char *file;
    uint64_t offset;        /* where the operation or the bit is */
    uint64_t size_bytes;    /* of the operation */
    uint64_t detail;        /* misdirected: offset stored; corrupt, bit rot: bit index;
                               torn: sectors kept << 32 | sectors in the write */
};

typedef void (*fl_disk_note_fn)(void *ctx, const struct fl_disk_note *note);

struct fl_bytes {
    uint8_t *data;
    uint64_t size;
    uint64_t capacity;
};

struct fl_disk_file {
    char name[FL_FILE_NAME_MAX];
    struct fl_bytes cache;   /* what the node sees */
    struct fl_bytes durable; /* what survives a crash */
};

struct fl_disk_op {
    uint64_t seq;       /* issue order, from 1 */
    uint64_t offset;    /* write: where it will be stored (misdirected already applied) */
    uint64_t size;      /* write: bytes; truncate: the new size */
    uint8_t *data;      /* write: the bytes to store (corruption already applied) */
    uint32_t file;      /* index into files */
    bool truncate;
};

struct fl_disk {
    const struct fl_disk_params *params;
    struct fl_rng rng;            /* the node's disk stream */
    struct fl_disk_file *files;
    uint32_t file_count;
    struct fl_disk_op *pending;   /* issued, not yet durable, in issue order */
    uint32_t pending_count;
    uint32_t pending_capacity;
    uint64_t seq_last;            /* seq of the last operation issued */
    uint64_t cache_bytes;         /* sum of the cache sizes: the quota's measure */
    uint32_t full;                /* active disk_full faults */
    uint64_t *alloc_count;
    fl_disk_note_fn note;         /* where fault notes go */
    void *note_ctx;
};

void fl_disk_init(struct fl_disk *disk, const struct fl_disk_params *params,
                  const struct fl_rng *stream, uint64_t *alloc_count, fl_disk_note_fn note,
                  void *note_ctx);
void fl_disk_deinit(struct fl_disk *disk);

int fl_disk_op_write(struct fl_disk *disk, const char *file, uint64_t offset, const void *data,
                     uint64_t size_bytes);
int fl_disk_op_read(struct fl_disk *disk, const char *file, uint64_t offset, void *out,
                    uint64_t size_bytes, uint64_t *read_bytes);
int fl_disk_op_truncate(struct fl_disk *disk, const char *file, uint64_t size_bytes);
uint64_t fl_disk_op_size(const struct fl_disk *disk, const char *file);

/* The mark a sync issued now covers: every operation with seq <= it. */
static inline uint64_t fl_disk_sync_mark(const struct fl_disk *disk) {
    return disk->seq_last;
}
/* Applies the pending operations up to mark to the durable copy, unless the
 * sync fails (FL_EIO: they stay pending). */
int fl_disk_sync_complete(struct fl_disk *disk, uint64_t mark);
/* Resolves every pending operation (lost, kept or torn) and rebuilds the cache
 * from the durable copy. */
void fl_disk_crash(struct fl_disk *disk);
/* Flips one random stored bit of a random non-empty file, in both copies. */
void fl_disk_rot(struct fl_disk *disk);

/* The durable bytes of a file, for tests and checkers: NULL if it has none. */
const struct fl_bytes *fl_disk_durable(const struct fl_disk *disk, const char *file);

#endif /* FL_DISK_H */
