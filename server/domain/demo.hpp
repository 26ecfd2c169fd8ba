#pragma once
// A demo school to try Parta with: three classes, teachers, ~25 students, parents, two paper
// students. Filled only into an empty database.
#include <vector>

#include "domain/roster_import.hpp"

namespace parta::domain {

inline constexpr const char* kDemoPassword = "demo2026";  // every adult account
inline constexpr const char* kDemoPin = "202620";         // every student

// Returns the accounts created (with their secrets), or an empty list when the database already
// has a school.
std::vector<Credential> fill_demo(storage::Connection& c, const Clock& clock);

}  // namespace parta::domain
