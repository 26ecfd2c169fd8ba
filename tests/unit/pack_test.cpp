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

#include "content/bundle.hpp"
#include "content/durable.hpp"
#include "domain/library.hpp"
#include "storage/database.hpp"

namespace parta::domain {
namespace {

// A library of its own: a database, a blob store and a clock in a fresh folder.
class LibraryStore : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  testing::TempDir dir;
  storage::Database db{dir.file("t.db")};
  storage::Database::Lease c = db.acquire();
  FakeClock clock;
  content::BlobStore blobs{dir.path()};
};
using LibraryTrust = LibraryStore;

TEST_F(LibraryStore, ImportIsIdempotentAndGcKeepsWhatIsReferenced) {
  std::string pack = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/good.tar.gz";
  PackTrust local{"", true, false};  // the admin chose to import it unsigned
  auto r = import_pack_file(*c, clock, blobs, pack, 0, 0, local);
  ASSERT_FALSE(r.problem) << r.problem->msgid;
  EXPECT_EQ(r.outcome, PackOutcome::imported);
  EXPECT_EQ(import_pack_file(*c, clock, blobs, pack, 0, 0, local).outcome, PackOutcome::unchanged);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM library_items"), 2);
  // A file nothing refers to (say, left by a power cut between rename and record).
  content::BlobInfo orphan = blobs.put("orphan bytes");
  EXPECT_EQ(collect_garbage(*c, blobs, 3600).files, 0u);  // too young: maybe being recorded now
  EXPECT_EQ(collect_garbage(*c, blobs, -1).files, 1u);
  EXPECT_FALSE(blobs.has(orphan.sha256));
  for (const auto& i : search_library(*c, "", 0, "")) EXPECT_TRUE(blobs.has(i.sha256));
  // partad's start: a file no row names goes whatever its age; a recorded one stays, referenced
  // or not (the gc above decides about those).
  content::BlobInfo cut = blobs.put("left by a power cut");
  // ... written before the cut by a clock ahead of the one the box boots with (a Pi has no
  // battery clock): its time is in the future, and it goes all the same.
  std::filesystem::last_write_time(
      blobs.path_of(cut.sha256),
      std::filesystem::file_time_type::clock::now() + std::chrono::hours(2));
  content::BlobInfo kept = blobs.put("recorded, not yet referenced");
  c->run("INSERT INTO blobs (sha256, size, created_at) VALUES (?1, ?2, 0)", kept.sha256,
         static_cast<std::int64_t>(kept.size));
  EXPECT_EQ(collect_garbage(*c, blobs, -1, Sweep::unrecorded).files, 1u);
  EXPECT_FALSE(blobs.has(cut.sha256));
  EXPECT_TRUE(blobs.has(kept.sha256));
  for (const auto& i : search_library(*c, "", 0, "")) EXPECT_TRUE(blobs.has(i.sha256));
  // Not enough room once the reserve is kept: refused with a clear message.
  testing::TempDir dir2;
  storage::Database db2(dir2.file("t.db"));
  auto c2 = db2.acquire();
  content::BlobStore blobs2(dir2.path());
  auto full =
      import_pack_file(*c2, clock, blobs2, pack, 0, content::free_space(dir2.path()) + 1, local);
  ASSERT_TRUE(full.problem);
  EXPECT_EQ(full.problem->msgid.rfind("Not enough free space on the box", 0), 0u);
  EXPECT_EQ(c2->scalar("SELECT COUNT(*) FROM library_items"), 0);
}

// A pack id belongs to its signer: the district's packs come in from any stick, one nobody signed
// only when the admin chooses, never over the district's id; the district takes back an id a
// local pack used; a pack changed after it was signed is refused whole.
TEST_F(LibraryTrust, SignedPacksAndOwners) {
  auto district = content::bundle::SigningKey::generate();
  auto stranger = content::bundle::SigningKey::generate();
  std::string key = content::bundle::to_hex(district.pk);
  std::string fx = std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/";
  std::string v1 = dir.file("v1-signed.tar.gz"), v2 = dir.file("v2-signed.tar.gz");
  std::string other = dir.file("stranger.tar.gz");
  content::Problem problem;
  ASSERT_TRUE(content::sign_pack(fx + "good.tar.gz", v1, district, &problem)) << problem.msgid;
  ASSERT_TRUE(content::sign_pack(fx + "good_v2.tar.zst", v2, district, &problem));
  ASSERT_TRUE(content::sign_pack(fx + "good_v2.tar.zst", other, stranger, &problem));
  ASSERT_FALSE(content::sign_pack(fx + "dotdot.tar.gz", dir.file("x"), district, &problem));
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));  // nothing broken gets signed
  PackTrust from_stick{key, false, false};

  auto unsigned_pack = import_pack_file(*c, clock, blobs, fx + "good.tar.gz", 0, 0, from_stick);
  ASSERT_TRUE(unsigned_pack.problem);
  EXPECT_TRUE(unsigned_pack.needs_admin);
  auto foreign = import_pack_file(*c, clock, blobs, other, 0, 0, from_stick);
  ASSERT_TRUE(foreign.problem);
  EXPECT_TRUE(foreign.needs_admin);
  EXPECT_EQ(foreign.problem->msgid.rfind("This pack is signed by a key this box does not", 0), 0u);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM packs"), 0);

  // A local pack took the id first (the admin chose it); the district's own pack takes it back
  // even at a lower version.
  ASSERT_FALSE(
      import_pack_file(*c, clock, blobs, fx + "good_v2.tar.zst", 0, 0, {key, true, false}).problem);
  auto back = import_pack_file(*c, clock, blobs, v1, 0, 0, from_stick);
  ASSERT_FALSE(back.problem) << back.problem->msgid;
  EXPECT_EQ(c->scalar("SELECT version FROM packs"), 1);
  EXPECT_EQ(*c->scalar("SELECT COUNT(*) FROM packs WHERE signer = ?1", key), 1);
  // Now nobody else can replace it, however high the version, even with the admin's consent.
  auto squat = import_pack_file(*c, clock, blobs, other, 0, 0, {key, true, false});
  ASSERT_TRUE(squat.problem);
  EXPECT_FALSE(squat.needs_admin);
  EXPECT_EQ(squat.problem->msgid.rfind("The pack id {id} belongs to a pack the district", 0), 0u);
  // The district's next version goes in.
  EXPECT_EQ(import_pack_file(*c, clock, blobs, v2, 0, 0, from_stick).outcome, PackOutcome::updated);

  // A signed pack whose manifest was changed afterwards: refused whole, even for the admin.
  content::PackRead r = content::read_pack(v1, dir.file("stage"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.signer, key);
  std::string manifest = content::manifest_to_json(r.manifest);
  EXPECT_TRUE(
      content::check_signature(content::signature_json(manifest, district), manifest, &problem));
  std::string forged = manifest;
  forged.replace(forged.find("\"version\": 1"), 12, "\"version\": 9");
  EXPECT_FALSE(
      content::check_signature(content::signature_json(manifest, district), forged, &problem));
  EXPECT_EQ(problem.msgid.rfind("The pack's signature does not match", 0), 0u);
}

// gc knows every column that names a blob: a new one in the schema must be added to its list.
TEST_F(LibraryStore, GcKnowsEveryBlobColumn) {
  std::set<std::string> listed;
  for (const auto& col : blob_columns()) listed.insert(std::string(col.table) + "." + col.column);
  auto tables = c->query("SELECT name FROM sqlite_master WHERE type = 'table'");
  while (tables.next()) {
    std::string t = tables.text(0);
    auto cols = c->query("SELECT name FROM pragma_table_info(?1)", t);
    while (cols.next()) {
      std::string col = cols.text(0);
      bool names_blob = col.ends_with("sha") || col.ends_with("sha256");
      // What a peer holds, wants or was asked for names files without keeping them.
      bool bookkeeping =
          t == "sync_peer_blobs" || t == "sync_wanted_blobs" || t == "original_requests";
      if (!names_blob || t == "blobs" || t == "packs" || bookkeeping) continue;
      EXPECT_TRUE(listed.count(t + "." + col)) << t << "." << col << " is not in blob_columns()";
    }
  }
}

// gc on a district hub: the files schools sent are named only inside records' JSON; they stay.
// A row goes before its file, and a blob still referenced is never removed.
TEST_F(LibraryStore, GcKeepsFilesNamedInRecordsAndDeletesRowsFirst) {
  auto sent = blobs.put("a photo of a notebook a school sent");
  auto queued = blobs.put("a pack the district queued");
  auto packet = blobs.put("%PDF- a packet");
  auto orphan = blobs.put("nobody's");
  for (const auto& b : {sent, queued, packet, orphan}) record_blob(*c, clock, b.sha256, b.size);
  c->run(
      "INSERT INTO sync_records (peer, kind, rid, version, origin, data) VALUES ('s1', "
      "'submission', 'r1', 1, 's1', ?1)",
      R"({"files":[{"sha256":")" + sent.sha256 + R"(","name":"тетрадь.jpg"}]})");
  c->run(
      "INSERT INTO sync_outbox (epoch, peer, kind, ref, payload) VALUES ('e', 's1', 'pack', ?1, "
      "?2)",
      queued.sha256, R"({"blobs":[")" + queued.sha256 + R"("]})");
  c->exec("PRAGMA foreign_keys = OFF");  // a print run without its assignment, for brevity
  c->run(
      "INSERT INTO print_runs (run, assignment_id, created_by, created_at, answer_pages, ruling, "
      "combined_sha) VALUES ('ABC123', 1, 1, 0, 2, 'lined', ?1)",
      packet.sha256);
  c->exec("PRAGMA foreign_keys = ON");
  auto g = collect_garbage(*c, blobs, -1);
  EXPECT_EQ(g.files, 1u);
  EXPECT_FALSE(blobs.has(orphan.sha256));
  EXPECT_FALSE(c->scalar("SELECT 1 FROM blobs WHERE sha256 = ?1", orphan.sha256));
  for (const auto& b : {sent, queued, packet}) EXPECT_TRUE(blobs.has(b.sha256)) << b.sha256;
}

TEST(LibrarySearch, CaseInsensitiveRussian) {
  EXPECT_EQ(fold_case("Ёлка ГЛАГОЛ Verb"), "елка глагол verb");
}

}  // namespace
}  // namespace parta::domain
