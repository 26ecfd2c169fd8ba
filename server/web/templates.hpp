#pragma once
// Mustache templates (mstch) compiled into the binary: {{x}} is HTML-escaped, {{{x}}} is raw and
// used only for HTML we rendered ourselves. {{#t}}English text{{/t}} marks text to translate: it is
// replaced by the translation once, at start, so each language has its own ready template set and
// rendering a page does no catalogue lookups.
#include <mstch/mstch.hpp>

#include <map>
#include <string>
#include <string_view>

#include "web/i18n.hpp"

namespace parta::web {

std::string html_escape(std::string_view s);

class Templates {
 public:
  static const Templates& instance();
  // Renders templates/<name>.html in lang; other templates are available as partials {{> name}}.
  std::string render(Lang lang, const std::string& name, const mstch::node& context) const;
  bool has(const std::string& name) const { return english_.count(name) != 0; }
  // The untranslated sources, for checks.
  const std::map<std::string, std::string>& sources() const { return english_; }

 private:
  Templates();
  struct Set {
    std::map<std::string, std::string> sources;
    // Per template, only the partials it uses (transitively): mstch parses every partial it is
    // given on every render, so passing all templates would parse them all for each page.
    std::map<std::string, std::map<std::string, std::string>> partials;
  };
  Set build(Lang lang) const;
  std::map<std::string, std::string> english_;
  Set ru_, en_;
};

}  // namespace parta::web
