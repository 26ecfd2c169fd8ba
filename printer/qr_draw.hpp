#pragma once
// Draws a QR code (libqrencode, level Q) as black squares into a cairo context: vector, so it is
// sharp at any printer resolution. (For a screen: qr_svg.)
#include <cairo.h>

#include <string>

namespace parta::printer {

// `size` is the code's width including its 4-module quiet zone (left white).
void draw_qr(cairo_t* cr, const std::string& text, double x, double y, double size);
// The width in modules of the symbol draw_qr draws for `text` (without the quiet zone).
int qr_modules(const std::string& text);

}  // namespace parta::printer
