#include "domain/library.hpp"

#include <filesystem>
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

PackImport import_pack_file(storage::Connection& c, const Clock& clock, content::BlobStore& blobs,
                            const std::string& pack_path, std::int64_t imported_by,
                            std::uint64_t reserve) {
  PackImport out;
  content::PackLimits limits;
  // Staged files become blobs by rename, so a pack needs its unpacked size once.
  limits.free_space = content::free_space(blobs.tmp_dir());
  limits.reserve = reserve;
  std::string staging = blobs.tmp_dir() + "/pack-" + random_token().substr(0, 16);
  content::PackRead r = content::read_pack(pack_path, staging, limits);
  if (!r.ok()) {
    out.problem = to_message(*r.problem);
    return out;
  }
  const auto& m = r.manifest;
  out.items = m.items.size();
  auto existing = c.scalar("SELECT version FROM packs WHERE id = ?1", m.id);
  if (existing && *existing >= m.version) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    out.previous_version = *existing;
    out.outcome = *existing == m.version ? PackOutcome::unchanged : PackOutcome::older;
    return out;
  }
  // Files first (durable, by rename: each item is written to disk once), then one transaction.
  std::vector<std::pair<const content::PackItem*, content::BlobInfo>> stored;
  for (const auto& s : r.staged) stored.push_back({&s.item, blobs.adopt(s.staged_path)});
  std::error_code ec;
  fs::remove_all(staging, ec);
  storage::Transaction tx(c);
  std::uint64_t bytes = 0;
  for (const auto& [item, blob] : stored) bytes += blob.size;
  std::string grades;
  for (int g : m.grades) grades += (grades.empty() ? "" : ",") + std::to_string(g);
  c.run(
      "INSERT INTO packs (id, version, title, subjects, grades, items, bytes, imported_at, "
      "imported_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET "
      "version = ?2, title = ?3, subjects = ?4, grades = ?5, items = ?6, bytes = ?7, "
      "imported_at = ?8, imported_by = ?9",
      m.id, m.version, m.title, join(m.subjects), grades, static_cast<std::int64_t>(m.items.size()),
      static_cast<std::int64_t>(bytes), clock.now(),
      imported_by ? std::optional<std::int64_t>(imported_by) : std::nullopt);  // 0: the CLI
  c.run("UPDATE library_items SET listed = 0 WHERE pack_id = ?1", m.id);
  for (const auto& [item, blob] : stored) {
    record_blob(c, clock, blob.sha256, blob.size);
    // Text compresses well and phones take gzip: keep a compressed copy to serve.
    if ((item->type.rfind("text/", 0) == 0 || item->type == "image/svg+xml" ||
         item->type == "application/json") &&
        blob.size > 1024)
      blobs.ensure_gzip(blob.sha256);
    std::optional<int> grade = item->grade;
    if (!grade && m.grades.size() == 1) grade = m.grades[0];
    std::string subject = !item->subject.empty()   ? item->subject
                          : m.subjects.size() == 1 ? m.subjects[0]
                                                   : "";
    c.run(
        "INSERT INTO library_items (pack_id, pack_version, path, title, type, size, sha256, "
        "subject, grade, created_at, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
        m.id, m.version, item->path, item->title, item->type, static_cast<std::int64_t>(blob.size),
        blob.sha256, subject, grade, clock.now());
  }
  tx.commit();
  out.previous_version = existing.value_or(0);
  out.outcome = existing ? PackOutcome::updated : PackOutcome::imported;
  return out;
}

std::vector<PackInfo> list_packs(storage::Connection& c) {
  std::vector<PackInfo> out;
  auto q =
      c.query("SELECT id, title, version, items, bytes, imported_at FROM packs ORDER BY title");
  while (q.next())
    out.push_back({q.text(0), q.text(1), q.integer(2), q.integer(3), q.integer(4), q.integer(5)});
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

std::size_t collect_garbage(storage::Connection& c, content::BlobStore& blobs,
                            std::int64_t min_age) {
  std::set<std::string> used;
  auto q = c.query(
      "SELECT sha256 FROM attachments UNION SELECT sha256 FROM submission_files UNION "
      "SELECT sha256 FROM library_items");
  while (q.next()) used.insert(q.text(0));
  std::size_t removed = 0;
  auto now = fs::file_time_type::clock::now();
  std::string root = blobs.path_of(std::string(64, '0'));
  root = root.substr(0, root.rfind('/'));
  root = root.substr(0, root.rfind('/'));
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root, ec)) {
    if (!e.is_regular_file()) continue;
    std::string name = e.path().filename().string();
    std::string hash = name.size() == 67 && name.ends_with(".gz") ? name.substr(0, 64) : name;
    if (used.count(hash)) continue;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e.last_write_time()).count();
    if (age < min_age) continue;  // maybe being recorded right now
    if (fs::remove(e.path(), ec)) {
      ++removed;
      if (hash == name) c.run("DELETE FROM blobs WHERE sha256 = ?1", name);
    }
  }
  return removed;
}

}  // namespace parta::domain
