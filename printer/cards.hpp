#pragma once
// A printable A4 sheet of login cards (eight per page, cut along the dashed lines): name, class,
// login and PIN or password, and a QR code that opens the portal's sign-in page with the login
// filled in.
#include <string>
#include <vector>

namespace parta::printer {

struct LoginCard {
  std::string name, class_name, login, secret, url;
};

// Returns the pages written; throws std::runtime_error when the file cannot be written.
int render_login_cards(const std::vector<LoginCard>& cards, const std::string& school,
                       const std::string& wifi, const std::string& path);

}  // namespace parta::printer
