#pragma once
// New sign-in details as an aligned text table for the terminal (partad --demo, parta).
#include <string>
#include <vector>

#include "domain/roster_import.hpp"

namespace parta::app {

std::string credentials_table(const std::vector<domain::Credential>& creds);

}  // namespace parta::app
