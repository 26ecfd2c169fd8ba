#pragma once
// Parsers for what browsers send: URL-encoded and multipart forms, cookies. All input here is
// untrusted; every parser reports what was wrong instead of guessing (fuzzed in tests/fuzz/).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parta::http {

// A file from a multipart form: small ones in memory, uploads streamed to a temp file that is
// removed with this object unless a handler takes it (release_temp()).
class UploadedFile {
 public:
  UploadedFile() = default;
  UploadedFile(UploadedFile&& o) noexcept;
  UploadedFile& operator=(UploadedFile&& o) noexcept;
  UploadedFile(const UploadedFile&) = delete;
  UploadedFile& operator=(const UploadedFile&) = delete;
  ~UploadedFile();

  std::string field;
  std::string filename;  // as the browser sent it: shown to people, never used as a path
  std::string content_type;
  std::string data;       // the bytes, when kept in memory
  std::string temp_path;  // the bytes, when streamed to disk
  std::uint64_t size = 0;

  // The whole content (reads the temp file when on disk): only for small files.
  std::string read() const;
  // Hands the temp file over to the caller, who must move or delete it.
  std::string release_temp();
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

// Why a form was refused; the HTTP status follows from it.
enum class FormProblem {
  none,
  malformed,   // 400
  too_large,   // 413: the whole body, one text field, or the text fields together
  over_quota,  // 413: more files than the sender's quota has room for
  disk_full,   // 507: the upload would eat into the disk's reserve
  csrf,        // 403: the first field was not the form's valid CSRF token
};

struct FormParse {
  Form form;
  std::string error;  // empty = ok; else an English msgid for the user
  FormProblem problem = FormProblem::none;
  bool ok() const { return error.empty(); }
};

inline constexpr std::size_t kMaxFormFields = 2000;

// Decodes %XX and '+'. Returns nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = true);
std::string url_encode(std::string_view s);

// Text fields must be valid UTF-8 without control characters other than tab/CR/LF.
FormParse parse_urlencoded(std::string_view body);

struct MultipartLimits {
  std::string temp_dir;                       // "" = keep files in memory
  std::uint64_t max_total = 8 * 1024 * 1024;  // all parts together
  std::size_t max_field = 1024 * 1024;        // one text field
  std::size_t max_text = 1024 * 1024;         // all text fields together (the server's max_form)
  std::uint64_t max_files = UINT64_MAX;       // all file parts together (e.g. a quota's room)
  // Streamed files never take the disk holding temp_dir below this many free bytes: checked
  // before the first file byte (with `expected` still to come) and every MiB while writing.
  std::uint64_t disk_reserve = 0;
  std::uint64_t expected = 0;                 // the body's declared length, 0 = unknown
  std::function<std::uint64_t()> free_space;  // free bytes there; unset = statvfs(temp_dir)
  // When set, the first part must be a text field named "csrf" that this accepts: a form from
  // elsewhere is refused before any file part is stored.
  std::function<bool(std::string_view)> csrf_first;
};
// Streams a multipart body from `read` (returns bytes read, 0 at the end, <0 on error) into a
// Form. Temp files are removed on any error; `problem` says which limit refused it.
FormParse read_multipart(const std::function<long(char*, std::size_t)>& read,
                         std::string_view content_type, const MultipartLimits& limits);
// The same over a whole body in memory (tests, fuzzing).
FormParse parse_multipart(std::string_view body, std::string_view content_type);
std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header);

}  // namespace parta::http
