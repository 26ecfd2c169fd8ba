#pragma once
// Groups of people (a class's parents, a consultation group, a duty group): made by the admin or a
// teacher, who adds members from those they work with. A group has its own conversation and can be
// the audience of an event.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

struct Group {
  std::int64_t id = 0, owner_id = 0;
  std::string name, owner_name;
  int members = 0;
};

inline constexpr std::size_t kMaxGroupName = 100;

std::optional<Message> check_group_name(const std::string& name);
std::int64_t create_group(storage::Connection& c, const Clock& clock, std::int64_t owner,
                          const std::string& name);
void delete_group(storage::Connection& c, std::int64_t id);
std::optional<Group> find_group(storage::Connection& c, std::int64_t id);
// The groups a user owns or belongs to (the admin: all of them).
std::vector<Group> groups_of(storage::Connection& c, const User& u);
bool can_manage(const User& u, const Group& g);  // its owner, or the admin
bool is_in_group(storage::Connection& c, const User& u, const Group& g);
std::vector<User> group_members(storage::Connection& c, std::int64_t group_id);
// Who a user may add: anyone for the admin; for a teacher the students and parents of the classes
// they teach or lead, and the staff. Returns false (and adds nobody) otherwise.
bool may_add(storage::Connection& c, const User& manager, const User& who);
bool add_member(storage::Connection& c, const User& manager, std::int64_t group_id,
                std::int64_t user_id);
void remove_member(storage::Connection& c, std::int64_t group_id, std::int64_t user_id);
// Adds a whole class's students or parents at once; returns how many were added.
int add_class(storage::Connection& c, std::int64_t group_id, std::int64_t class_id, Role who);

}  // namespace parta::domain
