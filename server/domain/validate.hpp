#pragma once
// What a valid class name, person's name, student ID and login are: one definition shared by the
// admin forms, the roster import and the CLI.
#include <optional>
#include <string>
#include <string_view>

namespace parta::domain {

// "5а", "11 б", "5-A", "05Д" → "5А", "11Б", "5А", "5Д"; nullopt if it is not a grade 1–11 and one
// letter. Latin look-alikes typed on the wrong layout count (uppercase all of them, lowercase only
// where they look alike too: "5b" might mean 5Б or 5В).
std::optional<std::string> normalize_class_name(std::string_view raw);
// Letters (Cyrillic or Latin), hyphens, spaces, apostrophes; at least one letter.
bool valid_person_name(std::string_view s);
// Letters, digits, '-' and '/'; 1 to 32 characters.
bool valid_student_no(std::string_view s);
// 3 to 32 of [a-z0-9._-].
bool valid_login(std::string_view login);

}  // namespace parta::domain
