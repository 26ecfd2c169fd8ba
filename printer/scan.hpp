#pragma once
// Scan intake's image side: an upload (a multi-page PDF from a sheet-feed scanner, or a JPEG/PNG
// photo) becomes page images; a page image's QR codes are read with zxing-cpp (any rotation,
// skew, perspective; several binarizers and scales before giving up); pages are kept as JPEG.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "printer/qr_payload.hpp"

namespace parta::printer {

struct PageImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> gray;  // 8-bit luminance, row by row
};

// How many pages the file has (1 for an image); throws std::runtime_error when it is neither a
// PDF nor an image this build reads.
int count_pages(const std::string& path);
// Page `index` (0-based) as an image: PDF pages rendered at `dpi`, photos turned upright (EXIF).
PageImage load_page(const std::string& path, int index, int dpi = 200);

struct PageRead {
  std::optional<PagePayload> id;  // set when the page's codes agree on a valid payload
  int codes = 0;                  // valid codes found
  bool disagree = false;          // two valid codes that name different pages
};
PageRead read_page(const PageImage& page);

// The page as a JPEG to keep with the submission (width capped, grey, small).
std::string page_jpeg(const PageImage& page, int max_width = 1400);
// A page image from encoded bytes (tests and the corpus tools).
PageImage decode_image(const std::string& bytes);

}  // namespace parta::printer
