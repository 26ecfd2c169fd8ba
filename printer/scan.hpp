#pragma once
// Scan intake's image side: an upload (a multi-page PDF from a sheet-feed scanner, or a JPEG/PNG
// photo) becomes page images; a page image's QR codes are read with zxing-cpp (any rotation,
// skew, perspective; several binarizers and scales before giving up); pages are kept as JPEG.
// Only the PDF, JPEG and PNG loaders of libvips are used (by the file's first bytes), and a
// picture's size is checked from its header before anything is decoded.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "printer/qr_payload.hpp"

namespace parta::printer {

struct PageImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> gray;  // 8-bit luminance, row by row
};

// Pages larger than this are not decoded (see TooLarge).
inline constexpr std::int64_t kDefaultMaxPixels = 40'000'000;

// The file is not a PDF, JPEG or PNG that can be read.
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The page's header says it has more pixels than allowed: it was not decoded.
struct TooLarge : std::runtime_error {
  TooLarge(std::int64_t w, std::int64_t h)
      : std::runtime_error("the picture is " + std::to_string(w) + " x " + std::to_string(h) +
                           " pixels"),
        width(w),
        height(h) {}
  std::int64_t width, height;
};

// Starts libvips once for the process: one thread per operation (the helper runs one job), and
// only the PDF, JPEG, PNG, WebP and GIF loaders (every other one, and every loader libvips does
// not consider safe for untrusted input, blocked).
void init_vips();

// How many pages the file has (1 for an image); throws Unreadable.
int count_pages(const std::string& path);
// Page `index` (0-based) as an image: PDF pages rendered at `dpi` — but a scanner's PDF page read
// as the JPEG it wraps, at that JPEG's own size, as if sent as a .jpg (pdf_scan.hpp) — photos
// turned upright (EXIF).
// Throws TooLarge (checked from the header, before decoding) or Unreadable.
// `shrink` > 1: a JPEG is decoded that many times smaller (libjpeg's own scaling, far cheaper than
// decoding it whole: a 300 dpi scan's boxes read as well at 150); `shrunk`, when given, is set to
// the factor used (1 for a rendered PDF page or a PNG).
PageImage load_page(const std::string& path, int index, int dpi = 200,
                    std::int64_t max_pixels = kDefaultMaxPixels, int shrink = 1,
                    int* shrunk = nullptr);

struct PageRead {
  std::optional<PagePayload> id;  // set when the page's codes agree on a valid payload
  int codes = 0;                  // valid codes found
  bool disagree = false;          // two valid codes that name different pages
  // QR codes read that are not a valid payload: another document's (a product, a link) …
  bool foreign = false;
  // … or ours ("PA<version>:…") whose check value or fields are wrong (damaged, edited, or a
  // version this build does not read).
  bool damaged = false;
  // Registration (registration.hpp): corner marks found where the codes say they must be; a code
  // of the payload that does not sit in one of the page's code places by them (a piece of another
  // sheet on top, a code pasted); one code only, and no marks to say where it sits.
  int marks = 0;
  bool misplaced = false, unplaced = false;
  int turn = 0;  // clockwise degrees (0, 90, 180, 270) that bring the page upright, by its codes
  // The page's map from its printed layout (points) to this picture's pixels, nine values row by
  // row (registration.hpp's Homography): from its corner marks, or from its two codes when the
  // marks were not found. Empty when the page could not be registered. The answer boxes of a
  // quiz page are read through it (boxes.hpp).
  std::vector<double> frame;
};
PageRead read_page(const PageImage& page);
// One view only (the cheapest): whether a page plainly carries codes, at a fraction of the cost.
PageRead quick_read(const PageImage& page);

// A picture of a reference article (JPEG, PNG, GIF or WebP by its first bytes), in gray, at most
// `max_width` pixels wide. Throws Unreadable, or TooLarge past `max_pixels` (before decoding).
PageImage load_picture(const std::string& path, int max_width,
                       std::int64_t max_pixels = kDefaultMaxPixels);

// The page as a JPEG to keep with the submission (width capped, grey, small), turned clockwise by
// `turn` degrees (PageRead::turn: upright).
std::string page_jpeg(const PageImage& page, int max_width = 1400, int turn = 0);
// A page image from encoded bytes (tests and the corpus tools).
PageImage decode_image(const std::string& bytes);

}  // namespace parta::printer
