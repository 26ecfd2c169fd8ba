#pragma once
// ZIM archives in the library (Wikipedia and the other collections Kiwix reads): added from an
// upload, a USB stick or the CLI only after the whole file checked out, stored once as
// DATA/zim/<uuid>.zim (moved there when it is on the same filesystem, else copied and checked
// again), removed cleanly; and their articles attached to assignments.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "content/zim.hpp"
#include "domain/clock.hpp"
#include "domain/message.hpp"
#include "storage/database.hpp"

namespace parta::domain {

struct ZimRow {
  std::int64_t id = 0;
  std::string uuid, name, title, language, description, date, main_path;
  std::uint64_t size = 0, articles = 0, media = 0;
  bool fulltext = false;
  std::int64_t added_at = 0;
};

struct ZimAdd {
  std::optional<Message> problem;  // refused: nothing listed, nothing left behind
  bool unchanged = false;          // the same archive (uuid) is in the library already
  std::int64_t id = 0;
  std::string title;
};

// Adds the archive at `source`. `move`: the caller gives the file up (an upload's temp file, a
// file a stick left waiting): it is renamed into place when on the same filesystem, after the
// check. Otherwise it is copied into DATA/zim/ under a temporary name, fsynced, checked, and
// only then renamed and recorded. `reserve` bytes of the card are never used.
ZimAdd add_zim(storage::Connection& c, const Clock& clock, const std::string& zim_dir,
               const std::string& source, bool move, std::uint64_t reserve, std::int64_t added_by);
// Unlists the archive, then deletes its file. False when there is no such archive.
bool remove_zim(storage::Connection& c, const std::string& zim_dir, std::int64_t id);
std::vector<ZimRow> list_zims(storage::Connection& c);
std::optional<ZimRow> find_zim(storage::Connection& c, std::int64_t id);
std::optional<ZimRow> find_zim_by_uuid(storage::Connection& c, const std::string& uuid);
std::string zim_file(const std::string& zim_dir, const std::string& uuid);
// partad's start: removes what a power cut left in DATA/zim/ (a copy under its temporary name, a
// renamed file whose row never committed). Returns the files removed.
std::size_t sweep_zim_dir(storage::Connection& c, const std::string& zim_dir);

struct AttachedArticle {
  std::string archive_uuid, path, title;
  std::optional<std::int64_t> archive_id;  // nullopt: that archive is not on the box now
};
void attach_article(storage::Connection& c, std::int64_t assignment_id, const std::string& uuid,
                    const std::string& path, const std::string& title);
void detach_article(storage::Connection& c, std::int64_t assignment_id, const std::string& uuid,
                    const std::string& path);
std::vector<AttachedArticle> articles_of(storage::Connection& c, std::int64_t assignment_id);

}  // namespace parta::domain
