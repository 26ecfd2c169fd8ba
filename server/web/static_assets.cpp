#include "web/static_assets.hpp"

#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "content/durable.hpp"

#include "http/response.hpp"
#include "web/resources.hpp"

namespace parta::web {

namespace {
std::string type_of(const std::string& name) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}
}  // namespace

StaticAssets::StaticAssets() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  constexpr std::string_view kPrefix = "web/static/";
  for (const auto& r : embedded_resources()) {
    if (r.name.rfind(kPrefix, 0) != 0) continue;
    std::string name(r.name.substr(kPrefix.size()));
    unsigned char h[crypto_generichash_BYTES];
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(r.data.data()),
                       r.data.size(), nullptr, 0);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    std::string hash(hex, 10);
    Asset a;
    auto dot = name.rfind('.');
    a.url = "/static/" + name.substr(0, dot) + "." + hash + name.substr(dot);
    a.content_type = type_of(name);
    a.etag = "\"" + hash + "\"";
    a.body = std::string(r.data);
    a.gzipped = http::gzip(a.body);
    by_name_[name] = std::move(a);
  }
  for (auto& [name, a] : by_name_) by_url_[a.url] = &a;
}

const StaticAssets& StaticAssets::instance() {
  static const StaticAssets s;
  return s;
}

const std::string& StaticAssets::url(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) throw std::runtime_error("no static asset " + name);
  return it->second.url;
}

const Asset* StaticAssets::by_url(const std::string& url) const {
  auto it = by_url_.find(url);
  return it == by_url_.end() ? nullptr : it->second;
}

void StaticAssets::export_to(const std::string& dir) const {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  std::set<std::string> keep;
  auto put = [&](const std::string& name, const std::string& bytes) {
    keep.insert(name);
    std::string path = dir + "/" + name;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream old;
    old << in.rdbuf();
    // The same version again (most starts): nothing written, the SD card spared.
    if (!in || old.str() != bytes) content::write_file_durably(path, bytes);
  };
  for (const auto& [name, a] : by_name_) {
    std::string file = a.url.substr(a.url.rfind('/') + 1);
    put(file, a.body);
    put(file + ".gz", a.gzipped);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (!keep.count(e.path().filename().string())) fs::remove(e.path(), ec);
}

}  // namespace parta::web
