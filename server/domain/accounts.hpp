#pragma once
// Accounts: users and roles, secrets (argon2id via libsodium), sessions and API tokens.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::domain {

enum class Role { admin, teacher, student, parent };
const char* role_code(Role r);
std::optional<Role> parse_role(std::string_view s);

enum class SecretKind { password, pin };

struct User {
  std::int64_t id = 0;
  std::string login;
  std::string last_name, first_name, middle_name;
  Role role = Role::student;
  SecretKind secret_kind = SecretKind::password;
  std::string phone;
  bool active = true;
  std::string full_name() const;   // "Фамилия Имя Отчество"
  std::string short_name() const;  // "Фамилия И. О."
};

struct NewUser {
  std::string login;  // empty: generated from the name
  std::string last_name, first_name, middle_name;
  Role role = Role::student;
  SecretKind secret_kind = SecretKind::password;
  std::string phone;
};

// The users columns in the order user_from_row() reads them; `a` is the table alias.
#define PARTA_USER_COLUMNS(a)                                                                \
  a ".id, " a ".login, " a ".last_name, " a ".first_name, " a ".middle_name, " a ".role, " a \
    ".secret_kind, " a ".phone, " a ".active"
// Reads a User from the row's columns first .. first + 8 (PARTA_USER_COLUMNS).
User user_from_row(const storage::Query& q, int first);

// Argon2id, moderate memory: a Pi serving a classroom cannot give 64 MiB to every sign-in. Both
// run on one of hash_slots() and throw HashBusy when none comes free in time.
std::string hash_secret(std::string_view secret);
bool verify_secret(std::string_view hash, std::string_view secret);

// The admin account `parta firstboot` makes on a new box; its password is shown on the admin's
// start page until it is changed.
inline constexpr const char* kFirstAdminLogin = "admin";
// After u's password changed by any path (profile, an admin's reset, the CLI): when u is that
// first admin, the password file (start page, console, USB sticks) goes, so nothing keeps showing
// a password that no longer works.
void forget_first_admin_password(const User& u, const std::string& password_file);

// Readable secrets to print on a card: no look-alike characters.
std::string generate_password();
std::string generate_pin();  // 6 digits
std::string random_token();  // 32 random bytes, base64url

// Latin login from a Russian name ("Иванова Мария" → "ivanova.m"), unique in the database.
std::string make_login(storage::Connection& c, std::string_view last, std::string_view first);

// A secret with its argon2id hash, made before a write transaction: each hash takes tens of
// milliseconds and a hashing slot, too long to hold the database's write lock for a class's worth.
struct HashedSecret {
  std::string plain;
  std::string hash;
};
HashedSecret new_secret(SecretKind kind);  // a generated PIN or password, hashed

// Creates the user with the given secret; throws DbError on a duplicate login.
std::int64_t create_user(storage::Connection& c, const Clock& clock, const NewUser& u,
                         std::string_view secret);
std::int64_t create_user(storage::Connection& c, const Clock& clock, const NewUser& u,
                         const HashedSecret& secret);
std::optional<User> find_user(storage::Connection& c, std::int64_t id);
std::optional<User> find_user_by_login(storage::Connection& c, std::string_view login);
// Returns the user when login and secret match an active account.
std::optional<User> check_credentials(storage::Connection& c, std::string_view login,
                                      std::string_view secret);
// Sets a new secret of the given kind, ends the user's sessions; returns the secret.
std::string reset_secret(storage::Connection& c, std::int64_t user_id, SecretKind kind);
void set_secret(storage::Connection& c, std::int64_t user_id, SecretKind kind,
                std::string_view secret);

struct Session {
  std::int64_t user_id = 0;
  std::string csrf;
};
inline constexpr std::int64_t kSessionLifetime = 30 * 24 * 3600;
// Returns the session token for the cookie (only its hash is stored).
std::string create_session(storage::Connection& c, const Clock& clock, std::int64_t user_id);
std::optional<Session> find_session(storage::Connection& c, const Clock& clock,
                                    std::string_view token);
void end_session(storage::Connection& c, std::string_view token);
// The box's clock jumped forward from `before` to `after` (a district bundle or the admin set it;
// a box without a time source may be months behind): the sessions alive a moment ago stay alive,
// their idle time moved by the jump, so nobody is signed out and no upload in flight is refused
// because the clock caught up.
// Returns how many sessions were kept.
int keep_sessions_across_jump(storage::Connection& c, std::int64_t before, std::int64_t after);

std::string create_api_token(storage::Connection& c, const Clock& clock, std::int64_t user_id,
                             std::string_view label);
std::optional<std::int64_t> find_api_token(storage::Connection& c, std::string_view token);

}  // namespace parta::domain
