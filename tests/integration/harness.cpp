#include "harness.hpp"

#include <nlohmann/json.hpp>

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace parta::testing {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string run_command(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int st = pclose(p);
  if (exit_code) *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

Partad::Partad(std::vector<std::string> extra) : Partad([](const std::string&) {}, extra) {}

Partad::Partad(const std::function<void(const std::string&)>& prepare,
               std::vector<std::string> extra) {
  std::random_device rd;
  data_dir_ = (fs::temp_directory_path() / ("partad-it-" + std::to_string(rd()))).string();
  fs::create_directories(data_dir_);
  log_path_ = data_dir_ + ".log";
  prepare(data_dir_);
  start(std::move(extra));
}

void Partad::start(std::vector<std::string> extra) {
  std::vector<std::string> args = {PARTAD_PATH, "--data", data_dir_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = fork();
  if (pid_ == 0) {
    FILE* log = std::fopen(log_path_.c_str(), "w");
    dup2(fileno(log), 1);
    dup2(fileno(log), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Wait for "port N" in the log: the kernel chose a free port, partad reports it.
  std::regex re(R"(\(port (\d+)\))");
  for (int i = 0; i < 600 && port_ == 0; ++i) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
    int st;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("partad exited at start: " + text);
    }
    if (!port_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!port_) throw std::runtime_error("partad did not start: " + log());
}

Partad::~Partad() {
  if (pid_ > 0) {
    int st = 0;
    // Died on its own (a crash, a sanitizer report)? Then show what it said, or CI hides it.
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      std::fprintf(stderr, "partad exited by itself (status %d); its log:\n%s\n", st,
                   log().c_str());
    } else {
      kill(pid_, SIGTERM);
      waitpid(pid_, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        std::fprintf(stderr, "partad stopped badly (status %d); its log:\n%s\n", st, log().c_str());
    }
  }
  std::error_code ec;
  fs::remove_all(data_dir_, ec);
  fs::remove(log_path_, ec);
}

std::string Partad::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Partad::log() const { return read_file(log_path_); }

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

namespace {
std::size_t on_body(char* p, std::size_t s, std::size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}
std::size_t on_header(char* p, std::size_t s, std::size_t n, void* ud) {
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon);
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n')) v.pop_back();
    static_cast<std::multimap<std::string, std::string>*>(ud)->emplace(k, v);
  }
  return s * n;
}
std::string encode(CURL* c, const std::string& s) {
  char* e = curl_easy_escape(c, s.data(), static_cast<int>(s.size()));
  std::string out(e);
  curl_free(e);
  return out;
}
}  // namespace

Client::Client(const Partad& server) : server_(server), curl_(curl_easy_init()) {
  curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");  // in-memory cookie jar
}

Client::~Client() { curl_easy_cleanup(curl_); }

Reply Client::perform(const std::string& path, const std::string* body,
                      const std::string& content_type, const std::vector<std::string>& headers) {
  CURL* c = curl_;
  Reply r;
  curl_easy_setopt(c, CURLOPT_URL, server_.url(path).c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, gzip ? "gzip" : nullptr);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  // Another phone on the Wi-Fi: loopback has every 127.x.y.z.
  curl_easy_setopt(c, CURLOPT_INTERFACE, source_address.empty() ? nullptr : source_address.c_str());
  curl_slist* hl = nullptr;
  for (const auto& h : headers) hl = curl_slist_append(hl, h.c_str());
  if (body) {
    hl = curl_slist_append(hl, ("Content-Type: " + content_type).c_str());
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(hl);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_off_t size = 0;
  curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &size);
  r.wire_bytes = static_cast<double>(size);
  static const std::regex kCsrf(R"re(name="csrf" value="([^"]+)")re");
  std::smatch m;
  if (std::regex_search(r.body, m, kCsrf)) csrf = m[1];
  return r;
}

Reply Client::get(const std::string& path, const std::vector<std::string>& headers) {
  return perform(path, nullptr, "", headers);
}

Reply Client::post(const std::string& path, std::vector<std::pair<std::string, std::string>> fields,
                   bool with_csrf) {
  if (with_csrf) fields.emplace_back("csrf", csrf);
  std::string body;
  for (const auto& [k, v] : fields)
    body += (body.empty() ? "" : "&") + encode(static_cast<CURL*>(curl_), k) + "=" +
            encode(static_cast<CURL*>(curl_), v);
  return perform(path, &body, "application/x-www-form-urlencoded", {});
}

Reply Client::post_raw(const std::string& path, const std::string& body,
                       const std::string& content_type, const std::vector<std::string>& headers) {
  return perform(path, &body, content_type, headers);
}

Reply Client::multipart(const std::string& path,
                        std::vector<std::pair<std::string, std::string>> fields,
                        const std::vector<FilePart>& files) {
  const std::string b = "----partaTestBoundary7MA4YWxk";
  fields.insert(fields.begin(), {"csrf", csrf});  // first, as in every form of ours
  std::string body;
  for (const auto& [k, v] : fields)
    body +=
        "--" + b + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  for (const auto& f : files)
    body += "--" + b + "\r\nContent-Disposition: form-data; name=\"" + f.field + "\"; filename=\"" +
            f.filename + "\"\r\nContent-Type: " + f.content_type + "\r\n\r\n" + f.data + "\r\n";
  body += "--" + b + "--\r\n";
  return perform(path, &body, "multipart/form-data; boundary=" + b, {});
}

Reply Client::upload(const std::string& path, const std::string& field, const std::string& filename,
                     const std::string& data) {
  return multipart(path, {}, {{field, filename, "text/csv", data}});
}

Reply Client::login(const std::string& login, const std::string& secret) {
  get("/login");
  Reply r = post("/login", {{"login", login}, {"secret", secret}, {"next", "/"}});
  if (r.status != 303) return r;
  return get(r.location());
}

}  // namespace parta::testing

namespace parta::testing {
Partad& demo_server() {
  static Partad server;
  return server;
}
}  // namespace parta::testing

namespace parta::testing {

Ids demo_ids(Client& admin) {
  Ids ids;
  for (const auto& k : nlohmann::json::parse(admin.get("/api/v1/classes").body))
    if (k["name"] == "5А") ids.class5a = k["id"];
  for (const auto& t : nlohmann::json::parse(admin.get("/api/v1/teachers").body))
    for (const auto& x : t["teaching"])
      if (x["subject"] == "Русский язык") ids.rus = x["subject_id"];
  for (const auto& s : nlohmann::json::parse(
           admin.get("/api/v1/classes/" + std::to_string(ids.class5a) + "/students").body))
    if (s["login"] == "ivanov.a") ids.ivanov = s["id"];
  return ids;
}

}  // namespace parta::testing
