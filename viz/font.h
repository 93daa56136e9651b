/*
 * font: the visualizer's embedded 5x7 bitmap font (printable ASCII) in a 6x8
 * cell; see font.c.
 */
#ifndef FL_VIZ_FONT_H
#define FL_VIZ_FONT_H

#include <stdint.h>

#define FL_FONT_CELL_W 6 /* pixels per character, the gap included */
#define FL_FONT_CELL_H 8
#define FL_FONT_ROWS 8 /* the last for descenders */
#define FL_FONT_COLS 5

/* The glyph's FL_FONT_ROWS rows (7 above the baseline, 1 below), bit 4 the leftmost column; any
 * character outside 32..126 draws as '?'. */
const uint8_t *fl_font_glyph(char c);

#endif /* FL_VIZ_FONT_H */
