#pragma once
// Checking someone's secret, the one way every place does it (signing in, the profile's current
// password): the device token, the limits counted before the hash, the hash on a bounded slot.
//
// The device token is OWASP's "device cookie": proof that this device signed in to this account
// before, so that others' failed guesses never lock it out. It is a random nonce and an HMAC
// (libsodium crypto_auth) over the login and the nonce with a key of the box's own; the nonce
// names the device in the limiter. No HTTP here: the web layer carries the token in a cookie.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/accounts.hpp"
#include "domain/login_limiter.hpp"
#include "storage/database.hpp"

namespace parta::domain {

using DeviceKey = std::array<unsigned char, 32>;
// The box's key for device tokens: made at first use and kept in the settings table, so tokens
// outlive restarts (the limiter's counts do not).
DeviceKey load_device_key(storage::Connection& c);
// A new token for this login on this device.
std::string issue_device_token(const DeviceKey& key, std::string_view login);
// The token's nonce when it is ours and for this login; nullopt for anything else.
std::optional<std::string> check_device_token(const DeviceKey& key, std::string_view login,
                                              std::string_view token);

struct SecretCheck {
  enum class Outcome { ok, wrong, locked } outcome = Outcome::wrong;
  std::optional<User> user;  // ok: the account
  std::string device_token;  // ok: a fresh token for the device to keep
  LoginLimiter::Refusal refusal = LoginLimiter::Refusal::none;  // locked: which limit
  std::int64_t wait = 0;                                        // locked: seconds to wait
};
// Checks `secret` for `login` from `address` with the device's token ("" = none). Throws HashBusy
// when no hashing slot came free (the attempt is then not counted).
SecretCheck check_secret(storage::Connection& c, LoginLimiter& limiter, const DeviceKey& key,
                         std::string_view login, std::string_view secret,
                         const std::string& address, std::string_view device_token);

}  // namespace parta::domain
