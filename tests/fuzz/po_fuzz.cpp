// Fuzzes the .po catalogue parser and placeholder substitution (catalogues are ours, but a
// translator's broken file must give an error, never a crash).
#include <cstdint>
#include <string>

#include "web/i18n.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  parta::web::Catalogue c;
  std::string err;
  c.load_po(parta::web::Lang::ru, in, &err);
  parta::web::substitute(in, {{"line", "1"}, {"x", "{x}"}});
  return 0;
}
