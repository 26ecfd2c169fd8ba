#include "printer/qr_svg.hpp"

#include <qrencode.h>

#include <stdexcept>

namespace parta::printer {

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
