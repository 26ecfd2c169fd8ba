#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>

#include "content/pack.hpp"
#include "test_db.hpp"

namespace parta::content {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
  return std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/" + name;
}

class Packs : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  PackRead read(const std::string& name, PackLimits limits = {}) {
    return read_pack(fixture(name), staging, limits);
  }
  testing::TempDir dir;
  std::string staging = dir.file("staging");
};

TEST_F(Packs, GoodPacksInEveryCompression) {
  for (const char* name : {"good.tar.gz", "good_plain.tar", "good_v2.tar.zst"}) {
    fs::remove_all(staging);
    PackRead r = read(name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.problem->msgid;
    EXPECT_EQ(r.manifest.id, "komi-rus-5");
    EXPECT_EQ(r.manifest.title, "Русский язык, 5 класс");
    EXPECT_EQ(r.staged.size(), r.manifest.items.size());
    for (const auto& s : r.staged) {
      EXPECT_TRUE(fs::exists(s.staged_path));
      EXPECT_EQ(fs::file_size(s.staged_path), s.item.size);
      EXPECT_EQ(s.staged_path.rfind(staging, 0), 0u);  // inside the staging folder only
    }
  }
  fs::remove_all(staging);
  EXPECT_EQ(read("good_v2.tar.zst").manifest.version, 2);
}

// Each hostile pack is refused with its reason, and the staging folder is gone afterwards.
TEST_F(Packs, HostilePacksAreRefusedWholeAndLeaveNothing) {
  struct Case {
    const char* file;
    const char* msgid_starts;
  };
  const Case cases[] = {
      {"dotdot.tar.gz", "The pack contains an unsafe path"},
      {"absolute.tar.gz", "The pack contains an unsafe path"},
      {"symlink.tar.gz", "The pack contains \"{path}\", which is not a plain file."},
      {"hardlink.tar.gz", "The pack contains a link"},
      {"device.tar.gz", "The pack contains \"{path}\", which is not a plain file."},
      {"hash_mismatch.tar.gz", "The pack's item \"{path}\" does not match its SHA-256"},
      {"oversize.tar.gz", "The pack's item \"{path}\" is larger than its manifest says."},
      {"bomb.tar.gz", "The pack unpacks to far more than its size"},
      {"truncated.tar.gz", "The pack file is damaged or cut short"},
      {"manifest_not_first.tar.gz", "The pack must start with manifest.json."},
      {"unlisted.tar.gz", "The pack contains \"{path}\", which its manifest does not list."},
      {"missing_item.tar.gz", "The pack's item \"{path}\" is missing from the archive."},
      {"newer_format.tar.gz", "The pack has format version {found}"},
      {"not_a_pack.tar.gz", "This file is not a Parta content pack."},
  };
  for (const auto& c : cases) {
    PackRead r = read(c.file);
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_EQ(r.problem->msgid.rfind(c.msgid_starts, 0), 0u) << c.file << ": " << r.problem->msgid;
    EXPECT_TRUE(r.staged.empty());
    EXPECT_FALSE(fs::exists(staging)) << c.file;
  }
  PackLimits small;
  small.max_entries = 50;
  PackRead r = read("too_many.tar.gz", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->msgid, "The pack has too many entries.");
  EXPECT_FALSE(fs::exists(staging));
  PackLimits full;
  full.free_space = 600 << 20;
  full.reserve = 600 << 20;  // nothing left once the reserve is kept
  r = read("good.tar.gz", full);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->msgid.rfind("Not enough free space on the box", 0), 0u);
  EXPECT_FALSE(fs::exists(staging));
  PackLimits tiny;
  tiny.max_total = 100;
  r = read("good.tar.gz", tiny);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->msgid, "The pack is larger than allowed.");
}

TEST(PackPaths, OnlyPlainRelativePaths) {
  EXPECT_TRUE(safe_pack_path("items/урок1.pdf"));
  for (const char* bad : {"", "/etc/passwd", "items/../x", "items//x", "./items/x", "items\\x",
                          "items/a\nb", "c:/x", "items/."})
    EXPECT_FALSE(safe_pack_path(bad)) << bad;
  EXPECT_FALSE(safe_pack_path(std::string(300, 'a')));
}

TEST(Manifest, RoundTripAndChecks) {
  PackManifest m;
  m.id = "x-1";
  m.title = "T";
  m.items.push_back({"items/a.txt", "A", "text/plain", "", std::string(64, 'a'), 3, 5});
  Problem p;
  auto back = parse_manifest(manifest_to_json(m), &p);
  ASSERT_TRUE(back) << p.msgid;
  EXPECT_EQ(back->items[0].grade, 5);
  EXPECT_FALSE(parse_manifest("{", &p));
  EXPECT_EQ(p.msgid, "The pack's manifest is not valid JSON.");
  EXPECT_FALSE(parse_manifest(R"({"format":"parta-pack","format_version":1,"id":"BAD ID"})", &p));
  EXPECT_EQ(p.msgid, "The pack's id is missing or not valid.");
}

}  // namespace
}  // namespace parta::content

#include "content/durable.hpp"
#include "domain/library.hpp"
#include "storage/database.hpp"

namespace parta::domain {
namespace {

TEST(LibraryStore, ImportIsIdempotentAndGcKeepsWhatIsReferenced) {
  ASSERT_GE(sodium_init(), 0);
  testing::TempDir dir;
  storage::Database db(dir.file("t.db"));
  auto c = db.acquire();
  FakeClock clock;
  content::BlobStore blobs(dir.path());
  std::string pack = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/good.tar.gz";
  auto r = import_pack_file(*c, clock, blobs, pack, 0, 0);
  ASSERT_FALSE(r.problem) << r.problem->msgid;
  EXPECT_EQ(r.outcome, PackOutcome::imported);
  EXPECT_EQ(import_pack_file(*c, clock, blobs, pack, 0, 0).outcome, PackOutcome::unchanged);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM library_items"), 2);
  // A file nothing refers to (say, left by a power cut between rename and record).
  content::BlobInfo orphan = blobs.put("orphan bytes");
  EXPECT_EQ(collect_garbage(*c, blobs, 3600), 0u);  // too young: maybe being recorded now
  EXPECT_EQ(collect_garbage(*c, blobs, -1), 1u);
  EXPECT_FALSE(blobs.has(orphan.sha256));
  for (const auto& i : search_library(*c, "", 0, "")) EXPECT_TRUE(blobs.has(i.sha256));
  // Not enough room once the reserve is kept: refused with a clear message.
  testing::TempDir dir2;
  storage::Database db2(dir2.file("t.db"));
  auto c2 = db2.acquire();
  content::BlobStore blobs2(dir2.path());
  auto full = import_pack_file(*c2, clock, blobs2, pack, 0, content::free_space(dir2.path()) + 1);
  ASSERT_TRUE(full.problem);
  EXPECT_EQ(full.problem->msgid.rfind("Not enough free space on the box", 0), 0u);
  EXPECT_EQ(c2->scalar("SELECT COUNT(*) FROM library_items"), 0);
}

TEST(LibrarySearch, CaseInsensitiveRussian) {
  EXPECT_EQ(fold_case("Ёлка ГЛАГОЛ Verb"), "елка глагол verb");
}

}  // namespace
}  // namespace parta::domain
