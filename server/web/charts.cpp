#include "web/charts.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace parta::web {

namespace {
constexpr int kRow = 30, kWidth = 320, kBarMax = 220;

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", std::round(v * 10) / 10);
  return b;
}
}  // namespace

mstch::map bar_chart(const std::vector<Bar>& bars, const std::string& title) {
  double max = 0;
  for (const auto& b : bars) max = std::max(max, b.value);
  mstch::array rows;
  int y = 0;
  for (const auto& b : bars) {
    int w = max > 0 ? static_cast<int>(std::lround(b.value / max * kBarMax)) : 0;
    rows.push_back(mstch::map{{"label", b.label},
                              {"ty", std::to_string(y + 11)},
                              {"by", std::to_string(y + 15)},
                              {"w", std::to_string(std::max(w, b.value > 0 ? 2 : 0))},
                              {"vx", std::to_string(std::max(w, 0) + 4)},
                              {"vy", std::to_string(y + 24)},
                              {"shown", b.shown.empty() ? num(b.value) : b.shown}});
    y += kRow;
  }
  return mstch::map{{"title", title},
                    {"width", std::to_string(kWidth)},
                    {"height", std::to_string(std::max(y, 1))},
                    {"rows", rows}};
}

}  // namespace parta::web
