#include "printer/qr_draw.hpp"

#include <qrencode.h>

#include <stdexcept>

namespace parta::printer {

void draw_qr(cairo_t* cr, const std::string& text, double x, double y, double size) {
  QRcode* q = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
  if (!q) throw std::runtime_error("QR encoding failed");
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

std::string qr_svg(const std::string& text, int pixels) {
  QRcode* q = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!q) throw std::runtime_error("QR encoding failed");
  const int quiet = 4, n = q->width + 2 * quiet;
  std::string path;
  for (int r = 0; r < q->width; ++r)
    for (int c = 0; c < q->width; ++c)
      if (q->data[r * q->width + c] & 1)
        path += "M" + std::to_string(c + quiet) + " " + std::to_string(r + quiet) + "h1v1h-1z";
  QRcode_free(q);
  std::string size = std::to_string(pixels), box = std::to_string(n);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + size + "\" height=\"" + size +
         "\" viewBox=\"0 0 " + box + " " + box +
         "\" shape-rendering=\"crispEdges\" role=\"img\">"
         "<rect width=\"" +
         box + "\" height=\"" + box + "\" fill=\"#fff\"/><path d=\"" + path +
         "\" fill=\"#000\"/></svg>";
}

}  // namespace parta::printer
