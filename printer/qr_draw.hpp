#pragma once
// Draws a QR code (libqrencode, level Q) as black squares into a cairo context: vector, so it is
// sharp at any printer resolution; or as inline SVG for a page.
#include <cairo.h>

#include <string>

namespace parta::printer {

// `size` is the code's width including its 4-module quiet zone (left white).
void draw_qr(cairo_t* cr, const std::string& text, double x, double y, double size);

// The same code as a small inline SVG (one path, black modules on white), for a screen.
std::string qr_svg(const std::string& text, int pixels);

}  // namespace parta::printer
