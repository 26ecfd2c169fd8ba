#pragma once
// A forgiving HTML tokenizer for archive articles (ZIM): text, tags with their attributes,
// and everything else (comments, doctypes) as raw spans. It never fails and never reads past the
// input, whatever the input is; what it cannot make sense of comes back as text. Two users: the
// link rewriter that keeps an article's links on the box, and the reader that turns an article
// into blocks for the paper packet.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parta::content {

struct HtmlAttr {
  std::string_view name;   // as written (compare with iequals)
  std::string_view value;  // raw, entities not decoded; empty for a bare attribute
  char quote = 0;          // '"', '\'' or 0
  std::string_view span;   // the whole attribute as written
};

struct HtmlToken {
  enum Kind { text, start_tag, end_tag, other } kind = text;
  std::string_view raw;  // exactly what the input had
  std::string name;      // tags: lower case
  std::vector<HtmlAttr> attrs;
  bool self_closing = false;
};

// Calls `on` for each token, in order; the tokens' raw spans cover the input exactly. Inside
// script and style elements everything up to the closing tag is one text token.
void scan_html(std::string_view html, const std::function<void(const HtmlToken&)>& on);

bool iequals(std::string_view a, std::string_view b);
// &amp; &lt; &#1105; &#x451; &nbsp; and the common typographic names; an unknown or broken
// entity stays as written.
std::string decode_entities(std::string_view s);

// What an archive's page needs to stay on the box (served under `base`, e.g. "/zim/3/"):
// relative links stay as they are; links to the site's root ("/Река") get the base; links that
// leave the box (another scheme or host: the box has no internet) lose their href/src, so they
// read as text and load nothing; srcset goes (it names other files by rules of its own).
// `head_extra` goes at the end of <head> (a viewport for phones), `body_top` right after <body>
// (the way back to the portal). Scripts are left as written: the page is served with a policy
// that runs none.
std::string rewrite_article(std::string_view html, std::string_view base,
                            std::string_view head_extra, std::string_view body_top);

// An article as the paper packet prints it: headings, paragraphs, list items, table rows and
// pictures, in order, as plain text (entities decoded, spaces collapsed). Scripts, styles, the
// head, navigation and forms are left out. `max_blocks` bounds what a hostile page can make.
struct ArticleBlock {
  enum Kind { heading, paragraph, item, row, picture } kind = paragraph;
  int level = 0;         // headings: 1..6
  std::string text;      // a row's cells are separated by " | "
  std::string src, alt;  // pictures: the src as written (relative to the page), alt text
};
std::vector<ArticleBlock> read_article(std::string_view html, std::size_t max_blocks = 5000);
// The archive path a picture's src names, seen from the page at `page` ("A/Ёж" + "../I/a%20b.png"
// → "I/a b.png"); nullopt for a src that leaves the archive.
std::optional<std::string> resolve_archive_path(std::string_view page, std::string_view src);

}  // namespace parta::content
