#include "web/templates.hpp"

#include <stdexcept>

#include "web/resources.hpp"

namespace parta::web {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Templates::Templates() {
  mstch::config::escape = [](const std::string& s) { return html_escape(s); };
  constexpr std::string_view kPrefix = "web/templates/";
  for (const auto& r : embedded_resources()) {
    if (r.name.rfind(kPrefix, 0) != 0 || r.name.size() < kPrefix.size() + 5) continue;
    std::string name(r.name.substr(kPrefix.size()));
    name.resize(name.size() - 5);  // ".html"
    sources_[name] = std::string(r.data);
  }
}

const Templates& Templates::instance() {
  static const Templates t;
  return t;
}

std::string Templates::render(const std::string& name, const mstch::node& context) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) throw std::runtime_error("no template " + name);
  return mstch::render(it->second, context, sources_);
}

}  // namespace parta::web
