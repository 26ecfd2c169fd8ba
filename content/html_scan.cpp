#include "content/html_scan.hpp"

#include <cstdint>

#include "content/utf8.hpp"

namespace parta::content {

namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Finds `needle` case-insensitively from `from`; npos when absent.
std::size_t ifind(std::string_view s, std::string_view needle, std::size_t from) {
  if (needle.empty() || s.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= s.size(); ++i)
    if (iequals(s.substr(i, needle.size()), needle)) return i;
  return std::string_view::npos;
}

// Parses a tag starting at s[i] == '<' whose next char is a letter or '/'. Returns the end
// (one past '>') or npos when the tag never closes.
std::size_t parse_tag(std::string_view s, std::size_t i, HtmlToken* t) {
  std::size_t p = i + 1;
  t->kind = HtmlToken::start_tag;
  if (s[p] == '/') {
    t->kind = HtmlToken::end_tag;
    ++p;
  }
  std::size_t name_start = p;
  while (p < s.size() && !is_space(s[p]) && s[p] != '>' && s[p] != '/') ++p;
  t->name.clear();
  for (std::size_t k = name_start; k < p; ++k) t->name.push_back(lower(s[k]));
  while (p < s.size()) {
    while (p < s.size() && (is_space(s[p]) || s[p] == '/')) {
      if (s[p] == '/' && p + 1 < s.size() && s[p + 1] == '>') t->self_closing = true;
      ++p;
    }
    if (p >= s.size()) return std::string_view::npos;
    if (s[p] == '>') return p + 1;
    HtmlAttr a;
    std::size_t a_start = p;
    while (p < s.size() && !is_space(s[p]) && s[p] != '>' && s[p] != '=' &&
           !(s[p] == '/' && p + 1 < s.size() && s[p + 1] == '>'))
      ++p;
    a.name = s.substr(a_start, p - a_start);
    if (a.name.empty()) {  // a stray '=': skip it
      ++p;
      continue;
    }
    std::size_t q = p;
    while (q < s.size() && is_space(s[q])) ++q;
    if (q < s.size() && s[q] == '=') {
      ++q;
      while (q < s.size() && is_space(s[q])) ++q;
      if (q >= s.size()) return std::string_view::npos;
      if (s[q] == '"' || s[q] == '\'') {
        a.quote = s[q];
        std::size_t close = s.find(a.quote, q + 1);
        if (close == std::string_view::npos) return std::string_view::npos;
        a.value = s.substr(q + 1, close - q - 1);
        p = close + 1;
      } else {
        std::size_t v = q;
        while (q < s.size() && !is_space(s[q]) && s[q] != '>') ++q;
        a.value = s.substr(v, q - v);
        p = q;
      }
    }
    a.span = s.substr(a_start, p - a_start);
    if (t->attrs.size() < 64) t->attrs.push_back(a);
  }
  return std::string_view::npos;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

void scan_html(std::string_view s, const std::function<void(const HtmlToken&)>& on) {
  std::size_t i = 0, text_start = 0;
  HtmlToken t;
  auto flush_text = [&](std::size_t end) {
    if (end > text_start) {
      HtmlToken x;
      x.kind = HtmlToken::text;
      x.raw = s.substr(text_start, end - text_start);
      on(x);
    }
  };
  while (i < s.size()) {
    std::size_t lt = s.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= s.size()) break;
    char c = s[lt + 1];
    if (c == '!' || c == '?') {
      std::size_t end;
      if (s.substr(lt, 4) == "<!--") {
        end = s.find("-->", lt + 4);
        end = end == std::string_view::npos ? s.size() : end + 3;
      } else {
        end = s.find('>', lt);
        end = end == std::string_view::npos ? s.size() : end + 1;
      }
      flush_text(lt);
      HtmlToken x;
      x.kind = HtmlToken::other;
      x.raw = s.substr(lt, end - lt);
      on(x);
      i = text_start = end;
      continue;
    }
    if (!(is_alpha(c) || (c == '/' && lt + 2 < s.size() && is_alpha(s[lt + 2])))) {
      i = lt + 1;  // a '<' in text
      continue;
    }
    t = HtmlToken{};
    std::size_t end = parse_tag(s, lt, &t);
    if (end == std::string_view::npos) break;  // a tag cut off at the end: the rest is text
    flush_text(lt);
    t.raw = s.substr(lt, end - lt);
    on(t);
    i = text_start = end;
    if (t.kind == HtmlToken::start_tag && !t.self_closing &&
        (t.name == "script" || t.name == "style" || t.name == "textarea" || t.name == "title")) {
      std::string close = "</" + t.name;
      std::size_t e = ifind(s, close, i);
      if (e == std::string_view::npos) e = s.size();
      flush_text(e);
      i = text_start = e;
    }
  }
  text_start = std::min(text_start, s.size());
  flush_text(s.size());
}

std::string decode_entities(std::string_view s) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"},         {"lt", "<"},    {"gt", ">"},    {"quot", "\""}, {"apos", "'"},
      {"nbsp", "\xc2\xa0"}, {"mdash", "—"}, {"ndash", "–"}, {"laquo", "«"}, {"raquo", "»"},
      {"hellip", "…"},      {"copy", "©"},  {"deg", "°"},   {"minus", "−"}, {"times", "×"},
      {"shy", ""},          {"bdquo", "„"}, {"ldquo", "“"}, {"rdquo", "”"}, {"middot", "·"}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    std::size_t semi = s.find(';', i + 1);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view name = s.substr(i + 1, semi - i - 1);
    bool done = false;
    if (name.size() > 1 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string_view digits = name.substr(hex ? 2 : 1);
      std::uint32_t cp = 0;
      bool ok = !digits.empty();
      for (char d : digits) {
        int v = d >= '0' && d <= '9'                        ? d - '0'
                : hex && lower(d) >= 'a' && lower(d) <= 'f' ? lower(d) - 'a' + 10
                                                            : -1;
        if (v < 0 || cp > 0x10FFFF) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      }
      if (ok && cp > 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF)) {
        text::append_utf8(out, cp);
        done = true;
      }
    } else {
      for (const auto& [n, v] : kNamed)
        if (name == n) {
          out += v;
          done = true;
          break;
        }
    }
    if (done)
      i = semi;
    else
      out.push_back('&');
  }
  return out;
}

namespace {

// Where a link goes, seen from a page of the archive.
enum class Target { stays, root, leaves };
Target target_of(std::string_view v) {
  std::size_t b = 0;
  while (b < v.size() && is_space(v[b])) ++b;
  v.remove_prefix(b);
  if (v.size() >= 2 && (v[0] == '/' || v[0] == '\\') && (v[1] == '/' || v[1] == '\\'))
    return Target::leaves;  // //host/...
  if (!v.empty() && (v[0] == '/' || v[0] == '\\')) return Target::root;
  // A scheme: letters, digits, + - . before the first ':' and before any / ? #. Entities could
  // hide one ("javascript&#58;"): a value with '&' before its first '/' counts as leaving.
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == ':' || c == '&') return Target::leaves;
    if (c == '/' || c == '?' || c == '#') break;
  }
  return Target::stays;
}

bool is_url_attr(std::string_view n) {
  return iequals(n, "href") || iequals(n, "src") || iequals(n, "action") ||
         iequals(n, "formaction") || iequals(n, "poster") || iequals(n, "data") ||
         iequals(n, "xlink:href") || iequals(n, "background");
}

}  // namespace

std::string rewrite_article(std::string_view html, std::string_view base,
                            std::string_view head_extra, std::string_view body_top) {
  std::string out;
  out.reserve(html.size() + head_extra.size() + body_top.size() + 64);
  bool head_done = false, body_done = false;
  std::string_view root = base;
  if (!root.empty() && root.back() == '/') root.remove_suffix(1);
  scan_html(html, [&](const HtmlToken& t) {
    if (t.kind == HtmlToken::end_tag && t.name == "head" && !head_done) {
      out += head_extra;
      head_done = true;
    }
    if (t.kind != HtmlToken::start_tag) {
      out += t.raw;
      return;
    }
    if (t.name == "body" && !head_done) {
      out += head_extra;
      head_done = true;
    }
    bool change = false;
    for (const auto& a : t.attrs)
      if (iequals(a.name, "srcset") || (is_url_attr(a.name) && target_of(a.value) != Target::stays))
        change = true;
    if (!change) {
      out += t.raw;
    } else {
      out += '<';
      out += t.name;
      for (const auto& a : t.attrs) {
        if (iequals(a.name, "srcset")) continue;
        Target where = is_url_attr(a.name) ? target_of(a.value) : Target::stays;
        if (where == Target::leaves) continue;
        out += ' ';
        if (where == Target::root) {
          // "/Река", " /Река", "\\Река" (browsers read a backslash as a slash): base + "Река".
          std::string_view rest = a.value;
          while (!rest.empty() && (is_space(rest[0]) || rest[0] == '/' || rest[0] == '\\'))
            rest.remove_prefix(1);
          out += a.name;
          out += "=\"";
          out += root;
          out += '/';
          for (char c : rest) out += c == '"' ? std::string("&quot;") : std::string(1, c);
          out += '"';
        } else {
          out += a.span;
        }
      }
      out += t.self_closing ? " />" : ">";
    }
    if (t.name == "body" && !body_done) {
      out += body_top;
      body_done = true;
    }
  });
  if (!body_done && !body_top.empty()) out.insert(0, body_top);
  if (!head_done && !head_extra.empty()) out.insert(0, head_extra);
  return out;
}

namespace {

bool one_of(const std::string& n, std::initializer_list<const char*> names) {
  for (const char* x : names)
    if (n == x) return true;
  return false;
}

// Collapses runs of white space (and no-break spaces) into one space, trims the ends.
std::string collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool ws = is_space(s[i]);
    if (!ws && static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size() &&
        static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      ws = true;
      ++i;
    }
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::vector<ArticleBlock> read_article(std::string_view html, std::size_t max_blocks) {
  std::vector<ArticleBlock> out;
  ArticleBlock cur;
  std::string text;
  int skip = 0;  // inside script, style, head, nav, form, …
  bool in_row = false;
  std::vector<std::string> cells;
  auto flush = [&] {
    std::string t = collapse(text);
    text.clear();
    if (t.empty() || out.size() >= max_blocks) return;
    if (in_row) {
      cells.push_back(t);
      return;
    }
    ArticleBlock b = cur;
    b.text = t;
    out.push_back(std::move(b));
  };
  scan_html(html, [&](const HtmlToken& t) {
    const std::string& n = t.name;
    bool skipped = one_of(n, {"script", "style", "head", "title", "nav", "form", "noscript",
                              "button", "select", "template", "svg", "math", "object", "iframe"});
    if (t.kind == HtmlToken::start_tag && skipped && !t.self_closing) {
      ++skip;
      return;
    }
    if (t.kind == HtmlToken::end_tag && skipped) {
      if (skip > 0) --skip;
      return;
    }
    if (skip > 0) return;
    if (t.kind == HtmlToken::text) {
      if (text.size() < (1u << 20)) text += decode_entities(t.raw);
      return;
    }
    if (t.kind != HtmlToken::start_tag && t.kind != HtmlToken::end_tag) return;
    bool start = t.kind == HtmlToken::start_tag;
    if (n.size() == 2 && n[0] == 'h' && n[1] >= '1' && n[1] <= '6') {
      flush();
      cur = ArticleBlock{};
      if (start) {
        cur.kind = ArticleBlock::heading;
        cur.level = n[1] - '0';
      }
      return;
    }
    if (one_of(n, {"p", "div", "section", "article", "blockquote", "pre", "dd", "dt", "figcaption",
                   "caption", "body", "ul", "ol", "dl", "table", "center"})) {
      flush();
      cur = ArticleBlock{};
      return;
    }
    if (n == "li") {
      flush();
      cur = ArticleBlock{};
      if (start) cur.kind = ArticleBlock::item;
      return;
    }
    if (n == "tr") {
      flush();
      if (start) {
        in_row = true;
        cells.clear();
      } else if (in_row) {
        in_row = false;
        std::string joined;
        for (const auto& c : cells) joined += (joined.empty() ? "" : " | ") + c;
        if (!joined.empty() && out.size() < max_blocks)
          out.push_back({ArticleBlock::row, 0, joined, {}, {}});
        cells.clear();
      }
      return;
    }
    if (n == "td" || n == "th") {
      flush();
      return;
    }
    if (n == "br" && start) {
      text += '\n';
      return;
    }
    if (n == "img" && start) {
      std::string src, alt;
      for (const auto& a : t.attrs) {
        if (iequals(a.name, "src")) src = decode_entities(a.value);
        if (iequals(a.name, "alt")) alt = collapse(decode_entities(a.value));
      }
      if (src.empty() || out.size() >= max_blocks) return;
      flush();
      out.push_back({ArticleBlock::picture, 0, {}, src, alt});
    }
  });
  flush();
  if (in_row && !cells.empty() && out.size() < max_blocks) {
    std::string joined;
    for (const auto& c : cells) joined += (joined.empty() ? "" : " | ") + c;
    out.push_back({ArticleBlock::row, 0, joined, {}, {}});
  }
  return out;
}

std::optional<std::string> resolve_archive_path(std::string_view page, std::string_view src) {
  if (target_of(src) == Target::leaves) return std::nullopt;
  std::size_t cut = src.find_first_of("?#");
  if (cut != std::string_view::npos) src = src.substr(0, cut);
  std::string decoded;
  for (std::size_t i = 0; i < src.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'                 ? c - '0'
             : lower(c) >= 'a' && lower(c) <= 'f' ? lower(c) - 'a' + 10
                                                  : -1;
    };
    if (src[i] == '%' && i + 2 < src.size() && hex(src[i + 1]) >= 0 && hex(src[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex(src[i + 1]) * 16 + hex(src[i + 2])));
      i += 2;
    } else {
      decoded.push_back(src[i] == '\\' ? '/' : src[i]);
    }
  }
  std::vector<std::string> parts;
  std::string_view base = page;
  bool rooted = !decoded.empty() && decoded[0] == '/';
  if (!rooted) {
    std::size_t slash = base.rfind('/');
    base = slash == std::string_view::npos ? std::string_view() : base.substr(0, slash);
    std::size_t pos = 0;
    while (pos <= base.size() && !base.empty()) {
      std::size_t e = base.find('/', pos);
      if (e == std::string_view::npos) e = base.size();
      if (e > pos) parts.emplace_back(base.substr(pos, e - pos));
      pos = e + 1;
    }
  }
  std::size_t pos = 0;
  while (pos <= decoded.size()) {
    std::size_t e = decoded.find('/', pos);
    if (e == std::string::npos) e = decoded.size();
    std::string seg = decoded.substr(pos, e - pos);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    pos = e + 1;
  }
  if (parts.empty()) return std::nullopt;
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

}  // namespace parta::content
