#pragma once
// Where a printed page lies in a scan or photo of it: a homography from the page's layout (points
// on A4, as packet.cpp draws it) to the picture's pixels. A code's four corners give a first map;
// the four corner marks, found where that map puts them, give the page's own map, and a code is
// the page's only if it sits in one of the page's two code places by that map. A code on a piece
// of another sheet lying on top, or cut out and pasted, does not.
#include <array>
#include <optional>
#include <vector>

#include "printer/scan.hpp"

namespace parta::printer {

struct Point {
  double x = 0, y = 0;
};
// A QR symbol's corners as zxing gives them, in the symbol's own order (top left, top right,
// bottom right, bottom left), whichever way the picture is turned.
using Quad = std::array<Point, 4>;

// A plane projective map.
class Homography {
 public:
  // The map that takes `from[i]` to `to[i]`; nullopt when the points are degenerate.
  static std::optional<Homography> from(const std::array<Point, 4>& from,
                                        const std::array<Point, 4>& to);
  // The affine map nearest to taking `from[i]` to `to[i]` (least squares, n ≥ 3 pairs): from a
  // code's corners, whose small span would make a projective map's far parts guesswork, or from
  // three corner marks.
  static std::optional<Homography> affine(const Point* from, const Point* to, std::size_t n);
  // The projective map nearest to taking `from[i]` to `to[i]` (least squares, n ≥ 4 pairs).
  static std::optional<Homography> fit(const Point* from, const Point* to, std::size_t n);
  Point operator()(Point p) const;
  std::optional<Homography> inverse() const;
  // Its nine values, row by row (a job carries a page's map to the helper that reads its boxes),
  // and back; nullopt for values that are not a usable map (not finite, or singular).
  const std::array<double, 9>& values() const { return h_; }
  static std::optional<Homography> from_values(const std::array<double, 9>& v);

 private:
  std::array<double, 9> h_{};
};

// The two places a packet page carries its code (top right, bottom left).
enum class CodePlace { top_right, bottom_left };
// The printed symbol's corners on the page, in points (the quiet zone left out), for a symbol of
// `modules` modules a side.
Quad code_corners(CodePlace place, int modules);
// The corner marks' centres on the page, in points: top left, top right, bottom right, bottom left.
std::array<Point, 4> mark_centres();

struct Registration {
  int marks = 0;  // corner marks found where the codes say they must be
  // The page's map (layout points → pixels) when at least three marks were found.
  std::optional<Homography> page;
  // Per code given: the place it sits in by the page's map, or none.
  std::vector<std::optional<CodePlace>> places;
};

// `codes`: the corners of the codes read on `image` that carry one payload; `modules`: its
// symbol's width in modules.
Registration register_page(const PageImage& image, const std::vector<Quad>& codes, int modules);

}  // namespace parta::printer
