#include "printer/registration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "printer/packet.hpp"

namespace parta::printer {

namespace {

using G = PageGeometry;

// Solves a·x = b (n ≤ 8 unknowns) by Gaussian elimination with partial pivoting.
template <std::size_t N>
std::optional<std::array<double, N>> solve(std::array<std::array<double, N + 1>, N> a) {
  for (std::size_t c = 0; c < N; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < N; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    if (std::abs(a[pivot][c]) < 1e-12) return std::nullopt;
    std::swap(a[c], a[pivot]);
    for (std::size_t r = 0; r < N; ++r) {
      if (r == c) continue;
      double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k <= N; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::array<double, N> x{};
  for (std::size_t i = 0; i < N; ++i) x[i] = a[i][N] / a[i][i];
  return x;
}

double distance(Point a, Point b) { return std::hypot(a.x - b.x, a.y - b.y); }

// The picture's brightness around (x, y), a 3×3 mean (a fax's dither is averaged).
double around(const PageImage& img, double x, double y) {
  int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
  double sum = 0, n = 0;
  for (int v = cy - 1; v <= cy + 1; ++v)
    for (int u = cx - 1; u <= cx + 1; ++u)
      if (u >= 0 && v >= 0 && u < img.width && v < img.height) {
        sum += img.gray[static_cast<std::size_t>(v) * img.width + u];
        n += 1;
      }
  return n > 0 ? sum / n : 255;
}

// A corner mark near `at` (`layout`: the mark's centre on the page, `guess`: the map that put it
// at `at`): a solid dark square about `side` pixels wide, on light paper, within `radius`. Its
// centre, or nullopt.
std::optional<Point> find_mark(const PageImage& img, const Homography& guess, Point layout,
                               Point at, double side, double radius) {
  int x0 = static_cast<int>(std::floor(at.x - radius)),
      y0 = static_cast<int>(std::floor(at.y - radius));
  int x1 = static_cast<int>(std::ceil(at.x + radius)),
      y1 = static_cast<int>(std::ceil(at.y + radius));
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, img.width);
  y1 = std::min(y1, img.height);
  int w = x1 - x0, h = y1 - y0;
  if (w < side || h < side) return std::nullopt;
  // The window smoothed over a few pixels (a box filter by running sums): a dithered fax's dots
  // and a photo's noise become the grey they stand for, and the mark a solid patch again.
  const int r = std::max(1, static_cast<int>(side / 6));
  std::vector<std::uint32_t> sums(static_cast<std::size_t>(w + 1) * (h + 1), 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      sums[static_cast<std::size_t>(y + 1) * (w + 1) + x + 1] =
          img.gray[static_cast<std::size_t>(y0 + y) * img.width + x0 + x] +
          sums[static_cast<std::size_t>(y) * (w + 1) + x + 1] +
          sums[static_cast<std::size_t>(y + 1) * (w + 1) + x] -
          sums[static_cast<std::size_t>(y) * (w + 1) + x];
  std::vector<std::uint8_t> smooth(static_cast<std::size_t>(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int ax = std::max(0, x - r), ay = std::max(0, y - r);
      int bx = std::min(w, x + r + 1), by = std::min(h, y + r + 1);
      auto at = [&](int u, int v) { return sums[static_cast<std::size_t>(v) * (w + 1) + u]; };
      std::uint32_t total = at(bx, by) - at(ax, by) - at(bx, ay) + at(ax, ay);
      smooth[static_cast<std::size_t>(y) * w + x] =
          static_cast<std::uint8_t>(total / static_cast<std::uint32_t>((bx - ax) * (by - ay)));
    }
  auto px = [&](int x, int y) { return smooth[static_cast<std::size_t>(y) * w + x]; };
  // Otsu's threshold over the window.
  std::array<std::uint32_t, 256> hist{};
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ++hist[px(x, y)];
  double total = static_cast<double>(w) * h, sum = 0;
  for (int i = 0; i < 256; ++i) sum += i * static_cast<double>(hist[i]);
  double sum_b = 0, w_b = 0, best = -1;
  int threshold = 128;
  for (int t = 0; t < 256; ++t) {
    w_b += hist[t];
    if (w_b == 0) continue;
    double w_f = total - w_b;
    if (w_f == 0) break;
    sum_b += t * static_cast<double>(hist[t]);
    double m_b = sum_b / w_b, m_f = (sum - sum_b) / w_f;
    double between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  // Dark regions, 4-connected; the one nearest `at` that is shaped like the mark.
  std::vector<int> label(static_cast<std::size_t>(w) * h, 0);
  std::vector<int> stack;
  std::optional<Point> found;
  double found_d = radius + 1;
  int next = 0;
  for (int sy = 0; sy < h; ++sy)
    for (int sx = 0; sx < w; ++sx) {
      std::size_t s = static_cast<std::size_t>(sy) * w + sx;
      if (label[s] || px(sx, sy) > threshold) continue;
      int id = ++next;
      label[s] = id;
      stack.assign(1, static_cast<int>(s));
      double area = 0, cx = 0, cy = 0, dark = 0;
      int bx0 = sx, bx1 = sx, by0 = sy, by1 = sy;
      bool edge = false;
      while (!stack.empty()) {
        int i = stack.back();
        stack.pop_back();
        int x = i % w, y = i / w;
        area += 1;
        cx += x;
        cy += y;
        dark += px(x, y);
        bx0 = std::min(bx0, x), bx1 = std::max(bx1, x), by0 = std::min(by0, y),
        by1 = std::max(by1, y);
        if (x == 0 || y == 0 || x == w - 1 || y == h - 1) edge = true;
        const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
        for (int k = 0; k < 4; ++k) {
          if (nx[k] < 0 || ny[k] < 0 || nx[k] >= w || ny[k] >= h) continue;
          std::size_t j = static_cast<std::size_t>(ny[k]) * w + nx[k];
          if (label[j] || px(nx[k], ny[k]) > threshold) continue;
          label[j] = id;
          stack.push_back(static_cast<int>(j));
        }
      }
      if (edge) continue;  // cut by the window: something larger than a mark
      double bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
      if (area < 0.5 * side * side || area > 1.8 * side * side) continue;
      if (bw < 0.6 * side || bh < 0.6 * side || bw > 1.7 * side || bh > 1.7 * side) continue;
      cx /= area;
      cy /= area;
      // A square is solid at its centre; a code's finder pattern (a ring of the same size) is not.
      int ix = static_cast<int>(std::lround(cx)), iy = static_cast<int>(std::lround(cy));
      if (label[static_cast<std::size_t>(iy) * w + ix] != id) continue;
      // Paper all around it (a mark stands alone in the margin, 12 points from anything
      // printed): a code's finder pattern, as large and, in a blurred picture, as solid, has the
      // code's modules on two sides.
      double ring = 0, ring_n = 0, ring_dark = 0;
      int m = std::max(2, static_cast<int>(side / 2));
      for (int y = std::max(0, by0 - m); y <= std::min(h - 1, by1 + m); ++y)
        for (int x = std::max(0, bx0 - m); x <= std::min(w - 1, bx1 + m); ++x)
          if (x < bx0 - 1 || x > bx1 + 1 || y < by0 - 1 || y > by1 + 1) {
            ring += px(x, y);
            ring_n += 1;
            if (px(x, y) <= threshold) ring_dark += 1;
          }
      if (ring_n == 0 || ring / ring_n - dark / area < 40 || ring_dark > 0.06 * ring_n) continue;
      Point c{x0 + cx + 0.5, y0 + cy + 0.5};
      // Solid through, as printed: a finder pattern has a light ring two modules in from its
      // edge (sampled along the page's axes, by the guess).
      {
        const double half = PageGeometry::kMarkSide / 2;
        auto sample = [&](double u, double v) {
          Point a = guess({layout.x + u * half, layout.y + v * half}), o = guess(layout);
          return around(img, c.x + a.x - o.x, c.y + a.y - o.y);
        };
        double core = 0, hollow = 0;
        for (double u : {-0.2, 0.0, 0.2})
          for (double v : {-0.2, 0.0, 0.2}) core += sample(u, v) / 9;
        for (double t : {-0.57, -0.28, 0.0, 0.28, 0.57})
          hollow += (sample(t, -0.57) + sample(t, 0.57) + sample(-0.57, t) + sample(0.57, t)) / 20;
        if (hollow - core > 50) continue;
      }
      double d = distance(c, at);
      if (d <= radius && d < found_d) {
        found = c;
        found_d = d;
      }
    }
  return found;
}

Point centre(const Quad& q) {
  return {(q[0].x + q[1].x + q[2].x + q[3].x) / 4, (q[0].y + q[1].y + q[2].y + q[3].y) / 4};
}

}  // namespace

std::optional<Homography> Homography::from(const std::array<Point, 4>& from,
                                           const std::array<Point, 4>& to) {
  std::array<std::array<double, 9>, 8> a{};
  for (std::size_t i = 0; i < 4; ++i) {
    double x = from[i].x, y = from[i].y, u = to[i].x, v = to[i].y;
    a[2 * i] = {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
    a[2 * i + 1] = {0, 0, 0, x, y, 1, -v * x, -v * y, v};
  }
  auto h = solve<8>(a);
  if (!h) return std::nullopt;
  Homography out;
  for (std::size_t i = 0; i < 8; ++i) out.h_[i] = (*h)[i];
  out.h_[8] = 1;
  return out;
}

std::optional<Homography> Homography::affine(const Point* from, const Point* to, std::size_t n) {
  if (n < 3) return std::nullopt;
  // Normal equations: one 3×3 system per output coordinate, sharing its matrix.
  std::array<std::array<double, 4>, 3> ax{}, ay{};
  for (std::size_t i = 0; i < n; ++i) {
    const double v[3] = {from[i].x, from[i].y, 1};
    for (std::size_t r = 0; r < 3; ++r) {
      for (std::size_t c = 0; c < 3; ++c) ax[r][c] = ay[r][c] = ax[r][c] + v[r] * v[c];
      ax[r][3] += v[r] * to[i].x;
      ay[r][3] += v[r] * to[i].y;
    }
  }
  auto hx = solve<3>(ax), hy = solve<3>(ay);
  if (!hx || !hy) return std::nullopt;
  Homography out;
  out.h_ = {(*hx)[0], (*hx)[1], (*hx)[2], (*hy)[0], (*hy)[1], (*hy)[2], 0, 0, 1};
  return out;
}

std::optional<Homography> Homography::fit(const Point* from, const Point* to, std::size_t n) {
  if (n < 4) return std::nullopt;
  // Both sets moved to their centroid and scaled to a mean distance of √2 (Hartley), so the
  // normal equations are well conditioned; the map is taken back to pixels after.
  auto normalise = [n](const Point* p, std::array<double, 3>& t) {
    double cx = 0, cy = 0, d = 0;
    for (std::size_t i = 0; i < n; ++i) cx += p[i].x / n, cy += p[i].y / n;
    for (std::size_t i = 0; i < n; ++i) d += std::hypot(p[i].x - cx, p[i].y - cy) / n;
    t = {d > 0 ? std::sqrt(2.0) / d : 1, cx, cy};  // scale, then the centre
  };
  std::array<double, 3> tf{}, tt{};
  normalise(from, tf);
  normalise(to, tt);
  std::array<std::array<double, 9>, 8> ata{};
  for (std::size_t i = 0; i < n; ++i) {
    double x = (from[i].x - tf[1]) * tf[0], y = (from[i].y - tf[2]) * tf[0];
    double u = (to[i].x - tt[1]) * tt[0], v = (to[i].y - tt[2]) * tt[0];
    const std::array<double, 9> rows[2] = {{x, y, 1, 0, 0, 0, -u * x, -u * y, u},
                                           {0, 0, 0, x, y, 1, -v * x, -v * y, v}};
    for (const auto& r : rows)
      for (std::size_t a = 0; a < 8; ++a)
        for (std::size_t b = 0; b < 9; ++b) ata[a][b] += r[a] * r[b];
  }
  auto h = solve<8>(ata);
  if (!h) return std::nullopt;
  // pixels = T_to⁻¹ · Hn · T_from
  const auto& m = *h;
  const double s = tf[0], a = tf[1], b = tf[2], k = 1 / tt[0], c = tt[1], d = tt[2];
  std::array<double, 9> hn = {m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], 1};
  std::array<double, 9> from_t = {s, 0, -s * a, 0, s, -s * b, 0, 0, 1};
  std::array<double, 9> to_inv = {k, 0, c, 0, k, d, 0, 0, 1};
  auto mul = [](const std::array<double, 9>& p, const std::array<double, 9>& q) {
    std::array<double, 9> r{};
    for (std::size_t i = 0; i < 3; ++i)
      for (std::size_t j = 0; j < 3; ++j)
        for (std::size_t l = 0; l < 3; ++l) r[i * 3 + j] += p[i * 3 + l] * q[l * 3 + j];
    return r;
  };
  Homography out;
  out.h_ = mul(to_inv, mul(hn, from_t));
  if (std::abs(out.h_[8]) < 1e-15) return std::nullopt;
  for (double& v : out.h_) v /= out.h_[8];
  return out;
}

std::optional<Homography> Homography::from_values(const std::array<double, 9>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return std::nullopt;
  Homography out;
  out.h_ = v;
  if (!out.inverse()) return std::nullopt;
  return out;
}

Point Homography::operator()(Point p) const {
  double w = h_[6] * p.x + h_[7] * p.y + h_[8];
  if (std::abs(w) < 1e-12) w = 1e-12;
  return {(h_[0] * p.x + h_[1] * p.y + h_[2]) / w, (h_[3] * p.x + h_[4] * p.y + h_[5]) / w};
}

std::optional<Homography> Homography::inverse() const {
  const auto& m = h_;
  double a = m[4] * m[8] - m[5] * m[7], b = m[5] * m[6] - m[3] * m[8],
         c = m[3] * m[7] - m[4] * m[6];
  double det = m[0] * a + m[1] * b + m[2] * c;
  if (std::abs(det) < 1e-15) return std::nullopt;
  Homography out;
  out.h_ = {a / det, (m[2] * m[7] - m[1] * m[8]) / det, (m[1] * m[5] - m[2] * m[4]) / det,
            b / det, (m[0] * m[8] - m[2] * m[6]) / det, (m[2] * m[3] - m[0] * m[5]) / det,
            c / det, (m[1] * m[6] - m[0] * m[7]) / det, (m[0] * m[4] - m[1] * m[3]) / det};
  return out;
}

Quad code_corners(CodePlace place, int modules) {
  // qr_draw: the box of kCode points holds the symbol and a quiet zone of four modules a side.
  double box_x = place == CodePlace::top_right ? G::kWidth - G::kMargin - G::kCode : G::kMargin;
  double box_y = place == CodePlace::top_right ? G::kMargin : G::kHeight - G::kMargin - G::kCode;
  double m = G::kCode / (modules + 8);
  double x0 = box_x + 4 * m, y0 = box_y + 4 * m, x1 = x0 + modules * m, y1 = y0 + modules * m;
  return {Point{x0, y0}, Point{x1, y0}, Point{x1, y1}, Point{x0, y1}};
}

std::array<Point, 4> mark_centres() {
  double c = G::kMarkInset + G::kMarkSide / 2;
  return {Point{c, c}, Point{G::kWidth - c, c}, Point{G::kWidth - c, G::kHeight - c},
          Point{c, G::kHeight - c}};
}

Registration register_page(const PageImage& image, const std::vector<Quad>& codes, int modules) {
  Registration out;
  out.places.assign(codes.size(), std::nullopt);
  if (codes.empty() || modules <= 0 || image.width <= 0 || image.height <= 0) return out;
  const auto marks = mark_centres();
  // Each code, taken for the top or the bottom one, says where the marks are; the best guess is
  // the one whose marks are found.
  std::array<std::optional<Point>, 4> best;
  int best_n = 0;
  for (const auto& q : codes) {
    for (CodePlace place : {CodePlace::top_right, CodePlace::bottom_left}) {
      Quad printed = code_corners(place, modules);
      auto guess = Homography::affine(printed.data(), q.data(), 4);
      if (!guess) continue;
      Point code_at = centre(q);
      std::array<std::optional<Point>, 4> found;
      int n = 0;
      // The marks not found yet, where `map` puts them; `spread`: how unsure the map is, per
      // pixel of distance from the code.
      auto search = [&](const Homography& map, double spread) {
        for (std::size_t k = 0; k < 4; ++k) {
          if (found[k]) continue;
          Point at = map(marks[k]);
          double half = G::kMarkSide / 2;
          double side = (distance(map({marks[k].x - half, marks[k].y}),
                                  map({marks[k].x + half, marks[k].y})) +
                         distance(map({marks[k].x, marks[k].y - half}),
                                  map({marks[k].x, marks[k].y + half}))) /
                        2;
          if (!(side > 3) || side > 400) continue;
          double radius = 1.5 * side + spread * distance(at, code_at);
          if (at.x < -side || at.y < -side || at.x > image.width + side ||
              at.y > image.height + side)
            continue;
          found[k] = find_mark(image, map, marks[k], at, side, radius);
          if (found[k]) ++n;
        }
      };
      // The map from a code is least sure far from it (a photo's perspective) ...
      search(*guess, 0.06);
      if (n >= 2 && n < 4) {
        // ... the marks found and the code's corners together say the perspective: the others
        // are looked for again where they say.
        std::vector<Point> from(printed.begin(), printed.end()), to(q.begin(), q.end());
        for (std::size_t k = 0; k < 4; ++k)
          if (found[k]) from.push_back(marks[k]), to.push_back(*found[k]);
        if (auto better = Homography::fit(from.data(), to.data(), from.size()))
          search(*better, 0.02);
      }
      if (n > best_n) {
        best_n = n;
        best = found;
      }
      if (best_n == 4) break;
    }
    if (best_n == 4) break;
  }
  out.marks = best_n;
  if (best_n < 3) return out;
  if (best_n == 4) {
    out.page = Homography::from(marks, {*best[0], *best[1], *best[2], *best[3]});
  } else {
    std::array<Point, 3> from, to;
    std::size_t i = 0;
    for (std::size_t k = 0; k < 4; ++k)
      if (best[k]) {
        from[i] = marks[k];
        to[i] = *best[k];
        ++i;
      }
    out.page = Homography::affine(from.data(), to.data(), 3);
  }
  if (!out.page) return out;
  auto back = out.page->inverse();
  if (!back) return out;
  // A code sits in a place when each of its corners lies within 4 mm of the place's corner.
  const double tolerance = 11.3;
  for (std::size_t i = 0; i < codes.size(); ++i)
    for (CodePlace place : {CodePlace::top_right, CodePlace::bottom_left}) {
      Quad want = code_corners(place, modules);
      double worst = 0;
      for (std::size_t k = 0; k < 4; ++k)
        worst = std::max(worst, distance((*back)(codes[i][k]), want[k]));
      if (worst <= tolerance) out.places[i] = place;
    }
  return out;
}

}  // namespace parta::printer
