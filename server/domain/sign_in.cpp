#include "domain/sign_in.hpp"

#include <sodium.h>

#include <stdexcept>

namespace parta::domain {

namespace {

constexpr const char* kKeySetting = "device_token_key";
constexpr std::size_t kNonceBytes = 16;
constexpr auto kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string b64(const unsigned char* data, std::size_t n) {
  std::string out(sodium_base64_encoded_len(n, kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, kB64);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool unb64(std::string_view text, unsigned char* out, std::size_t n) {
  std::size_t len = 0;
  return sodium_base642bin(out, n, text.data(), text.size(), nullptr, &len, nullptr, kB64) == 0 &&
         len == n;
}

// What the MAC covers: the login, then the nonce (a login never holds a NUL).
void mac(const DeviceKey& key, std::string_view login, const unsigned char* nonce,
         unsigned char out[crypto_auth_BYTES]) {
  std::string msg(login);
  msg.push_back('\0');
  msg.append(reinterpret_cast<const char*>(nonce), kNonceBytes);
  crypto_auth(out, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), key.data());
}

}  // namespace

DeviceKey load_device_key(storage::Connection& c) {
  DeviceKey key;
  {
    crypto_auth_keygen(key.data());
    char hex[2 * 32 + 1];
    sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
    c.run("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)", kKeySetting,
          std::string(hex));
  }
  auto q = c.query("SELECT value FROM settings WHERE key = ?1", kKeySetting);
  std::string hex = q.next() ? q.text(0) : "";
  std::size_t len = 0;
  if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != key.size())
    throw std::runtime_error("the device token key in the settings is damaged");
  return key;
}

std::string issue_device_token(const DeviceKey& key, std::string_view login) {
  unsigned char nonce[kNonceBytes], tag[crypto_auth_BYTES];
  randombytes_buf(nonce, sizeof nonce);
  mac(key, login, nonce, tag);
  return b64(nonce, sizeof nonce) + "." + b64(tag, sizeof tag);
}

std::optional<std::string> check_device_token(const DeviceKey& key, std::string_view login,
                                              std::string_view token) {
  if (token.size() > 200) return std::nullopt;
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  unsigned char nonce[kNonceBytes], tag[crypto_auth_BYTES], want[crypto_auth_BYTES];
  if (!unb64(token.substr(0, dot), nonce, sizeof nonce) ||
      !unb64(token.substr(dot + 1), tag, sizeof tag))
    return std::nullopt;
  mac(key, login, nonce, want);
  if (sodium_memcmp(tag, want, sizeof tag) != 0) return std::nullopt;
  return std::string(token.substr(0, dot));
}

SecretCheck check_secret(storage::Connection& c, LoginLimiter& limiter, const DeviceKey& key,
                         std::string_view login, std::string_view secret,
                         const std::string& address, std::string_view device_token) {
  SecretCheck r;
  std::string device = check_device_token(key, login, device_token).value_or("");
  // Counted before the hash: guesses sent at once all see each other here.
  auto attempt = limiter.begin(std::string(login), address, device);
  if (!attempt.allowed()) {
    r.outcome = SecretCheck::Outcome::locked;
    r.refusal = attempt.refusal();
    r.wait = attempt.wait();
    return r;
  }
  r.user = check_credentials(c, login, secret);  // HashBusy: `attempt` is taken back
  if (!r.user) {
    attempt.failed();
    return r;
  }
  attempt.succeeded();
  r.outcome = SecretCheck::Outcome::ok;
  r.device_token = issue_device_token(key, r.user->login);
  return r;
}

}  // namespace parta::domain
