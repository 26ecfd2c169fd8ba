#pragma once
// Charts drawn on the server as small inline SVG (no JavaScript, a few hundred bytes): horizontal
// bars, one row per label, rendered by the bar_chart partial template.
#include <string>
#include <vector>

#include <mstch/mstch.hpp>

namespace parta::web {

struct Bar {
  std::string label;
  double value = 0;
  std::string shown;  // what to print after the bar ("12 · 40%"); empty: the value
};

// Data for {{> bar_chart}}; `title` is the chart's accessible name.
mstch::map bar_chart(const std::vector<Bar>& bars, const std::string& title);

}  // namespace parta::web
