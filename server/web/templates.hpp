#pragma once
// Mustache templates (mstch) compiled into the binary: {{x}} is HTML-escaped, {{{x}}} is raw and
// used only for HTML we rendered ourselves. {{#t}}English text{{/t}} translates.
#include <mstch/mstch.hpp>

#include <map>
#include <string>
#include <string_view>

namespace parta::web {

std::string html_escape(std::string_view s);

class Templates {
 public:
  static const Templates& instance();
  // Renders templates/<name>.html; every other template is available as a partial {{> name}}.
  std::string render(const std::string& name, const mstch::node& context) const;
  bool has(const std::string& name) const { return sources_.count(name) != 0; }
  const std::map<std::string, std::string>& sources() const { return sources_; }

 private:
  Templates();
  std::map<std::string, std::string> sources_;
};

}  // namespace parta::web
