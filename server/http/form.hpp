#pragma once
// Parsers for what browsers send: URL-encoded and multipart forms, cookies. All input here is
// untrusted; every parser reports what was wrong instead of guessing (fuzzed in tests/fuzz/).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parta::http {

struct UploadedFile {
  std::string field;
  std::string filename;  // as the browser sent it: never use it as a path
  std::string content_type;
  std::string data;
};

class Form {
 public:
  // The first value of a field, if present.
  const std::string* get(std::string_view name) const;
  std::string value(std::string_view name) const;  // "" when absent
  std::vector<std::string> all(std::string_view name) const;
  const UploadedFile* file(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }

  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<UploadedFile> files;
};

struct FormParse {
  Form form;
  std::string error;  // empty = ok; else an English msgid for the user
  bool ok() const { return error.empty(); }
};

inline constexpr std::size_t kMaxFormFields = 2000;

// Decodes %XX and '+'. Returns nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = true);
std::string url_encode(std::string_view s);

// Text fields must be valid UTF-8 without control characters other than tab/CR/LF.
FormParse parse_urlencoded(std::string_view body);
// content_type is the whole Content-Type header (it carries the boundary).
FormParse parse_multipart(std::string_view body, std::string_view content_type);
std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header);

}  // namespace parta::http
