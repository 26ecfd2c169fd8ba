// libFuzzer target for the scanner-PDF page picker (printer/pdf_scan.hpp): a scan batch may hold
// any PDF, made by anyone. Any bytes give either nothing or a JPEG's bytes (what libvips then
// decodes as it decodes an uploaded .jpg) — never a crash, a hang or a JPEG of the wrong kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "printer/pdf_scan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view pdf(reinterpret_cast<const char*>(data), size);
  for (int page : {0, 1}) {
    auto jpeg = parta::printer::scanned_jpeg_in(pdf, page);
    if (jpeg && jpeg->compare(0, 3, "\xFF\xD8\xFF") != 0) std::abort();
  }
  return 0;
}
