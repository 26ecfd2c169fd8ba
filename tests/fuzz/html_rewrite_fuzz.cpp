// Fuzzes the HTML tokenizer, the link rewriter that archive (ZIM) pages go through and the reader
// that turns an article into blocks for the paper packet. The input
// is an article as an archive could hold it. Checked: the tokens cover the input exactly, and no
// link or source in the rewritten page leaves the box (another host or scheme) or reaches the
// box's root outside the archive's base.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "content/html_scan.hpp"
#include "content/utf8.hpp"

namespace {

bool stays(std::string_view v) {
  std::size_t b = 0;
  while (b < v.size() &&
         (v[b] == ' ' || v[b] == '\t' || v[b] == '\n' || v[b] == '\r' || v[b] == '\f'))
    ++b;
  v.remove_prefix(b);
  if (!v.empty() && (v[0] == '/' || v[0] == '\\')) return v.rfind("/zim/7/", 0) == 0;
  for (char c : v) {
    if (c == ':' || c == '&') return false;
    if (c == '/' || c == '?' || c == '#') break;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parta::content;
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string joined;
  scan_html(in, [&](const HtmlToken& t) { joined += t.raw; });
  if (joined != in) std::abort();
  std::string out = rewrite_article(in, "/zim/7/", "<meta x>", "<div>bar</div>");
  scan_html(out, [&](const HtmlToken& t) {
    if (t.kind != HtmlToken::start_tag) return;
    for (const auto& a : t.attrs) {
      bool url = iequals(a.name, "href") || iequals(a.name, "src") || iequals(a.name, "action") ||
                 iequals(a.name, "formaction") || iequals(a.name, "poster") ||
                 iequals(a.name, "data") || iequals(a.name, "xlink:href") ||
                 iequals(a.name, "background");
      if (iequals(a.name, "srcset")) std::abort();
      if (url && !stays(a.value)) std::abort();
    }
  });
  // The packet's reader: bounded, and every picture's path stays inside the archive.
  auto blocks = read_article(in, 500);
  if (blocks.size() > 500) std::abort();
  for (const auto& b : blocks)
    if (b.kind == ArticleBlock::picture)
      if (auto p = resolve_archive_path("A/B", b.src))
        if (p->empty() || (*p)[0] == '/' || *p == ".." || p->rfind("../", 0) == 0 ||
            p->find("/../") != std::string::npos)
          std::abort();
  std::string text = decode_entities(in);
  if (parta::text::is_valid_utf8(in) && !parta::text::is_valid_utf8(text)) std::abort();
  return 0;
}
