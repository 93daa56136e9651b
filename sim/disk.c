/*
 * disk: cache, durable copy, pending operations and device faults.
 * See disk.h for the model.
 *
 * Draw discipline, as in net.c: a fault whose rate is zero costs no draw, so a
 * scenario without disk faults draws nothing from the disk stream but the
 * crash fates of unsynced operations.
 */
#include "disk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MISDIRECT_SECTORS_MAX 8u

void fl_disk_init(struct fl_disk *disk, const struct fl_disk_params *params,
                  const struct fl_rng *stream, uint64_t *alloc_count, fl_disk_note_fn note,
                  void *note_ctx) {
    assert(params->sector_bytes == 512 || params->sector_bytes == 4096);
    assert(params->unsynced_lost_ppm + params->unsynced_kept_ppm + params->unsynced_torn_ppm ==
           1000000u);
    memset(disk, 0, sizeof *disk);
    disk->params = params;
    disk->rng = *stream;
    disk->alloc_count = alloc_count;
    disk->note = note;
    disk->note_ctx = note_ctx;
}

static void bytes_free(struct fl_bytes *bytes) {
    free(bytes->data);
    memset(bytes, 0, sizeof *bytes);
}

static void pending_clear(struct fl_disk *disk) {
    for (uint32_t i = 0; i < disk->pending_count; i++) free(disk->pending[i].data);
    disk->pending_count = 0;
}

void fl_disk_deinit(struct fl_disk *disk) {
    pending_clear(disk);
    free(disk->pending);
    for (uint32_t i = 0; i < disk->file_count; i++) {
        bytes_free(&disk->files[i].cache);
        bytes_free(&disk->files[i].durable);
    }
    free(disk->files);
    memset(disk, 0, sizeof *disk);
}

/* file: an index into files, or UINT32_MAX for a note about no file. */
static void emit(struct fl_disk *disk, enum fl_disk_note_kind kind, uint32_t file,
                 uint64_t offset, uint64_t size_bytes, uint64_t detail) {
    const char *name = file == UINT32_MAX ? "" : disk->files[file].name;
    struct fl_disk_note note = {.kind = kind, .file = name, .offset = offset,
                                .size_bytes = size_bytes, .detail = detail};
    disk->note(disk->note_ctx, &note);
}

/* --- bytes ---------------------------------------------------------------------- */

/* Sets the size, zero-filling any growth; capacity doubles so appends amortize. */
static void bytes_resize(struct fl_disk *disk, struct fl_bytes *bytes, uint64_t size) {
    if (size > bytes->capacity) {
        uint64_t capacity = bytes->capacity ? bytes->capacity : 4096;
        while (capacity < size) capacity *= 2;
        uint8_t *data = realloc(bytes->data, capacity);
        if (data == NULL) abort();
        (*disk->alloc_count)++;
        bytes->data = data;
        bytes->capacity = capacity;
    }
    if (size > bytes->size) memset(bytes->data + bytes->size, 0, size - bytes->size);
    bytes->size = size;
}

static void bytes_store(struct fl_disk *disk, struct fl_bytes *bytes, uint64_t offset,
                        const uint8_t *data, uint64_t size) {
    if (size == 0) return;
    if (offset + size > bytes->size) bytes_resize(disk, bytes, offset + size);
    memcpy(bytes->data + offset, data, size);
}

/* --- files ---------------------------------------------------------------------- */

static uint32_t file_find(const struct fl_disk *disk, const char *name) {
    for (uint32_t i = 0; i < disk->file_count; i++) {
        if (strcmp(disk->files[i].name, name) == 0) return i;
    }
    return UINT32_MAX;
}

static uint32_t file_open(struct fl_disk *disk, const char *name) {
    assert(strlen(name) > 0 && strlen(name) < FL_FILE_NAME_MAX); /* a model bug otherwise */
    uint32_t index = file_find(disk, name);
    if (index != UINT32_MAX) return index;
    assert(disk->file_count < FL_DISK_FILES_MAX);
    if (disk->files == NULL) {
        disk->files = calloc(FL_DISK_FILES_MAX, sizeof disk->files[0]);
        if (disk->files == NULL) abort();
        (*disk->alloc_count)++;
    }
    index = disk->file_count++;
    memcpy(disk->files[index].name, name, strlen(name) + 1);
    return index;
}

static struct fl_disk_op *pending_append(struct fl_disk *disk) {
    if (disk->pending_count == disk->pending_capacity) {
        uint32_t capacity = disk->pending_capacity ? disk->pending_capacity * 2 : 64;
        struct fl_disk_op *pending = realloc(disk->pending, capacity * sizeof pending[0]);
        if (pending == NULL) abort();
        (*disk->alloc_count)++;
        disk->pending = pending;
        disk->pending_capacity = capacity;
    }
    struct fl_disk_op *op = &disk->pending[disk->pending_count++];
    memset(op, 0, sizeof *op);
    op->seq = ++disk->seq_last;
    return op;
}

static bool refuses_growth(const struct fl_disk *disk, uint64_t growth) {
    if (growth == 0) return false;
    if (disk->full > 0) return true;
    uint64_t quota = disk->params->quota_bytes;
    return quota > 0 && disk->cache_bytes + growth > quota;
}

/* --- operations ------------------------------------------------------------------ */

/* The device's silent faults, applied to what will be stored. */
static void device_faults(struct fl_disk *disk, struct fl_disk_op *op) {
    const struct fl_disk_params *p = disk->params;
    uint64_t sector = p->sector_bytes;
    if (fl_rng_chance_ppm(&disk->rng, p->misdirected_ppm)) {
        uint64_t shift = (1 + fl_rng_below(&disk->rng, MISDIRECT_SECTORS_MAX)) * sector;
        uint64_t intended = op->offset;
        bool back = op->offset >= shift && fl_rng_below(&disk->rng, 2) == 0;
        op->offset = back ? op->offset - shift : op->offset + shift;
        emit(disk, FL_DISK_NOTE_MISDIRECTED, op->file, intended, op->size, op->offset);
    }
    if (op->size > 0 && fl_rng_chance_ppm(&disk->rng, p->corrupt_ppm)) {
        uint64_t bit = fl_rng_below(&disk->rng, op->size * 8);
        op->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        emit(disk, FL_DISK_NOTE_CORRUPT, op->file, op->offset, op->size, bit);
    }
}

int fl_disk_op_write(struct fl_disk *disk, const char *file, uint64_t offset, const void *data,
                     uint64_t size_bytes) {
    assert(data != NULL || size_bytes == 0);
    uint32_t index = file_open(disk, file);
    struct fl_bytes *cache = &disk->files[index].cache;
    uint64_t end = offset + size_bytes;
    uint64_t growth = end > cache->size ? end - cache->size : 0;
    if (refuses_growth(disk, growth)) {
        emit(disk, FL_DISK_NOTE_FULL, index, offset, size_bytes, 0);
        return FL_ENOSPC;
    }
    bytes_store(disk, cache, offset, data, size_bytes);
    disk->cache_bytes += growth;
    if (fl_rng_chance_ppm(&disk->rng, disk->params->lost_write_ppm)) {
        emit(disk, FL_DISK_NOTE_LOST_WRITE, index, offset, size_bytes, 0);
        return FL_OK; /* the device said yes */
    }
    struct fl_disk_op *op = pending_append(disk);
    op->file = index;
    op->offset = offset;
    op->size = size_bytes;
    op->data = malloc(size_bytes ? size_bytes : 1);
    if (op->data == NULL) abort();
    (*disk->alloc_count)++;
    if (size_bytes > 0) memcpy(op->data, data, size_bytes);
    device_faults(disk, op);
    return FL_OK;
}

int fl_disk_op_read(struct fl_disk *disk, const char *file, uint64_t offset, void *out,
                    uint64_t size_bytes, uint64_t *read_bytes) {
    assert(out != NULL || size_bytes == 0);
    *read_bytes = 0;
    uint32_t index = file_find(disk, file);
    if (fl_rng_chance_ppm(&disk->rng, disk->params->read_error_ppm)) {
        emit(disk, FL_DISK_NOTE_READ_ERROR, index, offset, size_bytes, 0);
        return FL_EIO;
    }
    if (index == UINT32_MAX) return FL_OK;
    const struct fl_bytes *cache = &disk->files[index].cache;
    if (offset >= cache->size) return FL_OK;
    uint64_t n = cache->size - offset < size_bytes ? cache->size - offset : size_bytes;
    memcpy(out, cache->data + offset, n);
    *read_bytes = n;
    return FL_OK;
}

int fl_disk_op_truncate(struct fl_disk *disk, const char *file, uint64_t size_bytes) {
    uint32_t index = file_open(disk, file);
    struct fl_bytes *cache = &disk->files[index].cache;
    uint64_t growth = size_bytes > cache->size ? size_bytes - cache->size : 0;
    if (refuses_growth(disk, growth)) {
        emit(disk, FL_DISK_NOTE_FULL, index, 0, size_bytes, 0);
        return FL_ENOSPC;
    }
    disk->cache_bytes = disk->cache_bytes - cache->size + size_bytes;
    bytes_resize(disk, cache, size_bytes);
    struct fl_disk_op *op = pending_append(disk);
    op->file = index;
    op->size = size_bytes;
    op->truncate = true;
    return FL_OK;
}

uint64_t fl_disk_op_size(const struct fl_disk *disk, const char *file) {
    uint32_t index = file_find(disk, file);
    return index == UINT32_MAX ? 0 : disk->files[index].cache.size;
}

/* --- durability -------------------------------------------------------------------- */

static void apply_durable(struct fl_disk *disk, const struct fl_disk_op *op) {
    struct fl_bytes *durable = &disk->files[op->file].durable;
    if (op->truncate) {
        bytes_resize(disk, durable, op->size);
    } else {
        bytes_store(disk, durable, op->offset, op->data, op->size);
    }
}

int fl_disk_sync_complete(struct fl_disk *disk, uint64_t mark) {
    if (fl_rng_chance_ppm(&disk->rng, disk->params->sync_error_ppm)) {
        emit(disk, FL_DISK_NOTE_SYNC_ERROR, UINT32_MAX, 0, 0, mark);
        return FL_EIO;
    }
    uint32_t done = 0;
    while (done < disk->pending_count && disk->pending[done].seq <= mark) {
        apply_durable(disk, &disk->pending[done]);
        free(disk->pending[done].data);
        done++;
    }
    if (done == 0) return FL_OK; /* nothing was pending (pending may even be NULL) */
    memmove(disk->pending, disk->pending + done,
            (disk->pending_count - done) * sizeof disk->pending[0]);
    disk->pending_count -= done;
    return FL_OK;
}

/* Keeps each whole sector the write covers with probability 1/2; the partial
 * sectors at either end count as sectors of their own. */
static void tear(struct fl_disk *disk, const struct fl_disk_op *op) {
    uint64_t sector = disk->params->sector_bytes;
    uint64_t start = op->offset;
    uint64_t end = op->offset + op->size;
    uint64_t kept = 0, total = 0;
    for (uint64_t at = start; at < end; total++) {
        uint64_t boundary = (at / sector + 1) * sector;
        uint64_t chunk_end = boundary < end ? boundary : end;
        if (fl_rng_below(&disk->rng, 2) == 1) {
            bytes_store(disk, &disk->files[op->file].durable, at, op->data + (at - start),
                        chunk_end - at);
            kept++;
        }
        at = chunk_end;
    }
    emit(disk, FL_DISK_NOTE_UNSYNCED_TORN, op->file, op->offset, op->size, kept << 32 | total);
}

static void resolve_at_crash(struct fl_disk *disk, const struct fl_disk_op *op) {
    const struct fl_disk_params *p = disk->params;
    uint64_t draw = fl_rng_below(&disk->rng, 1000000u);
    if (draw < p->unsynced_lost_ppm) {
        emit(disk, FL_DISK_NOTE_UNSYNCED_LOST, op->file, op->offset, op->size, 0);
    } else if (draw < (uint64_t)p->unsynced_lost_ppm + p->unsynced_kept_ppm || op->truncate ||
               op->size == 0) {
        apply_durable(disk, op); /* a truncate is one metadata update: whole or not at all */
        emit(disk, FL_DISK_NOTE_UNSYNCED_KEPT, op->file, op->offset, op->size, 0);
    } else {
        tear(disk, op);
    }
}

void fl_disk_crash(struct fl_disk *disk) {
    for (uint32_t i = 0; i < disk->pending_count; i++) resolve_at_crash(disk, &disk->pending[i]);
    pending_clear(disk);
    disk->cache_bytes = 0; /* a disk_full fault outlives the process: full stays */
    for (uint32_t i = 0; i < disk->file_count; i++) {
        struct fl_disk_file *f = &disk->files[i];
        bytes_resize(disk, &f->cache, 0);
        bytes_store(disk, &f->cache, 0, f->durable.data, f->durable.size);
        disk->cache_bytes += f->cache.size;
    }
}

void fl_disk_rot(struct fl_disk *disk) {
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < disk->file_count; i++) candidates += disk->files[i].durable.size > 0;
    if (candidates == 0) return; /* nothing stored yet: nothing to rot */
    uint64_t pick = fl_rng_below(&disk->rng, candidates);
    uint32_t index = 0;
    for (;; index++) {
        if (disk->files[index].durable.size == 0) continue;
        if (pick-- == 0) break;
    }
    struct fl_disk_file *f = &disk->files[index];
    uint64_t bit = fl_rng_below(&disk->rng, f->durable.size * 8);
    f->durable.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    if (bit / 8 < f->cache.size) f->cache.data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    emit(disk, FL_DISK_NOTE_BIT_ROT, index, bit / 8, 1, bit);
}

const struct fl_bytes *fl_disk_durable(const struct fl_disk *disk, const char *file) {
    uint32_t index = file_find(disk, file);
    if (index == UINT32_MAX || disk->files[index].durable.size == 0) return NULL;
    return &disk->files[index].durable;
}
