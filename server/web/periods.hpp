#pragma once
// Pages that would grow with the year (a student's assignments, the diary, the gradebook, a
// teacher's list) show one month or one term, the current one unless the link asks for another;
// these are the links to the others (plain links: no JavaScript).
#include <mstch/mstch.hpp>

#include <optional>
#include <string>

#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "web/app.hpp"

namespace parta::web {

// ?month=YYYY-MM when it names a month.
std::optional<std::string> month_param(Ctx& ctx);
domain::Period month_period(const std::string& month);
std::string month_label(Ctx& ctx, const std::string& month);
// Links to the months from `last` back to `first` ("YYYY-MM"; at most a year of them), `shown`
// marked; `base` is the page's path.
mstch::array month_links(Ctx& ctx, const std::string& base, const std::string& first,
                         const std::string& last, const std::string& shown);
// The same led by a link to the page's default view (`label`; marked when `shown` is "").
mstch::array month_links(Ctx& ctx, const std::string& base, const std::string& label,
                         const std::string& first, const std::string& last,
                         const std::string& shown);

// ?term=2026-1 when it names a term; else the term of today.
domain::Term term_param(Ctx& ctx);
domain::Period term_period(const domain::Term& t);
std::string term_label(Ctx& ctx, const domain::Term& t);
// Links to the terms from `last` back to `first` (at most two school years of them).
mstch::array term_links(Ctx& ctx, const std::string& base, const domain::Term& first,
                        const domain::Term& last, const domain::Term& shown);

}  // namespace parta::web
