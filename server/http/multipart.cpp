#include "http/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace parta::http {

namespace {

constexpr std::size_t kMaxHeaderBlock = 8 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t semi = header.find(';', pos);
    if (semi == std::string_view::npos) semi = header.size();
    std::string_view part = trim_blanks(header.substr(pos, semi - pos));
    pos = semi + 1;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    if (!iequals(trim_blanks(part.substr(0, eq)), key)) continue;
    std::string_view v = trim_blanks(part.substr(eq + 1));
    if (!v.empty() && v.front() == '"') {
      // Quoted: the value may itself contain ';', so scan on to the closing quote.
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

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto b = header_param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 200) return std::nullopt;
  return b;
}

MultipartParser::MultipartParser(std::string boundary, MultipartSink& sink)
    : delimiter_("--" + std::move(boundary)), sink_(sink) {}

bool MultipartParser::fail(std::string msgid) {
  state_ = State::failed;
  error_ = std::move(msgid);
  return false;
}

bool MultipartParser::parse_headers(std::string_view block) {
  PartHeaders h;
  bool have_name = false;
  std::size_t pos = 0;
  while (pos <= block.size()) {
    std::size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 2;
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view key = trim_blanks(line.substr(0, colon));
      std::string_view value = trim_blanks(line.substr(colon + 1));
      if (iequals(key, "Content-Disposition")) {
        if (auto n = header_param(value, "name")) {
          h.name = *n;
          have_name = true;
        }
        h.filename = header_param(value, "filename");
      } else if (iequals(key, "Content-Type")) {
        h.content_type = std::string(value);
      }
    }
    if (eol == block.size()) break;
  }
  if (!have_name) return fail("The form data is malformed.");
  if (!sink_.begin_part(h)) {
    state_ = State::failed;
    return false;
  }
  return true;
}

bool MultipartParser::feed(std::string_view chunk) {
  if (state_ == State::failed) return false;
  if (state_ == State::done) return true;  // the epilogue is ignored
  buf_.append(chunk);
  while (true) {
    switch (state_) {
      case State::preamble: {
        std::size_t at = buf_.find(delimiter_);
        if (at == std::string::npos) {
          if (buf_.size() > kMaxHeaderBlock) return fail("The form data is malformed.");
          return true;
        }
        buf_.erase(0, at + delimiter_.size());
        state_ = State::after_delimiter;
        break;
      }
      case State::after_delimiter: {
        if (buf_.size() < 2) return true;
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::done;
          buf_.clear();
          return true;
        }
        if (buf_.compare(0, 2, "\r\n") != 0) return fail("The form data is malformed.");
        buf_.erase(0, 2);
        state_ = State::headers;
        break;
      }
      case State::headers: {
        std::size_t end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (buf_.size() > kMaxHeaderBlock) return fail("The form data is malformed.");
          return true;
        }
        if (!parse_headers(std::string_view(buf_).substr(0, end))) return false;
        buf_.erase(0, end + 4);
        state_ = State::body;
        break;
      }
      case State::body: {
        const std::string marker = "\r\n" + delimiter_;
        std::size_t at = buf_.find(marker);
        if (at == std::string::npos) {
          // Everything but a possible start of the marker is data.
          if (buf_.size() >= marker.size()) {
            std::size_t safe = buf_.size() - (marker.size() - 1);
            if (!sink_.data(std::string_view(buf_).substr(0, safe))) {
              state_ = State::failed;
              return false;
            }
            buf_.erase(0, safe);
          }
          return true;
        }
        if (at > 0 && !sink_.data(std::string_view(buf_).substr(0, at))) {
          state_ = State::failed;
          return false;
        }
        if (!sink_.end_part()) {
          state_ = State::failed;
          return false;
        }
        buf_.erase(0, at + marker.size());
        state_ = State::after_delimiter;
        break;
      }
      case State::done:
        buf_.clear();
        return true;
      case State::failed:
        return false;
    }
  }
}

bool MultipartParser::finish() {
  if (state_ == State::done) return true;
  if (state_ == State::failed) return false;
  if (state_ == State::preamble) return fail("The form data is malformed.");
  return fail("The upload was cut off. Please send it again.");
}

}  // namespace parta::http
