// The sync engine's rules on their own: the grade winner, records' canonical text, certificates,
// the triggers that record changes, and the epoch that changes when a card is cloned or its
// database restored.
#include <gtest/gtest.h>
#include <sodium.h>
#include <stdlib.h>

#include <filesystem>

#include "domain/coursework.hpp"
#include "domain/demo.hpp"
#include "sync/identity.hpp"
#include "sync/records.hpp"
#include "test_db.hpp"

using namespace parta;

namespace {

struct Box {
  parta::testing::TestDb t;
  domain::FakeClock clock{1'795'000'000};
  sync::Identity id;
  Box() {
    EXPECT_GE(sodium_init(), 0);
    id = sync::load_or_create_identity(t.dir.path());
    auto c = t.db->acquire();
    domain::fill_demo(*c, clock);
  }
  std::int64_t outbox(const char* kind) {
    auto c = t.db->acquire();
    return c->scalar("SELECT COUNT(*) FROM sync_outbox WHERE kind = ?1", kind).value_or(0);
  }
};

}  // namespace

TEST(SyncRules, GradeWinnerIsDeterministic) {
  EXPECT_TRUE(sync::grade_wins(3, "a", 2, "z"));  // the higher version wins
  EXPECT_FALSE(sync::grade_wins(2, "z", 3, "a"));
  EXPECT_TRUE(sync::grade_wins(3, "b", 3, "a"));  // a tie goes to the greater origin
  EXPECT_FALSE(sync::grade_wins(3, "a", 3, "b"));
  // Both sides, each asking "does theirs beat mine?", agree on one winner.
  EXPECT_NE(sync::grade_wins(5, "school", 5, "district"),
            sync::grade_wins(5, "district", 5, "school"));
}

TEST(SyncRules, RecordTextIsCanonicalAndParsesBack) {
  sync::Record r;
  r.seq = 7;
  r.kind = "grade";
  r.rid = "abc/123";
  r.version = 2;
  r.origin = "box";
  r.data = {{"mark", "5"}, {"comment", "Молодец"}};
  std::string why;
  auto back = sync::Record::parse(r.text(), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->text(), r.text());
  EXPECT_FALSE(
      sync::Record::parse(R"({"seq":0,"kind":"grade","rid":"x","v":0,"origin":""})", &why));
  EXPECT_FALSE(sync::Record::parse(R"({"seq":1,"kind":"x","rid":"x","v":0,"origin":"",)"
                                   R"("data":{},"blobs":["../../etc/passwd"]})",
                                   &why));
}

TEST(SyncRules, CertificateHoldsOnlyForThisBoxAndThisDistrict) {
  parta::testing::TempDir d1, d2, d3;
  ASSERT_GE(sodium_init(), 0);
  auto district = sync::load_or_create_identity(d1.path());
  auto school = sync::load_or_create_identity(d2.path());
  auto other = sync::load_or_create_identity(d3.path());
  std::string why;
  auto req = sync::parse_enroll_request(sync::make_enroll_request(school, "Школа"), &why);
  ASSERT_TRUE(req) << why;
  std::string cert = sync::issue_certificate(district, *req, 1);
  std::string key = content::bundle::to_hex(district.sign.pk);
  EXPECT_TRUE(sync::verify_certificate(cert, key, school.device_id, &why)) << why;
  EXPECT_FALSE(sync::verify_certificate(cert, key, other.device_id, &why));
  EXPECT_FALSE(sync::verify_certificate(cert, content::bundle::to_hex(other.sign.pk),
                                        school.device_id, &why));
  std::string forged = cert;
  forged.replace(forged.find("Школа"), std::string("Школа").size(), "Шкала");
  EXPECT_FALSE(sync::verify_certificate(forged, key, school.device_id, &why));
  // The identity on disk is the same box next time.
  EXPECT_EQ(sync::load_or_create_identity(d2.path()).device_id, school.device_id);
}

TEST(SyncRules, ChangesAreRecordedWithTheChangeAndImportsAreNot) {
  Box b;
  auto c = b.t.db->acquire();
  sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::school);
  auto teacher = c->scalar("SELECT id FROM users WHERE login = 'smirnova'").value();
  c->run(
      "INSERT INTO assignments (class_id, subject_id, teacher_id, title, grading, publish_at, "
      "due_at, created_at) VALUES (1, 1, ?1, 'Т', 'mark', 0, 0, 0)",
      teacher);
  auto a = c->last_insert_id();
  EXPECT_EQ(b.outbox("assignment"), 1);
  domain::set_grade(*c, b.clock, a, 19, teacher, "4", "");
  domain::set_grade(*c, b.clock, a, 19, teacher, "5", "");
  EXPECT_EQ(b.outbox("grade"), 2);
  EXPECT_EQ(c->scalar("SELECT version FROM grades WHERE assignment_id = ?1", a).value(), 2);
  // What an import writes (another origin's version) is not sent back.
  c->run("UPDATE grades SET mark = '3', version = 3, origin = 'district' WHERE assignment_id = ?1",
         a);
  EXPECT_EQ(b.outbox("grade"), 2);
  // A teacher's edit after it is this box's again, one version up.
  domain::set_grade(*c, b.clock, a, 19, teacher, "4", "");
  EXPECT_EQ(b.outbox("grade"), 3);
  EXPECT_EQ(c->scalar("SELECT version FROM grades WHERE assignment_id = ?1", a).value(), 4);
}

TEST(SyncRules, CloneAndRestoreStartANewEpochAndKeepWhatWasNotSent) {
  Box b;
  auto c = b.t.db->acquire();
  setenv("PARTA_HW_MARKER", "board-1", 1);
  auto first = sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::school);
  EXPECT_EQ(first.why, "first");
  auto again = sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::school);
  EXPECT_FALSE(again.changed);
  std::int64_t pending = c->scalar("SELECT COUNT(*) FROM sync_outbox").value();

  setenv("PARTA_HW_MARKER", "board-2", 1);  // the card in another board
  auto clone = sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::school);
  EXPECT_EQ(clone.why, "clone");
  EXPECT_NE(clone.epoch, first.epoch);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM sync_outbox WHERE epoch = ?1", clone.epoch).value(),
            pending);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM sync_alarms WHERE kind = 'clone'").value(), 1);

  // A bundle left with numbers up to 1000; the database says less: it was restored.
  sync::write_watermark(b.t.dir.path(), clone.epoch, 1000);
  auto restored = sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::school);
  EXPECT_EQ(restored.why, "restore");
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM sync_outbox WHERE epoch = ?1", restored.epoch).value(),
            pending);
  unsetenv("PARTA_HW_MARKER");
  // A district's data folder is not a school's.
  EXPECT_THROW(sync::ensure_epoch(*c, b.clock, b.t.dir.path(), b.id, sync::Role::district),
               std::runtime_error);
}
