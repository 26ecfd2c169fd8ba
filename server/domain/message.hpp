#pragma once
// A user-facing message from the domain: an English msgid with {placeholders}, translated by the
// web layer into the user's language.
#include <string>
#include <utility>
#include <vector>

namespace parta::domain {

struct Message {
  std::string msgid;
  std::vector<std::pair<std::string, std::string>> args;
};

}  // namespace parta::domain
