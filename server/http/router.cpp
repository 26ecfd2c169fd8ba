#include "http/router.hpp"

namespace parta::http {

namespace {
std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    std::size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

bool match(const Router::Route& r, const std::vector<std::string>& segs,
           std::map<std::string, std::string, std::less<>>* params) {
  // A last segment "{*name}" takes the rest of the path, one segment or more, joined by '/'.
  bool tail = !r.segments.empty() && r.segments.back().rfind("{*", 0) == 0;
  if (tail ? segs.size() < r.segments.size() : r.segments.size() != segs.size()) return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (tail && i + 1 == r.segments.size()) {
      if (params) {
        std::string rest = segs[i];
        for (std::size_t k = i + 1; k < segs.size(); ++k) rest += "/" + segs[k];
        const std::string& p = r.segments[i];
        (*params)[p.substr(2, p.size() - 3)] = rest;
      }
      return true;
    }
    const std::string& p = r.segments[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (params) (*params)[p.substr(1, p.size() - 2)] = segs[i];
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}
}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  auto segs = split_path(pattern);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segs), std::move(handler)});
}

Response Router::dispatch(Request& req) const {
  auto segs = split_path(req.path);
  bool path_known = false;
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  for (const auto& r : routes_) {
    if (!match(r, segs, nullptr)) continue;
    path_known = true;
    if (r.method != method) continue;
    req.params.clear();
    match(r, segs, &req.params);
    return r.handler(req);
  }
  if (path_known) throw MethodNotAllowed();
  throw NotFound();
}

}  // namespace parta::http
