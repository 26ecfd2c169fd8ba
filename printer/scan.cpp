#include "printer/scan.hpp"

#include "printer/packet.hpp"
#include "printer/pdf_scan.hpp"
#include "printer/qr_draw.hpp"
#include "printer/registration.hpp"
#include "printer/vips_page.hpp"

#define ZX_USE_UTF8 1
#include <ZXing/DecodeHints.h>
#include <ZXing/ReadBarcode.h>
#include <vips/vips8>

#include <cmath>
#include <fstream>
#include <mutex>
#include <new>
#include <stdexcept>

namespace parta::printer {

using detail::file_type;
using detail::FileType;
using detail::from_page;
using detail::to_page;

void init_vips() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("parta")) throw std::runtime_error("libvips does not start");
    vips_concurrency_set(1);  // intake runs its own workers
    // One job a process, each image used once: libvips' operation cache would only keep a
    // rendered PDF page (and its copies) alive beside the ones in use.
    vips_cache_set_max(0);
    // Scans come from anyone's phone: no loader that libvips does not consider safe for
    // untrusted input, and of those only the three formats the upload accepts.
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    // (WebP and GIF: pictures of reference articles, load_picture(), checked by their bytes too.)
    for (const char* ok : {"VipsForeignLoadPdf", "VipsForeignLoadJpeg", "VipsForeignLoadPng",
                           "VipsForeignLoadWebp", "VipsForeignLoadNsgif"})
      vips_operation_block_set(ok, FALSE);
  });
}

namespace {

// The page, opened lazily: libvips reads the header now and decodes pixels only when asked.
vips::VImage open_page(const std::string& path, FileType type, int index, int dpi) {
  switch (type) {
    case FileType::pdf:
      return vips::VImage::pdfload(path.c_str(), vips::VImage::option()
                                                     ->set("page", index)
                                                     ->set("dpi", dpi)
                                                     ->set("background", std::vector<double>{255}));
    case FileType::jpeg:
      return vips::VImage::jpegload(path.c_str());
    case FileType::png:
      return vips::VImage::pngload(path.c_str());
    case FileType::other:
      break;
  }
  throw Unreadable("not a PDF, JPEG or PNG");
}

// A code read, where it lies on the page (pixels of the page as decoded).
struct Seen {
  PagePayload id;
  Quad corners;
};

// All valid payloads zxing finds in one view of the page; `scale`: the view's pixels per page
// pixel.
void scan(const std::uint8_t* data, int w, int h, ZXing::Binarizer binarizer, PageRead& out,
          std::vector<Seen>& seen, double scale = 1, Point offset = {}) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setTryDownscale(true);
  hints.setBinarizer(binarizer);
  hints.setMaxNumberOfSymbols(4);
  for (const auto& r :
       ZXing::ReadBarcodes(ZXing::ImageView(data, w, h, ZXing::ImageFormat::Lum), hints)) {
    if (!r.isValid()) continue;
    auto p = decode_payload(r.text());
    if (!p) {
      const std::string& t = r.text();
      bool ours = t.size() >= 4 && t[0] == 'P' && t[1] == 'A' && t[2] >= '0' && t[2] <= '9' &&
                  t.find(':') != std::string::npos;
      (ours ? out.damaged : out.foreign) = true;
      continue;
    }
    ++out.codes;
    if (out.id && !(*out.id == *p)) out.disagree = true;
    if (!out.id) out.id = p;
    Quad q;
    const auto& pos = r.position();
    for (int k = 0; k < 4; ++k)
      q[static_cast<std::size_t>(k)] = {offset.x + (pos[k].x + 0.5) / scale,
                                        offset.y + (pos[k].y + 0.5) / scale};
    seen.push_back({*p, q});
  }
}

}  // namespace

namespace detail {

FileType file_type(const std::string& path) {
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, sizeof head);
  std::string h(head, static_cast<std::size_t>(in.gcount()));
  if (h.rfind("%PDF-", 0) == 0) return FileType::pdf;
  if (h.rfind("\xFF\xD8\xFF", 0) == 0) return FileType::jpeg;
  if (h.rfind("\x89PNG\r\n\x1A\n", 0) == 0) return FileType::png;
  return FileType::other;
}

PageImage to_page(vips::VImage img) {
  img = img.autorot();
  if (img.bands() >= 3) img = img.colourspace(VIPS_INTERPRETATION_B_W);
  if (img.bands() > 1) img = img.extract_band(0);
  if (img.format() != VIPS_FORMAT_UCHAR) img = img.cast(VIPS_FORMAT_UCHAR);
  PageImage p;
  p.width = img.width();
  p.height = img.height();
  std::size_t size = 0;
  void* mem = img.write_to_memory(&size);
  p.gray.assign(static_cast<std::uint8_t*>(mem), static_cast<std::uint8_t*>(mem) + size);
  g_free(mem);
  return p;
}

vips::VImage from_page(const PageImage& p) {
  return vips::VImage::new_from_memory(const_cast<std::uint8_t*>(p.gray.data()), p.gray.size(),
                                       p.width, p.height, 1, VIPS_FORMAT_UCHAR)
      .copy_memory();
}

}  // namespace detail

int count_pages(const std::string& path) {
  init_vips();
  FileType type = file_type(path);
  try {
    auto img = open_page(path, type, 0, 72);
    if (type != FileType::pdf) return 1;
    return img.get_typeof("n-pages") ? img.get_int("n-pages") : 1;
  } catch (const vips::VError& e) {
    throw Unreadable(std::string("not a PDF or an image: ") + e.what());
  }
}

PageImage load_page(const std::string& path, int index, int dpi, std::int64_t max_pixels,
                    int shrink, int* shrunk) {
  init_vips();
  if (shrunk) *shrunk = 1;
  try {
    const FileType type = file_type(path);
    // A scanner's PDF page is read as the JPEG it wraps (pdf_scan.hpp); kept alive here, as
    // libvips reads it lazily.
    std::string jpeg;
    if (type == FileType::pdf)
      if (auto inside = scanned_jpeg(path, index)) jpeg = std::move(*inside);
    const bool scaled = shrink == 2 || shrink == 4 || shrink == 8;
    auto from_bytes = [&](int by) {
      return vips::VImage::new_from_buffer(jpeg.data(), jpeg.size(), "",
                                           vips::VImage::option()->set("shrink", by));
    };
    auto img = jpeg.empty() ? open_page(path, type, index, dpi) : from_bytes(1);
    std::int64_t w = img.width(), h = img.height();
    if (w * h > max_pixels) throw TooLarge(w, h);
    if (scaled && (type == FileType::jpeg || !jpeg.empty())) {
      img = jpeg.empty() ? vips::VImage::jpegload(path.c_str(),
                                                  vips::VImage::option()->set("shrink", shrink))
                         : from_bytes(shrink);
      if (shrunk) *shrunk = shrink;
    }
    return to_page(img);
  } catch (const vips::VError& e) {
    // Under the helper's memory limit libvips reports an allocation it could not make as an
    // error: that is not the file's fault.
    std::string why = e.what();
    if (why.find("out of memory") != std::string::npos ||
        why.find("Error creating thread") != std::string::npos)
      throw std::bad_alloc();
    throw Unreadable("the page cannot be read: " + why);
  }
}

PageImage decode_image(const std::string& bytes) {
  init_vips();
  try {
    return to_page(vips::VImage::new_from_buffer(bytes.data(), bytes.size(), ""));
  } catch (const vips::VError& e) {
    throw std::runtime_error(std::string("not an image: ") + e.what());
  }
}

namespace {

// Cheapest view first; stops at the first view that gives a payload.
void find_codes(const PageImage& page, PageRead& out, std::vector<Seen>& seen) {
  scan(page.gray.data(), page.width, page.height, ZXing::Binarizer::LocalAverage, out, seen);
  if (out.id) return;
  scan(page.gray.data(), page.width, page.height, ZXing::Binarizer::GlobalHistogram, out, seen);
  if (out.id) return;
  init_vips();
  // Small codes (a phone photo from afar, 150 dpi): enlarge; noisy ones: smooth, then sharpen.
  for (double scale : {1.6, 0.5}) {
    if (scale > 1 && page.width > 1400) continue;  // only small pictures are worth enlarging
    auto img =
        from_page(page).resize(scale, vips::VImage::option()->set("kernel", VIPS_KERNEL_LINEAR));
    PageImage p = to_page(img);
    scan(p.gray.data(), p.width, p.height, ZXing::Binarizer::LocalAverage, out, seen,
         static_cast<double>(p.width) / page.width);
    if (out.id) return;
  }
  PageImage blurred = to_page(from_page(page).gaussblur(1.2));
  scan(blurred.gray.data(), blurred.width, blurred.height, ZXing::Binarizer::LocalAverage, out,
       seen);
  if (out.id || page.width > 1400) return;
  // A fax (100 dpi, one bit, dithered): the dots smoothed back into grey, then enlarged, so a
  // module of three dithered pixels becomes a grey square of six the binarizer can threshold.
  for (double sigma : {0.8, 1.4}) {
    PageImage fax = to_page(from_page(page).gaussblur(sigma).resize(
        2.0, vips::VImage::option()->set("kernel", VIPS_KERNEL_LINEAR)));
    double scale = static_cast<double>(fax.width) / page.width;
    scan(fax.gray.data(), fax.width, fax.height, ZXing::Binarizer::GlobalHistogram, out, seen,
         scale);
    if (out.id) return;
    scan(fax.gray.data(), fax.width, fax.height, ZXing::Binarizer::LocalAverage, out, seen, scale);
    if (out.id) return;
  }
}

// Reads the code place `where` (its box and a margin, in page points) of a registered page alone.
void read_place(const PageImage& page, const Homography& map, CodePlace where, PageRead& out,
                std::vector<Seen>& seen) {
  using G = PageGeometry;
  double bx = where == CodePlace::top_right ? G::kWidth - G::kMargin - G::kCode : G::kMargin;
  double by = where == CodePlace::top_right ? G::kMargin : G::kHeight - G::kMargin - G::kCode;
  const double pad = 8;
  double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
  for (Point c :
       {Point{bx - pad, by - pad}, Point{bx + G::kCode + pad, by - pad},
        Point{bx + G::kCode + pad, by + G::kCode + pad}, Point{bx - pad, by + G::kCode + pad}}) {
    Point p = map(c);
    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
  }
  int left = std::max(0, static_cast<int>(x0)), top = std::max(0, static_cast<int>(y0));
  int right = std::min(page.width, static_cast<int>(x1) + 1);
  int bottom = std::min(page.height, static_cast<int>(y1) + 1);
  if (right - left < 16 || bottom - top < 16) return;
  auto crop = from_page(page).extract_area(left, top, right - left, bottom - top);
  double scale = crop.width() < 400 ? 2.0 : 1.0;
  if (scale > 1)
    crop = crop.resize(scale, vips::VImage::option()->set("kernel", VIPS_KERNEL_LINEAR));
  PageImage p = to_page(crop);
  Point offset{static_cast<double>(left), static_cast<double>(top)};
  scan(p.gray.data(), p.width, p.height, ZXing::Binarizer::LocalAverage, out, seen, scale, offset);
  if (seen.empty())
    scan(p.gray.data(), p.width, p.height, ZXing::Binarizer::GlobalHistogram, out, seen, scale,
         offset);
}

// Whether `b` lies where the other code of a page would if `a` is one of its two codes (within
// 6 mm): two codes of one sheet, side by side as printed.
bool side_by_side(const Quad& a, const Quad& b, int modules) {
  for (CodePlace place : {CodePlace::top_right, CodePlace::bottom_left}) {
    Quad printed = code_corners(place, modules);
    auto map = Homography::affine(printed.data(), a.data(), 4);
    auto back = map ? map->inverse() : std::nullopt;
    if (!back) continue;
    Quad want = code_corners(
        place == CodePlace::top_right ? CodePlace::bottom_left : CodePlace::top_right, modules);
    double worst = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      Point p = (*back)(b[k]);
      worst = std::max(worst, std::hypot(p.x - want[k].x, p.y - want[k].y));
    }
    if (worst <= 17) return true;
  }
  return false;
}

// Which way the page lies, from a code read on it (the symbol's top edge points along the page's
// top edge): the clockwise turn, in degrees, that brings it upright.
int upright_turn(const Quad& q) {
  double a = std::atan2(q[1].y - q[0].y, q[1].x - q[0].x) * 180 / M_PI;  // clockwise from +x
  int quarter = static_cast<int>(std::lround(a / 90)) & 3;  // the page is turned quarter·90°
  return (4 - quarter) % 4 * 90;
}

// A page is filed on its codes only when they sit where the page's own corner marks say they
// must: each code read is mapped into the printed layout (registration.hpp).
void place_codes(const PageImage& page, PageRead& out, std::vector<Seen>& seen) {
  if (!out.id || out.disagree) return;
  std::vector<Quad> mine;
  for (const auto& s : seen)
    if (s.id == *out.id) mine.push_back(s.corners);
  if (mine.empty()) return;
  int modules = qr_modules(encode_payload(*out.id));
  out.turn = upright_turn(mine[0]);
  auto reg = register_page(page, mine, modules);
  out.marks = reg.marks;
  if (reg.page) out.frame.assign(reg.page->values().begin(), reg.page->values().end());
  if (reg.page) {
    int placed = 0;
    for (const auto& p : reg.places) placed += p ? 1 : 0;
    if (placed < static_cast<int>(mine.size())) {
      out.misplaced = true;
      return;
    }
    if (mine.size() == 1) {
      // The other place, read alone: another student's code there (the one read being pasted
      // over this page's) is a disagreement; this page's code is a second witness.
      CodePlace other =
          *reg.places[0] == CodePlace::top_right ? CodePlace::bottom_left : CodePlace::top_right;
      PageRead there;
      std::vector<Seen> found;
      read_place(page, *reg.page, other, there, found);
      for (const auto& f : found) {
        if (!(f.id == *out.id)) {
          out.disagree = true;
          ++out.codes;
        } else if (out.codes < 2) {
          ++out.codes;
        }
      }
    }
    return;
  }
  // No marks (a page cut at the scanner's edge, a dark photo): two codes of the payload that lie
  // as one sheet's two codes are enough; one code is not.
  if (mine.size() >= 2 && side_by_side(mine[0], mine[1], modules)) {
    // The page's map from its two codes' eight corners, whichever code is which.
    for (CodePlace first : {CodePlace::top_right, CodePlace::bottom_left}) {
      Quad a = code_corners(first, modules);
      Quad b = code_corners(
          first == CodePlace::top_right ? CodePlace::bottom_left : CodePlace::top_right, modules);
      std::array<Point, 8> printed{a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]};
      std::array<Point, 8> seen_at{mine[0][0], mine[0][1], mine[0][2], mine[0][3],
                                   mine[1][0], mine[1][1], mine[1][2], mine[1][3]};
      auto map = Homography::fit(printed.data(), seen_at.data(), 8);
      if (!map) continue;
      double worst = 0;
      for (std::size_t k = 0; k < 8; ++k) {
        Point p = (*map)(printed[k]);
        worst = std::max(worst, std::hypot(p.x - seen_at[k].x, p.y - seen_at[k].y));
      }
      double side = std::hypot(mine[0][1].x - mine[0][0].x, mine[0][1].y - mine[0][0].y);
      if (worst < side / 10) {
        out.frame.assign(map->values().begin(), map->values().end());
        break;
      }
    }
    return;
  }
  out.unplaced = true;
}

}  // namespace

PageRead read_page(const PageImage& page) {
  PageRead out;
  if (page.width <= 0 || page.height <= 0) return out;
  std::vector<Seen> seen;
  find_codes(page, out, seen);
  place_codes(page, out, seen);
  return out;
}

PageRead quick_read(const PageImage& page) {
  PageRead out;
  std::vector<Seen> seen;
  if (page.width > 0 && page.height > 0)
    scan(page.gray.data(), page.width, page.height, ZXing::Binarizer::LocalAverage, out, seen);
  return out;
}

std::string page_jpeg(const PageImage& page, int max_width, int turn) {
  init_vips();
  auto img = from_page(page);
  if (turn == 90) img = img.rot(VIPS_ANGLE_D90);
  if (turn == 180) img = img.rot(VIPS_ANGLE_D180);
  if (turn == 270) img = img.rot(VIPS_ANGLE_D270);
  if (img.width() > max_width) img = img.resize(static_cast<double>(max_width) / img.width());
  void* buf = nullptr;
  std::size_t size = 0;
  img.write_to_buffer(".jpg", &buf, &size,
                      vips::VImage::option()->set("Q", 70)->set("strip", true));
  std::string out(static_cast<const char*>(buf), size);
  g_free(buf);
  return out;
}

PageImage load_picture(const std::string& path, int max_width, std::int64_t max_pixels) {
  init_vips();
  char head[12] = {};
  {
    std::ifstream in(path, std::ios::binary);
    in.read(head, sizeof head);
    if (in.gcount() < static_cast<std::streamsize>(sizeof head)) throw Unreadable("too short");
  }
  std::string h(head, sizeof head);
  bool known = h.rfind("\xFF\xD8\xFF", 0) == 0 || h.rfind("\x89PNG\r\n\x1A\n", 0) == 0 ||
               h.rfind("GIF8", 0) == 0 || (h.rfind("RIFF", 0) == 0 && h.substr(8, 4) == "WEBP");
  if (!known) throw Unreadable("not a JPEG, PNG, GIF or WebP picture");
  try {
    auto img = vips::VImage::new_from_file(
        path.c_str(), vips::VImage::option()->set("access", VIPS_ACCESS_SEQUENTIAL));
    std::int64_t w = img.width(), hgt = img.height();
    if (w * hgt > max_pixels) throw TooLarge(w, hgt);
    // Transparent parts print as paper, not black.
    if (img.has_alpha()) img = img.flatten(vips::VImage::option()->set("background", 255.0));
    if (img.width() > max_width) img = img.resize(static_cast<double>(max_width) / img.width());
    return to_page(img);
  } catch (const vips::VError& e) {
    std::string why = e.what();
    if (why.find("out of memory") != std::string::npos) throw std::bad_alloc();
    throw Unreadable("the picture cannot be read: " + why);
  }
}

}  // namespace parta::printer
