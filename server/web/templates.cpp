#include "web/templates.hpp"

#include <stdexcept>
#include <vector>

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

namespace {

// Replaces every {{#t}}msgid{{/t}} by its escaped translation; {{placeholders}} in the
// translation stay mustache tags and are filled at render time.
std::string translate(const std::string& src, Lang lang) {
  static constexpr std::string_view kOpen = "{{#t}}", kClose = "{{/t}}";
  std::string out;
  std::size_t pos = 0;
  while (true) {
    std::size_t open = src.find(kOpen, pos);
    if (open == std::string::npos) break;
    std::size_t close = src.find(kClose, open);
    if (close == std::string::npos) throw std::runtime_error("unclosed {{#t}} in a template");
    out.append(src, pos, open - pos);
    std::string msgid = src.substr(open + kOpen.size(), close - open - kOpen.size());
    out += html_escape(Catalogue::instance().tr(lang, msgid));
    pos = close + kClose.size();
  }
  out.append(src, pos, std::string::npos);
  return out;
}

}  // namespace

Templates::Templates() {
  mstch::config::escape = [](const std::string& s) { return html_escape(s); };
  constexpr std::string_view kPrefix = "web/templates/";
  for (const auto& r : embedded_resources()) {
    if (r.name.rfind(kPrefix, 0) != 0 || r.name.size() < kPrefix.size() + 5) continue;
    std::string name(r.name.substr(kPrefix.size()));
    name.resize(name.size() - 5);  // ".html"
    english_[name] = std::string(r.data);
  }
  ru_ = build(Lang::ru);
  en_ = build(Lang::en);
}

Templates::Set Templates::build(Lang lang) const {
  Set set;
  for (const auto& [name, src] : english_) set.sources[name] = translate(src, lang);
  for (const auto& [name, src] : set.sources) {
    auto& used = set.partials[name];
    std::vector<std::string> todo{name};
    while (!todo.empty()) {
      std::string current = todo.back();
      todo.pop_back();
      const std::string& text = set.sources.at(current);
      for (std::size_t pos = text.find("{{>"); pos != std::string::npos;
           pos = text.find("{{>", pos + 3)) {
        std::size_t end = text.find("}}", pos);
        if (end == std::string::npos) break;
        std::string partial = text.substr(pos + 3, end - pos - 3);
        partial.erase(0, partial.find_first_not_of(' '));
        partial.erase(partial.find_last_not_of(' ') + 1);
        auto it = set.sources.find(partial);
        if (it == set.sources.end())
          throw std::runtime_error(name + " uses unknown partial " + partial);
        if (used.emplace(partial, it->second).second) todo.push_back(partial);
      }
    }
  }
  return set;
}

const Templates& Templates::instance() {
  static const Templates t;
  return t;
}

std::string Templates::render(Lang lang, const std::string& name,
                              const mstch::node& context) const {
  const Set& set = lang == Lang::en ? en_ : ru_;
  auto it = set.sources.find(name);
  if (it == set.sources.end()) throw std::runtime_error("no template " + name);
  return mstch::render(it->second, context, set.partials.at(name));
}

}  // namespace parta::web
