#pragma once
// Static files (web/static/*) served with a content hash in the URL, so phones cache them for a
// year and still get a new version after an update. Compressed once at start.
#include <map>
#include <optional>
#include <string>

namespace parta::web {

struct Asset {
  std::string url;  // "/static/app.3f2a9c1d.css"
  std::string content_type;
  std::string etag;
  std::string body;
  std::string gzipped;
};

class StaticAssets {
 public:
  static const StaticAssets& instance();
  // URL of a file by its name in web/static ("app.css").
  const std::string& url(const std::string& name) const;
  const Asset* by_url(const std::string& url) const;
  // Leaves every asset in `dir` under its URL's name, with its gzipped twin (.gz), for the box's
  // nginx front to serve by itself; removes what an older version left there. Throws on failure.
  void export_to(const std::string& dir) const;

 private:
  StaticAssets();
  std::map<std::string, Asset> by_name_;
  std::map<std::string, const Asset*> by_url_;
};

}  // namespace parta::web
