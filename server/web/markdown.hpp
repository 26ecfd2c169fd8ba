#pragma once
// Teachers write assignments in Markdown; cmark renders it with raw HTML and dangerous links
// (javascript:, data: other than images) removed, so nothing a teacher types can run script.
#include <string>
#include <string_view>

namespace parta::web {

std::string markdown_to_html(std::string_view markdown);

}  // namespace parta::web
