// libFuzzer target for the QR payload parser: a scan can contain any code, printed by anyone, so
// any text must give either a payload that re-encodes to itself or nothing.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "printer/qr_payload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = parta::printer::decode_payload(text);
  if (p && parta::printer::encode_payload(*p) != text) {
    std::fprintf(stderr, "qr_payload: a payload that does not re-encode to itself\n");
    std::abort();
  }
  if (p && (p->page < 1 || p->page > p->pages || p->assignment < 1 || p->student < 1)) std::abort();
  return 0;
}
