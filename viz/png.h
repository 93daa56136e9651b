/*
 * png: writes an image as a PNG file with no library: one zlib stream of
 * fixed-Huffman deflate blocks, CRC-32 and Adler-32 computed here.
 *
 * Screenshots of the visualizer are mostly flat colour, so the only matches
 * looked for are the two that pay there: the pixel before (a run) and the
 * same bytes one row up. That takes a 1280x800 frame from 3 MB (stored
 * blocks) to a few tens of KB, with no hash table and no search; a real
 * compressor (zlib) would do better but is a dependency the project avoids.
 */
#ifndef FL_VIZ_PNG_H
#define FL_VIZ_PNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes width x height pixels of 0xAARRGGBB (alpha ignored), rows
 * pitch_bytes apart, as an 8-bit RGB PNG. false if the file cannot be
 * written (errno tells why). */
bool fl_png_write(const char *path, const uint32_t *pixels, uint32_t width, uint32_t height,
                  size_t pitch_bytes);
uint32_t fl_png_crc32(uint32_t crc, const uint8_t *data, size_t size);

#endif /* FL_VIZ_PNG_H */
