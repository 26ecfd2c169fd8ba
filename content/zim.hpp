#pragma once
// ZIM archives (Wikipedia, Wiktionary and the other collections Kiwix reads) through libzim: the
// check an archive passes before it is listed, its metadata, reading an entry by path, title
// suggestions and full-text search, and the shelf of open archives partad keeps.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "content/pack.hpp"  // Problem

namespace zim {
class Archive;
}

namespace parta::content {

struct ZimInfo {
  std::string uuid;  // the archive's own id, 32 hex digits
  std::string name, title, language, description, date, creator, publisher;
  std::uint64_t size = 0;  // bytes of the file
  std::uint64_t articles = 0, media = 0;
  bool fulltext = false, title_index = false;
  std::string main_path;  // "" when the archive names no main page
};

// Checks a whole archive: its MD5 checksum over every byte, and libzim's structural checks
// (pointer lists inside the file and in order, clusters inside the file, the title index, MIME
// types). A file that fails, has no checksum or is no ZIM at all is refused with the reason.
// Reads the whole file: minutes for a Wikipedia on a Pi's card.
std::optional<ZimInfo> check_zim(const std::string& path, Problem* why);

struct ZimEntry {
  std::string path, title, mime;
  std::uint32_t index = 0;  // stable for the archive: with its uuid, the ETag
  std::string redirect_to;  // a redirect's target path ("" for content)
};

// One open archive. Reading is safe from several threads at once (libzim's archives are).
class ZimArchive {
 public:
  explicit ZimArchive(const std::string& path);  // throws std::runtime_error
  ~ZimArchive();
  ZimArchive(const ZimArchive&) = delete;
  ZimArchive& operator=(const ZimArchive&) = delete;

  std::optional<ZimEntry> find(const std::string& path) const;
  std::optional<ZimEntry> main_entry() const;
  // Bytes [offset, offset+length) of a content entry (length clipped to its size).
  // A content entry's size: reads the start of its cluster (decompresses it), so only when a
  // body or a range is read anyway — never for a 304 or a page kept rendered.
  std::uint64_t size(const ZimEntry& e) const;
  std::string read(const ZimEntry& e, std::uint64_t offset = 0,
                   std::uint64_t length = UINT64_MAX) const;
  struct Hit {
    std::string path, title, snippet;  // snippet: plain text, no markup
  };
  // Titles starting with or containing the words of `q` (case and ё/е folded by libzim's
  // title index; a prefix scan of the titles where the archive has none).
  std::vector<Hit> suggest(const std::string& q, int max) const;
  // Full text, where the archive has an index (else empty).
  std::vector<Hit> search(const std::string& q, int max) const;
  bool has_fulltext() const;

 private:
  std::unique_ptr<zim::Archive> a_;
};

// Archives partad has open, by their id in the database; opened on first use, closed when
// removed. Archives hold their file open: a removed file's space comes back when the last reader
// is done with it.
class ZimShelf {
 public:
  std::shared_ptr<const ZimArchive> get(std::int64_t id, const std::string& path);
  void close(std::int64_t id);
  // Closes the archives nobody asked for in `idle` (a reader still holding one keeps it until it
  // is done): their cached clusters, megabytes each, go back. The next reader opens the archive
  // again (a few milliseconds). Returns how many were closed.
  int close_idle(std::chrono::seconds idle);

 private:
  struct Open {
    std::shared_ptr<const ZimArchive> archive;
    std::chrono::steady_clock::time_point used;
  };
  std::mutex m_;
  std::map<std::int64_t, Open> open_;
};

// libzim's caches sized for a 512 MB box (a few clusters, not libzim's 16): call before the first
// archive is opened.
void size_zim_caches();

}  // namespace parta::content
