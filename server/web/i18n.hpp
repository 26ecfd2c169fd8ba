#pragma once
// Translations: gettext .po catalogues (server/i18n/*.<lang>.po) compiled into the binary. Message
// ids are English; Russian is the default language. Placeholders are written {name}.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/message.hpp"

namespace parta::web {

enum class Lang { ru, en };

Lang parse_lang(std::string_view code);  // "en" → en, anything else → ru
const char* lang_code(Lang l);

class Catalogue {
 public:
  // Loads every embedded "i18n/*.ru.po".
  static const Catalogue& instance();
  // Parses one .po text into the table for lang; returns false (and says why) if malformed.
  bool load_po(Lang lang, std::string_view po, std::string* error);

  // The translation, or the msgid itself when there is none.
  std::string tr(Lang lang, std::string_view msgid) const;
  std::string format(Lang lang, const domain::Message& m) const;
  bool has(Lang lang, std::string_view msgid) const;

 private:
  std::map<std::string, std::string, std::less<>> ru_;
};

// Replaces {key} in text by the values.
std::string substitute(std::string text,
                       const std::vector<std::pair<std::string, std::string>>& args);

}  // namespace parta::web
