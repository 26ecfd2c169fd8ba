#pragma once
// A streaming multipart/form-data parser: the body is fed in chunks of any size (a 200 MB video
// arrives 16 KB at a time) and parts are handed to a sink as they are found, so an upload never has
// to sit whole in memory. Untrusted input: fuzzed against the whole-body parse.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parta::http {

struct PartHeaders {
  std::string name;
  std::optional<std::string> filename;  // present for file fields (maybe empty)
  std::string content_type;
};

class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  // Each returns false to stop with the sink's own error (e.g. a size limit).
  virtual bool begin_part(const PartHeaders& headers) = 0;
  virtual bool data(std::string_view bytes) = 0;
  virtual bool end_part() = 0;
};

// Without leading and trailing spaces and tabs (header values, cookie parts).
std::string_view trim_blanks(std::string_view s);

// The boundary parameter of a multipart Content-Type header, if valid.
std::optional<std::string> multipart_boundary(std::string_view content_type);
// The value of a parameter like name="..." in a header value (quoted or not).
std::optional<std::string> header_param(std::string_view header, std::string_view key);

class MultipartParser {
 public:
  MultipartParser(std::string boundary, MultipartSink& sink);
  // Feeds the next chunk. Returns false on malformed input or when the sink stopped.
  bool feed(std::string_view chunk);
  // Call at the end of the body: false if the closing delimiter never came (a cut-off upload).
  bool finish();
  // English msgid for the user when feed()/finish() failed; empty if the sink stopped.
  const std::string& error() const { return error_; }

 private:
  enum class State { preamble, after_delimiter, headers, body, done, failed };
  bool fail(std::string msgid);
  bool parse_headers(std::string_view block);

  std::string delimiter_;  // "--" + boundary
  MultipartSink& sink_;
  State state_ = State::preamble;
  std::string buf_;
  std::string error_;
};

}  // namespace parta::http
