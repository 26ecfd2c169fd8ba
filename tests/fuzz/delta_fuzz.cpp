// libFuzzer target for a patch from a peer (content/delta): any bytes against a fixed base must
// give the target or a refusal, never more than the limit, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "content/delta.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string base =
      R"({"manifest":"{\"id\":\"bench\",\"items\":[]}","signature":""})";
  std::string_view patch(reinterpret_cast<const char*>(data), size);
  auto out = parta::content::apply_patch(base, patch, 1 << 20);
  if (out && out->size() > (1u << 20)) std::abort();
  return 0;
}
