// Fuzzes the content-pack reader (libarchive + our checks) and the manifest parser. The input is a
// whole pack file; the staging folder must be gone after every refused pack.
#include <sodium.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "content/pack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = sodium_init() >= 0;
  (void)init;
  std::string in(reinterpret_cast<const char*>(data), size);
  parta::content::Problem p;
  parta::content::parse_manifest(in, &p);
  static const std::string staging =
      (std::filesystem::temp_directory_path() / ("parta-pack-fuzz-" + std::to_string(getpid())))
          .string();
  parta::content::PackLimits limits;
  limits.max_total = 8u << 20;
  auto r = parta::content::read_pack_memory(in, staging, limits);
  if (!r.ok() && std::filesystem::exists(staging)) std::abort();
  std::filesystem::remove_all(staging);
  return 0;
}
