#include "http/form.hpp"

#include "text/utf8.hpp"

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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Value of a parameter such as boundary=... or name="..." in a header value.
std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view part = trim(header.substr(pos, semi - pos));
    pos = semi + 1;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (!iequals(trim(part.substr(0, eq)), key)) continue;
    std::string_view v = trim(part.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"') {
      // Quoted: the value may itself contain ';', so re-scan to the closing quote.
      std::size_t start = static_cast<std::size_t>(v.data() - header.data()) + 1;
      std::string out;
      for (std::size_t i = start; i < header.size(); ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) {
          out += header[++i];
        } else if (header[i] == '"') {
          return out;
        } else {
          out += header[i];
        }
      }
      return std::nullopt;
    }
    return std::string(v);
  }
  return std::nullopt;
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

FormParse parse_multipart(std::string_view body, std::string_view content_type) {
  FormParse r;
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) {
    r.error = "The form data is malformed.";
    return r;
  }
  const std::string delim = "--" + *boundary;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) {
    r.error = "The form data is malformed.";
    return r;
  }
  pos += delim.size();
  while (true) {
    if (body.substr(pos, 2) == "--") return r;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") {
      r.error = "The form data is malformed.";
      return r;
    }
    pos += 2;
    std::size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) {
      r.error = "The form data is malformed.";
      return r;
    }
    std::string_view head = body.substr(pos, head_end - pos);
    std::size_t data_start = head_end + 4;
    std::size_t next = body.find("\r\n" + delim, data_start);
    if (next == std::string_view::npos) {
      r.error = "The upload was cut off. Please send it again.";
      return r;
    }
    std::string_view data = body.substr(data_start, next - data_start);
    pos = next + 2 + delim.size();

    std::optional<std::string> name, filename;
    std::string type;
    std::size_t hp = 0;
    while (hp <= head.size()) {
      std::size_t eol = head.find("\r\n", hp);
      if (eol == std::string_view::npos) eol = head.size();
      std::string_view line = head.substr(hp, eol - hp);
      hp = eol + 2;
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view key = trim(line.substr(0, colon));
        std::string_view value = trim(line.substr(colon + 1));
        if (iequals(key, "Content-Disposition")) {
          name = header_param(value, "name");
          filename = header_param(value, "filename");
        } else if (iequals(key, "Content-Type")) {
          type = std::string(value);
        }
      }
      if (eol == head.size()) break;
    }
    if (!name || !text::is_valid_utf8(*name) || has_bad_controls(*name)) {
      r.error = "The form data is malformed.";
      return r;
    }
    if (r.form.fields.size() + r.form.files.size() >= kMaxFormFields) {
      r.error = "The form has too many fields.";
      return r;
    }
    if (filename) {
      // A filename is only shown to people, never used as a path; still it must be printable.
      std::string fn =
          text::is_valid_utf8(*filename) && !has_bad_controls(*filename) ? *filename : "";
      r.form.files.push_back({*name, fn, type, std::string(data)});
    } else {
      if (!text::is_valid_utf8(data)) {
        r.error = "The form contains text that is not valid UTF-8.";
        return r;
      }
      if (has_bad_controls(data)) {
        r.error = "The form contains control characters.";
        return r;
      }
      r.form.fields.emplace_back(*name, std::string(data));
    }
  }
}

std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header) {
  std::map<std::string, std::string, std::less<>> out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view part = trim(header.substr(pos, semi - pos));
    pos = semi + 1;
    auto eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = trim(part.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.emplace(std::string(trim(part.substr(0, eq))), std::string(value));
  }
  return out;
}

}  // namespace parta::http
