#include "domain/library.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "content/durable.hpp"
#include "content/utf8.hpp"

namespace parta::domain {

namespace fs = std::filesystem;

namespace {

constexpr const char* kItemSelect =
    "SELECT id, COALESCE(pack_id, ''), title, type, subject, sha256, COALESCE(pack_version, 0), "
    "size, grade, listed, created_at FROM library_items ";

LibraryItem item_from(const storage::Query& q) {
  LibraryItem i;
  i.id = q.integer(0);
  i.pack_id = q.text(1);
  i.title = q.text(2);
  i.type = q.text(3);
  i.subject = q.text(4);
  i.sha256 = q.text(5);
  i.pack_version = q.integer(6);
  i.size = static_cast<std::uint64_t>(q.integer(7));
  if (!q.is_null(8)) i.grade = static_cast<int>(q.integer(8));
  i.listed = q.integer(9) != 0;
  i.created_at = q.integer(10);
  return i;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

Message to_message(const content::Problem& p) { return Message{p.msgid, p.args}; }

Message import_summary(const PackImport& r) {
  const char* msgid =
      r.outcome == PackOutcome::imported  ? "Imported: {items} items."
      : r.outcome == PackOutcome::updated ? "Updated to a newer version: {items} items."
      : r.outcome == PackOutcome::unchanged
          ? "This version of the pack is already imported; nothing changed."
          : "A newer version ({version}) of this pack is already imported; nothing changed.";
  return Message{
      msgid, {{"items", std::to_string(r.items)}, {"version", std::to_string(r.previous_version)}}};
}

std::string fold_case(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    char32_t c = text::next_code_point(s, i);
    if (c >= 'A' && c <= 'Z') c += 32;
    if (c >= 0x410 && c <= 0x42F) c += 32;
    if (c == 0x401 || c == 0x451) c = 0x435;  // ё → е
    text::append_utf8(out, c == text::kBadCodePoint ? U'?' : c);
  }
  return out;
}

namespace {

// Whether a pack owned by `owner` may be imported over what is listed under its id now (an
// owner's own newer version, or the district taking an id a local pack used). Sets *result for
// a pack that changes nothing or is refused.
bool may_replace(storage::Connection& c, const content::PackManifest& m, const std::string& owner,
                 PackImport* result) {
  auto q = c.query("SELECT version, signer FROM packs WHERE id = ?1", m.id);
  if (!q.next()) return true;
  std::int64_t version = q.integer(0);
  std::string held_by = q.text(1);
  result->previous_version = version;
  if (held_by != owner) {
    if (!owner.empty()) return true;  // the district's pack takes its id back
    result->problem = Message{
        "The pack id {id} belongs to a pack the district sent; only the district can replace it.",
        {{"id", m.id}}};
    return false;
  }
  if (version >= m.version) {
    result->outcome = version == m.version ? PackOutcome::unchanged : PackOutcome::older;
    return false;
  }
  return true;
}

}  // namespace

namespace {

// Whose pack it is by who signed it and how it came; false (and why) when this box may not take
// it without an administrator.
bool owner_of(const std::string& signer, const PackTrust& trust, std::string* owner,
              PackImport* out) {
  if (trust.from_district || (!signer.empty() && signer == trust.district_key)) {
    *owner = trust.from_district && !trust.district_key.empty() ? trust.district_key : signer;
    if (owner->empty()) *owner = "district";
    return true;
  }
  if (trust.allow_unsigned) return true;
  out->needs_admin = true;
  out->problem = signer.empty()
                     ? Message{"This pack is not signed by the district. An administrator can "
                               "still import it on the library page by choosing to.",
                               {}}
                     : Message{"This pack is signed by a key this box does not trust. An "
                               "administrator can still import it on the library page by "
                               "choosing to.",
                               {}};
  return false;
}

bool compressible(const content::PackItem& item) {
  return item.type.rfind("text/", 0) == 0 || item.type == "image/svg+xml" ||
         item.type == "application/json";
}

}  // namespace

std::optional<StagedPack> stage_pack_from_store(storage::Connection& c, content::BlobStore& blobs,
                                                const std::string& manifest_blob,
                                                const PackTrust& trust, PackImport* out,
                                                std::vector<std::string>* missing) {
  auto refuse = [out](Message m) -> std::optional<StagedPack> {
    out->problem = std::move(m);
    return std::nullopt;
  };
  if (!content::BlobStore::valid_hash(manifest_blob) || !blobs.has(manifest_blob))
    return refuse({"The pack file is damaged or cut short ({detail}).", {{"detail", "manifest"}}});
  std::string text;
  {
    std::ifstream in(blobs.path_of(manifest_blob), std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("manifest") || !j["manifest"].is_string() ||
      !j.contains("signature") || !j["signature"].is_string())
    return refuse({"This file is not a Parta content pack.", {}});
  const std::string& manifest_text = j["manifest"].get_ref<const std::string&>();
  const std::string& signature = j["signature"].get_ref<const std::string&>();
  content::Problem p;
  auto m = content::parse_manifest(manifest_text, &p);
  if (!m) return refuse(to_message(p));
  std::string signer;
  if (!signature.empty()) {
    auto who = content::check_signature(signature, manifest_text, &p);
    if (!who) return refuse(to_message(p));
    signer = *who;
  }
  StagedPack pack;
  if (!owner_of(signer, trust, &pack.owner, out)) return std::nullopt;
  out->items = m->items.size();
  if (!may_replace(c, *m, pack.owner, out)) return std::nullopt;
  std::optional<Message> lacking;
  for (const auto& item : m->items) {
    std::error_code ec;
    if (!blobs.has(item.sha256) || fs::file_size(blobs.path_of(item.sha256), ec) != item.size) {
      if (!lacking)
        lacking = Message{"The pack's item \"{path}\" is missing from the archive.",
                          {{"path", item.path.substr(0, 80)}}};
      if (missing) missing->push_back(item.sha256);
      continue;
    }
    if (compressible(item) && item.size > 1024) blobs.ensure_gzip(item.sha256);
    pack.items.emplace_back(item, content::BlobInfo{item.sha256, item.size});
  }
  if (lacking) return refuse(*lacking);
  pack.manifest = std::move(*m);
  return pack;
}

std::optional<StagedPack> stage_pack_file(storage::Connection& c, content::BlobStore& blobs,
                                          const std::string& pack_path, std::uint64_t reserve,
                                          const PackTrust& trust, PackImport* out, bool gzip_text) {
  content::PackLimits limits;
  // Staged files become blobs by rename, so a pack needs its unpacked size once.
  limits.free_space = content::free_space(blobs.tmp_dir());
  limits.reserve = reserve;
  std::string staging = blobs.tmp_dir() + "/pack-" + random_token().substr(0, 16);
  content::PackRead r = content::read_pack(pack_path, staging, limits);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{staging};
  if (!r.ok()) {
    out->problem = to_message(*r.problem);
    return std::nullopt;
  }
  StagedPack pack;
  if (!owner_of(r.signer, trust, &pack.owner, out)) return std::nullopt;
  out->items = r.manifest.items.size();
  if (!may_replace(c, r.manifest, pack.owner, out)) return std::nullopt;
  // Files first (durable, by rename: each item is written to disk once), with the compressed
  // copies phones get of text; all before any transaction.
  for (const auto& s : r.staged) {
    auto blob = blobs.adopt(s.staged_path);
    if (gzip_text && compressible(s.item) && blob.size > 1024) blobs.ensure_gzip(blob.sha256);
    pack.items.emplace_back(s.item, blob);
  }
  pack.manifest_text = std::move(r.manifest_text);
  pack.signature_text = std::move(r.signature_text);
  pack.manifest = std::move(r.manifest);
  return pack;
}

PackImport record_pack(storage::Connection& c, const Clock& clock, const StagedPack& pack,
                       std::int64_t imported_by) {
  PackImport out;
  const auto& m = pack.manifest;
  out.items = m.items.size();
  storage::Transaction tx(c);
  if (!may_replace(c, m, pack.owner, &out)) return out;
  std::uint64_t bytes = 0;
  for (const auto& [item, blob] : pack.items) bytes += blob.size;
  std::string grades;
  for (int g : m.grades) grades += (grades.empty() ? "" : ",") + std::to_string(g);
  bool existed = c.scalar("SELECT 1 FROM packs WHERE id = ?1", m.id).has_value();
  // The district takes back an id a local pack used: that pack's items leave the listing and the
  // pack (assignments that link them keep them), so the two never mix.
  c.run(
      "UPDATE library_items SET pack_id = NULL, pack_version = NULL, listed = 0 WHERE pack_id = "
      "?1 AND ?1 IN (SELECT id FROM packs WHERE signer != ?2)",
      m.id, pack.owner);
  c.run(
      "INSERT INTO packs (id, version, title, subjects, grades, items, bytes, imported_at, "
      "imported_by, signer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(id) DO "
      "UPDATE SET version = ?2, title = ?3, subjects = ?4, grades = ?5, items = ?6, bytes = ?7, "
      "imported_at = ?8, imported_by = ?9, signer = ?10",
      m.id, m.version, m.title, join(m.subjects), grades, static_cast<std::int64_t>(m.items.size()),
      static_cast<std::int64_t>(bytes), clock.now(),
      imported_by ? std::optional<std::int64_t>(imported_by) : std::nullopt,  // 0: the CLI
      pack.owner);
  c.run("UPDATE library_items SET listed = 0 WHERE pack_id = ?1", m.id);
  for (const auto& [item, blob] : pack.items) {
    record_blob(c, clock, blob.sha256, blob.size);
    std::optional<int> grade = item.grade;
    if (!grade && m.grades.size() == 1) grade = m.grades[0];
    std::string subject = !item.subject.empty()    ? item.subject
                          : m.subjects.size() == 1 ? m.subjects[0]
                                                   : "";
    c.run(
        "INSERT INTO library_items (pack_id, pack_version, path, title, type, size, sha256, "
        "subject, grade, created_at, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
        m.id, m.version, item.path, item.title, item.type, static_cast<std::int64_t>(blob.size),
        blob.sha256, subject, grade, clock.now());
  }
  tx.commit();
  out.outcome = existed ? PackOutcome::updated : PackOutcome::imported;
  return out;
}

PackImport import_pack_file(storage::Connection& c, const Clock& clock, content::BlobStore& blobs,
                            const std::string& pack_path, std::int64_t imported_by,
                            std::uint64_t reserve, const PackTrust& trust) {
  PackImport out;
  auto staged = stage_pack_file(c, blobs, pack_path, reserve, trust, &out);
  if (!staged) return out;
  return record_pack(c, clock, *staged, imported_by);
}

std::vector<PackInfo> list_packs(storage::Connection& c) {
  std::vector<PackInfo> out;
  auto q = c.query(
      "SELECT id, title, signer, version, items, bytes, imported_at FROM packs ORDER BY title");
  while (q.next())
    out.push_back(
        {q.text(0), q.text(1), q.text(2), q.integer(3), q.integer(4), q.integer(5), q.integer(6)});
  return out;
}

std::vector<LibraryItem> search_library(storage::Connection& c, const std::string& subject,
                                        int grade, const std::string& query) {
  std::vector<LibraryItem> out;
  auto q = c.query(std::string(kItemSelect) +
                       "WHERE listed = 1 AND (?1 = '' OR subject = ?1) AND (?2 = 0 OR grade = ?2) "
                       "ORDER BY subject, grade, title LIMIT 5000",
                   subject, grade);
  std::vector<std::string> words;
  std::istringstream in(fold_case(query));
  for (std::string w; in >> w;) words.push_back(w);
  while (q.next()) {
    LibraryItem i = item_from(q);
    std::string t = fold_case(i.title);
    bool all = true;
    for (const auto& w : words) all = all && t.find(w) != std::string::npos;
    if (all) out.push_back(std::move(i));
  }
  return out;
}

std::optional<LibraryItem> find_item(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kItemSelect) + "WHERE id = ?1", id);
  if (!q.next()) return std::nullopt;
  return item_from(q);
}

std::vector<std::string> library_subjects(storage::Connection& c) {
  std::vector<std::string> out;
  auto q = c.query(
      "SELECT DISTINCT subject FROM library_items WHERE listed = 1 AND subject != '' "
      "ORDER BY subject");
  while (q.next()) out.push_back(q.text(0));
  return out;
}

std::int64_t add_own_item(storage::Connection& c, const Clock& clock, const FileRef& file,
                          const std::string& title, const std::string& subject,
                          std::optional<int> grade, std::int64_t user_id) {
  record_blob(c, clock, file.sha256, file.size);
  c.run(
      "INSERT INTO library_items (title, type, size, sha256, subject, grade, uploaded_by, "
      "created_at, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
      title, file.content_type, static_cast<std::int64_t>(file.size), file.sha256, subject, grade,
      user_id, clock.now());
  return c.last_insert_id();
}

void link_material(storage::Connection& c, std::int64_t assignment_id, std::int64_t item_id) {
  c.run("INSERT OR IGNORE INTO assignment_materials (assignment_id, item_id) VALUES (?1, ?2)",
        assignment_id, item_id);
}

std::vector<LibraryItem> materials_of(storage::Connection& c, std::int64_t assignment_id) {
  std::vector<LibraryItem> out;
  auto q = c.query(std::string(kItemSelect) +
                       "WHERE id IN (SELECT item_id FROM assignment_materials WHERE "
                       "assignment_id = ?1) ORDER BY title",
                   assignment_id);
  while (q.next()) out.push_back(item_from(q));
  return out;
}

const std::vector<BlobColumn>& blob_columns() {
  static const std::vector<BlobColumn> kColumns = {
      {"attachments", "sha256", false},      {"submission_files", "sha256", false},
      {"library_items", "sha256", false},    {"packets", "pdf_sha", false},
      {"print_runs", "combined_sha", false}, {"scan_files", "sha256", false},
      {"scan_pages", "image_sha", false},    {"sync_records", "data", true},
      {"sync_outbox", "payload", true},      {"travel_copies", "copy", false},
      {"district_packs", "manifest", false}, {"district_packs", "items", true},
      {"scan_page_boxes", "boxes", true},    {"quiz_answers", "crop", false},
  };
  return kColumns;
}

namespace {

// Every run of exactly 64 lower-case hex digits in a record's text: a blob it may name. Taking
// too many is harmless (a file is kept); missing one would delete what a school sent.
void hashes_in(std::string_view text, std::set<std::string>* out) {
  auto hex = [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!hex(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && hex(text[j])) ++j;
    if (j - i == 64) out->insert(std::string(text.substr(i, 64)));
    i = j;
  }
}

}  // namespace

std::set<std::string> referenced_blobs(storage::Connection& c) {
  std::set<std::string> used;
  for (const auto& col : blob_columns()) {
    // Names from the fixed list above, never from input.
    auto q = c.query(std::string("SELECT ") + col.column + " FROM " + col.table + " WHERE " +
                     col.column + " IS NOT NULL");
    while (q.next()) {
      if (col.json)
        hashes_in(q.text(0), &used);
      else
        used.insert(q.text(0));
    }
  }
  return used;
}

Garbage collect_garbage(storage::Connection& c, content::BlobStore& blobs, std::int64_t min_age,
                        Sweep what) {
  Garbage out;
  const std::string& root = blobs.blob_dir();
  auto now = fs::file_time_type::clock::now();
  std::vector<fs::path> doomed;
  std::vector<std::string> rows;
  {
    // The rows go first, in one transaction that also reads the references, so nothing can
    // come to refer to a blob between the check and its removal; the files after the commit.
    storage::Transaction tx(c);
    std::set<std::string> used = referenced_blobs(c);
    if (what == Sweep::unrecorded) {
      auto q = c.query("SELECT sha256 FROM blobs");
      while (q.next()) used.insert(q.text(0));
    }
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
      if (!e.is_regular_file(ec)) continue;
      std::string name = e.path().filename().string();
      std::string hash = name.size() == 67 && name.ends_with(".gz") ? name.substr(0, 64) : name;
      if (!content::BlobStore::valid_hash(hash) || used.count(hash)) continue;
      auto age =
          std::chrono::duration_cast<std::chrono::seconds>(now - e.last_write_time(ec)).count();
      // Maybe being recorded right now. With min_age < 0, whatever the age: a Pi has no
      // battery clock, and after a power cut its system clock may be behind the files' times
      // (their "age" negative; seen cutting the emulated box's power).
      if (ec || (min_age >= 0 && age < min_age)) continue;
      if (hash == name) {
        try {
          c.run("DELETE FROM blobs WHERE sha256 = ?1", hash);
        } catch (const storage::DbError& err) {
          // A reference the list above does not know: keep the file, and say so.
          if (!err.is_constraint()) throw;
          continue;
        }
      }
      doomed.push_back(e.path());
    }
    tx.commit();
  }
  for (const auto& p : doomed) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    if (fs::remove(p, ec)) {
      ++out.files;
      out.bytes += ec ? 0 : size;
    }
  }
  return out;
}

}  // namespace parta::domain
