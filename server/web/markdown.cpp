#include "web/markdown.hpp"

#include <cmark.h>

#include <cstdlib>

namespace parta::web {

std::string markdown_to_html(std::string_view markdown) {
  // CMARK_OPT_SAFE is the default since cmark 0.29 (no CMARK_OPT_UNSAFE here); say it anyway.
  char* html = cmark_markdown_to_html(markdown.data(), markdown.size(),
                                      CMARK_OPT_DEFAULT | CMARK_OPT_HARDBREAKS | CMARK_OPT_SMART);
  std::string out(html ? html : "");
  std::free(html);
  return out;
}

}  // namespace parta::web
