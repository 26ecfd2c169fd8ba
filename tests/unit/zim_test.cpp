// ZIM archives: the whole-file check refuses damaged and hostile archives with the reason; a good
// one is read by path, searched by title (case and ё/е folded) and by full text; the library adds
// an archive once, moves or copies it, and sweeps what a power cut left.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "content/zim.hpp"
#include "domain/clock.hpp"
#include "domain/zim_library.hpp"
#include "storage/migrations.hpp"

namespace parta {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(PARTA_ZIM_FIXTURES) + "/" + name;
}

TEST(Zim, HostileArchivesAreRefusedWithTheReason) {
  struct Case {
    const char* file;
    const char* msgid;
  } cases[] = {
      {"truncated.zim", "This is not a ZIM archive, or it was cut short."},
      {"not-a-zim.zim", "This is not a ZIM archive, or it was cut short."},
      {"bad-checksum.zim",
       "The archive is damaged: its checksum does not match (the file changed after it was made, "
       "or was copied badly)."},
      {"cluster-outside.zim",
       "The archive is damaged: a part of its contents lies outside the file."},
      {"no-checksum.zim", "The archive carries no checksum, so it cannot be verified."},
  };
  for (const auto& c : cases) {
    content::Problem why;
    EXPECT_FALSE(content::check_zim(fixture(c.file), &why)) << c.file;
    EXPECT_EQ(why.msgid, c.msgid) << c.file;
  }
}

TEST(Zim, ReadsAndSearchesAGoodArchive) {
  content::Problem why;
  auto info = content::check_zim(fixture("ru-wiki.zim"), &why);
  ASSERT_TRUE(info) << why.msgid;
  EXPECT_EQ(info->title, "Школьная энциклопедия");
  EXPECT_EQ(info->language, "rus");
  EXPECT_EQ(info->date, "2026-11-30");
  EXPECT_EQ(info->uuid.size(), 32u);
  EXPECT_TRUE(info->fulltext);
  EXPECT_EQ(info->main_path, "Main");

  content::ZimArchive a(fixture("ru-wiki.zim"));
  auto e = a.find("Ёжик");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->mime, "text/html");
  auto whole = a.read_whole(*e, 1 << 20);
  ASSERT_TRUE(whole);
  EXPECT_NE(whole->find("млекопитающее"), std::string::npos);
  EXPECT_EQ(a.size(*e), whole->size());
  EXPECT_FALSE(a.read_whole(*e, whole->size() - 1));  // larger than asked: nothing read
  EXPECT_EQ(a.read(*e, 0, 15), "<!DOCTYPE html>");
  auto redirect = a.find("Еж");
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->redirect_to, "Ёжик");
  EXPECT_FALSE(a.find("Несуществующая"));
  // Titles: "ежик" finds "Ёжик (Еж)" (case and ё/е folded).
  auto titles = a.suggest("ежик", 10);
  ASSERT_FALSE(titles.empty());
  EXPECT_EQ(titles[0].path, "Ёжик");
  // Full text: a word only in the article's body, in another form.
  auto hits = a.search("млекопитающие", 10);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].path, "Ёжик");
  EXPECT_EQ(hits[0].snippet.find('<'), std::string::npos);

  content::ZimArchive en(fixture("en-noindex.zim"));
  EXPECT_FALSE(en.has_fulltext());
  EXPECT_TRUE(en.search("hedgehog", 5).empty());
  auto t = en.suggest("Hedge", 5);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t[0].path, "Hedgehog");
}

// The shelf keeps an archive open while it is read and closes it after a quiet spell; a reader
// holding it keeps reading, and the next reader opens it again.
TEST(Zim, ShelfClosesArchivesNobodyReads) {
  content::ZimShelf shelf;
  auto a = shelf.get(1, fixture("ru-wiki.zim"));
  EXPECT_EQ(shelf.get(1, fixture("ru-wiki.zim")), a);  // kept open
  shelf.get(2, fixture("en-noindex.zim"));
  EXPECT_EQ(shelf.close_idle(std::chrono::hours(1)), 0);
  EXPECT_EQ(shelf.close_idle(std::chrono::seconds(0)), 2);
  EXPECT_EQ(shelf.close_idle(std::chrono::seconds(0)), 0);
  auto e = a->find("Ёжик");  // the reader still holding it
  ASSERT_TRUE(e);
  EXPECT_NE(a->read_whole(*e, 1 << 20)->find("млекопитающее"), std::string::npos);
  auto again = shelf.get(1, fixture("ru-wiki.zim"));
  EXPECT_NE(again, a);  // opened anew
  EXPECT_TRUE(again->find("Ёжик"));
}

// Searchers are kept open with their indexes and shared between threads one at a time: searches
// side by side, some while the indexes are still being opened, all find what one search finds;
// hits already shown (as titles) are left out of the full text.
TEST(Zim, SearchersAreKeptOpenAndSharedSafely) {
  content::ZimShelf shelf;  // opening starts warming the indexes aside
  auto a = shelf.get(1, fixture("ru-wiki.zim"));
  std::vector<std::thread> readers;
  std::vector<std::size_t> found(8);
  for (std::size_t i = 0; i < found.size(); ++i)
    readers.emplace_back([&, i] {
      auto hits = a->search("млекопитающие", 10);
      auto titles = a->suggest("ежик", 10);
      found[i] = !hits.empty() && hits[0].path == "Ёжик" && !titles.empty() ? 1 : 0;
    });
  for (auto& t : readers) t.join();
  for (std::size_t i = 0; i < found.size(); ++i) EXPECT_EQ(found[i], 1u) << "search " << i;
  a->warm_search();  // again on a warm archive: nothing changes
  EXPECT_FALSE(a->search("млекопитающие", 10).empty());
  EXPECT_TRUE(a->search("млекопитающие", 10, {"Ёжик"}).empty() ||
              a->search("млекопитающие", 10, {"Ёжик"})[0].path != "Ёжик");
  EXPECT_TRUE(a->search("млекопитающие", 0).empty());
}

TEST(Zim, AddedOnceCheckedCopiedOrMovedAndSwept) {
  fs::path dir = fs::temp_directory_path() / ("parta-zim-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "src");
  storage::Connection c((dir / "db").string());
  storage::migrate(c);
  domain::FakeClock clock;
  std::string zims = (dir / "zim").string();

  // A damaged archive: refused, nothing left behind.
  auto bad = domain::add_zim(c, clock, zims, fixture("bad-checksum.zim"), false, 0, 0);
  ASSERT_TRUE(bad.problem);
  EXPECT_TRUE(fs::is_empty(zims));
  EXPECT_TRUE(domain::list_zims(c).empty());

  // Copied (the source stays), then the same archive again: unchanged.
  auto r = domain::add_zim(c, clock, zims, fixture("ru-wiki.zim"), false, 0, 0);
  ASSERT_FALSE(r.problem);
  EXPECT_TRUE(fs::exists(fixture("ru-wiki.zim")));
  auto rows = domain::list_zims(c);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(fs::exists(domain::zim_file(zims, rows[0].uuid)));
  auto again = domain::add_zim(c, clock, zims, fixture("ru-wiki.zim"), false, 0, 0);
  EXPECT_TRUE(again.unchanged);
  EXPECT_EQ(std::distance(fs::directory_iterator(zims), fs::directory_iterator()), 1);

  // Moved when given up on the same filesystem: the source is gone, the inode is the same.
  fs::copy_file(fixture("en-noindex.zim"), dir / "src" / "en.zim");
  struct stat before {};
  ::stat((dir / "src" / "en.zim").c_str(), &before);
  auto moved = domain::add_zim(c, clock, zims, (dir / "src" / "en.zim").string(), true, 0, 0);
  ASSERT_FALSE(moved.problem);
  EXPECT_FALSE(fs::exists(dir / "src" / "en.zim"));
  auto en = domain::find_zim(c, moved.id);
  ASSERT_TRUE(en);
  struct stat after {};
  ::stat(domain::zim_file(zims, en->uuid).c_str(), &after);
  EXPECT_EQ(before.st_ino, after.st_ino);

  // A card too full for a copy (the reserve is larger than the free space): refused.
  auto full = domain::add_zim(c, clock, zims, fixture("ru-wiki.zim"), false, 1ull << 62, 0);
  ASSERT_TRUE(full.problem);

  // What a power cut leaves (a copy under its temporary name, a file whose row never
  // committed) goes at the next start; listed archives stay.
  fs::copy_file(fixture("ru-wiki.zim"), fs::path(zims) / ".incoming-x.part");
  fs::copy_file(fixture("ru-wiki.zim"), fs::path(zims) / "0123456789abcdef0123456789abcdef.zim");
  EXPECT_EQ(domain::sweep_zim_dir(c, zims), 2u);
  EXPECT_EQ(std::distance(fs::directory_iterator(zims), fs::directory_iterator()), 2);

  // Removed: unlisted and the file gone.
  EXPECT_TRUE(domain::remove_zim(c, zims, moved.id));
  EXPECT_FALSE(fs::exists(domain::zim_file(zims, en->uuid)));
  EXPECT_EQ(domain::list_zims(c).size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parta
