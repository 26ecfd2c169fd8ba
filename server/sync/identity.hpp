#pragma once
// Who this box is for sync: a random device id with an Ed25519 signing key and an X25519 key
// (made on first start, kept in data/sync/device.key), and an epoch that changes whenever the
// database may have gone back in time (restored from a backup) or been copied to another board
// (a cloned SD card), so two histories never share one (device, epoch, seq) stream.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "content/bundle.hpp"
#include "content/durable.hpp"
#include "domain/clock.hpp"
#include "storage/database.hpp"

namespace parta::sync {

namespace bundle = content::bundle;

enum class Role { school, district };
const char* role_name(Role r);

struct Identity {
  std::string device_id;  // 20 lower-case base32 characters, random
  bundle::SigningKey sign;
  bundle::BoxKey box;
  std::string fingerprint() const { return bundle::fingerprint(sign.pk, box.pk); }
};

// Loads data_dir/sync/device.key, or makes a new identity and writes it (temp, fsync, rename,
// mode 0600). Throws std::runtime_error when the file exists but is damaged: a box must never
// silently become someone else.
Identity load_or_create_identity(const std::string& data_dir);

// What the box's hardware says it is (the board's serial number, else /etc/machine-id; the
// environment variable PARTA_HW_MARKER overrides it for tests). A cloned card on another board
// sees a different marker.
std::string hardware_marker();

struct EpochCheck {
  std::string epoch;
  bool changed = false;
  std::string why;  // "first", "clone", "restore", "other-device"
};

// Makes sure sync_self describes this identity and role, and starts a new epoch when the card
// was cloned (hardware marker differs), the database was restored (its sequence is below the
// watermark file data/sync/watermark), or the database belongs to another device id. On the
// first run it also puts every existing travelling record in the outbox. Raises an alarm for
// clone and restore.
EpochCheck ensure_epoch(storage::Connection& c, const domain::Clock& clock,
                        const std::string& data_dir, const Identity& id, Role role);

// Starts a new epoch now: unacknowledged outbox entries move to it (new sequence numbers), so
// nothing is lost and nothing reuses a number another box may have seen.
std::string new_epoch(storage::Connection& c, const domain::Clock& clock, const std::string& why,
                      const std::string& detail);

// Highest sequence number this database ever gave out (AUTOINCREMENT keeps it after pruning).
std::int64_t last_seq(storage::Connection& c);
// Remembers `seq` of `epoch` outside the database (temp, fsync, rename), once a bundle with it
// has left the box.
void write_watermark(const std::string& data_dir, const std::string& epoch, std::int64_t seq);

void raise_alarm(storage::Connection& c, const domain::Clock& clock, const std::string& peer,
                 const std::string& kind, const std::string& detail);

// Enrollment: the school writes a request (its id and public keys, signed by itself); the
// district checks the fingerprint by eye and returns a certificate signed with its key.
struct EnrollRequest {
  std::string device_id, school, sign_pk, box_pk;
};
std::string make_enroll_request(const Identity& id, const std::string& school);
std::optional<EnrollRequest> parse_enroll_request(const std::string& text, std::string* why);

struct Certificate {
  std::string device_id, school, sign_pk, box_pk;
  std::string district_id, district_sign_pk, district_box_pk;
  std::int64_t issued_at = 0;
};
std::string issue_certificate(const Identity& district, const EnrollRequest& req, std::int64_t now);
// Checks the district's signature with the key configured on the box (hex), and that the
// certificate is for this device.
std::optional<Certificate> verify_certificate(const std::string& text,
                                              const std::string& district_sign_pk_hex,
                                              const std::string& my_device_id, std::string* why);

// The district's public signing key configured on a school box (data/sync/district.pub, hex).
std::string read_district_key(const std::string& data_dir);
// Stores it; false when the text is not a 64-digit hex key.
bool write_district_key(const std::string& data_dir, const std::string& hex);

using content::write_file_durably;
std::string read_file(const std::string& path, std::uint64_t limit = 1u << 20);

}  // namespace parta::sync
