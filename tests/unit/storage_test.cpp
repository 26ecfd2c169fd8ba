#include <gtest/gtest.h>
#include <sqlite3.h>

#include "storage/migrations.hpp"
#include "test_db.hpp"

namespace parta::storage {
namespace {

TEST(Storage, MigratesToCurrentVersionWithWalAndForeignKeys) {
  testing::TestDb t;
  EXPECT_EQ(t.db->schema_version(), kSchemaVersion);
  auto c = t.db->acquire();
  auto q = c->query("PRAGMA journal_mode");
  ASSERT_TRUE(q.next());
  EXPECT_EQ(q.text(0), "wal");
  EXPECT_EQ(c->scalar("PRAGMA foreign_keys"), 1);
}

TEST(Storage, RefusesNewerSchema) {
  testing::TempDir dir;
  {
    Database db(dir.file("x.db"));
    auto c = db.acquire();
    c->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  try {
    Database db(dir.file("x.db"));
    FAIL() << "opened a newer schema";
  } catch (const DbError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
  }
}

TEST(Storage, BoundParametersKeepQuotesAsData) {
  testing::TestDb t;
  auto c = t.db->acquire();
  const std::string evil = "x'); DROP TABLE subjects; --";
  c->run("INSERT INTO subjects (name) VALUES (?1)", evil);
  auto q = c->query("SELECT name FROM subjects WHERE name = ?1", evil);
  ASSERT_TRUE(q.next());
  EXPECT_EQ(q.text(0), evil);
}

TEST(Storage, TransactionRollsBackUnlessCommitted) {
  testing::TestDb t;
  auto c = t.db->acquire();
  {
    Transaction tx(*c);
    c->run("INSERT INTO subjects (name) VALUES ('A')");
  }
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM subjects"), 0);
  {
    Transaction tx(*c);
    c->run("INSERT INTO subjects (name) VALUES ('B')");
    tx.commit();
  }
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM subjects"), 1);
}

TEST(Storage, CachedStatementIsReusableAndNestedUseWorks) {
  testing::TestDb t;
  auto c = t.db->acquire();
  for (const char* n : {"a", "b", "c"}) c->run("INSERT INTO subjects (name) VALUES (?1)", n);
  const char* sql = "SELECT name FROM subjects ORDER BY name";
  auto outer = c->query(sql);
  int rows = 0;
  while (outer.next()) {
    auto inner = c->query(sql);  // same SQL while the cached one is in use
    int inner_rows = 0;
    while (inner.next()) ++inner_rows;
    EXPECT_EQ(inner_rows, 3);
    ++rows;
  }
  EXPECT_EQ(rows, 3);
}

TEST(Storage, ConstraintErrorsAreTyped) {
  testing::TestDb t;
  auto c = t.db->acquire();
  c->run("INSERT INTO subjects (name) VALUES ('X')");
  try {
    c->run("INSERT INTO subjects (name) VALUES ('X')");
    FAIL();
  } catch (const DbError& e) {
    EXPECT_TRUE(e.is_constraint());
  }
}

TEST(Storage, IntegrityCheckSaysOk) {
  testing::TestDb t;
  auto r = t.db->integrity_check();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], "ok");
}

}  // namespace
}  // namespace parta::storage
