#include "domain/accounts.hpp"

#include <sodium.h>

#include <cstdio>
#include <stdexcept>

#include "domain/hash_slots.hpp"
#include "domain/translit.hpp"

namespace parta::domain {

namespace {
// OWASP's argon2id baseline (19 MiB, 2 passes): about 60 ms on a Pi 4.
constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u * 1024u * 1024u;

std::string hex_hash(std::string_view token) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

constexpr const char* kUserSelect = "SELECT " PARTA_USER_COLUMNS("u") " FROM users u ";

std::string first_letter(std::string_view utf8) {
  if (utf8.empty()) return "";
  std::size_t n = (static_cast<unsigned char>(utf8[0]) & 0x80) ? 2 : 1;
  return std::string(utf8.substr(0, n));
}
}  // namespace

const char* role_code(Role r) {
  switch (r) {
    case Role::admin:
      return "admin";
    case Role::teacher:
      return "teacher";
    case Role::student:
      return "student";
    case Role::parent:
      return "parent";
  }
  return "student";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "admin") return Role::admin;
  if (s == "teacher") return Role::teacher;
  if (s == "student") return Role::student;
  if (s == "parent") return Role::parent;
  return std::nullopt;
}

User user_from_row(const storage::Query& q, int o) {
  User u;
  u.id = q.integer(o);
  u.login = q.text(o + 1);
  u.last_name = q.text(o + 2);
  u.first_name = q.text(o + 3);
  u.middle_name = q.text(o + 4);
  u.role = parse_role(q.text(o + 5)).value_or(Role::student);
  u.secret_kind = q.text(o + 6) == "pin" ? SecretKind::pin : SecretKind::password;
  u.phone = q.text(o + 7);
  u.active = q.integer(o + 8) != 0;
  return u;
}

std::string User::full_name() const {
  std::string n = last_name + " " + first_name;
  if (!middle_name.empty()) n += " " + middle_name;
  return n;
}

std::string User::short_name() const {
  std::string n = last_name + " " + first_letter(first_name) + ".";
  if (!middle_name.empty()) n += " " + first_letter(middle_name) + ".";
  return n;
}

std::string hash_secret(std::string_view secret) {
  auto slot = hash_slots().acquire();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, secret.data(), secret.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("out of memory while hashing a password");
  return out;
}

bool verify_secret(std::string_view hash, std::string_view secret) {
  std::string h(hash);
  auto slot = hash_slots().acquire();
  return crypto_pwhash_str_verify(h.c_str(), secret.data(), secret.size()) == 0;
}

void forget_first_admin_password(const User& u, const std::string& password_file) {
  if (u.login == kFirstAdminLogin && !password_file.empty()) std::remove(password_file.c_str());
}

std::string generate_password() {
  // No 0/O, 1/l/I: read off a printed card by a child.
  static constexpr std::string_view kLetters = "abcdefghjkmnpqrstuvwxyz";
  static constexpr std::string_view kDigits = "23456789";
  std::string p;
  for (int i = 0; i < 10; ++i) {
    if (i == 4 || i == 5) {
      p += kDigits[randombytes_uniform(kDigits.size())];
    } else {
      p += kLetters[randombytes_uniform(kLetters.size())];
    }
  }
  return p;
}

std::string generate_pin() {
  std::string p;
  for (int i = 0; i < 6; ++i) p += static_cast<char>('0' + randombytes_uniform(10));
  return p;
}

std::string random_token() {
  unsigned char b[32];
  randombytes_buf(b, sizeof b);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

std::string make_login(storage::Connection& c, std::string_view last, std::string_view first) {
  std::string base = translit(last);
  std::string f = translit(first_letter(first));
  if (base.empty()) base = "user";
  if (base.size() > 24) base.resize(24);
  if (!f.empty()) base += "." + f.substr(0, 2);
  std::string login = base;
  for (int n = 2; c.scalar("SELECT 1 FROM users WHERE login = ?1", login); ++n)
    login = base + std::to_string(n);
  return login;
}

HashedSecret new_secret(SecretKind kind) {
  HashedSecret s;
  s.plain = kind == SecretKind::pin ? generate_pin() : generate_password();
  s.hash = hash_secret(s.plain);
  return s;
}

std::int64_t create_user(storage::Connection& c, const Clock& clock, const NewUser& u,
                         std::string_view secret) {
  return create_user(c, clock, u, HashedSecret{std::string(secret), hash_secret(secret)});
}

std::int64_t create_user(storage::Connection& c, const Clock& clock, const NewUser& u,
                         const HashedSecret& secret) {
  std::string login = u.login.empty() ? make_login(c, u.last_name, u.first_name) : u.login;
  c.run(
      "INSERT INTO users (login, last_name, first_name, middle_name, role, secret_hash, "
      "secret_kind, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      login, u.last_name, u.first_name, u.middle_name, role_code(u.role), secret.hash,
      u.secret_kind == SecretKind::pin ? "pin" : "password", u.phone, clock.now());
  return c.last_insert_id();
}

std::optional<User> find_user(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kUserSelect) + "WHERE u.id = ?1", id);
  if (!q.next()) return std::nullopt;
  return user_from_row(q, 0);
}

std::optional<User> find_user_by_login(storage::Connection& c, std::string_view login) {
  auto q = c.query(std::string(kUserSelect) + "WHERE u.login = ?1", login);
  if (!q.next()) return std::nullopt;
  return user_from_row(q, 0);
}

std::optional<User> check_credentials(storage::Connection& c, std::string_view login,
                                      std::string_view secret) {
  auto q = c.query(
      "SELECT u.secret_hash, " PARTA_USER_COLUMNS("u") " FROM users u WHERE u.login = ?1", login);
  // Hash even for unknown logins, so timing does not tell which logins exist.
  static const std::string kDummy = hash_secret("not-a-real-password");
  if (!q.next()) {
    verify_secret(kDummy, secret);
    return std::nullopt;
  }
  std::string hash = q.text(0);
  User u = user_from_row(q, 1);
  if (!verify_secret(hash, secret) || !u.active) return std::nullopt;
  return u;
}

void set_secret(storage::Connection& c, std::int64_t user_id, SecretKind kind,
                std::string_view secret) {
  c.run("UPDATE users SET secret_hash = ?1, secret_kind = ?2 WHERE id = ?3", hash_secret(secret),
        kind == SecretKind::pin ? "pin" : "password", user_id);
  c.run("DELETE FROM sessions WHERE user_id = ?1", user_id);
}

std::string reset_secret(storage::Connection& c, std::int64_t user_id, SecretKind kind) {
  std::string s = kind == SecretKind::pin ? generate_pin() : generate_password();
  set_secret(c, user_id, kind, s);
  return s;
}

std::string create_session(storage::Connection& c, const Clock& clock, std::int64_t user_id) {
  std::string token = random_token();
  std::string csrf = random_token();
  // Sessions nobody used for their whole lifetime go as new ones are made (the table stays the
  // size of the school's devices, not of every sign-in since the box was set up).
  c.run("DELETE FROM sessions WHERE last_seen < ?1", clock.now() - kSessionLifetime);
  c.run(
      "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) "
      "VALUES (?1, ?2, ?3, ?4, ?4)",
      hex_hash(token), user_id, csrf, clock.now());
  return token;
}

std::optional<Session> find_session(storage::Connection& c, const Clock& clock,
                                    std::string_view token) {
  if (token.empty() || token.size() > 100) return std::nullopt;
  std::string h = hex_hash(token);
  auto q = c.query(
      "SELECT s.user_id, s.csrf, s.last_seen FROM sessions s JOIN users u ON u.id = s.user_id "
      "WHERE s.token_hash = ?1 AND u.active = 1",
      h);
  if (!q.next()) return std::nullopt;
  Session s{q.integer(0), q.text(1)};
  std::int64_t last_seen = q.integer(2);
  std::int64_t now = clock.now();
  if (now - last_seen > kSessionLifetime) return std::nullopt;
  // Touch at most every 10 minutes: a write per page view would wear the SD card. Skipped when
  // the database is busy: a page view never waits or fails for it.
  if (now - last_seen > 600)
    c.run_if_free("UPDATE sessions SET last_seen = ?1 WHERE token_hash = ?2", now, h);
  return s;
}

int keep_sessions_across_jump(storage::Connection& c, std::int64_t before, std::int64_t after) {
  if (after <= before) return 0;
  c.run("UPDATE sessions SET last_seen = last_seen + ?1 WHERE last_seen >= ?2 AND last_seen <= ?3",
        after - before, before - kSessionLifetime, before);
  return c.changes();
}

void end_session(storage::Connection& c, std::string_view token) {
  c.run("DELETE FROM sessions WHERE token_hash = ?1", hex_hash(token));
}

std::string create_api_token(storage::Connection& c, const Clock& clock, std::int64_t user_id,
                             std::string_view label) {
  std::string token = "pt_" + random_token();
  c.run("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        hex_hash(token), user_id, label, clock.now());
  return token;
}

std::optional<std::int64_t> find_api_token(storage::Connection& c, std::string_view token) {
  if (token.size() < 10 || token.size() > 100) return std::nullopt;
  return c.scalar(
      "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
      "WHERE t.token_hash = ?1 AND u.active = 1",
      hex_hash(token));
}

}  // namespace parta::domain
