#include "printer/qr_draw.hpp"

#include <qrencode.h>

#include <stdexcept>

namespace parta::printer {

namespace {
QRcode* encode(const std::string& text) {
  QRcode* q = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
  if (!q) throw std::runtime_error("QR encoding failed");
  return q;
}
}  // namespace

int qr_modules(const std::string& text) {
  QRcode* q = encode(text);
  int width = q->width;
  QRcode_free(q);
  return width;
}

void draw_qr(cairo_t* cr, const std::string& text, double x, double y, double size) {
  QRcode* q = encode(text);
  const int quiet = 4, n = q->width + 2 * quiet;
  const double m = size / n;
  cairo_save(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, size, size);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int r = 0; r < q->width; ++r)
    for (int c = 0; c < q->width; ++c)
      if (q->data[r * q->width + c] & 1)
        cairo_rectangle(cr, x + (c + quiet) * m, y + (r + quiet) * m, m, m);
  cairo_fill(cr);
  cairo_restore(cr);
  QRcode_free(q);
}

}  // namespace parta::printer
