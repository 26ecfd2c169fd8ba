#include "http/form.hpp"

#include "content/durable.hpp"
#include "content/utf8.hpp"
#include "http/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include <algorithm>
#include <cctype>

namespace parta::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_bad_controls(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
  });
}

}  // namespace

const std::string* Form::get(std::string_view name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return &v;
  return nullptr;
}

std::string Form::value(std::string_view name) const {
  const std::string* v = get(name);
  return v ? *v : std::string();
}

std::vector<std::string> Form::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fields)
    if (k == name) out.push_back(v);
  return out;
}

const UploadedFile* Form::file(std::string_view name) const {
  for (const auto& f : files)
    if (f.field == name) return &f;
  return nullptr;
}

std::optional<std::string> url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

FormParse parse_urlencoded(std::string_view body) {
  FormParse r;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) {
      if (amp == body.size()) break;
      continue;
    }
    if (r.form.fields.size() >= kMaxFormFields) {
      r.error = "The form has too many fields.";
      return r;
    }
    auto eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    auto value =
        url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) {
      r.error = "The form data is malformed.";
      return r;
    }
    if (!text::is_valid_utf8(*name) || !text::is_valid_utf8(*value)) {
      r.error = "The form contains text that is not valid UTF-8.";
      return r;
    }
    if (has_bad_controls(*name) || has_bad_controls(*value)) {
      r.error = "The form contains control characters.";
      return r;
    }
    r.form.fields.emplace_back(std::move(*name), std::move(*value));
    if (amp == body.size()) break;
  }
  return r;
}

UploadedFile::UploadedFile(UploadedFile&& o) noexcept
    : field(std::move(o.field)),
      filename(std::move(o.filename)),
      content_type(std::move(o.content_type)),
      data(std::move(o.data)),
      temp_path(std::exchange(o.temp_path, std::string())),
      size(o.size) {}

UploadedFile& UploadedFile::operator=(UploadedFile&& o) noexcept {
  if (this != &o) {
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
    field = std::move(o.field);
    filename = std::move(o.filename);
    content_type = std::move(o.content_type);
    data = std::move(o.data);
    temp_path = std::exchange(o.temp_path, std::string());
    size = o.size;
  }
  return *this;
}

UploadedFile::~UploadedFile() {
  if (!temp_path.empty()) ::unlink(temp_path.c_str());
}

std::string UploadedFile::read() const {
  if (temp_path.empty()) return data;
  std::ifstream in(temp_path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string UploadedFile::release_temp() { return std::exchange(temp_path, std::string()); }

namespace {

// Builds a Form from multipart parts: text fields checked like URL-encoded ones, files to memory or
// to temp files (O_EXCL, mode 0600) in the data folder's tmp/.
class FormBuilder : public MultipartSink {
 public:
  FormBuilder(const MultipartLimits& limits, FormParse& out) : limits_(limits), out_(out) {}
  ~FormBuilder() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool begin_part(const PartHeaders& h) override {
    if (out_.form.fields.size() + out_.form.files.size() >= kMaxFormFields)
      return stop(FormProblem::malformed, "The form has too many fields.");
    if (!text::is_valid_utf8(h.name) || has_bad_controls(h.name))
      return stop(FormProblem::malformed, "The form data is malformed.");
    in_file_ = h.filename.has_value();
    // The token comes first in every form: checked before a byte of any file is kept.
    if (limits_.csrf_first && parts_++ == 0 && (in_file_ || h.name != "csrf"))
      return stop(FormProblem::csrf, kExpired);
    if (in_file_) {
      UploadedFile f;
      f.field = h.name;
      // The name is only shown to people; still it must be printable.
      f.filename =
          text::is_valid_utf8(*h.filename) && !has_bad_controls(*h.filename) ? *h.filename : "";
      f.content_type = h.content_type;
      if (!limits_.temp_dir.empty()) {
        // What is still to come must fit above the reserve, or nothing is written at all.
        std::uint64_t to_come = limits_.expected > total_ ? limits_.expected - total_ : 0;
        if (!room_for(to_come)) return stop(FormProblem::disk_full, kDiskFull);
        std::string templ = limits_.temp_dir + "/upload-XXXXXX";
        fd_ = ::mkstemp(templ.data());
        if (fd_ < 0) return stop(FormProblem::malformed, kCannotStore);
        f.temp_path = templ;
        checked_at_ = 0;
      }
      out_.form.files.push_back(std::move(f));
    } else {
      out_.form.fields.emplace_back(h.name, std::string());
    }
    return true;
  }

  bool data(std::string_view bytes) override {
    total_ += bytes.size();
    if (total_ > limits_.max_total) return stop(FormProblem::too_large, kTooLarge);
    if (!in_file_) {
      std::string& v = out_.form.fields.back().second;
      text_ += bytes.size();
      if (v.size() + bytes.size() > limits_.max_field || text_ > limits_.max_text)
        return stop(FormProblem::too_large, kTooLarge);
      v.append(bytes);
      return true;
    }
    UploadedFile& f = out_.form.files.back();
    f.size += bytes.size();
    files_ += bytes.size();
    if (files_ > limits_.max_files) return stop(FormProblem::over_quota, kOverQuota);
    if (fd_ < 0) {
      f.data.append(bytes);
      return true;
    }
    // Another writer (another upload, an import) may be filling the disk at the same time.
    if (f.size - checked_at_ >= kRecheckEvery) {
      checked_at_ = f.size;
      if (!room_for(0)) return stop(FormProblem::disk_full, kDiskFull);
    }
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ENOSPC) return stop(FormProblem::disk_full, kDiskFull);
      if (n <= 0) return stop(FormProblem::malformed, kCannotStore);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  bool end_part() override {
    if (in_file_) {
      if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
      }
      return true;
    }
    const std::string& v = out_.form.fields.back().second;
    if (!text::is_valid_utf8(v))
      return stop(FormProblem::malformed, "The form contains text that is not valid UTF-8.");
    if (has_bad_controls(v))
      return stop(FormProblem::malformed, "The form contains control characters.");
    if (limits_.csrf_first && out_.form.fields.size() == 1 && out_.form.files.empty() &&
        !limits_.csrf_first(v))
      return stop(FormProblem::csrf, kExpired);
    return true;
  }

 private:
  static constexpr const char* kTooLarge = "The file or form is too large.";
  static constexpr const char* kExpired =
      "This form has expired. Go back, reload the page and try again.";
  static constexpr const char* kDiskFull =
      "The box's storage is almost full, so the file was not saved. Tell the school's "
      "administrator.";
  static constexpr const char* kOverQuota =
      "These files do not fit in the space for your hand-ins on the box. Send smaller photos or "
      "files, or ask your teacher.";
  static constexpr const char* kCannotStore =
      "The server could not store the upload. Please try again.";
  static constexpr std::uint64_t kRecheckEvery = 1024 * 1024;

  bool room_for(std::uint64_t bytes) const {
    std::uint64_t free =
        limits_.free_space ? limits_.free_space() : content::free_space(limits_.temp_dir);
    return free >= limits_.disk_reserve && free - limits_.disk_reserve >= bytes;
  }
  bool stop(FormProblem p, const char* msgid) {
    out_.problem = p;
    out_.error = msgid;
    return false;
  }
  const MultipartLimits& limits_;
  FormParse& out_;
  bool in_file_ = false;
  int fd_ = -1;
  std::size_t parts_ = 0;
  std::uint64_t total_ = 0, text_ = 0, files_ = 0, checked_at_ = 0;
};

}  // namespace

FormParse read_multipart(const std::function<long(char*, std::size_t)>& read,
                         std::string_view content_type, const MultipartLimits& limits) {
  FormParse r;
  auto boundary = multipart_boundary(content_type);
  if (!boundary) {
    r.error = "The form data is malformed.";
    r.problem = FormProblem::malformed;
    return r;
  }
  {
    FormBuilder builder(limits, r);
    MultipartParser parser(*boundary, builder);
    char buf[16384];
    bool ok = true;
    while (ok) {
      long n = read(buf, sizeof buf);
      if (n < 0) {
        r.error = "The upload was cut off. Please send it again.";
        ok = false;
        break;
      }
      if (n == 0) break;
      ok = parser.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    if (ok) ok = parser.finish();
    if (!ok && r.error.empty()) r.error = parser.error();
    // A form without a single part never showed its token.
    if (ok && limits.csrf_first && r.form.fields.empty() && r.form.files.empty()) {
      r.error = "This form has expired. Go back, reload the page and try again.";
      r.problem = FormProblem::csrf;
    }
  }
  if (!r.ok() && r.problem == FormProblem::none) r.problem = FormProblem::malformed;
  if (!r.ok()) r.form.files.clear();  // removes the temp files: nothing half-kept
  return r;
}

FormParse parse_multipart(std::string_view body, std::string_view content_type) {
  std::size_t pos = 0;
  // Odd chunk sizes on purpose: the parser must not care where chunks end.
  auto read = [&](char* buf, std::size_t cap) -> long {
    std::size_t n = std::min<std::size_t>({cap, body.size() - pos, 4093});
    std::copy_n(body.data() + pos, n, buf);
    pos += n;
    return static_cast<long>(n);
  };
  MultipartLimits limits;
  limits.max_total = body.size() + 1;
  limits.max_field = body.size() + 1;
  limits.max_text = body.size() + 1;
  return read_multipart(read, content_type, limits);
}

std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header) {
  std::map<std::string, std::string, std::less<>> out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view part = trim_blanks(header.substr(pos, semi - pos));
    pos = semi + 1;
    auto eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = trim_blanks(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.emplace(std::string(trim_blanks(part.substr(0, eq))), std::string(value));
  }
  return out;
}

}  // namespace parta::http
