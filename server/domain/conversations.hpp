#pragma once
// Messages: personal conversations along the school's lines (teacher ↔ student, teacher ↔ parent,
// admin ↔ anyone), the class conversation run by the class teacher, and group conversations; with
// unread counts. Nobody can write outside these lines: a student cannot write to another student.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

enum class ConversationKind { direct, klass, group };

struct Conversation {
  std::int64_t id = 0;
  ConversationKind kind = ConversationKind::direct;
  std::optional<std::int64_t> user_a, user_b, class_id, group_id;
  bool closed = false;
  // For a viewer: the other person's name (direct), the class's name, or the group's name.
  std::string name;
  std::optional<Role> other_role;  // direct: the other person's role
  int unread = 0;                  // counted up to 100
  std::int64_t last_at = 0;
  std::string last_text;
};

struct ChatMessage {
  std::int64_t id = 0, author_id = 0, created_at = 0;
  std::string author_name, body;
  bool removed = false;
};

struct Contact {
  User user;
  std::string note;  // why they are a contact: "5А, Русский язык", "мама: Иванов Артём"
};

inline constexpr std::size_t kMaxMessage = 4000;

// Whether `from` may start a personal conversation with `to`.
bool may_message(storage::Connection& c, const User& from, const User& to);
// Who a user may write to; for the admin (everyone) narrowed to one class's students and parents
// or to staff when `class_id` is 0.
std::vector<Contact> contacts(storage::Connection& c, const User& u,
                              std::optional<std::int64_t> class_id);

// The two people's conversation, if they have one.
std::optional<std::int64_t> find_direct_conversation(storage::Connection& c, std::int64_t a,
                                                     std::int64_t b);
// Find or create: only with the first message (a POST), never by opening a page.
std::int64_t direct_conversation(storage::Connection& c, std::int64_t a, std::int64_t b);
// A class's and a group's conversation exist from the moment the class or group does.
std::optional<std::int64_t> class_conversation(storage::Connection& c, std::int64_t class_id);
std::optional<std::int64_t> group_conversation(storage::Connection& c, std::int64_t group_id);

std::optional<Conversation> find_conversation(storage::Connection& c, std::int64_t id,
                                              const User& viewer);
bool is_member(storage::Connection& c, const User& u, const Conversation& conv);
// Who runs it: the class teacher of a class conversation, the owner of a group's; the admin too.
bool can_moderate(storage::Connection& c, const User& u, const Conversation& conv);
bool can_write(storage::Connection& c, const User& u, const Conversation& conv);

std::optional<Message> check_message(const std::string& body);
std::int64_t post_message(storage::Connection& c, const Clock& clock, std::int64_t conversation,
                          std::int64_t author, const std::string& body);
// The newest `limit` messages before `before` (0: the newest), oldest first.
std::vector<ChatMessage> messages_of(storage::Connection& c, std::int64_t conversation,
                                     std::int64_t before, std::size_t limit);
void mark_read(storage::Connection& c, std::int64_t conversation, std::int64_t user_id);
void set_closed(storage::Connection& c, std::int64_t conversation, bool closed);
// Hides a message (moderation); returns false when it is not in that conversation.
bool remove_message(storage::Connection& c, std::int64_t conversation, std::int64_t message);

// The user's conversations, newest activity first, with unread counts: `limit` of them from
// `offset`; *more says whether older ones follow.
std::vector<Conversation> conversations_of(storage::Connection& c, const User& u,
                                           std::size_t limit = 1000, std::size_t offset = 0,
                                           bool* more = nullptr);
// The menu's badge: one lookup of the count the database keeps.
int unread_total(storage::Connection& c, const User& u);
// The same counted from the messages (what the kept count must always equal).
int unread_recount(storage::Connection& c, const User& u);

}  // namespace parta::domain
