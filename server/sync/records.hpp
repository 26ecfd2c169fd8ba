#pragma once
// The records that travel, as JSON: how a school box turns an outbox entry (kind, local ref) into
// a record with a global id (uids, student numbers, logins — never a local row id), and how each
// side applies a record it received. Grades carry (version, origin): the higher version wins,
// a tie goes to the greater origin id, so both sides pick the same winner without a clock; the
// losing value is kept and shown.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/blob_store.hpp"
#include "domain/clock.hpp"
#include "domain/library.hpp"
#include "storage/database.hpp"

namespace parta::sync {

// A record as it travels: {"seq","kind","rid","v","origin","data"} or {"...","deleted":true}.
struct Record {
  std::int64_t seq = 0;
  std::string kind, rid, origin;
  std::int64_t version = 0;
  bool deleted = false;
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> blobs;  // sha256 of files the record needs

  std::string text() const;  // canonical JSON (sorted keys), what is stored and hashed
  nlohmann::json json_of() const;
  static std::optional<Record> parse(const std::string& text, std::string* why);
  static std::optional<Record> from_json(const nlohmann::json& j, std::string* why);
};

// How records travel in a bundle: JSON lines in sequence order, each with its step from the one
// before ("d") instead of its number, so a term's records compress like the raw text. `before` is
// the number the batch continues from. decode_batch gives each record with its canonical text
// and moves *prev along; anything malformed refuses the whole batch.
std::string encode_batch(const std::vector<std::pair<std::int64_t, std::string>>& entries,
                         std::int64_t before);
std::optional<std::vector<std::pair<Record, std::string>>> decode_batch(std::string_view batch,
                                                                        std::int64_t* prev,
                                                                        std::string* why);

// Builds the record for one school outbox entry from the rows as they are now.
Record build_school_record(storage::Connection& c, std::int64_t seq, const std::string& kind,
                           const std::string& ref);

// Freezes the payload of every outbox entry that has none yet (in one transaction): from then on
// (epoch, seq) always carries the same content.
void freeze_outbox(storage::Connection& c);

// School: queues this week's and last week's monitoring figures (domain::school_week) as 'week'
// records, each only when it differs from what was sent for that week; last week's at-risk
// counts stay as they were sent (the list is a present state: today's is not last week's).
// Nothing on a box that is not enrolled.
void queue_weeks(storage::Connection& c, std::int64_t now);

// Which of two versions of a grade wins: true when (v1, o1) beats (v2, o2).
bool grade_wins(std::int64_t v1, const std::string& o1, std::int64_t v2, const std::string& o2);

struct ApplyContext {
  storage::Connection& c;
  const domain::Clock& clock;
  content::BlobStore& blobs;
  std::string peer;       // who sent the record
  std::string peer_name;  // for the teacher's conflict note
  std::uint64_t disk_reserve = 0;
  // Content packs in the bundle, read and stored before the import's transaction began (so the
  // transaction stays short), by record id: nullopt for one already listed at that version, and
  // missing for one that was refused.
  const std::map<std::string, std::optional<domain::StagedPack>>* packs = nullptr;
};
// A record as people know it: an announcement's title, a roster's or pack's file name ("" else).
std::string record_what(const Record& r);
// School side: applies one record of the district's, or refuses it alone (what it wrote undone):
// the refusal is kept with its reason and goes back to the district as a record of its own.
// Returns the reason when refused. A busy or full database throws (the bundle comes again).
std::optional<std::string> apply_or_refuse(ApplyContext& ctx, const Record& r,
                                           const std::string& epoch);
// School side, before the transaction: reads and stores the content packs the records carry.
// A pack whose manifest or items are not here yet (asked for again) is named in `waiting`.
// Items a pack names that are not here are asked of `sender` (sync_wanted_blobs): the district
// leaves out the items it believes the school holds.
std::map<std::string, std::optional<domain::StagedPack>> stage_district_packs(
    storage::Connection& c, content::BlobStore& blobs, const std::vector<Record>& records,
    const std::string& district_key, std::uint64_t reserve, const std::string& sender,
    std::set<std::string>* waiting = nullptr);

// District side: keeps the record in sync_records (per school), grades by the winner rule.
void apply_at_district(ApplyContext& ctx, const Record& r);
// School side: announcements, grade corrections, revocations, content packs and rosters from the
// district. Returns false with `why` for a record this box cannot apply (the bundle is refused).
bool apply_at_school(ApplyContext& ctx, const Record& r, std::string* why);

// Every travelling record of a school box as canonical lines (kind, rid, content), sorted: the
// same text a district builds from its copy with district_dump. Tests compare the two. The
// weeks' monitoring figures are left out on both sides: a school computes them when it writes a
// bundle, they are no rows of its own (tests/sync/reports_test.py follows them).
std::vector<std::string> school_dump(storage::Connection& c);
std::vector<std::string> district_dump(storage::Connection& c, const std::string& school);

}  // namespace parta::sync
