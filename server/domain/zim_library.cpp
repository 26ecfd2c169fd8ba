#include "domain/zim_library.hpp"

#include <sys/stat.h>
#include <filesystem>
#include <set>

#include "content/durable.hpp"
#include "domain/accounts.hpp"
#include "domain/library.hpp"

namespace parta::domain {

namespace fs = std::filesystem;

namespace {

Message to_msg(const content::Problem& p) { return Message{p.msgid, p.args}; }

ZimRow row_from(storage::Query& q) {
  ZimRow r;
  r.id = q.integer(0);
  r.uuid = q.text(1);
  r.name = q.text(2);
  r.title = q.text(3);
  r.language = q.text(4);
  r.description = q.text(5);
  r.date = q.text(6);
  r.size = static_cast<std::uint64_t>(q.integer(7));
  r.articles = static_cast<std::uint64_t>(q.integer(8));
  r.media = static_cast<std::uint64_t>(q.integer(9));
  r.fulltext = q.integer(10) != 0;
  r.main_path = q.text(11);
  r.added_at = q.integer(12);
  return r;
}

constexpr const char* kColumns =
    "SELECT id, uuid, name, title, language, description, date, size, articles, media, "
    "fulltext, main_path, added_at FROM zim_archives ";

bool same_filesystem(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

}  // namespace

std::string zim_file(const std::string& zim_dir, const std::string& uuid) {
  return zim_dir + "/" + uuid + ".zim";
}

ZimAdd add_zim(storage::Connection& c, const Clock& clock, const std::string& zim_dir,
               const std::string& source, bool move, std::uint64_t reserve, std::int64_t added_by) {
  ZimAdd out;
  std::error_code ec;
  fs::create_directories(zim_dir, ec);
  auto size = fs::file_size(source, ec);
  if (ec) {
    out.problem = Message{"The file could not be read.", {}};
    return out;
  }
  bool rename_it = move && same_filesystem(source, zim_dir);
  std::string checked = source;
  std::string part;
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code e;
      if (!path.empty()) fs::remove(path, e);
    }
  } cleanup;
  if (!rename_it) {
    if (size + reserve > content::free_space(zim_dir)) {
      out.problem = Message{"The box's card is nearly full: the archive was not added.", {}};
      return out;
    }
    // The copy is what gets checked: bytes that changed on the way (a stick pulled out) fail.
    part = zim_dir + "/.incoming-" + random_token().substr(0, 12) + ".part";
    cleanup.path = part;
    if (!fs::copy_file(source, part, ec) || ec) {
      out.problem = Message{"The archive could not be copied to the box's card.", {}};
      return out;
    }
    content::fsync_file(part);
    checked = part;
  }
  content::Problem why;
  auto info = content::check_zim(checked, &why);
  if (!info) {
    out.problem = to_msg(why);
    return out;
  }
  out.title = info->title;
  if (auto have = find_zim_by_uuid(c, info->uuid)) {
    out.unchanged = true;
    out.id = have->id;
    if (move && rename_it) fs::remove(source, ec);  // given up: the library has it already
    return out;
  }
  std::string final_path = zim_file(zim_dir, info->uuid);
  fs::rename(checked, final_path, ec);
  if (ec) {
    out.problem = Message{"The archive could not be copied to the box's card.", {}};
    return out;
  }
  cleanup.path.clear();
  content::fsync_dir(zim_dir);
  try {
    c.run(
        "INSERT INTO zim_archives (uuid, name, title, language, description, date, size, "
        "articles, media, fulltext, main_path, added_at, added_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        info->uuid, info->name, info->title, info->language, info->description, info->date,
        static_cast<std::int64_t>(info->size), static_cast<std::int64_t>(info->articles),
        static_cast<std::int64_t>(info->media), info->fulltext, info->main_path, clock.now(),
        added_by > 0 ? std::optional<std::int64_t>(added_by) : std::nullopt);
  } catch (...) {
    if (!rename_it) fs::remove(final_path, ec);
    throw;
  }
  out.id = c.last_insert_id();
  return out;
}

bool remove_zim(storage::Connection& c, const std::string& zim_dir, std::int64_t id) {
  auto z = find_zim(c, id);
  if (!z) return false;
  c.run("DELETE FROM zim_archives WHERE id = ?1", id);
  std::error_code ec;
  fs::remove(zim_file(zim_dir, z->uuid), ec);
  content::fsync_dir(zim_dir);
  return true;
}

std::vector<ZimRow> list_zims(storage::Connection& c) {
  std::vector<ZimRow> out;
  auto q = c.query(std::string(kColumns) + "ORDER BY title, id");
  while (q.next()) out.push_back(row_from(q));
  return out;
}

std::optional<ZimRow> find_zim(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kColumns) + "WHERE id = ?1", id);
  if (!q.next()) return std::nullopt;
  return row_from(q);
}

std::optional<ZimRow> find_zim_by_uuid(storage::Connection& c, const std::string& uuid) {
  auto q = c.query(std::string(kColumns) + "WHERE uuid = ?1", uuid);
  if (!q.next()) return std::nullopt;
  return row_from(q);
}

std::size_t sweep_zim_dir(storage::Connection& c, const std::string& zim_dir) {
  std::size_t removed = 0;
  std::error_code ec;
  std::set<std::string> listed;
  for (const auto& z : list_zims(c)) listed.insert(z.uuid + ".zim");
  for (const auto& e : fs::directory_iterator(zim_dir, ec)) {
    std::string name = e.path().filename().string();
    if (listed.count(name)) continue;
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

void attach_article(storage::Connection& c, std::int64_t assignment_id, const std::string& uuid,
                    const std::string& path, const std::string& title) {
  c.run(
      "INSERT INTO assignment_articles (assignment_id, archive_uuid, path, title) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET title = excluded.title",
      assignment_id, uuid, path, title);
}

void detach_article(storage::Connection& c, std::int64_t assignment_id, const std::string& uuid,
                    const std::string& path) {
  c.run(
      "DELETE FROM assignment_articles WHERE assignment_id = ?1 AND archive_uuid = ?2 AND "
      "path = ?3",
      assignment_id, uuid, path);
}

std::vector<AttachedArticle> articles_of(storage::Connection& c, std::int64_t assignment_id) {
  std::vector<AttachedArticle> out;
  auto q = c.query(
      "SELECT a.archive_uuid, a.path, a.title, z.id FROM assignment_articles a "
      "LEFT JOIN zim_archives z ON z.uuid = a.archive_uuid WHERE a.assignment_id = ?1 "
      "ORDER BY a.rowid",
      assignment_id);
  while (q.next()) out.push_back({q.text(0), q.text(1), q.text(2), q.opt_integer(3)});
  return out;
}

}  // namespace parta::domain
