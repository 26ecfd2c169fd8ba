#pragma once
// What the frame of every page shows besides the page itself: the school's name and hotline and,
// for a signed-in user, the unread badge, whether they lead a class (the monitoring link) and
// whether distance learning concerns them. One statement: every page asks.
#include "domain/school.hpp"

namespace parta::domain {

struct Frame {
  std::string school_name, school_short_name, hotline;
  int unread = 0;
  bool leads_class = false;
  bool distance = false;
};
// `u` nullptr: a page before sign-in (the school's name only). `today` ("2026-12-03"): distance
// learning ordered from a later day is not shown yet.
Frame page_frame(storage::Connection& c, const User* u, const std::string& today);

}  // namespace parta::domain
