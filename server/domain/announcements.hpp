#pragma once
// The bulletin board ("Записи"): school-wide or per-class announcements by the admin or a teacher,
// pinned or dated, shown on the start page of everyone they concern; and the distance-learning
// switch (the order to move a school or a class to distance learning), which posts an announcement
// and shows a banner.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

struct Announcement {
  std::int64_t id = 0, author_id = 0;
  std::optional<std::int64_t> class_id;
  std::string author_name, class_name, title, body;
  bool pinned = false, distance = false;
  std::int64_t created_at = 0;
};

inline constexpr std::size_t kMaxAnnouncementTitle = 200;
inline constexpr std::size_t kMaxAnnouncementBody = 10000;

// Classes whose board a user may post to: admin all; a teacher those they teach or lead.
std::vector<ClassInfo> postable_classes(storage::Connection& c, const User& u);
// The user may post school-wide (admin only).
bool can_post_school_wide(const User& u);
std::optional<Message> check_announcement(const std::string& title, const std::string& body);
std::int64_t post_announcement(storage::Connection& c, const Clock& clock, std::int64_t author,
                               std::optional<std::int64_t> class_id, const std::string& title,
                               const std::string& body, bool pinned, bool distance);
std::optional<Announcement> find_announcement(storage::Connection& c, std::int64_t id);
void delete_announcement(storage::Connection& c, std::int64_t id);
// Who may delete it: its author, or the admin.
bool can_delete(const User& u, const Announcement& a);

// What a user should see: school-wide ones and those for their classes; pinned first, newest next.
std::vector<Announcement> announcements_for(storage::Connection& c, const User& u,
                                            std::size_t limit);

// Distance mode.
bool school_distance(storage::Connection& c);
// `from` is the first day ("2026-12-07") it applies; "" = at once. Switching off clears it.
void set_school_distance(storage::Connection& c, bool on, const std::string& from = "");
void set_class_distance(storage::Connection& c, std::int64_t class_id, bool on,
                        const std::string& from = "");
// Where distance learning is on and from which day, for the switch's page (one query).
struct DistanceState {
  bool school = false;
  std::string school_from;                         // "" = at once
  std::map<std::int64_t, std::string> class_from;  // classes ordered from a date
};
DistanceState distance_state(storage::Connection& c);
// Whether a user is under distance learning on `today` (the school, or one of their classes).
bool distance_for(storage::Connection& c, const User& u, const std::string& today);

}  // namespace parta::domain
