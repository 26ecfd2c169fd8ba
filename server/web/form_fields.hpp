#pragma once
// Reading form fields in views, the same way everywhere: trimmed, length-capped (a longer value
// than our forms allow is a 400), IDs as positive integers.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/school.hpp"
#include "web/app.hpp"

namespace parta::web {

std::string trim(std::string s);
// The form field, trimmed; over max_len is BadRequest.
std::string field(Ctx& ctx, const char* name, std::size_t max_len = 200);
// A positive integer ID in text, or nullopt.
std::optional<std::int64_t> parse_id(const std::string& v);

// Irreversible one-tap actions ask first (issue 16): a POST without confirm=1 is answered with a
// second page that says what will happen and posts the same fields again with confirm=1. No
// JavaScript; nothing changes until that second POST.
bool confirmed(Ctx& ctx);
// `question` and `button` are already translated; `back` is where «Cancel» leads; `set` replaces
// or adds fields of the form posted again.
http::Response confirm_page(Ctx& ctx, const std::string& question, const std::string& button,
                            const std::string& back,
                            const std::vector<std::pair<std::string, std::string>>& set = {});

// Which class a whole-school list shows: ?class=ID, ?class=all, or by default the first class. A
// school's list is hundreds of rows; a class's fits a phone, and every other class (and the whole
// school) is one tap away (issue 22).
struct ClassPick {
  std::optional<std::int64_t> id;  // none: all classes
  mstch::array links;              // the picker: each class, then "all classes"
};

// `base` is the list's address; on a refused POST the class typed into `form_field` (if given)
// is the one shown. An unknown ?class= is NotFound.
ClassPick pick_class(Ctx& ctx, const std::vector<domain::ClassInfo>& classes,
                     const std::string& base, const char* form_field = nullptr);

// A date as people type it: "2026-12-03" (what <input type=date> sends) or "03.12.2026" (also
// "3.12.2026" and "03/12/2026"); the ISO day, or nullopt when it is not a real date.
std::optional<std::string> parse_day(const std::string& text);

}  // namespace parta::web
