#pragma once
// Russian → Latin transliteration for logins (simplified ICAO 9303 as in Russian passports).
#include <string>
#include <string_view>

namespace parta::domain {

// Lower-case Latin; characters without a mapping are dropped.
std::string translit(std::string_view utf8);

}  // namespace parta::domain
