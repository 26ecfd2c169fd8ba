#pragma once
// Integration-test harness: a real partad on 127.0.0.1 (port chosen by the kernel, read back from
// its log) with a fresh data folder, and an HTTP client (libcurl) with its own cookie jar.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace parta::testing {

class Partad {
 public:
  explicit Partad(std::vector<std::string> extra_args = {"--demo"});
  // Fills the data folder with `prepare` first (a generated school), then starts partad.
  Partad(const std::function<void(const std::string& data_dir)>& prepare,
         std::vector<std::string> extra_args);
  ~Partad();
  Partad(const Partad&) = delete;
  Partad& operator=(const Partad&) = delete;

  std::string url(const std::string& path) const;
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;  // what partad wrote to stdout and stderr so far

 private:
  void start(std::vector<std::string> extra_args);
  pid_t pid_ = -1;
  int port_ = 0;
  std::string data_dir_;
  std::string log_path_;
};

struct Reply {
  long status = 0;
  std::string body;                                 // decoded
  std::multimap<std::string, std::string> headers;  // lower-case names
  double wire_bytes = 0;                            // body bytes on the wire (compressed)
  std::string header(const std::string& name) const;
  std::string location() const { return header("location"); }
};

class Client {
 public:
  explicit Client(const Partad& server);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Reply get(const std::string& path, const std::vector<std::string>& headers = {});
  // URL-encoded POST; adds the current CSRF token unless with_csrf is false.
  Reply post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields,
             bool with_csrf = true);
  Reply post_raw(const std::string& path, const std::string& body, const std::string& content_type,
                 const std::vector<std::string>& headers = {});
  struct FilePart {
    std::string field, filename, content_type, data;
  };
  // A multipart form: the CSRF token first, then the fields and the files.
  Reply multipart(const std::string& path, std::vector<std::pair<std::string, std::string>> fields,
                  const std::vector<FilePart>& files);
  // Multipart upload of one file plus the CSRF token.
  Reply upload(const std::string& path, const std::string& field, const std::string& filename,
               const std::string& data);
  // Signs in through the login form; returns the final reply (the start page on success).
  Reply login(const std::string& login, const std::string& secret);

  std::string csrf;  // taken from the last HTML page that had a form
  bool gzip = true;
  std::string source_address;  // e.g. "127.0.0.2": requests come from there ("" = the default)

 private:
  Reply perform(const std::string& path, const std::string* body, const std::string& content_type,
                const std::vector<std::string>& headers);
  const Partad& server_;
  void* curl_;
};

std::string run_command(const std::string& cmd, int* exit_code);
std::string read_file(const std::string& path);

}  // namespace parta::testing

namespace parta::testing {
// One demo partad shared by the tests of this binary (started on first use, stopped at exit).
Partad& demo_server();
inline constexpr const char* kDemoPassword = "demo2026";
inline constexpr const char* kDemoPin = "202620";
// The demo school's class 5А, its Russian (taught by smirnova) and its student ivanov.a, read
// through the API by someone who may list classes and teachers (the admin).
struct Ids {
  std::int64_t class5a = 0, rus = 0, ivanov = 0;
};
Ids demo_ids(Client& admin);
}  // namespace parta::testing
