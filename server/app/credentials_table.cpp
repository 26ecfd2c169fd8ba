#include "app/credentials_table.hpp"

#include <algorithm>
#include <array>

#include "content/utf8.hpp"

namespace parta::app {

std::string credentials_table(const std::vector<domain::Credential>& creds) {
  std::vector<std::array<std::string, 5>> rows = {{"role", "name", "class", "login", "secret"}};
  for (const auto& c : creds)
    rows.push_back({domain::role_code(c.role), c.name, c.class_name, c.login, c.secret});
  std::array<std::size_t, 5> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], text::char_count(r[i]));  // columns in letters, not bytes
  std::string out;
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out.append(width[i] - text::char_count(r[i]) + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace parta::app
