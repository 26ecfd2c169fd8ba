#include "web/i18n.hpp"

#include <stdexcept>

#include "web/resources.hpp"

namespace parta::web {

Lang parse_lang(std::string_view code) { return code == "en" ? Lang::en : Lang::ru; }
const char* lang_code(Lang l) { return l == Lang::en ? "en" : "ru"; }

namespace {

// Parses the C-style quoted string starting at s[i] == '"'; advances i past it.
bool parse_quoted(std::string_view s, std::size_t& i, std::string* out) {
  if (i >= s.size() || s[i] != '"') return false;
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return true;
    }
    if (c == '\\' && i + 1 < s.size()) {
      char e = s[++i];
      *out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
    } else {
      *out += c;
    }
  }
  return false;
}

}  // namespace

bool Catalogue::load_po(Lang lang, std::string_view po, std::string* error) {
  if (lang == Lang::en) return true;  // English is the msgids themselves
  std::string msgid, msgstr, *current = nullptr;
  bool fuzzy = false, have_entry = false;
  int line_no = 0;
  auto flush = [&] {
    if (have_entry && !msgid.empty() && !msgstr.empty() && !fuzzy) ru_[msgid] = msgstr;
    msgid.clear();
    msgstr.clear();
    current = nullptr;
    fuzzy = false;
    have_entry = false;
  };
  std::size_t pos = 0;
  while (pos < po.size()) {
    std::size_t eol = po.find('\n', pos);
    if (eol == std::string_view::npos) eol = po.size();
    std::string_view line = po.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("#,", 0) == 0 && line.find("fuzzy") != std::string_view::npos) {
        flush();
        fuzzy = true;
      }
      continue;
    }
    std::size_t i = 0;
    if (line.rfind("msgid ", 0) == 0) {
      bool keep_fuzzy = fuzzy && !have_entry;
      flush();
      fuzzy = keep_fuzzy;
      have_entry = true;
      current = &msgid;
      i = 6;
    } else if (line.rfind("msgstr ", 0) == 0) {
      current = &msgstr;
      i = 7;
    } else if (line.rfind("msgctxt", 0) == 0 || line.rfind("msgid_plural", 0) == 0 ||
               line.rfind("msgstr[", 0) == 0) {
      current = nullptr;  // not used by Parta
      continue;
    } else if (line[0] != '"') {
      if (error) *error = "line " + std::to_string(line_no) + ": unexpected text";
      return false;
    }
    if (!current) continue;
    if (!parse_quoted(line, i, current)) {
      if (error) *error = "line " + std::to_string(line_no) + ": bad string";
      return false;
    }
  }
  flush();
  return true;
}

const Catalogue& Catalogue::instance() {
  static const Catalogue c = [] {
    Catalogue cat;
    for (const auto& r : embedded_resources()) {
      if (r.name.rfind("i18n/", 0) == 0 && r.name.size() > 6 &&
          r.name.substr(r.name.size() - 6) == ".ru.po") {
        std::string err;
        if (!cat.load_po(Lang::ru, r.data, &err))
          throw std::runtime_error("bad catalogue " + std::string(r.name) + ": " + err);
      }
    }
    return cat;
  }();
  return c;
}

std::string Catalogue::tr(Lang lang, std::string_view msgid) const {
  if (lang == Lang::ru) {
    auto it = ru_.find(msgid);
    if (it != ru_.end()) return it->second;
  }
  return std::string(msgid);
}

bool Catalogue::has(Lang lang, std::string_view msgid) const {
  return lang == Lang::en || ru_.find(msgid) != ru_.end();
}

std::string Catalogue::format(Lang lang, const domain::Message& m) const {
  return substitute(tr(lang, m.msgid), m.args);
}

std::string substitute(std::string text,
                       const std::vector<std::pair<std::string, std::string>>& args) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t open = text.find('{', pos);
    if (open == std::string::npos) break;
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    std::string key = text.substr(open + 1, close - open - 1);
    out.append(text, pos, open - pos);
    bool found = false;
    for (const auto& [k, v] : args) {
      if (k == key) {
        out += v;
        found = true;
        break;
      }
    }
    if (!found) out.append(text, open, close - open + 1);
    pos = close + 1;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace parta::web
