// libFuzzer target for the control socket's request parser: any bytes a local client sends give
// a request whose descriptor indexes all point into its arguments, or a refusal; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "app/control.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (std::size_t fds = 0; fds < 3; ++fds) {
    std::string why;
    auto r = parta::app::control::parse_request(text, fds, &why);
    if (!r) {
      if (why.empty()) std::abort();
      continue;
    }
    if (r->fd_args.size() != fds) std::abort();
    for (auto i : r->fd_args)
      if (i >= r->args.size()) std::abort();
    // What partad would answer must itself read back.
    auto back =
        parta::app::control::parse_request(parta::app::control::request_json(*r), fds, &why);
    if (!back || back->args != r->args || back->fd_args != r->fd_args) std::abort();
  }
  return 0;
}
