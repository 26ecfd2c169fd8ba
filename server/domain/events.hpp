#pragma once
// Events on the calendar (a parent meeting, a consultation, an online lesson day): date and time,
// a place or a link, for the whole school, a class (its students, parents and teachers) or a group.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

struct Event {
  std::int64_t id = 0, author_id = 0;
  std::optional<std::int64_t> class_id, group_id;
  std::string title, day, starts, ends, place, link, note;
  std::string author_name, audience_name;  // class or group name; empty for the whole school
};

struct NewEvent {
  std::string title, day, starts, ends, place, link, note;
  std::optional<std::int64_t> class_id, group_id;
};

std::optional<Message> check_event(const NewEvent& e);
std::int64_t add_event(storage::Connection& c, std::int64_t author, const NewEvent& e);
std::optional<Event> find_event(storage::Connection& c, std::int64_t id);
void delete_event(storage::Connection& c, std::int64_t id);
bool can_delete(const User& u, const Event& e);  // its author, or the admin
// The events a user is invited to between two days (inclusive), in date and time order.
std::vector<Event> events_for(storage::Connection& c, const User& u, const std::string& from,
                              const std::string& to);

}  // namespace parta::domain
