#include "web/periods.hpp"

namespace parta::web {

namespace {
const char* kMonthNames[] = {"January", "February", "March",     "April",   "May",      "June",
                             "July",    "August",   "September", "October", "November", "December"};
}  // namespace

std::optional<std::string> month_param(Ctx& ctx) {
  auto m = ctx.req.query("month");
  if (m && domain::valid_month(*m)) return *m;
  return std::nullopt;
}

domain::Period month_period(const std::string& month) {
  return {domain::day_start(domain::first_day(month)),
          domain::day_start(domain::first_day(domain::add_months(month, 1)))};
}

std::string month_label(Ctx& ctx, const std::string& month) {
  int m = std::stoi(month.substr(5, 2));
  return ctx.tr(kMonthNames[(m + 11) % 12]) + " " + month.substr(0, 4);
}

mstch::array month_links(Ctx& ctx, const std::string& base, const std::string& first,
                         const std::string& last, const std::string& shown) {
  mstch::array out;
  std::string m = last;
  for (int n = 0; n < 12 && m >= first; ++n, m = domain::add_months(m, -1))
    out.push_back(mstch::map{
        {"url", base + "?month=" + m}, {"label", month_label(ctx, m)}, {"current", m == shown}});
  return out;
}

mstch::array month_links(Ctx& ctx, const std::string& base, const std::string& label,
                         const std::string& first, const std::string& last,
                         const std::string& shown) {
  mstch::array out{mstch::map{{"url", base}, {"label", label}, {"current", shown.empty()}}};
  for (auto& m : month_links(ctx, base, first, last, shown)) out.push_back(std::move(m));
  return out;
}

domain::Term term_param(Ctx& ctx) {
  if (auto t = ctx.req.query("term"))
    if (auto term = domain::parse_term(*t)) return *term;
  return domain::term_of(domain::local_day(ctx.clock.now()));
}

domain::Period term_period(const domain::Term& t) {
  return {domain::day_start(t.first), domain::day_start(t.end)};
}

std::string term_label(Ctx& ctx, const domain::Term& t) {
  return ctx.tr(domain::Message{
      "Term {n}, {years}",
      {{"n", std::to_string(t.number)},
       {"years", std::to_string(t.year) + "/" + std::to_string((t.year + 1) % 100)}}});
}

mstch::array term_links(Ctx& ctx, const std::string& base, const domain::Term& first,
                        const domain::Term& last, const domain::Term& shown) {
  std::vector<domain::Term> terms;
  for (domain::Term t = first; t.first <= last.first; t = domain::next_term(t)) terms.push_back(t);
  if (terms.size() > 8) terms.erase(terms.begin(), terms.end() - 8);
  mstch::array out;
  for (auto it = terms.rbegin(); it != terms.rend(); ++it)
    out.push_back(mstch::map{{"url", base + "?term=" + it->code()},
                             {"label", term_label(ctx, *it)},
                             {"current", it->code() == shown.code()}});
  return out;
}

}  // namespace parta::web
