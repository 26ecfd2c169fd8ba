// libFuzzer target for what a sync bundle's body and a USB stick carry once decrypted: the record
// JSON (Record::parse), an enrollment request and a device certificate. Anything must give a
// clean result or a refusal; a parsed record must survive its own canonical text.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sync/identity.hpp"
#include "sync/records.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool init = sodium_init() >= 0;
  (void)init;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto r = parta::sync::Record::parse(text, &why)) {
    auto again = parta::sync::Record::parse(r->text(), &why);
    if (!again || again->text() != r->text() || again->seq != r->seq || again->rid != r->rid)
      std::abort();
  } else if (why.empty()) {
    std::abort();  // a refusal always says why
  }
  // A batch of records as a bundle carries them: JSON lines with sequence steps.
  why.clear();
  std::int64_t prev = 10;
  if (auto batch = parta::sync::decode_batch(text, &prev, &why)) {
    std::int64_t last = 10;
    for (const auto& [r, canonical] : *batch) {
      if (r.seq <= last || canonical != r.text()) std::abort();  // numbers only go up
      last = r.seq;
    }
    if (last != prev) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  why.clear();
  if (!parta::sync::parse_enroll_request(text, &why) && why.empty()) std::abort();
  why.clear();
  std::string key(64, 'a');
  if (parta::sync::verify_certificate(text, key, "abcdefghijkmnpqrstuv", &why)) std::abort();
  if (why.empty()) std::abort();
  return 0;
}
