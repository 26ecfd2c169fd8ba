// Fuzzes the parsers of what browsers send: URL-encoded forms, multipart uploads, cookies.
// The first byte picks the parser; for multipart the boundary is taken from the first line.
// Multipart is also read under the csrf-first rule (the token "tok" must be the first field, or
// the form is refused before any file part is kept) and compared with the plain parse.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "content/utf8.hpp"
#include "http/form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace parta::http;
  using parta::text::is_valid_utf8;
  switch (data[0] % 3) {
    case 0: {
      auto r = parse_urlencoded(in);
      if (r.ok())
        for (const auto& [k, v] : r.form.fields)
          if (!is_valid_utf8(k) || !is_valid_utf8(v)) std::abort();
      break;
    }
    case 1: {
      auto nl = in.find('\n');
      std::string type = in.substr(0, nl);
      std::string body = nl == std::string::npos ? "" : in.substr(nl + 1);
      auto r = parse_multipart(body, type);
      // The streaming parser must not care where chunks end: feed it in tiny, odd chunks and
      // compare with the whole-body parse.
      std::size_t chunk = 1 + (body.size() % 7), pos = 0;
      auto read = [&](char* buf, std::size_t cap) -> long {
        std::size_t n = std::min({cap, chunk, body.size() - pos});
        std::copy_n(body.data() + pos, n, buf);
        pos += n;
        return static_cast<long>(n);
      };
      MultipartLimits limits;
      limits.max_total = limits.max_field = limits.max_text = body.size() + 1;
      auto s = read_multipart(read, type, limits);
      if (s.ok() != r.ok() || s.form.fields != r.form.fields ||
          s.form.files.size() != r.form.files.size())
        std::abort();
      for (std::size_t i = 0; i < s.form.files.size(); ++i)
        if (s.form.files[i].data != r.form.files[i].data) std::abort();
      if (r.ok()) {
        for (const auto& [k, v] : r.form.fields)
          if (!is_valid_utf8(v)) std::abort();
        for (const auto& f : r.form.files)
          if (f.data.size() > body.size() || !is_valid_utf8(f.filename)) std::abort();
      }
      // The csrf-first rule: accepted only when the plain parse is fine and its first field is
      // csrf=tok (a form without files: whenever that holds); a refusal keeps no file.
      pos = 0;
      limits.csrf_first = [](std::string_view v) { return v == "tok"; };
      auto c = read_multipart(read, type, limits);
      const std::pair<std::string, std::string> token("csrf", "tok");
      bool token_first = r.ok() && !r.form.fields.empty() && r.form.fields[0] == token;
      if (c.ok() && (!token_first || c.form.fields != r.form.fields ||
                     c.form.files.size() != r.form.files.size()))
        std::abort();
      if (token_first && r.form.files.empty() && !c.ok()) std::abort();
      if (!c.ok() && !c.form.files.empty()) std::abort();
      break;
    }
    default:
      parse_cookies(in);
      url_decode(in);
      break;
  }
  return 0;
}
