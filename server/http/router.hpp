#pragma once
// One router: method + path pattern ("/students/{id}", "/zim/{id}/{*path}" for the rest of a
// path) → handler. Unknown paths are 404, known paths with another method are 405.
#include <functional>
#include <string>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace parta::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Fills req.params and calls the handler; throws NotFound / MethodNotAllowed.
  Response dispatch(Request& req) const;

  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace parta::http
