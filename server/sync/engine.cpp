#include "sync/engine.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "app/log.hpp"
#include "content/delta.hpp"
#include "content/durable.hpp"
#include "content/pack.hpp"
#include "domain/accounts.hpp"
#include "sync/records.hpp"

namespace parta::sync {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

PeerInfo read_peer(storage::Query& q) {
  PeerInfo p;
  p.device_id = q.text(0);
  p.role = q.text(1);
  p.name = q.text(2);
  p.sign_pk = q.text(3);
  p.box_pk = q.text(4);
  p.revoked = q.integer(5) != 0;
  p.last_in_at = q.opt_integer(6);
  p.last_out_at = q.opt_integer(7);
  p.reported_backlog = q.integer(8);
  return p;
}

#define PARTA_PEER_COLUMNS \
  "device_id, role, name, sign_pk, box_pk, revoked, last_in_at, last_out_at, reported_backlog"
constexpr const char* kPeerColumns = "SELECT " PARTA_PEER_COLUMNS " FROM sync_peers ";
constexpr int kPeerColumnCount = 9;

std::string current_epoch(storage::Connection& c) {
  auto q = c.query("SELECT epoch FROM sync_self WHERE id = 1");
  if (!q.next()) throw std::runtime_error("this box has no sync identity yet");
  return q.text(0);
}

std::string entry_hash(const std::string& text) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     nullptr, 0);
  return bundle::to_hex(h, sizeof h);
}

domain::Message refusal_message(bundle::Refusal r) {
  switch (r) {
    case bundle::Refusal::kNotABundle:
      return {"This file is not a Parta sync bundle.", {}};
    case bundle::Refusal::kTruncated:
      return {"The bundle is cut short (the copy to the stick did not finish): copy it again.", {}};
    case bundle::Refusal::kUnknownVersion:
      return {"The bundle was written by a newer Parta: update this box first.", {}};
    case bundle::Refusal::kBadSignature:
      return {"The bundle's signature does not match its sender: it was changed or forged.", {}};
    case bundle::Refusal::kWrongRecipient:
      return {"The bundle is addressed to another box.", {}};
    case bundle::Refusal::kModified:
      return {"The bundle was changed after it was written.", {}};
    case bundle::Refusal::kTooLarge:
      return {"The bundle is larger than this box accepts.", {}};
    case bundle::Refusal::kIo:
      return {"The bundle could not be read from the disk.", {}};
    default:
      return {"The bundle is damaged.", {}};
  }
}

ImportResult refuse(const std::string& code, domain::Message why) {
  ImportResult r;
  r.code = code;
  r.reason = std::move(why);
  return r;
}

}  // namespace

std::optional<PeerInfo> find_peer(storage::Connection& c, const std::string& device_id) {
  auto q = c.query(std::string(kPeerColumns) + "WHERE device_id = ?1", device_id);
  if (!q.next()) return std::nullopt;
  return read_peer(q);
}

std::vector<PeerInfo> list_peers(storage::Connection& c) {
  std::vector<PeerInfo> out;
  auto q = c.query(std::string(kPeerColumns) + "ORDER BY name, device_id");
  while (q.next()) out.push_back(read_peer(q));
  return out;
}

std::vector<SchoolSummary> school_summaries(storage::Connection& c) {
  std::vector<SchoolSummary> out;
  auto q =
      c.query("SELECT " PARTA_PEER_COLUMNS
              ", COALESCE((SELECT n FROM sync_record_counts rc WHERE rc.peer = device_id), 0), "
              "COALESCE((SELECT n FROM sync_outbox_counts o WHERE o.peer = device_id), 0), "
              "(SELECT COUNT(*) "
              "FROM sync_alarms a WHERE a.peer = device_id AND a.resolved = 0) FROM sync_peers "
              "WHERE role = 'school' ORDER BY name, device_id");
  while (q.next()) {
    SchoolSummary s;
    s.peer = read_peer(q);
    s.records = q.integer(kPeerColumnCount);
    s.outbox = q.integer(kPeerColumnCount + 1);
    s.alarms = q.integer(kPeerColumnCount + 2);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<PeerInfo> district_peer(storage::Connection& c) {
  auto q = c.query(std::string(kPeerColumns) + "WHERE role = 'district' LIMIT 1");
  if (!q.next()) return std::nullopt;
  return read_peer(q);
}

std::optional<domain::Message> accept_certificate(Node& n, const std::string& text) {
  std::string why;
  std::string key = n.district_key;
  for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto cert = verify_certificate(text, key, n.id.device_id, &why);
  if (!cert) return domain::Message{why, {}};
  if (cert->sign_pk != bundle::to_hex(n.id.sign.pk) || cert->box_pk != bundle::to_hex(n.id.box.pk))
    return domain::Message{"The certificate names other keys than this box's.", {}};
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  c->run("DELETE FROM sync_peers WHERE role = 'district' AND device_id != ?1", cert->district_id);
  c->run(
      "INSERT INTO sync_peers (device_id, role, name, sign_pk, box_pk, certificate, "
      "enrolled_at) VALUES (?1, 'district', 'district', ?2, ?3, ?4, ?5) ON CONFLICT(device_id) "
      "DO UPDATE SET sign_pk = ?2, box_pk = ?3, certificate = ?4",
      cert->district_id, cert->district_sign_pk, cert->district_box_pk, text, n.clock.now());
  tx.commit();
  refresh_link_budget(*c, n.clock.now());  // what waits to travel now has somewhere to go
  return std::nullopt;
}

std::optional<Enrolled> enroll_school(Node& n, const std::string& request_text,
                                      const std::string& fingerprint_typed,
                                      domain::Message* problem) {
  std::string why;
  auto req = parse_enroll_request(request_text, &why);
  if (!req) {
    *problem = {why, {}};
    return std::nullopt;
  }
  bundle::Bytes32 spk, bpk;
  bundle::from_hex(req->sign_pk, spk.data(), spk.size());
  bundle::from_hex(req->box_pk, bpk.data(), bpk.size());
  auto norm = [](std::string s) {
    std::string o;
    for (char ch : s)
      if (std::isalnum(static_cast<unsigned char>(ch)))
        o += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return o;
  };
  if (norm(fingerprint_typed) != norm(bundle::fingerprint(spk, bpk))) {
    *problem = {
        "The fingerprint does not match the request: do not enroll this box; ask the "
        "school to read its fingerprint again.",
        {}};
    return std::nullopt;
  }
  auto c = n.db.acquire();
  if (auto p = find_peer(*c, req->device_id); p && p->revoked) {
    *problem = {"This box was revoked; it must make a new identity to be enrolled again.", {}};
    return std::nullopt;
  }
  std::string cert = issue_certificate(n.id, *req, n.clock.now());
  c->run(
      "INSERT INTO sync_peers (device_id, role, name, sign_pk, box_pk, certificate, "
      "enrolled_at) VALUES (?1, 'school', ?2, ?3, ?4, ?5, ?6) ON CONFLICT(device_id) DO "
      "UPDATE SET name = ?2, sign_pk = ?3, box_pk = ?4, certificate = ?5",
      req->device_id, req->school, req->sign_pk, req->box_pk, cert, n.clock.now());
  return Enrolled{cert, req->device_id, req->school};
}

void queue_for_schools(storage::Connection& c, const std::string& epoch, const std::string& peer,
                       const std::string& kind, const std::string& rid,
                       const std::string& record_json_data, const std::vector<std::string>& blobs) {
  std::vector<std::string> peers;
  if (peer.empty()) {
    auto q = c.query("SELECT device_id FROM sync_peers WHERE role = 'school' AND revoked = 0");
    while (q.next()) peers.push_back(q.text(0));
  } else {
    peers.push_back(peer);
  }
  auto self = c.query("SELECT device_id FROM sync_self WHERE id = 1");
  std::string origin = self.next() ? self.text(0) : "";
  for (const auto& p : peers) {
    c.run("INSERT INTO sync_outbox (epoch, peer, kind, ref) VALUES (?1, ?2, ?3, ?4)", epoch, p,
          kind, rid);
    Record r;
    r.seq = c.last_insert_id();
    r.kind = kind;
    r.rid = rid;
    r.origin = origin;
    json data = json::parse(record_json_data, nullptr, false);
    if (data.is_object()) {
      r.data = data;
      if (kind == "grade") {
        r.version = data.value("v", std::int64_t{1});
        r.data.erase("v");
      }
    } else {
      r.deleted = true;
    }
    r.blobs = blobs;
    c.run("UPDATE sync_outbox SET payload = ?1 WHERE seq = ?2", r.text(), r.seq);
  }
}

bool district_ask_original(Node& n, const std::string& school, const std::string& submission,
                           const std::string& sha256) {
  if (!content::BlobStore::valid_hash(sha256)) return false;
  auto c = n.db.acquire();
  bool named = false;
  {
    auto q = c->query(
        "SELECT data FROM sync_records WHERE peer = ?1 AND kind = 'submission' AND rid = ?2 AND "
        "deleted = 0",
        school, submission);
    if (q.next()) {
      json d = json::parse(q.text(0), nullptr, false);
      if (d.is_object() && d.contains("files") && d["files"].is_array())
        for (const auto& f : d["files"])
          named = named || (f.is_object() && f.contains("original") && f["original"].is_object() &&
                            f["original"].value("sha256", "") == sha256);
    }
  }
  if (!named) return false;
  storage::Transaction tx(*c);
  c->run(
      "INSERT OR IGNORE INTO original_requests (peer, sha256, submission, asked_at) VALUES "
      "(?1, ?2, ?3, ?4)",
      school, sha256, submission, n.clock.now());
  if (c->changes() > 0)
    queue_for_schools(*c, current_epoch(*c), school, "original_request", sha256,
                      json{{"submission", submission}}.dump(), {});
  tx.commit();
  invalidate_returns(n, school);
  return true;
}

std::map<std::string, OriginalAsked> originals_asked(storage::Connection& c,
                                                     const std::string& school) {
  std::map<std::string, OriginalAsked> out;
  auto q = c.query(
      "SELECT o.sha256, o.asked_at, r.rid IS NOT NULL FROM original_requests o LEFT JOIN "
      "sync_records r ON r.peer = o.peer AND r.kind = 'original' AND r.rid = o.sha256 AND "
      "r.deleted = 0 WHERE o.peer = ?1",
      school);
  while (q.next()) out[q.text(0)] = {q.integer(1), q.integer(2) != 0};
  return out;
}

bool revoke_school(Node& n, const std::string& device_id) {
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  c->run("UPDATE sync_peers SET revoked = 1 WHERE device_id = ?1 AND role = 'school'", device_id);
  if (c->changes() == 0) return false;
  c->run("INSERT OR IGNORE INTO sync_revoked (device_id, at) VALUES (?1, ?2)", device_id,
         n.clock.now());
  c->run("DELETE FROM sync_outbox WHERE peer = ?1", device_id);
  queue_for_schools(*c, current_epoch(*c), "", "revocation", device_id, "{}", {});
  tx.commit();
  invalidate_returns(n, "");
  return true;
}

std::int64_t outbox_backlog(storage::Connection& c, const std::string& peer) {
  // Counted as entries come and go (schema migration 12), not on every view of the sync page.
  return c.scalar("SELECT n FROM sync_outbox_counts WHERE peer = ?1", peer).value_or(0);
}

LinkBudget link_budget(storage::Connection& c) {
  LinkBudget b;
  b.records = outbox_backlog(c, "");
  {
    // A record not written out yet is estimated at the mean of those that are (or 400 bytes).
    auto q = c.query(
        "SELECT COUNT(payload), COALESCE(SUM(length(payload)), 0) FROM sync_outbox WHERE peer = "
        "''");
    if (q.next()) {
      std::int64_t frozen = q.integer(0), bytes = q.integer(1);
      std::int64_t mean = frozen > 0 ? std::max<std::int64_t>(100, bytes / frozen) : 400;
      b.record_bytes = static_cast<std::uint64_t>(bytes + (b.records - frozen) * mean);
    }
  }
  // Each file once, as it will travel; none the district holds already.
  auto q = c.query(
      "SELECT f.size, t.copy, t.bytes, f.whole = 0 AND NOT EXISTS (SELECT 1 FROM travel_copies "
      "d WHERE d.original = f.sha256) AND f.content_type IN ('image/jpeg', "
      "'image/png') FROM (SELECT DISTINCT sf.sha256, sf.size, sf.content_type, 0 AS whole FROM "
      "sync_outbox o JOIN submission_files sf ON sf.submission_id = CAST(o.ref AS INTEGER) WHERE "
      "o.peer = '' AND o.kind = 'submission' UNION SELECT sf.sha256, sf.size, '', 1 FROM "
      "sync_outbox o JOIN submission_files sf ON sf.sha256 = o.ref WHERE o.peer = '' AND "
      "o.kind = 'original') f LEFT JOIN travel_copies t ON t.original = f.sha256 AND f.whole = 0 "
      "AND t.copy IS NOT NULL WHERE NOT "
      "EXISTS (SELECT 1 FROM sync_peer_blobs h JOIN sync_peers p ON p.device_id = h.peer AND "
      "p.role = 'district' WHERE h.sha256 = COALESCE(t.copy, f.sha256))");
  while (q.next()) {
    ++b.files;
    std::int64_t size = q.integer(0);
    if (!q.is_null(1)) {
      b.file_bytes += static_cast<std::uint64_t>(q.integer(2));
      b.saved_bytes += static_cast<std::uint64_t>(std::max<std::int64_t>(0, size - q.integer(2)));
    } else {
      b.file_bytes += static_cast<std::uint64_t>(size);
      if (q.integer(3)) ++b.copies_waiting;
    }
  }
  return b;
}

void refresh_link_budget(storage::Connection& c, std::int64_t now) {
  LinkBudget b = link_budget(c);
  c.run(
      "INSERT OR REPLACE INTO sync_link_budget (id, records, files, record_bytes, file_bytes, "
      "saved_bytes, copies_waiting, at) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      b.records, b.files, static_cast<std::int64_t>(b.record_bytes),
      static_cast<std::int64_t>(b.file_bytes), static_cast<std::int64_t>(b.saved_bytes),
      b.copies_waiting, now);
}

std::optional<LinkBudget> kept_link_budget(storage::Connection& c) {
  auto q = c.query(
      "SELECT records, files, record_bytes, file_bytes, saved_bytes, copies_waiting, at FROM "
      "sync_link_budget WHERE id = 1");
  if (!q.next()) return std::nullopt;
  LinkBudget b;
  b.records = q.integer(0);
  b.files = q.integer(1);
  b.record_bytes = static_cast<std::uint64_t>(q.integer(2));
  b.file_bytes = static_cast<std::uint64_t>(q.integer(3));
  b.saved_bytes = static_cast<std::uint64_t>(q.integer(4));
  b.copies_waiting = q.integer(5);
  b.at = q.integer(6);
  return b;
}

namespace {

// Files of one record sent from the hub that add up to this much are compressed once, as one
// frame, for every school that gets the same files (a pack's items); less costs less than the
// frame's bookkeeping.
constexpr std::uint64_t kSharedFrameMin = 64 * 1024;
// A frame no bundle took for this long is removed (a pack's schools have long had it).
constexpr std::int64_t kFrameKeepDays = 30;

// The hub: adds `files` (one record's, none held by the school) to `w` as the frame compressed
// for exactly these files once (made now when there is none). False when they are small, or the
// frame cannot be made or read: the caller adds them itself (a frame is a saving, never a
// condition).
bool add_shared_frame(Node& n, storage::Connection& c, bundle::Writer& w,
                      const std::vector<std::string>& files) {
  std::uint64_t total = 0;
  std::error_code ec;
  std::vector<std::pair<bundle::Bytes32, std::string>> paths;
  crypto_hash_sha256_state key_state;
  crypto_hash_sha256_init(&key_state);
  for (const auto& sha : files) {
    bundle::Bytes32 raw;
    if (!bundle::from_hex(sha, raw.data(), raw.size())) return false;
    std::string path = n.blobs.path_of(sha);
    total += fs::file_size(path, ec);
    if (ec) return false;
    paths.emplace_back(raw, std::move(path));
    crypto_hash_sha256_update(&key_state, raw.data(), raw.size());
  }
  if (total < kSharedFrameMin) return false;
  unsigned char key_raw[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&key_state, key_raw);
  // Named by the files it holds, in order.
  const std::string key = bundle::to_hex(key_raw, sizeof key_raw);
  const std::string dir = n.data_dir + "/sync/frames";
  const std::string path = dir + "/" + key + "-" + std::to_string(n.zstd_level) + ".zst";
  std::optional<bundle::BlobFrame> frame;
  {
    auto q = c.query(
        "SELECT bytes, plain, hash, count FROM sync_blob_frames WHERE key = ?1 AND level = ?2", key,
        n.zstd_level);
    if (q.next())
      frame = bundle::BlobFrame{static_cast<std::uint64_t>(q.integer(0)),
                                static_cast<std::uint64_t>(q.integer(1)),
                                static_cast<std::uint64_t>(q.integer(3)), q.text(2)};
  }
  if (frame) {
    try {
      w.add_blob_frame(path, *frame);
      c.run("UPDATE sync_blob_frames SET used_at = ?3 WHERE key = ?1 AND level = ?2", key,
            n.zstd_level, n.clock.now());
      return true;
    } catch (const std::runtime_error& e) {
      // Gone or changed on disk: made again below.
      log::warning("sync: the compressed frame " + key + " is not usable (" + e.what() +
                   "): made again");
      c.run("DELETE FROM sync_blob_frames WHERE key = ?1 AND level = ?2", key, n.zstd_level);
    }
  }
  try {
    fs::create_directories(dir);
    // A maker stopped mid-way (a power cut) left its hidden temp file here; exports take turns
    // (n.exchange), so none is being written now.
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind(".", 0) == 0) fs::remove(e.path(), ec);
    frame = bundle::write_blob_frame(paths, path, n.zstd_level);
    c.run(
        "INSERT OR REPLACE INTO sync_blob_frames (key, level, bytes, plain, count, hash, used_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        key, n.zstd_level, static_cast<std::int64_t>(frame->bytes),
        static_cast<std::int64_t>(frame->plain), static_cast<std::int64_t>(frame->count),
        frame->hash, n.clock.now());
    w.add_blob_frame(path, *frame);
    return true;
  } catch (const std::runtime_error& e) {
    log::warning("sync: files bundled one by one: their frame cannot be made (" +
                 std::string(e.what()) + ")");
    return false;
  }
}

// The hub: frames no bundle took for kFrameKeepDays go (the file first: a row whose file is gone
// is made again when a school needs it after all).
void drop_stale_frames(Node& n, storage::Connection& c) {
  // Once an hour is enough (a stick's export writes a bundle for every school).
  static std::atomic<std::int64_t> checked_at{0};
  const std::int64_t now = n.clock.now();
  if (std::abs(now - checked_at.load()) < 3600) return;
  checked_at = now;
  std::vector<std::pair<std::string, std::int64_t>> stale;
  {
    auto q = c.query("SELECT key, level FROM sync_blob_frames WHERE used_at < ?1",
                     now - kFrameKeepDays * 86400);
    while (q.next()) stale.emplace_back(q.text(0), q.integer(1));
  }
  for (const auto& [key, level] : stale) {
    std::error_code ec;
    fs::remove(n.data_dir + "/sync/frames/" + key + "-" + std::to_string(level) + ".zst", ec);
    if (ec) continue;
    c.run("DELETE FROM sync_blob_frames WHERE key = ?1 AND level = ?2", key, level);
  }
  if (!stale.empty())
    log::info("sync: " + std::to_string(stale.size()) + " frames of shared files unused for " +
              std::to_string(kFrameKeepDays) + " days removed");
}

}  // namespace

PartTooBig::PartTooBig(std::uint64_t needed_bytes, std::uint64_t room_bytes)
    : std::runtime_error("the next record and its files need " + std::to_string(needed_bytes) +
                         " bytes; the carrier has room for " + std::to_string(room_bytes)),
      needed(needed_bytes),
      room(room_bytes) {}

ExportResult export_bundle(Node& n, const std::string& peer_arg, const std::string& dir,
                           const PartBound& bound) {
  std::unique_lock<std::recursive_mutex> exchange(n.exchange, std::defer_lock);
  if (!n.db.postgres()) exchange.lock();
  if (n.role == Role::school && n.before_export) n.before_export();
  auto c = n.db.acquire();
  storage::SessionLock school_lock(*c, "exchange:" + peer_arg);
  std::string peer_id = peer_arg;
  std::string lane = peer_arg;  // whose outbox entries: '' on a school
  std::optional<PeerInfo> peer;
  if (n.role == Role::school) {
    peer = district_peer(*c);
    if (!peer) throw std::runtime_error("this box is not enrolled with a district yet");
    peer_id = peer->device_id;
    lane = "";
    queue_weeks(*c, n.clock.now());
    freeze_outbox(*c);
  } else {
    peer = find_peer(*c, peer_id);
    if (!peer || peer->role != "school") throw std::runtime_error("unknown school " + peer_id);
    if (peer->revoked) throw std::runtime_error("school " + peer_id + " is revoked");
    drop_stale_frames(n, *c);
  }
  bundle::Bytes32 recipient_box;
  if (!bundle::from_hex(peer->box_pk, recipient_box.data(), recipient_box.size()))
    throw std::runtime_error("the peer's key is damaged");
  std::string epoch = current_epoch(*c);

  bundle::Header h;
  unsigned char rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  h.bundle_id = bundle::to_hex(rnd, sizeof rnd);
  h.sender = n.id.device_id;
  h.sender_epoch = epoch;
  h.recipient = peer_id;
  std::int64_t acked =
      c->scalar("SELECT upto FROM sync_acks WHERE peer = ?1 AND epoch = ?2", peer_id, epoch)
          .value_or(0);
  {
    auto q =
        c->query("SELECT epoch, upto FROM sync_streams WHERE device = ?1 ORDER BY epoch", peer_id);
    while (q.next()) h.acks.push_back({peer_id, q.text(0), q.integer(1)});
  }
  json ack_hashes = json::object();
  for (const auto& a : h.acks) {
    auto q = c->query("SELECT hash FROM sync_seen WHERE device = ?1 AND epoch = ?2 AND seq = ?3",
                      a.device, a.epoch, a.upto);
    if (q.next()) ack_hashes[a.epoch] = q.text(0);
  }
  std::int64_t seq_last = 0;
  std::vector<std::pair<std::int64_t, std::string>> entries;
  {
    auto q = c->query(
        "SELECT seq, payload FROM sync_outbox WHERE peer = ?1 AND epoch = ?2 AND "
        "seq > ?3 AND payload IS NOT NULL ORDER BY seq",
        lane, epoch, acked);
    while (q.next()) entries.emplace_back(q.integer(0), q.text(1));
  }
  // The part: the records in order while they fit the bound, each with the files it needs that
  // the peer does not hold (a file two records name goes with the first). Sizes are counted
  // before compression, with room for the format's own bytes: a part is never bigger than its
  // estimate.
  const auto total_entries = static_cast<std::int64_t>(entries.size());
  std::vector<std::vector<std::string>> files_of;  // per record of the part: the files it takes
  std::set<std::string> sent_blobs, held;
  ExportResult out;
  {
    std::uint64_t plain = 0, items = 0;
    auto estimate = [&](std::uint64_t p, std::uint64_t i) {
      return p + p / 128 + i * 1024 + (256u << 10);
    };
    std::size_t cut = 0;
    for (; cut < entries.size(); ++cut) {
      std::vector<std::string> todo;
      std::set<std::string> held_here;
      std::int64_t missing = 0;
      std::uint64_t add = entries[cut].second.size();
      std::string why;
      if (auto r = Record::parse(entries[cut].second, &why)) {
        for (const auto& b : r->blobs) {
          if (sent_blobs.count(b) || held.count(b) || held_here.count(b) ||
              std::find(todo.begin(), todo.end(), b) != todo.end())
            continue;
          // A file the peer holds already (it sent it, or acknowledged a bundle that carried
          // it) never travels to it again: a photo handed in twice, a pack sent before.
          if (c->scalar("SELECT 1 FROM sync_peer_blobs WHERE peer = ?1 AND sha256 = ?2", peer_id,
                        b)) {
            held_here.insert(b);
            continue;
          }
          if (!n.blobs.has(b)) {
            ++missing;  // not counted as sent: the export's result names it
            continue;
          }
          std::error_code ec;
          add += fs::file_size(n.blobs.path_of(b), ec);
          todo.push_back(b);
        }
      }
      const std::uint64_t next = estimate(plain + add, items + 1 + todo.size());
      if (next > bound.room) {
        if (cut == 0) throw PartTooBig(next, bound.room);
        break;
      }
      if (bound.want > 0 && cut > 0 && next > bound.want) break;
      plain += add;
      items += 1 + todo.size();
      out.held_blobs += static_cast<std::int64_t>(held_here.size());
      out.missing_blobs += missing;
      held.insert(held_here.begin(), held_here.end());
      sent_blobs.insert(todo.begin(), todo.end());
      files_of.push_back(std::move(todo));
    }
    entries.resize(cut);
  }
  out.more = total_entries - static_cast<std::int64_t>(entries.size());
  // What the bundle announces is the end of what it carries, read in the same query: a change
  // committed meanwhile gets a number but is not in this bundle, so it must not be announced
  // (the peer would acknowledge it and this box would prune it unsent). A district lane is a
  // subsequence of the district's numbers; the same rule holds.
  seq_last = entries.empty() ? acked : std::max(acked, entries.back().first);
  // The range says "everything of mine after your acknowledgement up to here" (empty when there
  // is nothing new: then only meta.seq_last announces where the stream is).
  if (seq_last > acked) h.ranges.push_back({n.id.device_id, epoch, acked + 1, seq_last});
  json broken = json::array();
  {
    auto q = c->query("SELECT epoch FROM sync_streams WHERE device = ?1 AND broken = 1", peer_id);
    while (q.next()) broken.push_back(q.text(0));
  }
  // Files the peer's records named and this box does not have: the peer believed this box held
  // them (below) and will send them again.
  json wanted = json::array();
  {
    auto q = c->query("SELECT sha256 FROM sync_wanted_blobs WHERE peer = ?1 LIMIT 1000", peer_id);
    while (q.next()) wanted.push_back(q.text(0));
  }
  h.meta = {{"broken_epochs", broken},  {"ack_hashes", ack_hashes}, {"seq_last", seq_last},
            {"backlog", total_entries}, {"more", out.more},         {"role", role_name(n.role)},
            {"now", n.clock.now()}};
  if (!wanted.empty()) h.meta["wanted"] = std::move(wanted);

  fs::create_directories(dir);
  // A writer killed mid-way leaves its hidden temp files here; the bundle they were for was never
  // complete under its name, so they go.
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      std::string name = e.path().filename().string();
      if (name.size() > 1 && name[0] == '.' &&
          (name.find(".ptb.body-") != std::string::npos ||
           name.find(".ptb.tmp-") != std::string::npos))
        fs::remove(e.path(), ec);
    }
  }
  std::string path = dir + "/" + h.bundle_id + ".ptb";
  {
    bundle::Writer w(path, h, n.id.sign, recipient_box, n.zstd_level);
    // Records first, as JSON-lines batches of about 4 MB; then the files they need.
    std::vector<std::pair<std::int64_t, std::string>> batch;
    std::size_t batch_bytes = 0;
    std::int64_t before = acked;
    auto flush = [&] {
      if (batch.empty()) return;
      w.add_record(encode_batch(batch, before));
      before = batch.back().first;
      batch.clear();
      batch_bytes = 0;
    };
    for (const auto& e : entries) {
      batch.push_back(e);
      batch_bytes += e.second.size();
      if (batch_bytes > (4u << 20)) flush();
    }
    flush();
    for (const auto& todo : files_of) {
      if (todo.empty()) continue;
      // The hub sends the same files to many schools (a pack, an announcement's attachment):
      // compressed once, each school's bundle takes them as they are.
      if (n.role == Role::district && add_shared_frame(n, *c, w, todo)) {
        out.shared_blobs += static_cast<std::int64_t>(todo.size());
        continue;
      }
      for (const auto& b : todo) w.add_blob_hex(b, n.blobs.path_of(b));
    }
    out.records = static_cast<std::int64_t>(entries.size());
    out.blobs = static_cast<std::int64_t>(sent_blobs.size());
    w.finish(&out.bytes);
  }
  // Read it back as the recipient's checks would (minus decryption): a stick that lies about
  // its writes is caught here, not at the district. The cached copy is dropped first, so the
  // bytes come from the stick, not from memory.
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fdatasync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  }
  bundle::Problem p;
  auto opened = bundle::open(path, &p);
  if (!opened || !bundle::verify(*opened, n.id.sign.pk, peer_id, &p)) {
    std::error_code ec;
    fs::remove(path, ec);
    throw std::runtime_error("the bundle did not read back correctly (" + p.detail +
                             "): the disk or stick may be failing");
  }
  out.path = path;
  out.bundle_id = h.bundle_id;
  out.first = acked + 1;
  out.last = seq_last;
  c->run(
      "INSERT OR IGNORE INTO sync_bundles (bundle_id, direction, peer, at, records, bytes) "
      "VALUES (?1, 'out', ?2, ?3, ?4, ?5)",
      h.bundle_id, peer_id, n.clock.now(), out.records, static_cast<std::int64_t>(out.bytes));
  c->run("UPDATE sync_peers SET last_out_at = ?2 WHERE device_id = ?1", peer_id, n.clock.now());
  if (n.role == Role::school) {
    write_watermark(n.data_dir, epoch, seq_last);
    refresh_link_budget(*c, n.clock.now());
  }
  return out;
}

ImportResult import_bundle(Node& n, const std::string& path, const std::string& carrier) {
  // One exchange at a time: on a box, any; on a hub on PostgreSQL, per school, in every hub
  // process (different schools' imports run side by side).
  std::unique_lock<std::recursive_mutex> exchange(n.exchange, std::defer_lock);
  if (!n.db.postgres()) exchange.lock();
  bundle::Problem p;
  auto opened = bundle::open(path, &p);
  if (!opened) return refuse(bundle::refusal_name(p.code), refusal_message(p.code));
  const bundle::Header& h = opened->header;
  auto c = n.db.acquire();
  const std::string lane_lock = "exchange:" + h.sender;
  storage::SessionLock school_lock(*c, lane_lock);
  auto peer = find_peer(*c, h.sender);
  if (!peer)
    return refuse("unknown_sender",
                  {"The bundle comes from a box that is not enrolled here ({sender}).",
                   {{"sender", h.sender}}});
  if (peer->revoked || c->scalar("SELECT 1 FROM sync_revoked WHERE device_id = ?1", h.sender))
    return refuse("revoked",
                  {"The bundle comes from a box the district revoked ({sender}): refused.",
                   {{"sender", h.sender}}});
  bundle::Bytes32 sender_pk;
  bundle::from_hex(peer->sign_pk, sender_pk.data(), sender_pk.size());
  if (!bundle::verify(*opened, sender_pk, n.id.device_id, &p))
    return refuse(bundle::refusal_name(p.code), refusal_message(p.code));

  ImportResult out;
  out.sender = h.sender;
  out.bundle_id = h.bundle_id;
  if (c->scalar("SELECT 1 FROM sync_bundles WHERE bundle_id = ?1 AND direction = 'in'",
                h.bundle_id)) {
    out.ok = true;
    out.already = true;
    out.reason = {"This bundle was imported before; nothing changed.", {}};
    return out;
  }
  // The sender's stream as this box knows it.
  std::int64_t upto = 0, announced = 0;
  {
    auto q = c->query("SELECT upto, announced FROM sync_streams WHERE device = ?1 AND epoch = ?2",
                      h.sender, h.sender_epoch);
    if (q.next()) {
      upto = q.integer(0);
      announced = q.integer(1);
    }
  }
  std::int64_t seq_last =
      h.meta.is_object() && h.meta.contains("seq_last") && h.meta["seq_last"].is_number_integer()
          ? h.meta["seq_last"].get<std::int64_t>()
          : 0;
  std::int64_t first = h.ranges.empty() ? upto + 1 : h.ranges.front().first;
  auto alarm_and_refuse = [&](const std::string& kind, const std::string& detail,
                              domain::Message why) {
    raise_alarm(*c, n.clock, h.sender, kind, detail);
    // The sender learns it with the next bundle it gets from here and starts a new epoch.
    c->run(
        "INSERT INTO sync_streams (device, epoch, broken) VALUES (?1, ?2, 1) ON CONFLICT "
        "(device, epoch) DO UPDATE SET broken = 1",
        h.sender, h.sender_epoch);
    if (n.role == Role::district) invalidate_returns(n, h.sender);
    fs::path q = fs::path(n.data_dir) / "sync" / "quarantine";
    std::error_code ec;
    fs::create_directories(q, ec);
    fs::copy_file(path, q / (h.bundle_id + ".ptb"), fs::copy_options::skip_existing, ec);
    return refuse(kind, std::move(why));
  };
  // Fewer records announced than the box announced before: an older bundle delivered late (a
  // stick that waited in a bag), or the box went back in time. Told apart below by its records.
  const bool older = seq_last < announced && n.role == Role::district;
  // Records the sender pruned after this box acknowledged them, and this box no longer has: it
  // was restored from a backup. They cannot come again; say so, and take what does come.
  if (first > upto + 1)
    raise_alarm(*c, n.clock, h.sender, "gap",
                "records " + std::to_string(upto + 1) + "-" + std::to_string(first - 1) + " of " +
                    h.sender + "/" + h.sender_epoch +
                    " were acknowledged before this database was restored and are missing");
  bool stream_broken = c->scalar("SELECT broken FROM sync_streams WHERE device = ?1 AND epoch = ?2",
                                 h.sender, h.sender_epoch)
                           .value_or(0) != 0;
  if (stream_broken)
    return refuse("conflict",
                  {"The sending box sent other content under a number it used before (a restored "
                   "or copied card): the bundle is kept aside and an alarm raised.",
                   {}});

  std::string staging = n.blobs.tmp_dir();
  auto contents = bundle::read_body(*opened, n.id.box, staging, &p);
  if (!contents) return refuse(bundle::refusal_name(p.code), refusal_message(p.code));
  struct Cleanup {
    std::vector<bundle::StagedBlob>& blobs;
    ~Cleanup() {
      for (auto& b : blobs) {
        std::error_code ec;
        if (!b.temp_path.empty()) fs::remove(b.temp_path, ec);
      }
    }
  } cleanup{contents->blobs};

  std::vector<std::pair<Record, std::string>> records;
  std::int64_t prev = first - 1;
  for (const auto& batch : contents->records) {
    std::string why;
    auto decoded = decode_batch(batch, &prev, &why);
    if (!decoded || prev > seq_last) return refuse("corrupt", {"The bundle is damaged.", {}});
    for (auto& rt : *decoded) records.push_back(std::move(rt));
  }
  if (older) {
    // Every record it carries is here under its number with the same content: a stale bundle,
    // nothing to do and nothing wrong. Anything else is a box that went back in time.
    bool held = true;
    for (const auto& [r, text] : records) {
      auto q = c->query("SELECT hash FROM sync_seen WHERE device = ?1 AND epoch = ?2 AND seq = ?3",
                        h.sender, h.sender_epoch, r.seq);
      held = held && r.seq <= upto && q.next() && q.text(0) == entry_hash(text);
      if (!held) break;
    }
    if (!held)
      return alarm_and_refuse(
          "backwards",
          "box " + h.sender + " epoch " + h.sender_epoch + " announced " +
              std::to_string(seq_last) + " after " + std::to_string(announced),
          {"The sending box went back in time (its database was restored or its card copied): "
           "the bundle is kept aside and an alarm raised.",
           {}});
    c->run(
        "INSERT OR IGNORE INTO sync_bundles (bundle_id, direction, peer, at, records, bytes, "
        "carrier) VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6)",
        h.bundle_id, h.sender, n.clock.now(), static_cast<std::int64_t>(records.size()),
        static_cast<std::int64_t>(opened->body_offset + h.body_size), carrier);
    out.ok = true;
    out.already = true;
    out.skipped = static_cast<std::int64_t>(records.size());
    out.reason = {
        "This bundle is older than one already imported from this box: everything in it "
        "is here already.",
        {}};
    return out;
  }
  // Same number, other content: two histories under one stream.
  for (const auto& [r, text] : records) {
    if (r.seq > upto) continue;
    auto q = c->query("SELECT hash FROM sync_seen WHERE device = ?1 AND epoch = ?2 AND seq = ?3",
                      h.sender, h.sender_epoch, r.seq);
    if (q.next() && q.text(0) != entry_hash(text))
      return alarm_and_refuse(
          "conflict",
          "sequence " + std::to_string(r.seq) + " of " + h.sender + "/" + h.sender_epoch +
              " arrived with other content",
          {"The sending box sent other content under a number it used before (a restored or "
           "copied card): the bundle is kept aside and an alarm raised.",
           {}});
  }
  // Files first (content-addressed, durable); the records that point at them come after.
  for (auto& b : contents->blobs) {
    n.blobs.adopt(b.temp_path);
    b.temp_path.clear();
  }
  // What the sender holds: every file its new records name that is here now (it sent it, or left
  // it out because this box holds it). One it left out that is not here is asked for again in
  // this box's next bundle; one asked for that came is asked for no more. Kept even when the
  // records are refused below: the next bundle must bring the file.
  {
    storage::Transaction tx(*c, lane_lock);
    for (const auto& [r, text] : records) {
      if (r.seq <= upto) continue;
      for (const auto& b : r.blobs) {
        if (n.blobs.has(b)) {
          c->run("INSERT OR IGNORE INTO sync_peer_blobs (peer, sha256) VALUES (?1, ?2)", h.sender,
                 b);
          c->run("DELETE FROM sync_wanted_blobs WHERE peer = ?1 AND sha256 = ?2", h.sender, b);
        } else {
          c->run("INSERT OR IGNORE INTO sync_wanted_blobs (peer, sha256) VALUES (?1, ?2)", h.sender,
                 b);
        }
      }
    }
    tx.commit();
  }
  // Content packs are read and stored now, so the transaction below only lists them: a pack of
  // hundreds of files must not keep every page view of the portal waiting to write.
  std::map<std::string, std::optional<domain::StagedPack>> packs;
  std::set<std::string> packs_waiting;
  if (n.role == Role::school) {
    std::vector<Record> fresh;
    for (const auto& [r, text] : records)
      if (r.seq > upto && r.kind == "pack") fresh.push_back(r);
    packs = stage_district_packs(*c, n.blobs, fresh, n.district_key, n.disk_reserve, h.sender,
                                 &packs_waiting);
  }
  bool restored = false;
  {
    storage::Transaction tx(*c, lane_lock);
    ApplyContext actx{*c, n.clock, n.blobs, h.sender, peer->name, n.disk_reserve, &packs};
    for (const auto& [r, text] : records) {
      if (r.seq <= upto) {
        ++out.skipped;
        continue;
      }
      for (const auto& b : r.blobs) {
        auto size = fs::exists(n.blobs.path_of(b)) ? fs::file_size(n.blobs.path_of(b)) : 0;
        c->run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)", b,
               static_cast<std::int64_t>(size), n.clock.now());
      }
      // A record whose files are not here is not refused: they are asked for again above and
      // come with the next bundle, which this whole one waits for (nothing of it applied).
      bool waits = n.role == Role::school && (r.kind == "pack" && packs_waiting.count(r.rid));
      for (const auto& b : r.blobs) waits = waits || (n.role == Role::school && !n.blobs.has(b));
      if (waits)
        return refuse("waiting_files",
                      {"Files this bundle needs are missing: they are asked for and come with the "
                       "district's next bundle.",
                       {}});
      if (n.role == Role::district) {
        apply_at_district(actx, r);
      } else if (auto why = apply_or_refuse(actx, r, h.sender_epoch)) {
        ++out.refused;
        log::error("sync: refused record " + std::to_string(r.seq) + " (" + r.kind + " " + r.rid +
                   ") of " + h.sender + "/" + h.sender_epoch + ": " + *why);
      }
      c->run("INSERT OR REPLACE INTO sync_seen (device, epoch, seq, hash) VALUES (?1, ?2, ?3, ?4)",
             h.sender, h.sender_epoch, r.seq, entry_hash(text));
      ++out.applied;
    }
    std::int64_t new_upto = std::max(upto, seq_last);
    c->run(
        "INSERT INTO sync_streams (device, epoch, upto, announced) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(device, epoch) DO UPDATE SET upto = max(upto, ?3), "
        "announced = max(announced, ?4)",
        h.sender, h.sender_epoch, new_upto, seq_last);
    // What the sender has of this box's stream: prune up to there. Each acknowledgement names
    // the hash of the last entry it covers; if that is not what this box holds under that number
    // (or the number is beyond what it ever gave out), the card went back in time: nothing is
    // pruned and the box starts a new epoch, so no record is lost or taken for another.
    std::string my_epoch = current_epoch(*c);
    std::string lane = n.role == Role::school ? "" : h.sender;
    const json* ack_hashes =
        h.meta.is_object() && h.meta.contains("ack_hashes") && h.meta["ack_hashes"].is_object()
            ? &h.meta["ack_hashes"]
            : nullptr;
    bool broken_here = false;
    if (h.meta.is_object() && h.meta.contains("broken_epochs") &&
        h.meta["broken_epochs"].is_array())
      for (const auto& e : h.meta["broken_epochs"])
        broken_here = broken_here || (e.is_string() && e.get<std::string>() == my_epoch);
    for (const auto& a : h.acks) {
      if (a.device != n.id.device_id) continue;
      if (a.epoch == my_epoch && n.role == Role::school) {
        bool forked = broken_here || a.upto > last_seq(*c);
        if (!forked && a.upto > 0) {
          auto q = c->query(
              "SELECT payload FROM sync_outbox WHERE peer = '' AND epoch = ?1 AND "
              "seq = ?2",
              a.epoch, a.upto);
          if (q.next()) {
            std::string theirs =
                ack_hashes && ack_hashes->contains(a.epoch) && (*ack_hashes)[a.epoch].is_string()
                    ? (*ack_hashes)[a.epoch].get<std::string>()
                    : std::string();
            forked = q.is_null(0) || theirs != entry_hash(q.text(0));
          }
        }
        if (forked) {
          restored = true;
          continue;
        }
      }
      c->run(
          "INSERT INTO sync_acks (peer, epoch, upto) VALUES (?1, ?2, ?3) ON CONFLICT(peer, "
          "epoch) DO UPDATE SET upto = max(upto, ?3)",
          h.sender, a.epoch, a.upto);
      // The files of what the peer acknowledged are its now.
      {
        auto q = c->query(
            "SELECT payload FROM sync_outbox WHERE peer = ?1 AND epoch = ?2 AND seq <= ?3 AND "
            "payload IS NOT NULL",
            lane, a.epoch, a.upto);
        std::set<std::string> theirs;
        while (q.next()) {
          std::string why;
          if (auto r = Record::parse(q.text(0), &why)) {
            for (const auto& b : r->blobs)
              if (n.blobs.has(b)) theirs.insert(b);
            // A pack's manifest the school made from a patch is the school's too.
            if (r->kind == "pack" && r->data.is_object() && r->data.contains("manifest") &&
                r->data["manifest"].is_string() &&
                n.blobs.has(r->data["manifest"].get<std::string>()))
              theirs.insert(r->data["manifest"].get<std::string>());
          }
        }
        for (const auto& b : theirs)
          c->run("INSERT OR IGNORE INTO sync_peer_blobs (peer, sha256) VALUES (?1, ?2)", h.sender,
                 b);
      }
      c->run("DELETE FROM sync_outbox WHERE peer = ?1 AND epoch = ?2 AND seq <= ?3", lane, a.epoch,
             a.upto);
      out.acked = std::max(out.acked, a.upto);
    }
    // Files the sender lacks that this box believed it held (or that it lost): no longer taken
    // as held (after the acknowledgements above, which may name them), and sent again in a
    // record of their own.
    if (h.meta.is_object() && h.meta.contains("wanted") && h.meta["wanted"].is_array())
      for (const auto& w : h.meta["wanted"]) {
        if (!w.is_string() || !content::BlobStore::valid_hash(w.get<std::string>())) continue;
        std::string sha = w.get<std::string>();
        c->run("DELETE FROM sync_peer_blobs WHERE peer = ?1 AND sha256 = ?2", h.sender, sha);
        if (!n.blobs.has(sha)) continue;
        std::string lane = n.role == Role::school ? "" : h.sender;
        if (c->scalar("SELECT 1 FROM sync_outbox WHERE peer = ?1 AND kind = 'file' AND ref = ?2",
                      lane, sha))
          continue;  // on its way already
        if (n.role == Role::school)
          c->run(
              "INSERT INTO sync_outbox (epoch, kind, ref) SELECT epoch, 'file', ?1 FROM "
              "sync_self WHERE role = 'school'",
              sha);
        else
          queue_for_schools(*c, current_epoch(*c), h.sender, "file", sha,
                            json{{"sha256", sha}}.dump(), {sha});
      }
    std::int64_t backlog = h.meta.is_object() ? h.meta.value("backlog", std::int64_t{0}) : 0;
    if (h.meta.is_object() && h.meta.contains("more") && h.meta["more"].is_number_integer())
      out.more = std::max<std::int64_t>(0, h.meta["more"].get<std::int64_t>());
    c->run(
        "INSERT INTO sync_bundles (bundle_id, direction, peer, at, records, bytes, carrier) "
        "VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6)",
        h.bundle_id, h.sender, n.clock.now(), static_cast<std::int64_t>(records.size()),
        static_cast<std::int64_t>(opened->body_offset + h.body_size), carrier);
    c->run(
        "UPDATE sync_peers SET last_in_at = ?2, last_in_bundle = ?3, reported_backlog = ?4 "
        "WHERE device_id = ?1",
        h.sender, n.clock.now(), h.bundle_id, backlog);
    tx.commit();
  }
  if (n.role == Role::district) invalidate_returns(n, h.sender);
  if (n.role == Role::school) refresh_link_budget(*c, n.clock.now());
  if (restored)
    new_epoch(*c, n.clock, "restore",
              "the district holds other records under this box's numbers than its database: the "
              "card went back in time (a backup restored); unsent records go again under a new "
              "epoch");
  if (n.box_clock && n.role == Role::school && h.meta.is_object() && h.meta.contains("now") &&
      h.meta["now"].is_number_integer()) {
    std::int64_t before = n.box_clock->now();
    const std::int64_t theirs = h.meta["now"].get<std::int64_t>();
    // A confirmed clock (the network's, the admin's) is moved by the district only a little: a hub
    // whose clock is days ahead would otherwise move every school forward for good. Further than
    // that, the admin decides on the clock page. A clock not confirmed (a box started from the
    // time it saved, after a night or a holiday off) takes the district's: it knows no better.
    if (theirs - before > kDistrictClockBound && n.box_clock->certain()) {
      c->run(
          "INSERT OR REPLACE INTO clock_offers (id, offered, box_time, source) VALUES (1, ?1, ?2, "
          "'district')",
          theirs, before);
      log::info("sync: the district's time is " + std::to_string(theirs - before) +
                " s ahead of this box's confirmed clock: offered to the admin, not taken");
    } else {
      n.box_clock->set(theirs, "district");  // never goes back
      c->run("DELETE FROM clock_offers");
    }
    std::int64_t after = n.box_clock->now();
    if (after - before > 3600) {
      int kept = domain::keep_sessions_across_jump(*c, before, after);
      log::info("sync: the district's time moved the box's clock forward by " +
                std::to_string(after - before) + " s; sessions kept: " + std::to_string(kept));
    }
  }
  out.ok = true;
  out.reason = {
      "Bundle imported: {applied} new records, {skipped} already here.",
      {{"applied", std::to_string(out.applied)}, {"skipped", std::to_string(out.skipped)}}};
  if (out.refused > 0)
    out.reason = {
        "Bundle imported: {applied} new records, {skipped} already here, {refused} "
        "refused (see the sync page).",
        {{"applied", std::to_string(out.applied - out.refused)},
         {"skipped", std::to_string(out.skipped)},
         {"refused", std::to_string(out.refused)}}};
  return out;
}

std::string return_bundle_dir(const Node& n, const std::string& school) {
  return (fs::path(n.data_dir) / "sync" / "return" / school).string();
}

void invalidate_returns(const Node& n, const std::string& school) {
  std::error_code ec;
  fs::path root = fs::path(n.data_dir) / "sync" / "return";
  std::vector<fs::path> dirs;
  if (!school.empty())
    dirs.push_back(root / school);
  else if (fs::is_directory(root, ec))
    for (const auto& e : fs::directory_iterator(root, ec)) dirs.push_back(e.path());
  for (const auto& d : dirs)
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".ptb") fs::remove(e.path(), ec);
}

void district_announce(Node& n, const std::string& peer, const std::string& title,
                       const std::string& body) {
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  unsigned char rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  json data = {{"title", title}, {"body", body}, {"pinned", true}};
  queue_for_schools(*c, current_epoch(*c), peer, "announcement", bundle::to_hex(rnd, sizeof rnd),
                    data.dump(), {});
  tx.commit();
  invalidate_returns(n, peer);
}

namespace {

// A pack travels as its manifest (with its signature) and its items, each a file of its own, so
// a school that holds an item (the previous version's) is not sent it again: a new version that
// changes 3 items of 500 sends those 3. The pack is read and checked whole here first; a pack a
// school would refuse is never queued.
std::optional<domain::Message> district_send_pack(Node& n, const std::string& peer,
                                                  const std::string& path,
                                                  const std::string& name) {
  auto c = n.db.acquire();
  domain::PackImport result;
  // Read and checked as a school will (the hub has no phones: no gzip copies of text).
  auto r =
      domain::stage_pack_file(*c, n.blobs, path, n.disk_reserve, {"", false, true}, &result, false);
  if (!r)
    return result.problem ? *result.problem
                          : domain::Message{"This file is not a Parta content pack.", {}};
  std::vector<std::string> blobs;
  json items = json::array(), unique_items = json::array();
  auto manifest =
      n.blobs.put(json{{"manifest", r->manifest_text}, {"signature", r->signature_text}}.dump());
  blobs.push_back(manifest.sha256);
  for (const auto& i : r->manifest.items) {
    items.push_back(i.sha256);
    if (std::find(blobs.begin(), blobs.end(), i.sha256) == blobs.end()) {
      blobs.push_back(i.sha256);
      unique_items.push_back(i.sha256);
    }
  }
  const std::string unique_text = unique_items.dump();
  storage::Transaction tx(*c);
  c->run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)",
         manifest.sha256, static_cast<std::int64_t>(manifest.size), n.clock.now());
  for (const auto& i : r->manifest.items)
    c->run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)", i.sha256,
           static_cast<std::int64_t>(i.size), n.clock.now());
  c->run(
      "INSERT OR IGNORE INTO district_packs (manifest, pack_id, version, title, items, sent_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      manifest.sha256, r->manifest.id, r->manifest.version, r->manifest.title, items.dump(),
      n.clock.now());
  json data = {{"manifest", manifest.sha256},
               {"id", r->manifest.id},
               {"version", r->manifest.version},
               {"name", name}};
  // Each school's record names only the items it does not hold (the manifest lists them all; a
  // school that lost one asks for it).
  std::vector<std::string> peers;
  if (peer.empty()) {
    auto q = c->query("SELECT device_id FROM sync_peers WHERE role = 'school' AND revoked = 0");
    while (q.next()) peers.push_back(q.text(0));
  } else {
    peers.push_back(peer);
  }
  const std::string epoch = current_epoch(*c);
  for (const auto& p : peers) {
    // A school that holds an earlier version's manifest gets the new one as a patch from it.
    json theirs_data = data;
    std::vector<std::string> theirs{blobs.front()};
    auto q = c->query(
        "SELECT d.manifest FROM district_packs d JOIN sync_peer_blobs h ON h.peer = ?1 AND "
        "h.sha256 = d.manifest WHERE d.pack_id = ?2 AND d.manifest != ?3 ORDER BY d.version "
        "DESC, d.sent_at DESC LIMIT 1",
        p, r->manifest.id, manifest.sha256);
    if (q.next() && n.blobs.has(q.text(0))) {
      std::string base = q.text(0);
      auto patch =
          n.blobs.put(content::make_patch(read_file(n.blobs.path_of(base), 8u << 20),
                                          read_file(n.blobs.path_of(manifest.sha256), 8u << 20)));
      c->run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)",
             patch.sha256, static_cast<std::int64_t>(patch.size), n.clock.now());
      theirs_data["manifest_base"] = base;
      theirs_data["manifest_patch"] = patch.sha256;
      theirs.front() = patch.sha256;
    }
    {
      // One query a school, not one an item (500 items × 2 000 schools).
      auto m = c->query(
          "SELECT j.value FROM json_each(?2) j WHERE NOT EXISTS (SELECT 1 FROM sync_peer_blobs h "
          "WHERE h.peer = ?1 AND h.sha256 = j.value) ORDER BY j.key",
          p, unique_text);
      while (m.next()) theirs.push_back(m.text(0));
    }
    queue_for_schools(*c, epoch, p, "pack", manifest.sha256, theirs_data.dump(), theirs);
  }
  tx.commit();
  invalidate_returns(n, peer);
  return std::nullopt;
}

}  // namespace

std::optional<domain::Message> district_send_file(Node& n, const std::string& peer,
                                                  const std::string& kind, const std::string& path,
                                                  const std::string& name) {
  const std::string shown = name.empty() ? fs::path(path).filename().string() : name;
  if (kind == "pack") return district_send_pack(n, peer, path, shown);
  auto info = n.blobs.put(read_file(path, 1ull << 30));
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  c->run("INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)", info.sha256,
         static_cast<std::int64_t>(info.size), n.clock.now());
  json data = {{"sha256", info.sha256}, {"name", shown}};
  queue_for_schools(*c, current_epoch(*c), peer, kind, info.sha256, data.dump(), {info.sha256});
  tx.commit();
  invalidate_returns(n, peer);
  return std::nullopt;
}

std::optional<domain::Message> district_withdraw(Node& n, const std::string& school,
                                                 const std::string& epoch, std::int64_t seq) {
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  const std::string rid = epoch + ":" + std::to_string(seq);
  if (c->scalar("SELECT 1 FROM sync_outbox WHERE peer = ?1 AND kind = 'withdrawal' AND ref = ?2",
                school, rid) ||
      c->scalar("SELECT 1 FROM sync_refusals WHERE side = 'there' AND peer = ?1 AND epoch = ?2 AND "
                "seq = ?3 AND withdrawn_at IS NOT NULL",
                school, epoch, seq))
    return domain::Message{"This record was withdrawn already.", {}};
  std::string kind, what;
  {
    // Still waiting for the school, or refused by it.
    auto q = c->query(
        "SELECT payload FROM sync_outbox WHERE peer = ?1 AND epoch = ?2 AND seq = ?3 AND payload "
        "IS NOT NULL",
        school, epoch, seq);
    if (q.next()) {
      std::string why;
      if (auto r = Record::parse(q.text(0), &why)) {
        kind = r->kind;
        what = r->rid;
      }
    }
  }
  if (kind.empty()) {
    auto q = c->query(
        "SELECT kind, rid FROM sync_refusals WHERE side = 'there' AND peer = ?1 AND epoch = ?2 AND "
        "seq = ?3",
        school, epoch, seq);
    if (q.next()) {
      kind = q.text(0);
      what = q.text(1);
    }
  }
  if (kind.empty() || kind == "withdrawal")
    return domain::Message{"There is no such record for this school.", {}};
  queue_for_schools(*c, current_epoch(*c), school, "withdrawal", rid,
                    json{{"epoch", epoch}, {"seq", seq}, {"kind", kind}, {"rid", what}}.dump(), {});
  c->run(
      "UPDATE sync_refusals SET withdrawn_at = ?4 WHERE side = 'there' AND peer = ?1 AND epoch = "
      "?2 AND seq = ?3",
      school, epoch, seq, n.clock.now());
  tx.commit();
  invalidate_returns(n, school);
  return std::nullopt;
}

std::vector<Refusal> refusals(storage::Connection& c, const std::string& side,
                              const std::string& peer, int max) {
  std::vector<Refusal> out;
  auto q = c.query(
      "SELECT id, peer, epoch, seq, kind, rid, what, reason, at, coalesce(withdrawn_at, 0) FROM "
      "sync_refusals WHERE side = ?1 AND (?2 = '' OR peer = ?2) ORDER BY withdrawn_at IS NOT "
      "NULL, id DESC LIMIT ?3",
      side, peer, max);
  while (q.next())
    out.push_back({q.integer(0), q.text(1), q.text(2), q.integer(3), q.text(4), q.text(5),
                   q.text(6), q.text(7), q.integer(8), q.integer(9)});
  return out;
}

std::vector<Queued> queued_for(storage::Connection& c, const std::string& school, int max) {
  std::vector<Queued> out;
  auto q = c.query(
      "SELECT o.epoch, o.seq, o.kind, o.ref, EXISTS (SELECT 1 FROM sync_outbox w WHERE w.peer = "
      "o.peer AND w.kind = 'withdrawal' AND w.ref = o.epoch || ':' || o.seq), o.payload FROM "
      "sync_outbox o WHERE o.peer = ?1 AND o.kind NOT IN ('withdrawal', 'file') ORDER BY o.seq "
      "DESC LIMIT ?2",
      school, max);
  while (q.next()) {
    std::string why, what;
    if (!q.is_null(5))
      if (auto r = Record::parse(q.text(5), &why)) what = record_what(*r);
    out.push_back({q.text(0), q.integer(1), q.text(2), q.text(3), what, q.integer(4) != 0});
  }
  return out;
}

std::optional<std::int64_t> district_set_grade(Node& n, const std::string& school,
                                               const std::string& rid, const std::string& mark) {
  auto c = n.db.acquire();
  storage::Transaction tx(*c);
  std::int64_t v = 0;
  json data;
  {
    auto q = c->query(
        "SELECT version, data FROM sync_records WHERE peer = ?1 AND kind = 'grade' "
        "AND rid = ?2 AND deleted = 0",
        school, rid);
    if (!q.next()) return std::nullopt;
    v = q.integer(0) + 1;
    data = json::parse(q.text(1), nullptr, false);
  }
  if (!data.is_object()) return std::nullopt;
  data["mark"] = mark;
  c->run(
      "UPDATE sync_records SET version = ?3, origin = ?4, data = ?5 WHERE peer = ?1 AND "
      "kind = 'grade' AND rid = ?2",
      school, rid, v, n.id.device_id, data.dump());
  json travelling = data;
  travelling["v"] = v;
  queue_for_schools(*c, current_epoch(*c), school, "grade", rid, travelling.dump(), {});
  tx.commit();
  invalidate_returns(n, school);
  return v;
}

std::vector<Alarm> open_alarms(storage::Connection& c, const std::string& peer) {
  std::vector<Alarm> out;
  auto q = c.query(
      "SELECT id, peer, kind, detail, at FROM sync_alarms WHERE resolved = 0 AND "
      "(?1 = '*' OR peer = ?1) ORDER BY id DESC LIMIT 50",
      peer);
  while (q.next()) out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3), q.integer(4)});
  return out;
}

void resolve_alarm(storage::Connection& c, std::int64_t id) {
  c.run("UPDATE sync_alarms SET resolved = 1 WHERE id = ?1", id);
}

}  // namespace parta::sync
