#pragma once
// ZIM archives (Wikipedia, Wiktionary and the other collections Kiwix reads) through libzim: the
// check an archive passes before it is listed, its metadata, reading an entry by path, title
// suggestions and full-text search, and the shelf of open archives partad keeps.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "content/pack.hpp"  // Problem

namespace zim {
class Archive;
class Searcher;
class SuggestionSearcher;
}  // namespace zim

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
  // A content entry's size: reads the start of its cluster (decompresses it), so only when a
  // range is read anyway — never for a 304 or a page kept rendered.
  std::uint64_t size(const ZimEntry& e) const;
  // Bytes [offset, offset+length) of a content entry (length clipped to its size).
  std::string read(const ZimEntry& e, std::uint64_t offset, std::uint64_t length) const;
  // The whole entry, or nothing when it is larger than `max`: its size and its bytes in one
  // read of its cluster (asked apart, another reader's cluster could push it out in between).
  std::optional<std::string> read_whole(const ZimEntry& e, std::uint64_t max) const;
  struct Hit {
    std::string path, title, snippet;  // snippet: plain text, no markup
  };
  // Titles starting with or containing the words of `q` (case and ё/е folded by libzim's
  // title index; a prefix scan of the titles where the archive has none).
  std::vector<Hit> suggest(const std::string& q, int max) const;
  // Full text, where the archive has an index (else empty): up to `max` hits, leaving out the
  // paths in `skip` (a hit's snippet reads its article: only for the hits shown).
  std::vector<Hit> search(const std::string& q, int max,
                          const std::set<std::string>& skip = {}) const;
  bool has_fulltext() const;
  // Opens the title and full-text indexes (Xapian's databases, tens of milliseconds on a big
  // archive) so that the first search finds them open; a search asked meanwhile waits for them.
  void warm_search() const;

 private:
  // Searchers kept open with their indexes (a searcher is used by one thread at a time): up to
  // two of each kind, made on demand.
  template <class S>
  class Pool {
   public:
    std::unique_ptr<S> take(const zim::Archive& a, bool warming = false);
    void give(std::unique_ptr<S> s, bool warming = false);
    ~Pool();

   private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<S>> free_;
    bool warming_ = false;
  };
  std::unique_ptr<zim::Archive> a_;
  mutable Pool<zim::Searcher> searchers_;
  mutable Pool<zim::SuggestionSearcher> suggesters_;
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
  ~ZimShelf();

 private:
  struct Open {
    std::shared_ptr<const ZimArchive> archive;
    std::chrono::steady_clock::time_point used;
  };
  std::mutex m_;
  std::map<std::int64_t, Open> open_;
  std::vector<std::future<void>> warming_;  // an archive just opened opens its indexes aside
};

// libzim's caches sized for a 512 MB box (a few clusters, not libzim's 16): call before the first
// archive is opened.
void size_zim_caches();

}  // namespace parta::content
