// Sign-in limits (issue 14): device cookies, per account and address, the race of guesses sent at
// once, and the bound on argon2id hashes running together.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "domain/accounts.hpp"
#include "domain/hash_slots.hpp"
#include "domain/login_limiter.hpp"
#include "domain/sign_in.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

using Refusal = LoginLimiter::Refusal;

// n wrong guesses at `login` from `address` (untrusted unless `device` is given).
void fail(LoginLimiter& l, const std::string& login, const std::string& address, int n,
          const std::string& device = "") {
  for (int i = 0; i < n; ++i) {
    auto a = l.begin(login, address, device);
    ASSERT_TRUE(a.allowed()) << login << " from " << address << ", try " << i + 1;
    a.failed();
  }
}

bool allowed(LoginLimiter& l, const std::string& login, const std::string& address,
             const std::string& device = "") {
  return l.begin(login, address, device).allowed();  // dropped: taken back
}

TEST(LoginLimiter, AnAddressIsLockedOutOfAnAccountForTheWindow) {
  FakeClock clock;
  LoginLimiter l(clock);
  fail(l, "ivanov", "10.0.0.1", 5);
  auto a = l.begin("ivanov", "10.0.0.1", "");
  EXPECT_EQ(a.refusal(), Refusal::pair);
  EXPECT_GT(a.wait(), 0);
  EXPECT_LE(a.wait(), 15 * 60);
  // Another phone may still try this account, and this phone other accounts.
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.2"));
  EXPECT_TRUE(allowed(l, "petrov", "10.0.0.1"));
  clock.advance(15 * 60);
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1"));
}

TEST(LoginLimiter, UntrustedDevicesOfAnAccountAreLockedTogether) {
  FakeClock clock;
  LoginLimiter l(clock);
  fail(l, "ivanov", "10.0.0.1", 5);
  fail(l, "ivanov", "10.0.0.2", 5);
  auto a = l.begin("ivanov", "10.0.0.3", "");
  EXPECT_EQ(a.refusal(), Refusal::account);
  // The owner's phone that signed in before is not locked out by any of it.
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.3", "owner-device"));
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1", "owner-device"));
}

TEST(LoginLimiter, ATrustedDeviceIsLockedOnlyByItsOwnFailures) {
  FakeClock clock;
  LoginLimiter l(clock);
  fail(l, "ivanov", "10.0.0.1", 5, "stolen-phone");
  EXPECT_EQ(l.begin("ivanov", "10.0.0.1", "stolen-phone").refusal(), Refusal::device);
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1", "other-phone"));
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1"));  // the trusted failures counted nowhere else
}

TEST(LoginLimiter, LocksAnAddressTryingManyAccounts) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (int i = 0; i < 30; ++i) fail(l, "user" + std::to_string(i), "10.0.0.9", 1);
  EXPECT_EQ(l.begin("someone", "10.0.0.9", "").refusal(), Refusal::address);
  EXPECT_TRUE(allowed(l, "someone", "10.0.0.8"));
  EXPECT_TRUE(allowed(l, "someone", "10.0.0.9", "someones-device"));
}

TEST(LoginLimiter, SuccessForgivesThePairNotTheAccount) {
  FakeClock clock;
  LoginLimiter l(clock);
  fail(l, "a", "1", 4);
  fail(l, "a", "2", 5);
  l.begin("a", "1", "").succeeded();
  fail(l, "a", "1", 1);  // the pair starts afresh...
  // ...but the account's count stays: 10 failures lock its untrusted devices.
  EXPECT_EQ(l.begin("a", "3", "").refusal(), Refusal::account);
}

TEST(LoginLimiter, AnAttemptThatNeverHashedIsTakenBack) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (int i = 0; i < 20; ++i) {
    auto a = l.begin("ivanov", "10.0.0.1", "owner");
    ASSERT_TRUE(a.allowed());
    // dropped without succeeded() or failed(): the box was busy, nothing was checked
  }
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1", "owner"));
}

TEST(LoginLimiter, AnAdminResetForgivesTheAccount) {
  FakeClock clock;
  LoginLimiter l(clock);
  fail(l, "ivanov", "10.0.0.1", 5);
  fail(l, "ivanov", "10.0.0.2", 5);
  l.forgive_account("ivanov");
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.1"));
  EXPECT_TRUE(allowed(l, "ivanov", "10.0.0.3"));
}

// The limits race of issue 14: 40 guesses at one account at once checked 20-26 secrets.
TEST(LoginLimiter, GuessesSentAtOnceCheckAtMostTheLimit) {
  FakeClock clock;
  LoginLimiter l(clock);
  for (bool spread : {false, true}) {
    std::atomic<int> checked{0}, go{0};
    std::vector<std::thread> threads;
    std::string login = spread ? "petrov" : "ivanov";
    for (int i = 0; i < 40; ++i)
      threads.emplace_back([&, i] {
        while (go.load() == 0) std::this_thread::yield();
        std::string address = spread ? "10.1.0." + std::to_string(i) : "10.0.0.1";
        auto a = l.begin(login, address, "");
        if (!a.allowed()) return;
        ++checked;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // "the hash"
        a.failed();
      });
    go = 1;
    for (auto& t : threads) t.join();
    // One address: its per-account limit; 40 addresses: the account's limit for them all.
    EXPECT_EQ(checked.load(), spread ? 10 : 5) << (spread ? "40 addresses" : "one address");
  }
}

TEST(HashSlots, ConcurrencyNeverExceedsTheSlotsAndWaitersTimeOut) {
  HashSlots slots(2, std::chrono::milliseconds(5000));
  std::atomic<int> now{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i)
    threads.emplace_back([&] {
      auto lease = slots.acquire();
      int n = ++now;
      for (int m = most; n > m && !most.compare_exchange_weak(m, n);) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      --now;
    });
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(slots.peak(), 2u);

  // Both slots held: a waiter gives up after its bounded wait instead of queueing for ever.
  slots.configure(2, std::chrono::milliseconds(50));
  auto a = slots.acquire();
  auto b = slots.acquire();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(slots.acquire(), HashBusy);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  { auto released = std::move(a); }
  EXPECT_NO_THROW(slots.acquire());  // a slot came free
}

TEST(HashSlots, SecretChecksRunOnTheProcessSlots) {
  ASSERT_GE(sodium_init(), 0);
  auto& slots = hash_slots();
  slots.configure(1, std::chrono::milliseconds(100));
  std::string hash = hash_secret("correct horse");
  {
    auto held = slots.acquire();  // the only slot: a sign-in now cannot hash
    EXPECT_THROW(verify_secret(hash, "guess"), HashBusy);
  }
  EXPECT_TRUE(verify_secret(hash, "correct horse"));
  slots.configure(1, std::chrono::seconds(3));
}

TEST(DeviceToken, SignedForOneLoginByThisBox) {
  ASSERT_GE(sodium_init(), 0);
  testing::TestDb t;
  auto lease = t.db->acquire();
  DeviceKey key = load_device_key(*lease);
  EXPECT_EQ(load_device_key(*lease), key);  // kept: tokens outlive a restart
  std::string token = issue_device_token(key, "ivanov.a");
  auto nonce = check_device_token(key, "ivanov.a", token);
  ASSERT_TRUE(nonce);
  EXPECT_EQ(token.substr(0, token.find('.')), *nonce);
  EXPECT_FALSE(check_device_token(key, "petrov.b", token));  // another account's
  DeviceKey other = key;
  other[0] ^= 1;
  EXPECT_FALSE(check_device_token(other, "ivanov.a", token));  // another box's
  std::string forged = token;
  char& c = forged[forged.size() - 10];  // inside the MAC
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(check_device_token(key, "ivanov.a", forged));
  EXPECT_FALSE(check_device_token(key, "ivanov.a", ""));
  EXPECT_FALSE(check_device_token(key, "ivanov.a", "."));
  EXPECT_FALSE(check_device_token(key, "ivanov.a", std::string(500, 'A')));
}

TEST(CheckSecret, TheOwnersDeviceSignsInThroughAStrangersLockout) {
  ASSERT_GE(sodium_init(), 0);
  testing::TestDb t;
  auto lease = t.db->acquire();
  FakeClock clock;
  auto& c = *lease;
  create_user(c, clock, {"ivanov.a", "Иванов", "Артём", "", Role::student, SecretKind::pin, ""},
              "202620");
  LoginLimiter l(clock);
  DeviceKey key = load_device_key(c);
  auto first = check_secret(c, l, key, "ivanov.a", "202620", "10.0.0.5", "");
  ASSERT_EQ(first.outcome, SecretCheck::Outcome::ok);
  ASSERT_FALSE(first.device_token.empty());
  // A classmate guesses from two phones until the account is closed to new devices.
  for (const char* address : {"10.0.0.66", "10.0.0.67"})
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(check_secret(c, l, key, "ivanov.a", "000000", address, "").outcome,
                SecretCheck::Outcome::wrong);
  auto stranger = check_secret(c, l, key, "ivanov.a", "202620", "10.0.0.68", "");
  EXPECT_EQ(stranger.outcome, SecretCheck::Outcome::locked);
  EXPECT_EQ(stranger.refusal, Refusal::account);
  // The owner's phone, even from the attacker's own address, still signs in.
  auto owner = check_secret(c, l, key, "ivanov.a", "202620", "10.0.0.66", first.device_token);
  EXPECT_EQ(owner.outcome, SecretCheck::Outcome::ok);
  EXPECT_NE(owner.device_token, first.device_token);  // a fresh token each time
  // Someone else's device token is no use for this account.
  create_user(c, clock, {"petrov.b", "Петров", "Борис", "", Role::student, SecretKind::pin, ""},
              "111111");
  auto petrov = check_secret(c, l, key, "petrov.b", "111111", "10.0.0.66", "");
  ASSERT_EQ(petrov.outcome, SecretCheck::Outcome::ok);
  EXPECT_EQ(check_secret(c, l, key, "ivanov.a", "202620", "10.0.0.66", petrov.device_token).outcome,
            SecretCheck::Outcome::locked);
}

}  // namespace
}  // namespace parta::domain
