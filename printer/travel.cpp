#include "printer/travel.hpp"

#include "printer/vips_page.hpp"

#include <vips/vips8>

#include <algorithm>
#include <array>
#include <cmath>
#include <new>

namespace parta::printer {

namespace {

vips::VImage load(const std::string& path, detail::FileType kind, int shrink) {
  if (kind == detail::FileType::jpeg)
    return vips::VImage::jpegload(path.c_str(), vips::VImage::option()->set("shrink", shrink));
  return vips::VImage::pngload(path.c_str());
}

// 8-bit, sRGB or grey, no alpha (transparent parts are paper).
vips::VImage plain(vips::VImage img) {
  if (img.has_alpha()) img = img.flatten(vips::VImage::option()->set("background", 255.0));
  bool grey = img.bands() == 1;
  if (img.format() != VIPS_FORMAT_UCHAR || img.interpretation() == VIPS_INTERPRETATION_CMYK)
    img = img.colourspace(grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB);
  if (img.format() != VIPS_FORMAT_UCHAR) img = img.cast(VIPS_FORMAT_UCHAR);
  if (img.bands() > 3) img = img.extract_band(0, vips::VImage::option()->set("n", 3));
  if (img.bands() == 2) img = img.extract_band(0);
  return img;
}

int otsu(const std::array<std::int64_t, 256>& hist, std::int64_t total) {
  double sum = 0;
  for (int i = 0; i < 256; ++i) sum += static_cast<double>(i) * static_cast<double>(hist[i]);
  double below = 0, sum_below = 0, best = -1;
  int at = 128;
  for (int t = 0; t < 256; ++t) {
    below += static_cast<double>(hist[t]);
    if (below == 0) continue;
    double above = static_cast<double>(total) - below;
    if (above == 0) break;
    sum_below += static_cast<double>(t) * static_cast<double>(hist[t]);
    double m0 = sum_below / below, m1 = (sum - sum_below) / above;
    double between = below * above * (m0 - m1) * (m0 - m1);
    if (between > best) best = between, at = t;
  }
  return at;
}

// The longest run of indices whose value is at least `min`.
std::pair<int, int> longest_run(const std::vector<double>& v, double min) {
  int best_a = 0, best_b = 0;
  for (int i = 0, n = static_cast<int>(v.size()); i < n;) {
    if (v[i] < min) {
      ++i;
      continue;
    }
    int j = i;
    while (j < n && v[j] >= min) ++j;
    if (j - i > best_b - best_a) best_a = i, best_b = j;
    i = j;
  }
  return {best_a, best_b};
}

// Above this quality a JPEG keeps a printed code's modules whatever the page (the quality a copy is
// made at again when a code was lost).
constexpr int kCodesQuality = 85;

// A moving average over about 2 % of the length.
std::vector<double> smoothed(const std::vector<double>& v) {
  const int n = static_cast<int>(v.size()), r = std::max(2, n / 100);
  std::vector<double> out(v.size());
  for (int i = 0; i < n; ++i) {
    double sum = 0;
    int count = 0;
    for (int j = std::max(0, i - r); j <= std::min(n - 1, i + r); ++j) sum += v[j], ++count;
    out[i] = sum / count;
  }
  return out;
}

vips::VImage to_memory_rgb(vips::VImage view) {
  if (view.bands() == 1) view = vips::VImage::bandjoin({view, view, view});
  return view.copy_memory();
}

}  // namespace

PageFinding find_page(const std::uint8_t* rgb, int w, int h) {
  PageFinding f;
  if (w < 16 || h < 16) return f;
  const std::int64_t n = static_cast<std::int64_t>(w) * h;
  std::vector<std::uint8_t> lum(static_cast<std::size_t>(n));
  std::array<std::int64_t, 256> hist{};
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t* p = rgb + 3 * i;
    lum[i] = static_cast<std::uint8_t>((p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000);
    ++hist[lum[i]];
  }
  // The page: the bright region in the middle of the photo, by rows and columns that are mostly
  // bright. Found only when it clearly stands out (bright inside, almost nothing bright around:
  // a drawing that darkens part of the page must not be cut off); otherwise the photo is taken
  // as the page (a scan, a close-up, a page on a white table).
  const int t = otsu(hist, n);
  std::vector<double> rows(h, 0), cols(w, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (lum[static_cast<std::size_t>(y) * w + x] > t) rows[y] += 1, cols[x] += 1;
  for (auto& r : rows) r /= w;
  for (auto& c : cols) c /= h;
  // Lines of writing darken whole rows of the page: the profiles are smoothed over a few rows, so
  // a line of text does not split the page in two.
  rows = smoothed(rows);
  cols = smoothed(cols);
  auto [top, bottom] = longest_run(rows, 0.3);
  auto [left, right] = longest_run(cols, 0.3);
  std::int64_t inside = 0, bright_inside = 0, bright_all = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      bool bright = lum[static_cast<std::size_t>(y) * w + x] > t;
      bright_all += bright;
      if (y >= top && y < bottom && x >= left && x < right) ++inside, bright_inside += bright;
    }
  const std::int64_t outside = n - inside;
  const double area = static_cast<double>(inside) / static_cast<double>(n);
  const double in_share = inside ? static_cast<double>(bright_inside) / inside : 0;
  const double out_share =
      outside ? static_cast<double>(bright_all - bright_inside) / static_cast<double>(outside) : 1;
  if (area > 0.15 && area < 0.9 && in_share > 0.75 && out_share < 0.12) {
    // Each side is cut only where the page's edge is a clear step down to what lies around it;
    // a side where the page only fades (into the shadow of the phone, a lamp's gradient) keeps
    // everything to the photo's border: cutting off writing is worse than keeping some table.
    auto mean = [&](int x0, int x1, int y0, int y1) {
      double sum = 0;
      std::int64_t n = 0;
      for (int y = std::max(0, y0); y < std::min(h, y1); ++y)
        for (int x = std::max(0, x0); x < std::min(w, x1); ++x)
          sum += lum[static_cast<std::size_t>(y) * w + x], ++n;
      return n ? sum / static_cast<double>(n) : 0.0;
    };
    const int bx = std::max(2, w / 40), by = std::max(2, h / 40);
    auto step = [](double inside, double outside) { return outside < 0.75 * inside; };
    if (left > 0 && !step(mean(left, left + bx, top, bottom), mean(left - bx, left, top, bottom)))
      left = 0;
    if (right < w &&
        !step(mean(right - bx, right, top, bottom), mean(right, right + bx, top, bottom)))
      right = w;
    if (top > 0 && !step(mean(left, right, top, top + by), mean(left, right, top - by, top)))
      top = 0;
    if (bottom < h &&
        !step(mean(left, right, bottom - by, bottom), mean(left, right, bottom, bottom + by)))
      bottom = h;
    // A margin, so a page edge cut by the perspective keeps its corner.
    int mx = std::max(2, (right - left) / 40), my = std::max(2, (bottom - top) / 40);
    f.left = std::max(0, left - mx);
    f.top = std::max(0, top - my);
    f.right = std::min(w, right + mx);
    f.bottom = std::min(h, bottom + my);
    f.found = f.left > 0 || f.top > 0 || f.right < w || f.bottom < h;
  } else {
    f.left = f.top = 0;
    f.right = w;
    f.bottom = h;
  }
  // A text page: paper and ink. Ink is one colour (blue, violet, black); a drawing, a coloured
  // worksheet or a photograph has colour areas of other hues, or much more colour than writing.
  std::array<std::int64_t, 12> hues{};
  std::int64_t coloured = 0, pixels = 0;
  for (int y = f.top; y < f.bottom; ++y)
    for (int x = f.left; x < f.right; ++x) {
      const std::uint8_t* p = rgb + 3 * (static_cast<std::size_t>(y) * w + x);
      ++pixels;
      int mx = std::max({p[0], p[1], p[2]}), mn = std::min({p[0], p[1], p[2]});
      if (mx - mn < 64) continue;
      ++coloured;
      double r = p[0], g = p[1], b = p[2], c = mx - mn, hue;
      if (mx == p[0])
        hue = std::fmod((g - b) / c + 6, 6);
      else if (mx == p[1])
        hue = (b - r) / c + 2;
      else
        hue = (r - g) / c + 4;
      ++hues[static_cast<std::size_t>(std::clamp(static_cast<int>(hue * 2), 0, 11))];
    }
  std::size_t ink =
      static_cast<std::size_t>(std::max_element(hues.begin(), hues.end()) - hues.begin());
  std::int64_t ink_like = hues[ink] + hues[(ink + 1) % 12] + hues[(ink + 11) % 12];
  double share = pixels ? static_cast<double>(coloured) / pixels : 0;
  double other = pixels ? static_cast<double>(coloured - ink_like) / pixels : 0;
  f.text_page = share < 0.15 && other < 0.004;
  return f;
}

TravelCopy make_travel_copy(const std::string& path, const TravelParams& params) {
  init_vips();
  const detail::FileType kind = detail::file_type(path);
  if (kind != detail::FileType::jpeg && kind != detail::FileType::png)
    throw Unreadable("not a JPEG or PNG");
  try {
    vips::VImage header = load(path, kind, 1);
    const std::int64_t w0 = header.width(), h0 = header.height();
    if (w0 * h0 > params.max_pixels) throw TooLarge(w0, h0);
    const int long_side = std::max(64, params.long_side);
    TravelCopy out;

    // The analysis on a view of at most 512 pixels (a JPEG decoded at an eighth for it).
    vips::VImage first = plain(load(path, kind, kind == detail::FileType::jpeg ? 8 : 1).autorot());
    const double vscale = std::min(1.0, 512.0 / std::max(first.width(), first.height()));
    vips::VImage view = to_memory_rgb(vscale < 1 ? first.resize(vscale) : first);
    PageFinding page =
        find_page(static_cast<const std::uint8_t*>(view.data()), view.width(), view.height());
    // The page's share of the photo, each side.
    const double fl = static_cast<double>(page.left) / view.width(),
                 fr = static_cast<double>(page.right) / view.width(),
                 ft = static_cast<double>(page.top) / view.height(),
                 fb = static_cast<double>(page.bottom) / view.height();

    // The photo decoded at a half, a quarter or an eighth of its size when the page is still
    // larger than the copy at that size: a 12-megapixel photo costs 3 megapixels, not 12.
    int shrink = 1;
    const double page_long = std::max((fr - fl) * static_cast<double>(std::max(w0, h0)),
                                      (fb - ft) * static_cast<double>(std::max(w0, h0)));
    if (kind == detail::FileType::jpeg)
      while (shrink < 8 && page_long / (shrink * 2) >= long_side) shrink *= 2;
    vips::VImage img = shrink == 8 && kind == detail::FileType::jpeg
                           ? first
                           : plain(load(path, kind, shrink).autorot());
    // The photo as decoded, in grey, for the quick look for codes.
    PageImage decoded;
    if (params.keep_codes) decoded = detail::to_page(img);
    if (page.found) {
      int l = static_cast<int>(fl * img.width()), t = static_cast<int>(ft * img.height());
      int r = std::min(img.width(), static_cast<int>(std::ceil(fr * img.width())));
      int b = std::min(img.height(), static_cast<int>(std::ceil(fb * img.height())));
      if (r - l > 16 && b - t > 16) {
        img = img.extract_area(l, t, r - l, b - t);
        out.cropped = true;
      }
    }
    out.grey =
        params.grey == TravelParams::Grey::always ||
        (params.grey == TravelParams::Grey::automatic && (img.bands() == 1 || page.text_page));
    if (out.grey && img.bands() > 1) img = img.colourspace(VIPS_INTERPRETATION_B_W).extract_band(0);
    img = img.copy_memory();  // rendered more than once when codes must be kept
    const int source_long = std::max(img.width(), img.height());

    // The copy at most `target` pixels on its long side, at `quality`.
    auto render = [&img, &out, source_long](int target, int quality) {
      vips::VImage c = img;
      if (source_long > target) c = c.resize(static_cast<double>(target) / source_long);
      if (out.grey && c.width() >= 64 && c.height() >= 64) {
        // The paper made even: its brightness around every point (the brightest in a wide
        // neighbourhood, so ink does not darken it, smoothed) brought to white. The lamp's
        // gradient and the phone's shadow go, ink keeps its contrast, and plain paper costs no
        // bytes. The gain is capped so a dark table around a page found nowhere is not turned
        // into noise.
        c = c.copy_memory();
        vips::VImage small = c.shrink(16, 16);
        vips::VImage bg = small.rank(5, 5, 24).gaussblur(1.5).resize(
            16.0, vips::VImage::option()->set("kernel", VIPS_KERNEL_LINEAR));
        bg = bg.embed(0, 0, c.width(), c.height(),
                      vips::VImage::option()->set("extend", VIPS_EXTEND_COPY));
        bg = (bg < 110).ifthenelse(110.0, bg);
        c = (c * 255.0 / bg).cast(VIPS_FORMAT_UCHAR);
      }
      void* buf = nullptr;
      std::size_t len = 0;
      c.write_to_buffer(".jpg", &buf, &len,
                        vips::VImage::option()
                            ->set("Q", quality)
                            ->set("strip", true)
                            ->set("optimize_coding", true));
      out.jpeg.assign(static_cast<const char*>(buf), len);
      g_free(buf);
      out.width = c.width();
      out.height = c.height();
      out.quality = quality;
    };
    render(long_side, std::clamp(params.quality, 1, 100));
    if (params.keep_codes) {
      // A small picture (a scan at 80 to 150 dpi, a fax) is read in full: its codes are small and
      // reading it is cheap; a phone photo gets the quick look.
      const bool small = static_cast<std::int64_t>(decoded.width) * decoded.height <= 2'000'000;
      const int before = (small ? read_page(decoded) : quick_read(decoded)).codes;
      if (before > 0) {
        int after = read_page(decode_image(out.jpeg)).codes;
        // A code lost: a higher quality, then larger, up to the page as decoded.
        const int larger = std::min(source_long, long_side * 3 / 2);
        for (auto [target, quality] :
             {std::pair{long_side, kCodesQuality}, std::pair{larger, kCodesQuality},
              std::pair{source_long, kCodesQuality}}) {
          if (after >= before) break;
          if (target <= out.width && target <= out.height && quality == out.quality) continue;
          render(target, quality);
          after = read_page(decode_image(out.jpeg)).codes;
        }
        out.codes_lost = after < before;
      }
    }
    if (params.check_codes) {
      PageRead before = read_page(load_page(path, 0, 200, params.max_pixels));
      PageRead after = read_page(decode_image(out.jpeg));
      out.codes_original = before.codes;
      out.foreign_original = before.foreign;
      out.codes_copy = after.codes;
      out.foreign_copy = after.foreign;
    }
    return out;
  } catch (const vips::VError& e) {
    std::string why = e.what();
    if (why.find("out of memory") != std::string::npos ||
        why.find("Error creating thread") != std::string::npos)
      throw std::bad_alloc();
    throw Unreadable("the picture cannot be read: " + why);
  }
}

}  // namespace parta::printer
