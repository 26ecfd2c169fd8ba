#include "printer/boxes.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>

namespace parta::printer {

namespace {

using G = PageGeometry;

// Gray levels through the page's map, bilinear; paper white outside the picture.
class Sampler {
 public:
  Sampler(const PageImage& page, const Homography& map) : page_(page), map_(map) {}
  double at(double x, double y) const {
    Point p = map_({x, y});
    if (!(p.x >= 0 && p.y >= 0 && p.x < page_.width - 1 && p.y < page_.height - 1)) return 255;
    int x0 = static_cast<int>(p.x), y0 = static_cast<int>(p.y);
    double fx = p.x - x0, fy = p.y - y0;
    const std::uint8_t* r0 = page_.gray.data() + static_cast<std::size_t>(y0) * page_.width + x0;
    const std::uint8_t* r1 = r0 + page_.width;
    return (r0[0] * (1 - fx) + r0[1] * fx) * (1 - fy) + (r1[0] * (1 - fx) + r1[1] * fx) * fy;
  }
  // Pixels per point around (x, y): how finely to sample there.
  double scale(double x, double y) const {
    Point a = map_({x, y}), b = map_({x + 10, y}), c = map_({x, y + 10});
    return std::max(std::hypot(b.x - a.x, b.y - a.y), std::hypot(c.x - a.x, c.y - a.y)) / 10;
  }

 private:
  const PageImage& page_;
  const Homography& map_;
};

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
};

// Points of a rectangle's outline (`in`: that far inside it; < 0 outside) every `step` points.
std::vector<Point> outline(const Rect& r, double in, double step) {
  std::vector<Point> out;
  double x0 = r.x + in, y0 = r.y + in, x1 = r.x + r.w - in, y1 = r.y + r.h - in;
  for (double t = x0; t <= x1 + 1e-9; t += step) {
    out.push_back({t, y0});
    out.push_back({t, y1});
  }
  for (double t = y0 + step; t < y1 - 1e-9; t += step) {
    out.push_back({x0, t});
    out.push_back({x1, t});
  }
  return out;
}

// The paper near a place: its level, a high percentile of what lies around it (ink is the few
// dark), and how much it varies by itself (a noisy scan's grain, from the 90th to the 50th).
struct Paper {
  double level = 255, noise = 0;
};
Paper paper_near(const Sampler& s, const Rect& around) {
  std::vector<double> v;
  for (double y = around.y; y <= around.y + around.h; y += 1)
    for (double x = around.x; x <= around.x + around.w; x += 1) v.push_back(s.at(x, y));
  if (v.empty()) return {};
  auto p90 = v.begin() + static_cast<std::ptrdiff_t>(v.size() * 9 / 10);
  std::nth_element(v.begin(), p90, v.end());
  Paper out{*p90, 0};
  auto p50 = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), p50, p90);
  out.noise = (out.level - *p50) / 1.28;  // a normal grain's sigma
  return out;
}

constexpr double kSearch = 3.0;  // how far a box is looked for around where the map puts it (pt)
constexpr double kInset = 2.4;   // the inside measured: clear of the printed line and a nudge
constexpr double kBesideFrom = 2.6, kBesideTo = 7;  // the blank band around a box

BoxReading read_box(const Sampler& s, const AnswerBox& b) {
  BoxReading out;
  out.question = b.question;
  out.option = b.option;
  Rect box{b.x, b.y, b.w, b.h};
  const double px = s.scale(b.x, b.y);
  const double step = std::clamp(1 / px, 0.25, 0.6);
  const Paper around = paper_near(s, {b.x - 10, b.y - 10, b.w + 20, b.h + 20});
  const double paper = around.level;
  // The printed outline: the offset where the box's edges are darkest against the band just
  // outside them.
  auto edges = outline(box, 0, 0.5);
  auto band = outline(box, -1.8, 0.5);
  double best = -1e9, bx = 0, by = 0, edge_level = paper;
  for (double dy = -kSearch; dy <= kSearch + 1e-9; dy += 0.5)
    for (double dx = -kSearch; dx <= kSearch + 1e-9; dx += 0.5) {
      double on = 0, off = 0;
      for (const auto& p : edges) on += s.at(p.x + dx, p.y + dy);
      for (const auto& p : band) off += s.at(p.x + dx, p.y + dy);
      on /= static_cast<double>(edges.size());
      off /= static_cast<double>(band.size());
      // Nearer offsets win a tie: a smudge beside the box does not pull it away.
      double score = off - on - 0.5 * std::hypot(dx, dy);
      if (score > best) best = score, bx = dx, by = dy, edge_level = on;
    }
  // The toner as printed on this page: the outline's level (a faint printer, a gray fax).
  const double contrast = std::max(50.0, paper - edge_level);
  out.outline = std::clamp((best + 0.5 * std::hypot(bx, by)) / contrast, 0.0, 1.0);
  auto dark = [&](double v) { return (paper - v) / contrast; };
  // Gray is what stands out of the paper's own grain: on a noisy scan, three of its sigmas.
  const double grey_from = std::max(0.12, 3 * around.noise / contrast);
  int n = 0, ink = 0, grey = 0;
  for (double y = b.y + kInset; y <= b.y + b.h - kInset + 1e-9; y += step)
    for (double x = b.x + kInset; x <= b.x + b.w - kInset + 1e-9; x += step) {
      double d = dark(s.at(x + bx, y + by));
      ++n;
      ink += d > 0.5;
      grey += d > grey_from;
    }
  int m = 0, beside = 0;
  for (double y = b.y - kBesideTo; y <= b.y + b.h + kBesideTo + 1e-9; y += step)
    for (double x = b.x - kBesideTo; x <= b.x + b.w + kBesideTo + 1e-9; x += step) {
      bool inner = x > b.x - kBesideFrom && x < b.x + b.w + kBesideFrom && y > b.y - kBesideFrom &&
                   y < b.y + b.h + kBesideFrom;
      if (inner) continue;
      ++m;
      beside += dark(s.at(x + bx, y + by)) > 0.35;
    }
  out.ink = n ? static_cast<double>(ink) / n : 0;
  out.grey = n ? static_cast<double>(grey) / n : 0;
  out.beside = m ? static_cast<double>(beside) / m : 0;
  if (out.outline < 0.3)
    out.state = BoxState::doubtful;  // no printed box here: a fold, a torn corner, a hand
  else if (out.ink >= 0.72)
    out.state = BoxState::full;
  else if (out.ink >= 0.08)
    out.state = BoxState::marked;
  else if (out.grey >= 0.008 || out.beside >= 0.012)
    out.state = BoxState::doubtful;
  else
    out.state = BoxState::empty;
  return out;
}

// Whether anything is written in a frame: dark strokes inside it, clear of its printed line.
bool written(const Sampler& s, const AnswerBox& b) {
  const double px = s.scale(b.x, b.y);
  const double step = std::clamp(1 / px, 0.3, 0.8);
  double paper = paper_near(s, {b.x + 3, b.y + 3, b.w - 6, b.h - 6}).level;
  int n = 0, dark = 0;
  for (double y = b.y + 4; y <= b.y + b.h - 4; y += step)
    for (double x = b.x + 4; x <= b.x + b.w - 4; x += step) {
      ++n;
      dark += paper - s.at(x, y) > 45;  // pencil too
    }
  // At least 6 square points of ink (a stroke of 6 mm by 0.35): a digit, not a speck of dust;
  // whatever the frame's size.
  return n && dark * step * step >= 6;
}

// The part of the page in `r` (points), upright whatever way the picture lies, as a JPEG.
std::string crop(const Sampler& s, const Rect& r, const std::string& path) {
  const double k = std::min(2.2, 1100 / std::max(r.w, 1.0));
  PageImage img;
  img.width = std::max(1, static_cast<int>(r.w * k));
  img.height = std::max(1, static_cast<int>(r.h * k));
  img.gray.resize(static_cast<std::size_t>(img.width) * img.height);
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      img.gray[static_cast<std::size_t>(y) * img.width + x] = static_cast<std::uint8_t>(
          std::clamp(s.at(r.x + (x + 0.5) / k, r.y + (y + 0.5) / k), 0.0, 255.0));
  std::string bytes = page_jpeg(img, img.width, 0);
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("a crop cannot be written");
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

BoxesRead read_boxes(const PageImage& page, const Homography& map,
                     const std::vector<AnswerBox>& boxes, const std::string& out_dir) {
  BoxesRead out;
  Sampler s(page, map);
  std::map<int, std::vector<const AnswerBox*>> options;  // question → its boxes here
  std::map<int, const AnswerBox*> blocks, frames;
  for (const auto& b : boxes) {
    if (b.option >= 0)
      options[b.question].push_back(&b);
    else if (b.option == AnswerBox::kBlock)
      blocks.emplace(b.question, &b);
    else if (b.option == AnswerBox::kWriteIn)
      frames.emplace(b.question, &b);
  }
  for (const auto& [question, list] : options) {
    RowReading row;
    row.question = question;
    bool many = blocks.count(question) && blocks[question]->many;
    std::string why;
    for (const AnswerBox* b : list) {
      BoxReading r = read_box(s, *b);
      out.boxes.push_back(r);
      if (r.state == BoxState::marked) row.chosen.push_back(r.option);
      std::string w = r.state == BoxState::full       ? "full"
                      : r.state != BoxState::doubtful ? ""
                      : r.outline < 0.3               ? "lost"
                      : r.grey >= 0.008               ? "faint"
                                                      : "beside";
      if (!w.empty() && why.empty()) why = w;
    }
    if (why.empty() && !many && row.chosen.size() > 1) why = "two";
    row.decided = why.empty();
    row.why = why;
    if (!row.decided) {
      Rect r{list.front()->x - 30, list.front()->y - 30, 540, 60};
      if (auto bl = blocks.find(question); bl != blocks.end())
        r = {bl->second->x - 4, bl->second->y - 4, bl->second->w + 8, bl->second->h + 8};
      // Every box of the row and the start of its option's text, no wider: large enough on a
      // phone to see the marks (options side by side reach across the page).
      double right = r.x;
      for (const AnswerBox* b : list) right = std::max(right, b->x + b->w);
      r.w = std::min(r.w, std::max(300.0, right - r.x + 90));
      row.crop = crop(s, r, out_dir + "/q" + std::to_string(question) + ".jpg");
    }
    out.rows.push_back(std::move(row));
  }
  for (const auto& [question, b] : frames) {
    WriteIn w;
    w.question = question;
    w.blank = !written(s, *b);
    if (!w.blank)
      w.crop = crop(s, {b->x - 6, b->y - 6, b->w + 12, b->h + 12},
                    out_dir + "/w" + std::to_string(question) + ".jpg");
    out.writes.push_back(std::move(w));
  }
  return out;
}

}  // namespace parta::printer
