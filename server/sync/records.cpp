#include "sync/records.hpp"

#include <algorithm>
#include <set>

#include "content/delta.hpp"
#include "content/pack.hpp"
#include "content/utf8.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/district_reports.hpp"
#include "domain/library.hpp"
#include "domain/roster_csv.hpp"
#include "domain/roster_import.hpp"
#include "sync/identity.hpp"

namespace parta::sync {

using nlohmann::json;

std::string Record::text() const { return json_of().dump(); }

nlohmann::json Record::json_of() const {
  // v and origin only where they say something (a grade's version and who set it): the records
  // of a term compress better without them.
  json j = {{"seq", seq}, {"kind", kind}, {"rid", rid}};
  if (version != 0) j["v"] = version;
  if (!origin.empty()) j["origin"] = origin;
  if (deleted)
    j["deleted"] = true;
  else
    j["data"] = data;
  if (!blobs.empty()) j["blobs"] = blobs;
  return j;
}

std::optional<Record> Record::parse(const std::string& text, std::string* why) {
  return from_json(json::parse(text, nullptr, false), why);
}

std::optional<Record> Record::from_json(const nlohmann::json& j, std::string* why) {
  auto bad = [&](const char* w) {
    *why = w;
    return std::nullopt;
  };
  if (!j.is_object()) return bad("a record is not a JSON object");
  Record r;
  auto s = j.find("seq");
  auto k = j.find("kind");
  auto id = j.find("rid");
  auto v = j.find("v");
  auto o = j.find("origin");
  if (s == j.end() || !s->is_number_integer() || k == j.end() || !k->is_string() || id == j.end() ||
      !id->is_string() || (v != j.end() && !v->is_number_integer()) ||
      (o != j.end() && !o->is_string()))
    return bad("a record lacks seq, kind or rid");
  if (v != j.end()) r.version = v->get<std::int64_t>();
  if (o != j.end()) r.origin = o->get<std::string>();
  r.seq = s->get<std::int64_t>();
  r.kind = k->get<std::string>();
  r.rid = id->get<std::string>();
  if (r.seq <= 0 || r.kind.empty() || r.kind.size() > 40 || r.rid.empty() || r.rid.size() > 300)
    return bad("a record has a bad seq, kind or rid");
  if (auto d = j.find("deleted"); d != j.end()) {
    if (!d->is_boolean()) return bad("a record's deleted flag is not a boolean");
    r.deleted = d->get<bool>();
  }
  if (!r.deleted) {
    auto d = j.find("data");
    if (d == j.end() || !d->is_object()) return bad("a record has no data");
    r.data = *d;
  }
  if (auto b = j.find("blobs"); b != j.end()) {
    if (!b->is_array()) return bad("a record's blobs are not a list");
    for (const auto& h : *b) {
      if (!h.is_string() || !content::BlobStore::valid_hash(h.get<std::string>()))
        return bad("a record names a blob by a bad hash");
      r.blobs.push_back(h.get<std::string>());
    }
  }
  return r;
}

std::string encode_batch(const std::vector<std::pair<std::int64_t, std::string>>& entries,
                         std::int64_t before) {
  std::string out;
  std::int64_t prev = before;
  for (const auto& [seq, payload] : entries) {
    json j = json::parse(payload, nullptr, false);
    if (!j.is_object()) continue;
    j.erase("seq");
    j["d"] = seq - prev;
    prev = seq;
    if (!out.empty()) out += '\n';
    out += j.dump();
  }
  return out;
}

std::optional<std::vector<std::pair<Record, std::string>>> decode_batch(std::string_view batch,
                                                                        std::int64_t* prev,
                                                                        std::string* why) {
  std::vector<std::pair<Record, std::string>> out;
  std::size_t pos = 0;
  while (pos <= batch.size()) {
    std::size_t end = batch.find('\n', pos);
    if (end == std::string_view::npos) end = batch.size();
    json j = json::parse(batch.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    auto d = j.is_object() ? j.find("d") : j.end();
    if (!j.is_object() || d == j.end() || !d->is_number_integer() || d->get<std::int64_t>() < 1 ||
        d->get<std::int64_t>() > (std::int64_t{1} << 40)) {
      *why = "a record's sequence step is missing or bad";
      return std::nullopt;
    }
    *prev += d->get<std::int64_t>();
    j.erase("d");
    j["seq"] = *prev;
    auto r = Record::from_json(j, why);
    if (!r) return std::nullopt;
    std::string text = r->text();
    out.emplace_back(std::move(*r), std::move(text));
    if (end == batch.size()) break;
  }
  return out;
}

bool grade_wins(std::int64_t v1, const std::string& o1, std::int64_t v2, const std::string& o2) {
  return v1 != v2 ? v1 > v2 : o1 > o2;
}

namespace {

std::string login_of(storage::Connection& c, std::int64_t user_id) {
  auto q = c.query("SELECT login FROM users WHERE id = ?1", user_id);
  return q.next() ? q.text(0) : "";
}

std::string student_no_of(storage::Connection& c, std::int64_t student_id) {
  auto q = c.query("SELECT student_no FROM students WHERE user_id = ?1", student_id);
  return q.next() ? q.text(0) : "";
}

std::string assignment_uid(storage::Connection& c, std::int64_t id) {
  auto q = c.query("SELECT uid FROM assignments WHERE id = ?1", id);
  return q.next() ? q.text(0) : "";
}

// "12/34" → (12, "34").
std::pair<std::int64_t, std::string> split_ref(const std::string& ref) {
  auto slash = ref.find('/');
  if (slash == std::string::npos) return {0, ""};
  try {
    return {std::stoll(ref.substr(0, slash)), ref.substr(slash + 1)};
  } catch (...) {
    return {0, ""};
  }
}

}  // namespace

Record build_school_record(storage::Connection& c, std::int64_t seq, const std::string& kind,
                           const std::string& ref) {
  Record r;
  r.seq = seq;
  r.kind = kind;
  // The row is no more (deleted since the change): the record says so.
  auto gone = [&r](std::string rid) {
    if (!rid.empty()) r.rid = std::move(rid);
    r.deleted = true;
    return r;
  };
  if (kind == "assignment") {
    std::int64_t id = std::stoll(ref);
    auto q = c.query(
        "SELECT a.uid, cl.name, s.name, u.login, a.topic, a.title, a.body, a.grading, "
        "a.whole_class, a.publish_at, a.due_at FROM assignments a JOIN classes cl ON "
        "cl.id = a.class_id JOIN subjects s ON s.id = a.subject_id JOIN users u ON u.id = "
        "a.teacher_id WHERE a.id = ?1",
        id);
    if (!q.next()) return gone("local-" + ref);
    r.rid = q.text(0);
    r.data = {{"class", q.text(1)},         {"subject", q.text(2)},
              {"teacher", q.text(3)},       {"topic", q.text(4)},
              {"title", q.text(5)},         {"body", q.text(6)},
              {"grading", q.text(7)},       {"whole_class", q.integer(8) != 0},
              {"publish_at", q.integer(9)}, {"due_at", q.integer(10)}};
  } else if (kind == "submission") {
    std::int64_t id = std::stoll(ref);
    auto q = c.query(
        "SELECT uid, assignment_id, student_id, submitted_by, body, created_at, late, via "
        "FROM submissions WHERE id = ?1",
        id);
    if (!q.next()) return gone("local-" + ref);
    r.rid = q.text(0);
    r.data = {{"assignment", assignment_uid(c, q.integer(1))},
              {"student", student_no_of(c, q.integer(2))},
              {"by", login_of(c, q.integer(3))},
              {"body", q.text(4)},
              {"created_at", q.integer(5)},
              {"late", q.integer(6) != 0},
              {"via", q.text(7)}};
    json files = json::array();
    // A photo or scan travels as its travel copy when it has one (app/travel_copies): the
    // district sees the copy and may ask for the original, named beside it.
    auto f = c.query(
        "SELECT f.sha256, f.filename, f.content_type, f.size, t.copy, t.bytes FROM "
        "submission_files f LEFT JOIN travel_copies t ON t.original = f.sha256 AND t.copy IS NOT "
        "NULL WHERE f.submission_id = ?1 ORDER BY f.position",
        id);
    while (f.next()) {
      json file{
          {"sha256", f.text(0)}, {"name", f.text(1)}, {"type", f.text(2)}, {"size", f.integer(3)}};
      if (!f.is_null(4)) {
        file["original"] = file;
        file["sha256"] = f.text(4);
        file["type"] = "image/jpeg";
        file["size"] = f.integer(5);
      }
      std::string sha = file["sha256"].get<std::string>();
      files.push_back(std::move(file));
      if (std::find(r.blobs.begin(), r.blobs.end(), sha) == r.blobs.end()) r.blobs.push_back(sha);
    }
    r.data["files"] = files;
  } else if (kind == "original") {
    // A file the district asked for in full (it had the travel copy).
    auto q = c.query(
        "SELECT size, content_type, filename FROM submission_files WHERE sha256 = ?1 LIMIT 1", ref);
    if (!q.next()) return gone(ref);
    r.rid = ref;
    r.data = {{"sha256", ref}, {"size", q.integer(0)}, {"type", q.text(1)}, {"name", q.text(2)}};
    r.blobs.push_back(ref);
  } else if (kind == "refusal") {
    // A record of the district's this box could not apply, and why (the district shows it).
    auto q = c.query(
        "SELECT epoch, seq, kind, rid, reason, at, what FROM sync_refusals WHERE id = ?1", ref);
    if (!q.next()) return gone(ref);
    r.rid = q.text(0) + ":" + std::to_string(q.integer(1));
    r.data = {{"epoch", q.text(0)},  {"seq", q.integer(1)}, {"kind", q.text(2)}, {"rid", q.text(3)},
              {"reason", q.text(4)}, {"at", q.integer(5)},  {"what", q.text(6)}};
  } else if (kind == "file") {
    // A file the district asked for again (it lost it, or it was left out as held).
    r.rid = ref;
    if (!content::BlobStore::valid_hash(ref)) return gone(ref);
    r.data = {{"sha256", ref}};
    r.blobs.push_back(ref);
  } else if (kind == "comment") {
    std::int64_t id = std::stoll(ref);
    auto q = c.query(
        "SELECT m.uid, m.assignment_id, m.student_id, m.author_id, m.kind, m.body, m.created_at, "
        "s.uid FROM comments m LEFT JOIN submissions s ON s.id = m.submission_id WHERE m.id = ?1",
        id);
    if (!q.next()) return gone("local-" + ref);
    r.rid = q.text(0);
    r.data = {{"assignment", assignment_uid(c, q.integer(1))},
              {"student", student_no_of(c, q.integer(2))},
              {"author", login_of(c, q.integer(3))},
              {"kind", q.text(4)},
              {"body", q.text(5)},
              {"created_at", q.integer(6)},
              {"submission", q.text(7)}};
  } else if (kind == "grade") {
    auto [aid, sid_text] = split_ref(ref);
    std::int64_t sid = sid_text.empty() ? 0 : std::stoll(sid_text);
    r.rid = assignment_uid(c, aid) + "/" + student_no_of(c, sid);
    auto q = c.query(
        "SELECT mark, comment, teacher_id, version, origin FROM grades WHERE assignment_id = ?1 "
        "AND student_id = ?2",
        aid, sid);
    if (!q.next()) return gone("");
    r.data = {{"mark", q.text(0)}, {"comment", q.text(1)}, {"teacher", login_of(c, q.integer(2))}};
    r.version = q.integer(3);
    r.origin = q.text(4);
  } else if (kind == "absence") {
    auto [sid, day] = split_ref(ref);
    r.rid = student_no_of(c, sid) + "/" + day;
    auto q =
        c.query("SELECT reason, note, recorded_by FROM absences WHERE student_id = ?1 AND day = ?2",
                sid, day);
    if (!q.next()) return gone("");
    r.data = {{"reason", q.text(0)}, {"note", q.text(1)}, {"by", login_of(c, q.integer(2))}};
  } else if (kind == "visit") {
    auto [uid, day] = split_ref(ref);
    r.rid = login_of(c, uid) + "/" + day;
    auto q = c.query(
        "SELECT u.role FROM visits v JOIN users u ON u.id = v.user_id WHERE "
        "v.user_id = ?1 AND v.day = ?2",
        uid, day);
    if (!q.next()) return gone("");
    r.data = {{"role", q.text(0)}};
  } else if (kind == "week") {
    // Queued with its payload (queue_weeks); built again only when the entry travels under a new
    // epoch: the figures last queued for that week.
    r.rid = ref;
    auto q = c.query("SELECT data FROM sync_week_sent WHERE monday = ?1", ref);
    if (!q.next()) return gone(ref);
    r.data = json::parse(q.text(0), nullptr, false);
    if (r.data.is_discarded()) return gone(ref);
  } else {
    r.rid = ref;
    r.deleted = true;
  }
  return r;
}

void freeze_outbox(storage::Connection& c) {
  storage::Transaction tx(c);
  std::vector<std::tuple<std::int64_t, std::string, std::string>> todo;
  {
    auto q = c.query(
        "SELECT seq, kind, ref FROM sync_outbox WHERE peer = '' AND payload IS NULL ORDER BY seq");
    while (q.next()) todo.emplace_back(q.integer(0), q.text(1), q.text(2));
  }
  for (const auto& [seq, kind, ref] : todo)
    c.run("UPDATE sync_outbox SET payload = ?1 WHERE seq = ?2",
          build_school_record(c, seq, kind, ref).text(), seq);
  tx.commit();
}

void queue_weeks(storage::Connection& c, std::int64_t now) {
  std::string epoch;
  {
    auto q = c.query("SELECT epoch FROM sync_self WHERE role = 'school'");
    if (!q.next()) return;
    epoch = q.text(0);
  }
  const std::string this_week = domain::monday_of(domain::local_day(now));
  for (const std::string& monday : {domain::add_days(this_week, -7), this_week}) {
    json data = domain::school_week(c, monday, now);
    std::optional<json> sent;
    {
      auto q = c.query("SELECT data FROM sync_week_sent WHERE monday = ?1", monday);
      if (q.next()) sent = json::parse(q.text(0), nullptr, false);
    }
    if (sent && sent->is_discarded()) sent.reset();
    if (sent && monday != this_week) {
      std::map<std::string, json> risk;
      for (const auto& k : sent->value("classes", json::array()))
        if (k.is_object() && k.contains("class") && k.contains("at_risk"))
          risk[k["class"].dump()] = k["at_risk"];
      for (auto& k : data["classes"])
        if (auto it = risk.find(k["class"].dump()); it != risk.end()) k["at_risk"] = it->second;
    }
    if (sent && *sent == data) continue;
    storage::Transaction tx(c);
    c.run("INSERT INTO sync_outbox (epoch, kind, ref) VALUES (?1, 'week', ?2)", epoch, monday);
    Record r;
    r.seq = c.last_insert_id();
    r.kind = "week";
    r.rid = monday;
    r.data = data;
    c.run("UPDATE sync_outbox SET payload = ?1 WHERE seq = ?2", r.text(), r.seq);
    c.run(
        "INSERT INTO sync_week_sent (monday, data) VALUES (?1, ?2) ON CONFLICT (monday) DO "
        "UPDATE SET data = excluded.data",
        monday, data.dump());
    tx.commit();
  }
}

void apply_at_district(ApplyContext& ctx, const Record& r) {
  auto& c = ctx.c;
  if (r.kind == "refusal") {
    if (!r.data.is_object()) return;
    // The school could not apply one of the district's records: shown on its page until the
    // district withdraws it.
    auto field = [&](const char* k) {
      auto it = r.data.find(k);
      return it != r.data.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto seq = r.data.find("seq");
    c.run(
        "INSERT INTO sync_refusals (side, peer, epoch, seq, kind, rid, what, reason, at) VALUES "
        "('there', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (side, peer, epoch, seq) DO NOTHING",
        ctx.peer, field("epoch"),
        seq != r.data.end() && seq->is_number_integer() ? seq->get<std::int64_t>() : 0,
        field("kind"), field("rid"), text::truncate_chars(field("what"), 120), field("reason"),
        ctx.clock.now());
    return;  // kept there alone: not a school record of the district's copy
  }
  auto q = c.query(
      "SELECT version, origin, data, deleted FROM sync_records WHERE peer = ?1 AND "
      "kind = ?2 AND rid = ?3",
      ctx.peer, r.kind, r.rid);
  std::string data = r.deleted ? "{}" : r.data.dump();
  if (q.next()) {
    std::int64_t v = q.integer(0);
    std::string origin = q.text(1), old_data = q.text(2);
    bool old_deleted = q.integer(3) != 0;
    if (r.kind == "grade") {
      if (v == r.version && origin == r.origin) return;  // the same version again
      bool incoming = grade_wins(r.version, r.origin, v, origin);
      // The loser is kept beside the winner, named by its own version.
      const std::string& lost_data = incoming ? old_data : data;
      std::int64_t lost_v = incoming ? v : r.version;
      const std::string& lost_origin = incoming ? origin : r.origin;
      if (!old_deleted || !incoming)
        c.run(
            "INSERT OR IGNORE INTO sync_records (peer, kind, rid, version, origin, data) "
            "VALUES (?1, 'grade-lost', ?2, ?3, ?4, ?5)",
            ctx.peer, r.rid + "@" + lost_origin + ":" + std::to_string(lost_v), lost_v, lost_origin,
            lost_data);
      if (!incoming) return;
    }
    c.run(
        "UPDATE sync_records SET version = ?4, origin = ?5, data = ?6, deleted = ?7 WHERE "
        "peer = ?1 AND kind = ?2 AND rid = ?3",
        ctx.peer, r.kind, r.rid, r.version, r.origin, data, r.deleted);
  } else {
    c.run(
        "INSERT INTO sync_records (peer, kind, rid, version, origin, data, deleted) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        ctx.peer, r.kind, r.rid, r.version, r.origin, data, r.deleted);
  }
  // A school's week of monitoring figures: kept by week for the district's reports.
  if (r.kind == "week" && !r.deleted) domain::note_week(c, ctx.peer, r.rid, r.data);
}

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The author of what the district posts: an admin account that cannot sign in.
std::int64_t district_user(storage::Connection& c, const domain::Clock& clock) {
  // '@' is in no login a person can choose (valid_login), so no account can pose as the district.
  if (auto id = c.scalar("SELECT id FROM users WHERE login = '@district'")) return *id;
  c.run(
      "INSERT INTO users (login, last_name, first_name, role, secret_hash, active, created_at) "
      "VALUES ('@district', 'Управление образования', '', 'admin', '!', 0, ?1)",
      clock.now());
  return c.last_insert_id();
}

bool apply_grade_at_school(ApplyContext& ctx, const Record& r, std::string* why) {
  auto& c = ctx.c;
  auto slash = r.rid.find('/');
  if (slash == std::string::npos) {
    *why = "The bundle is damaged.";
    return false;
  }
  auto aid = c.scalar("SELECT id FROM assignments WHERE uid = ?1", r.rid.substr(0, slash));
  auto sid =
      c.scalar("SELECT user_id FROM students WHERE student_no = ?1", r.rid.substr(slash + 1));
  if (!aid || !sid) {
    *why =
        "A grade correction from the district names an assignment or student this school does not "
        "have.";
    return false;
  }
  std::string mark = str(r.data, "mark"), comment = str(r.data, "comment");
  auto q = c.query(
      "SELECT mark, comment, version, origin, by_name FROM grades WHERE "
      "assignment_id = ?1 AND student_id = ?2",
      *aid, *sid);
  if (!q.next()) {
    auto teacher = c.scalar("SELECT teacher_id FROM assignments WHERE id = ?1", *aid);
    c.run(
        "INSERT INTO grades (assignment_id, student_id, mark, comment, teacher_id, graded_at, "
        "version, origin, by_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        *aid, *sid, mark, comment, teacher.value_or(0), ctx.clock.now(), r.version, r.origin,
        ctx.peer_name);
    return true;
  }
  std::string old_mark = q.text(0), old_comment = q.text(1), old_origin = q.text(3),
              old_by = q.text(4);
  std::int64_t old_v = q.integer(2);
  if (old_v == r.version && old_origin == r.origin) return true;  // already have it
  if (grade_wins(r.version, r.origin, old_v, old_origin)) {
    c.run(
        "INSERT INTO grade_conflicts (assignment_id, student_id, mark, comment, version, "
        "origin, by_name, noticed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        *aid, *sid, old_mark, old_comment, old_v, old_origin, old_by, ctx.clock.now());
    c.run(
        "UPDATE grades SET mark = ?3, comment = ?4, version = ?5, origin = ?6, by_name = ?7, "
        "graded_at = ?8 WHERE assignment_id = ?1 AND student_id = ?2",
        *aid, *sid, mark, comment, r.version, r.origin, ctx.peer_name, ctx.clock.now());
  } else {
    c.run(
        "INSERT INTO grade_conflicts (assignment_id, student_id, mark, comment, version, "
        "origin, by_name, noticed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        *aid, *sid, mark, comment, r.version, r.origin, ctx.peer_name, ctx.clock.now());
  }
  return true;
}

}  // namespace

bool apply_at_school(ApplyContext& ctx, const Record& r, std::string* why) {
  auto& c = ctx.c;
  if (r.kind == "announcement") {
    if (r.deleted) {
      c.run("DELETE FROM announcements WHERE uid = ?1", r.rid);
      return true;
    }
    std::string title = str(r.data, "title"), body = str(r.data, "body");
    if (title.empty()) {
      *why = "The bundle is damaged.";
      return false;
    }
    bool pinned = r.data.value("pinned", false);
    if (c.scalar("SELECT id FROM announcements WHERE uid = ?1", r.rid)) {
      c.run("UPDATE announcements SET title = ?2, body = ?3, pinned = ?4 WHERE uid = ?1", r.rid,
            title, body, pinned);
    } else {
      c.run(
          "INSERT INTO announcements (author_id, class_id, title, body, pinned, created_at, "
          "uid) VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
          district_user(c, ctx.clock), title, body, pinned, ctx.clock.now(), r.rid);
    }
    return true;
  }
  if (r.kind == "grade") return apply_grade_at_school(ctx, r, why);
  if (r.kind == "file") return true;  // a file the school asked for again: it is in the store
  if (r.kind == "original_request") {
    // The district asks for the original of a photo it has as a travel copy: it travels with the
    // next bundle. A file this box no longer has is not an error: there is nothing to send.
    if (!r.deleted && content::BlobStore::valid_hash(r.rid) && ctx.blobs.has(r.rid) &&
        c.scalar("SELECT 1 FROM submission_files WHERE sha256 = ?1 LIMIT 1", r.rid))
      c.run(
          "INSERT INTO sync_outbox (epoch, kind, ref) SELECT epoch, 'original', ?1 FROM "
          "sync_self WHERE role = 'school'",
          r.rid);
    return true;
  }
  if (r.kind == "withdrawal") {
    // The district takes back a record it sent: refused here, it is no longer a problem; an
    // announcement comes down. Anything else it named was applied and stays (a roster, a pack).
    std::string epoch = str(r.data, "epoch"), kind = str(r.data, "kind"), rid = str(r.data, "rid");
    std::int64_t seq = r.data.value("seq", std::int64_t{0});
    c.run(
        "UPDATE sync_refusals SET withdrawn_at = ?4 WHERE side = 'here' AND peer = ?1 AND epoch = "
        "?2 AND seq = ?3 AND withdrawn_at IS NULL",
        ctx.peer, epoch, seq, ctx.clock.now());
    if (kind == "announcement" && !rid.empty())
      c.run("DELETE FROM announcements WHERE uid = ?1", rid);
    return true;
  }
  if (r.kind == "revocation") {
    c.run("INSERT OR IGNORE INTO sync_revoked (device_id, at) VALUES (?1, ?2)", r.rid,
          ctx.clock.now());
    c.run("UPDATE sync_peers SET revoked = 1 WHERE device_id = ?1", r.rid);
    return true;
  }
  if (r.kind == "pack" || r.kind == "roster") {
    // A pack comes as its manifest and items (files of their own), or from an older hub as one
    // archive.
    std::string sha = r.data.contains("manifest") ? str(r.data, "manifest") : str(r.data, "sha256");
    if (!ctx.blobs.has(sha)) {
      *why = "The bundle is damaged.";
      return false;
    }
    if (r.kind == "pack") {
      auto staged = ctx.packs ? ctx.packs->find(r.rid) : decltype(ctx.packs->end()){};
      if (!ctx.packs || staged == ctx.packs->end()) {
        *why = "The content pack in the district's bundle was refused.";
        return false;
      }
      if (!staged->second) return true;
      auto res = domain::record_pack(c, ctx.clock, *staged->second, district_user(c, ctx.clock));
      if (res.problem) {
        *why = "The content pack in the district's bundle was refused.";
        return false;
      }
      return true;
    }
    std::string csv = read_file(ctx.blobs.path_of(sha), 64u << 20);
    auto parsed = domain::parse_roster_csv(csv);
    auto report = domain::import_roster(c, ctx.clock, parsed);
    if (!report.ok()) {
      *why = "The roster in the district's bundle has errors.";
      return false;
    }
    return true;
  }
  *why = "The bundle was written by a newer Parta: update this box first.";
  return false;
}

std::string record_what(const Record& r) {
  if (!r.data.is_object()) return {};
  for (const char* k : {"title", "name"}) {
    auto it = r.data.find(k);
    if (it != r.data.end() && it->is_string() && text::is_valid_utf8(it->get<std::string>()))
      return text::truncate_chars(it->get<std::string>(), 120);
  }
  return {};
}

std::optional<std::string> apply_or_refuse(ApplyContext& ctx, const Record& r,
                                           const std::string& epoch) {
  auto& c = ctx.c;
  std::string why;
  bool ok = false;
  // Each record on its own: what it wrote before it failed is undone, the bundle's other records
  // stay.
  c.exec("SAVEPOINT parta_record");
  try {
    ok = apply_at_school(ctx, r, &why);
  } catch (const storage::DbError& e) {
    if (e.is_busy() || e.is_full()) {
      c.exec("ROLLBACK TO parta_record; RELEASE parta_record");
      throw;  // the box's trouble, not the record's: the whole bundle again later
    }
    why = "This box could not apply the record.";
  } catch (const std::exception&) {
    why = "This box could not apply the record.";
  }
  if (ok) {
    c.exec("RELEASE parta_record");
    return std::nullopt;
  }
  c.exec("ROLLBACK TO parta_record; RELEASE parta_record");
  c.run(
      "INSERT INTO sync_refusals (side, peer, epoch, seq, kind, rid, what, reason, at) VALUES "
      "('here', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (side, peer, epoch, seq) DO NOTHING",
      ctx.peer, epoch, r.seq, r.kind, r.rid, record_what(r), why, ctx.clock.now());
  if (c.changes() > 0)
    c.run(
        "INSERT INTO sync_outbox (epoch, kind, ref) SELECT epoch, 'refusal', ?1 FROM sync_self "
        "WHERE role = 'school'",
        std::to_string(c.last_insert_id()));
  return why;
}

std::map<std::string, std::optional<domain::StagedPack>> stage_district_packs(
    storage::Connection& c, content::BlobStore& blobs, const std::vector<Record>& records,
    const std::string& district_key, std::uint64_t reserve, const std::string& sender,
    std::set<std::string>* waiting) {
  std::map<std::string, std::optional<domain::StagedPack>> out;
  domain::PackTrust trust{district_key, false, true};
  for (const auto& r : records) {
    if (r.kind != "pack" || r.deleted) continue;
    domain::PackImport result;
    std::optional<domain::StagedPack> staged;
    if (r.data.contains("manifest")) {
      // A manifest sent as a patch from the one this school holds is made again here, checked by
      // its hash; without its base the school asks for the manifest itself.
      std::string m = str(r.data, "manifest");
      if (content::BlobStore::valid_hash(m) && !blobs.has(m) && r.data.contains("manifest_patch")) {
        std::string base = str(r.data, "manifest_base"), patch = str(r.data, "manifest_patch");
        if (content::BlobStore::valid_hash(base) && content::BlobStore::valid_hash(patch) &&
            blobs.has(base) && blobs.has(patch)) {
          auto text = content::apply_patch(read_file(blobs.path_of(base), 8u << 20),
                                           read_file(blobs.path_of(patch), 8u << 20), 8u << 20);
          if (text) blobs.put(*text);  // stored by its hash: another text is not the manifest
        }
        if (!blobs.has(m)) {
          c.run("INSERT OR IGNORE INTO sync_wanted_blobs (peer, sha256) VALUES (?1, ?2)", sender,
                m);
          if (waiting) waiting->insert(r.rid);
        }
      }
      std::vector<std::string> missing;
      staged = domain::stage_pack_from_store(c, blobs, str(r.data, "manifest"), trust, &result,
                                             &missing);
      for (const auto& sha : missing)
        c.run("INSERT OR IGNORE INTO sync_wanted_blobs (peer, sha256) VALUES (?1, ?2)", sender,
              sha);
      if (!missing.empty() && waiting) waiting->insert(r.rid);
    } else {
      std::string sha = str(r.data, "sha256");
      if (!blobs.has(sha)) continue;
      staged = domain::stage_pack_file(c, blobs, blobs.path_of(sha), reserve, trust, &result);
    }
    if (staged)
      out.emplace(r.rid, std::move(*staged));
    else if (!result.problem)
      out.emplace(r.rid, std::nullopt);  // already listed at this version or a newer one
  }
  return out;
}

std::vector<std::string> school_dump(storage::Connection& c) {
  std::vector<std::pair<std::string, std::string>> refs;
  const char* kinds[] = {
      "SELECT 'assignment', id FROM assignments",
      "SELECT 'submission', id FROM submissions",
      "SELECT 'comment', id FROM comments",
      "SELECT 'grade', assignment_id || '/' || student_id FROM grades",
      "SELECT 'absence', student_id || '/' || day FROM absences",
      "SELECT 'visit', user_id || '/' || day FROM visits",
  };
  for (const char* sql : kinds) {
    auto q = c.query(sql);
    while (q.next()) refs.emplace_back(q.text(0), q.text(1));
  }
  std::vector<std::string> out;
  for (const auto& [kind, ref] : refs) {
    Record r = build_school_record(c, 0, kind, ref);
    out.push_back(r.kind + "\t" + r.rid + "\t" + std::to_string(r.version) + "\t" + r.data.dump());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> district_dump(storage::Connection& c, const std::string& school) {
  std::vector<std::string> out;
  auto q = c.query(
      "SELECT kind, rid, version, data FROM sync_records WHERE peer = ?1 AND "
      "deleted = 0 AND kind NOT IN ('grade-lost', 'week')",
      school);
  while (q.next())
    out.push_back(q.text(0) + "\t" + q.text(1) + "\t" + std::to_string(q.integer(2)) + "\t" +
                  json::parse(q.text(3)).dump());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace parta::sync
