#pragma once
// The sync engine: writes a bundle for a peer (everything it has not acknowledged yet) and reads
// one from a peer (verified whole before anything is decrypted, applied in one transaction,
// idempotent). The same engine runs on a school box (its peer: the district) and on the district
// hub (its peers: the enrolled schools); carriers (USB stick, network) only move the files.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "content/blob_store.hpp"
#include "domain/box_clock.hpp"
#include "domain/clock.hpp"
#include "domain/message.hpp"
#include "storage/database.hpp"
#include "sync/identity.hpp"

namespace parta::sync {

struct Node {
  storage::Database& db;
  const domain::Clock& clock;
  content::BlobStore& blobs;
  Identity id;
  Role role = Role::school;
  std::string data_dir;
  std::string district_key;  // school: the district's signing key (hex), from the config
  std::uint64_t disk_reserve = 0;
  int zstd_level = 19;
  // The network's parts: a bundle over the network carries about this much at most (the first
  // record goes whole): each part is acknowledged before the next goes.
  std::uint64_t net_part_bytes = 64ull << 20;
  // School: the box's clock, moved forward by the time a district bundle was written (the hub
  // has the network's time; a box without a battery clock may not).
  domain::BoxClock* box_clock = nullptr;
  // School: called before a bundle's records are frozen (the photos' travel copies still missing
  // are made, app/travel_copies). Empty: nothing to do.
  std::function<void()> before_export;
  // One exchange at a time per box (the background network sync, a stick, an admin's upload):
  // each import is idempotent anyway, but interleaved exports would write bundles for nothing.
  std::recursive_mutex exchange;
};

struct PeerInfo {
  std::string device_id, role, name, sign_pk, box_pk;
  bool revoked = false;
  std::optional<std::int64_t> last_in_at, last_out_at;
  std::int64_t reported_backlog = 0;
};
std::optional<PeerInfo> find_peer(storage::Connection& c, const std::string& device_id);
std::vector<PeerInfo> list_peers(storage::Connection& c);
// The hub's list of schools: each with its records (counted as they arrive), what waits for it in
// the outbox and its open alarms, in one query.
struct SchoolSummary {
  PeerInfo peer;
  std::int64_t records = 0, outbox = 0, alarms = 0;
};
std::vector<SchoolSummary> school_summaries(storage::Connection& c);
// School: the district this box is enrolled with, if any.
std::optional<PeerInfo> district_peer(storage::Connection& c);

// School: accepts the district's certificate for this box (checked against the configured key).
std::optional<domain::Message> accept_certificate(Node& n, const std::string& text);
// District: checks an enrollment request against the fingerprint the admin read off the box's
// screen, registers the school and returns its certificate.
struct Enrolled {
  std::string certificate;
  std::string device_id, school;
};
std::optional<Enrolled> enroll_school(Node& n, const std::string& request_text,
                                      const std::string& fingerprint_typed,
                                      domain::Message* problem);
// District: revoke a school box; the revocation travels to every other school.
bool revoke_school(Node& n, const std::string& device_id);

struct ExportResult {
  std::string path, bundle_id;
  std::int64_t records = 0, blobs = 0, first = 0, last = 0;
  std::int64_t more = 0;           // records left for the next parts (the part's bound was reached)
  std::int64_t missing_blobs = 0;  // files records name that this box does not have
  std::int64_t held_blobs = 0;     // files left out: the peer holds them already
  std::int64_t shared_blobs = 0;   // of `blobs`, put in as frames compressed once (the hub)
  std::uint64_t bytes = 0;
};
// A backlog travels in parts, each acknowledged before the next leaves (the next starts after
// what the peer acknowledged): no backlog is too big for its carrier. A part is the records in
// order, each with the files it needs that the peer does not hold, up to the bound.
// The largest part: under FAT32's largest file (4 GiB − 1) and the hub's upload limit.
inline constexpr std::uint64_t kMaxPartBytes = 4000ull << 20;
struct PartBound {
  // Records stop once the part would pass this many bytes (0: no such bound); the first record
  // goes even when it alone passes it (the network: a part is resumable, a 100 MB pack must go).
  std::uint64_t want = 0;
  // The part never passes this (the stick's free space): a first record that alone would throws
  // PartTooBig.
  std::uint64_t room = kMaxPartBytes;
};
// The next record with its files does not fit in the room the carrier has.
struct PartTooBig : std::runtime_error {
  std::uint64_t needed = 0, room = 0;
  PartTooBig(std::uint64_t needed_bytes, std::uint64_t room_bytes);
};
// Writes the bundle (the next part) for `peer` (school: "" = its district) into `dir` as
// <bundle id>.ptb, then reads it back and verifies it. Throws std::runtime_error (not enrolled,
// disk errors), PartTooBig.
ExportResult export_bundle(Node& n, const std::string& peer, const std::string& dir,
                           const PartBound& bound = {});

// How far a district bundle's time may move a school box's confirmed clock forward on its own.
inline constexpr std::int64_t kDistrictClockBound = 15 * 60;

struct ImportResult {
  bool ok = false;
  bool already = false;    // this bundle was imported before: nothing changed
  std::string code;        // why it was refused: bad_signature, wrong_recipient, ...
  domain::Message reason;  // the same for people
  std::string sender, bundle_id;
  std::int64_t applied = 0, skipped = 0, acked = 0;
  std::int64_t refused = 0;  // of `applied`: refused alone (sync_refusals), the rest applied
  std::int64_t more = 0;     // records the sender has left for its next parts
};
ImportResult import_bundle(Node& n, const std::string& path, const std::string& carrier);

// District side: queue a record for one school (or every school when peer is empty).
void queue_for_schools(storage::Connection& c, const std::string& epoch, const std::string& peer,
                       const std::string& kind, const std::string& rid,
                       const std::string& record_json_data, const std::vector<std::string>& blobs);

// District: an announcement for one school (or all), a content pack or roster file, a grade
// correction (a new version of the grade, which wins over the school's unless the school edits it
// again). They travel with the next return bundle.
void district_announce(Node& n, const std::string& peer, const std::string& title,
                       const std::string& body);
// A pack is read and checked whole first: one a school would refuse is not queued (why, for
// people).
// `name`: the file's name as the admin knows it ("" = the path's).
std::optional<domain::Message> district_send_file(Node& n, const std::string& peer,
                                                  const std::string& kind, const std::string& path,
                                                  const std::string& name = "");
std::optional<std::int64_t> district_set_grade(Node& n, const std::string& school,
                                               const std::string& rid, const std::string& mark);

// District: takes back a record queued for `school` (its place in the district's stream): a
// withdrawal record follows it; a refused one no longer counts as a problem on either side, an
// announcement is taken down, anything else already applied stays. A problem, for people, when
// there is no such record or it was withdrawn already.
std::optional<domain::Message> district_withdraw(Node& n, const std::string& school,
                                                 const std::string& epoch, std::int64_t seq);
// A record of the district's the school refused (side 'there') or this box refused (side 'here').
struct Refusal {
  std::int64_t id = 0;
  std::string peer, epoch;
  std::int64_t seq = 0;
  std::string kind, rid, what, reason;  // what: as people know it; reason: a msgid
  std::int64_t at = 0, withdrawn_at = 0;
};
std::vector<Refusal> refusals(storage::Connection& c, const std::string& side,
                              const std::string& peer, int max = 50);
// District: what waits for `school` (queued, not acknowledged yet), newest first.
struct Queued {
  std::string epoch;
  std::int64_t seq = 0;
  std::string kind, rid, what;
  bool withdrawn = false;  // a withdrawal of it is queued behind it
};
std::vector<Queued> queued_for(storage::Connection& c, const std::string& school, int max = 50);

// District: asks a school for the original of a file of one of its submissions that came as a
// travel copy; it comes with the school's next bundle. False when that submission names no such
// file.
bool district_ask_original(Node& n, const std::string& school, const std::string& submission,
                           const std::string& sha256);
// District: what was asked of `school` and what arrived (by the original's hash).
struct OriginalAsked {
  std::int64_t asked_at = 0;
  bool arrived = false;
};
std::map<std::string, OriginalAsked> originals_asked(storage::Connection& c,
                                                     const std::string& school);

// District: where the current return bundle for a school is kept for network downloads, and
// dropping it when what it would carry changed (an import, something queued).
std::string return_bundle_dir(const Node& n, const std::string& school);
void invalidate_returns(const Node& n, const std::string& school);  // "" = every school

struct Alarm {
  std::int64_t id = 0;
  std::string peer, kind, detail;
  std::int64_t at = 0;
};
std::vector<Alarm> open_alarms(storage::Connection& c, const std::string& peer = "*");
void resolve_alarm(storage::Connection& c, std::int64_t id);

std::int64_t outbox_backlog(storage::Connection& c, const std::string& peer);

// School: what waits to travel to the district, in bytes: the records (those not written out yet
// estimated), the files they carry (travel copies where made; files the district holds already
// not counted), and what the travel copies saved against the originals.
struct LinkBudget {
  std::int64_t records = 0, files = 0;
  std::uint64_t record_bytes = 0, file_bytes = 0, saved_bytes = 0;
  std::int64_t copies_waiting = 0;  // photos whose travel copy is not made yet (counted whole)
  std::uint64_t total() const { return record_bytes + file_bytes; }
  std::int64_t at = 0;  // when it was counted
};
// Counts it (a pass over the outbox: seconds on a year's backlog, so never per page view).
LinkBudget link_budget(storage::Connection& c);
// Counts it and keeps it for the admin's page (after an exchange, and by the background worker
// once a minute); the kept one, if any.
void refresh_link_budget(storage::Connection& c, std::int64_t now);
std::optional<LinkBudget> kept_link_budget(storage::Connection& c);

}  // namespace parta::sync
