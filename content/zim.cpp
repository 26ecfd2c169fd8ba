#include "content/zim.hpp"

#include <zim/archive.h>
#include <zim/entry.h>
#include <zim/error.h>
#include <zim/item.h>
#include <zim/search.h>
#include <zim/suggestion.h>
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "content/html_scan.hpp"
#include "content/utf8.hpp"

namespace parta::content {

namespace {

std::string meta(const zim::Archive& a, const char* name) {
  try {
    std::string v = a.getMetadata(name);
    if (!text::is_valid_utf8(v)) return {};
    return text::truncate_chars(v, 300);
  } catch (const std::exception&) {
    return {};
  }
}

ZimEntry entry_of(const zim::Entry& e) {
  ZimEntry z;
  z.path = e.getPath();
  z.title = e.getTitle();
  z.index = e.getIndex();
  if (e.isRedirect()) {
    z.redirect_to = e.getRedirectEntry().getPath();
  } else {
    z.mime = e.getItem().getMimetype();  // from the entry itself: no cluster is read
  }
  return z;
}

// A snippet from libzim has <b> marks and entities: plain text for our templates to escape.
std::string plain(const std::string& html) {
  std::string out;
  scan_html(html, [&](const HtmlToken& t) {
    if (t.kind == HtmlToken::text) out += decode_entities(t.raw);
  });
  return text::is_valid_utf8(out) ? text::truncate_chars(out, 240) : std::string();
}

// A ZIM header (magic "ZIM\x04", little-endian) whose checksum position is 0: an archive made
// without one (libzim refuses to open it, as if it were no archive at all).
bool header_says_no_checksum(const std::string& path) {
  unsigned char h[80];
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::size_t n = std::fread(h, 1, sizeof h, f);
  std::fclose(f);
  if (n != sizeof h || h[0] != 'Z' || h[1] != 'I' || h[2] != 'M' || h[3] != 4) return false;
  std::uint64_t pos = 0;
  for (int i = 7; i >= 0; --i) pos = (pos << 8) | h[72 + i];
  return pos == 0;
}

}  // namespace

void size_zim_caches() {
  // A cluster is kept decompressed with its decompressor (3 to 4 MB for text): three kept, not
  // libzim's sixteen, and dropped when the archive is closed after a quiet spell (ZimShelf).
  // Three keep 30 phones browsing a Wikipedia faster than kiwix-serve under 64 MB; twelve were
  // 10 % faster at 90 MB. A finer table of paths (8192 entries, about half a megabyte) finds an
  // entry in fewer reads of the archive's entry list. Measured: tests/bench/zim_serve.py.
  ::setenv("ZIM_CLUSTERCACHE", "3", 0);
  ::setenv("ZIM_DIRENTCACHE", "256", 0);
  ::setenv("ZIM_DIRENTLOOKUPCACHE", "8192", 0);
}

std::optional<ZimInfo> check_zim(const std::string& path, Problem* why) {
  try {
    // validate() opens the file itself and says nothing about why on its own (libzim prints to
    // stderr): the first failing check is found one by one, cheapest first.
    static const std::pair<zim::IntegrityCheck, const char*> kChecks[] = {
        {zim::IntegrityCheck::DIRENT_PTRS,
         "The archive is damaged: its list of entries points outside the file."},
        {zim::IntegrityCheck::CLUSTER_PTRS,
         "The archive is damaged: a part of its contents lies outside the file."},
        {zim::IntegrityCheck::DIRENT_MIMETYPES,
         "The archive is damaged: an entry has a type the archive does not list."},
        {zim::IntegrityCheck::DIRENT_ORDER,
         "The archive is damaged: its list of entries is out of order."},
        {zim::IntegrityCheck::TITLE_INDEX, "The archive is damaged: its title index is broken."},
        {zim::IntegrityCheck::CHECKSUM,
         "The archive is damaged: its checksum does not match (the file changed after it was "
         "made, or was copied badly)."},
    };
    for (const auto& [check, reason] : kChecks) {
      zim::IntegrityCheckList one;
      one.set(static_cast<std::size_t>(check));
      bool ok = false;
      try {
        ok = zim::validate(path, one);
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok) {
        // A file that is no ZIM at all, or cut short, fails the first check already; say so.
        if (header_says_no_checksum(path)) {
          *why = {"The archive carries no checksum, so it cannot be verified.", {}};
          return std::nullopt;
        }
        try {
          zim::Archive probe(path);
        } catch (const std::exception&) {
          *why = {"This is not a ZIM archive, or it was cut short.", {}};
          return std::nullopt;
        }
        *why = {reason, {}};
        return std::nullopt;
      }
    }
    zim::Archive a(path);
    if (!a.hasChecksum()) {
      *why = {"The archive carries no checksum, so it cannot be verified.", {}};
      return std::nullopt;
    }
    ZimInfo info;
    info.uuid.reserve(32);
    std::string u = static_cast<std::string>(a.getUuid());
    for (char c : u)
      if (std::isxdigit(static_cast<unsigned char>(c)))
        info.uuid += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    info.name = meta(a, "Name");
    info.title = meta(a, "Title");
    info.language = meta(a, "Language");
    info.description = meta(a, "Description");
    info.date = meta(a, "Date");
    info.creator = meta(a, "Creator");
    info.publisher = meta(a, "Publisher");
    info.size = a.getFilesize();
    info.articles = a.getArticleCount();
    info.media = a.getMediaCount();
    info.fulltext = a.hasFulltextIndex();
    info.title_index = a.hasTitleIndex();
    if (a.hasMainEntry()) {
      auto e = a.getMainEntry();
      info.main_path = e.isRedirect() ? e.getRedirectEntry().getPath() : e.getPath();
    }
    if (info.title.empty()) info.title = info.name;
    if (info.uuid.size() != 32) {
      *why = {"This is not a ZIM archive, or it was cut short.", {}};
      return std::nullopt;
    }
    return info;
  } catch (const std::exception&) {
    *why = {"This is not a ZIM archive, or it was cut short.", {}};
    return std::nullopt;
  }
}

ZimArchive::ZimArchive(const std::string& path) {
  try {
    a_ = std::make_unique<zim::Archive>(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot open the archive " + path + ": " + e.what());
  }
}
ZimArchive::~ZimArchive() = default;

std::optional<ZimEntry> ZimArchive::find(const std::string& path) const {
  try {
    return entry_of(a_->getEntryByPath(path));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<ZimEntry> ZimArchive::main_entry() const {
  try {
    if (!a_->hasMainEntry()) return std::nullopt;
    return entry_of(a_->getMainEntry());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

// Entries are read from archives one at a time per two cores, whatever the number of phones:
// reading an entry whose cluster is not in libzim's cache decompresses that cluster (megabytes,
// and its decompressor's window), and libzim maps the archive a kilobyte at a time as it does, so
// readers side by side mostly wait on the process's memory map (30 phones browsing on 2 cores:
// 4 readers 990 articles/s, 1 reader 1160). Bounded work and bounded memory.
class ReadSlots {
 public:
  ReadSlots() : slots_(std::max(1u, std::thread::hardware_concurrency() / 2)) {}
  // First come, first served: a phone that waits is never overtaken (the tail of the latencies).
  // A freed slot is handed to the first waiter alone: waking every waiter to let one in cost more
  // than the reads (30 phones browsing: most of the CPU went to threads waking to sleep again).
  void acquire() {
    std::unique_lock lock(m_);
    if (in_use_ < slots_ && waiting_.empty()) {
      ++in_use_;
      return;
    }
    Waiter w;
    waiting_.push_back(&w);
    w.turn.wait(lock, [&] { return w.admitted; });  // the slot is passed on, still counted
  }
  void release() {
    std::lock_guard lock(m_);
    if (waiting_.empty()) {
      --in_use_;
      return;
    }
    Waiter* next = waiting_.front();
    waiting_.pop_front();
    next->admitted = true;
    next->turn.notify_one();  // under the lock: the waiter (on its stack) cannot be gone yet
  }

 private:
  struct Waiter {
    std::condition_variable turn;
    bool admitted = false;
  };
  const unsigned slots_;
  std::mutex m_;
  std::deque<Waiter*> waiting_;
  unsigned in_use_ = 0;
};
ReadSlots& read_slots() {
  static ReadSlots s;
  return s;
}
struct Slot {
  Slot() { read_slots().acquire(); }
  ~Slot() { read_slots().release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
};

}  // namespace

std::string ZimArchive::read(const ZimEntry& e, std::uint64_t offset, std::uint64_t length) const {
  Slot slot;
  auto item = a_->getEntryByPath(e.index).getItem(true);
  std::uint64_t size = item.getSize();
  if (offset >= size) return {};
  length = std::min(length, size - offset);
  auto blob = item.getData(offset, length);
  return std::string(blob.data(), blob.size());
}

std::optional<std::string> ZimArchive::read_whole(const ZimEntry& e, std::uint64_t max) const {
  Slot slot;
  auto item = a_->getEntryByPath(e.index).getItem(true);
  if (item.getSize() > max) return std::nullopt;
  auto blob = item.getData();
  return std::string(blob.data(), blob.size());
}

std::uint64_t ZimArchive::size(const ZimEntry& e) const {
  Slot slot;
  return a_->getEntryByPath(e.index).getItem(true).getSize();
}

bool ZimArchive::has_fulltext() const { return a_->hasFulltextIndex(); }

template <class S>
std::unique_ptr<S> ZimArchive::Pool<S>::take(const zim::Archive& a, bool warming) {
  std::unique_lock lock(m_);
  // A search asked while the indexes are being opened waits for that searcher rather than open
  // them a second time beside it.
  cv_.wait(lock, [&] { return !free_.empty() || !warming_; });
  if (!free_.empty()) {
    auto s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  if (warming) warming_ = true;
  lock.unlock();
  try {
    return std::make_unique<S>(a);
  } catch (...) {
    give(nullptr, warming);
    throw;
  }
}

template <class S>
void ZimArchive::Pool<S>::give(std::unique_ptr<S> s, bool warming) {
  {
    std::lock_guard lock(m_);
    if (warming) warming_ = false;
    if (s && free_.size() < 2) free_.push_back(std::move(s));
  }
  cv_.notify_all();
}

template <class S>
ZimArchive::Pool<S>::~Pool() = default;

std::vector<ZimArchive::Hit> ZimArchive::suggest(const std::string& q, int max) const {
  std::vector<Hit> out;
  try {
    auto s = suggesters_.take(*a_);
    try {
      auto search = s->suggest(q);
      for (const auto& r : search.getResults(0, max)) {
        Hit h{r.getPath(), r.getTitle(), {}};
        if (text::is_valid_utf8(h.title) && text::is_valid_utf8(h.path)) out.push_back(h);
      }
    } catch (const std::exception&) {
    }
    suggesters_.give(std::move(s));
  } catch (const std::exception&) {
  }
  return out;
}

std::vector<ZimArchive::Hit> ZimArchive::search(const std::string& q, int max,
                                                const std::set<std::string>& skip) const {
  std::vector<Hit> out;
  if (!a_->hasFulltextIndex() || max <= 0) return out;
  try {
    auto s = searchers_.take(*a_);
    try {
      auto search = s->search(zim::Query(q));
      auto results = search.getResults(0, max + static_cast<int>(skip.size()));
      for (auto it = results.begin(); it != results.end() && static_cast<int>(out.size()) < max;
           ++it) {
        std::string path = it.getPath();
        if (skip.count(path)) continue;
        Hit h{path, it.getTitle(), plain(it.getSnippet())};
        if (text::is_valid_utf8(h.title) && text::is_valid_utf8(h.path)) out.push_back(h);
      }
    } catch (const std::exception&) {
    }
    searchers_.give(std::move(s));
  } catch (const std::exception&) {
  }
  return out;
}

void ZimArchive::warm_search() const {
  // A word's search opens the index; its results are not read (no snippet, no article).
  try {
    auto s = suggesters_.take(*a_, true);
    try {
      s->suggest("a").getEstimatedMatches();
    } catch (const std::exception&) {
    }
    suggesters_.give(std::move(s), true);
  } catch (const std::exception&) {
  }
  if (!a_->hasFulltextIndex()) return;
  try {
    auto s = searchers_.take(*a_, true);
    try {
      s->search(zim::Query("a")).getEstimatedMatches();
    } catch (const std::exception&) {
    }
    searchers_.give(std::move(s), true);
  } catch (const std::exception&) {
  }
}

std::shared_ptr<const ZimArchive> ZimShelf::get(std::int64_t id, const std::string& path) {
  std::lock_guard lock(m_);
  auto& o = open_[id];
  o.used = std::chrono::steady_clock::now();
  if (!o.archive) {
    o.archive = std::make_shared<const ZimArchive>(path);
    std::erase_if(warming_, [](const std::future<void>& f) {
      return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    warming_.push_back(std::async(std::launch::async, [a = o.archive] { a->warm_search(); }));
  }
  return o.archive;
}

ZimShelf::~ZimShelf() = default;  // the futures wait for the warming still under way

void ZimShelf::close(std::int64_t id) {
  std::lock_guard lock(m_);
  open_.erase(id);
}

int ZimShelf::close_idle(std::chrono::seconds idle) {
  std::vector<std::shared_ptr<const ZimArchive>> closing;  // freed outside the lock
  {
    std::lock_guard lock(m_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = open_.begin(); it != open_.end();) {
      if (now - it->second.used >= idle) {
        closing.push_back(std::move(it->second.archive));
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return static_cast<int>(closing.size());
}

}  // namespace parta::content
