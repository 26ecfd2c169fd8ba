#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>
#include <vector>

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

TEST(Storage, PoolIsBoundedAndClosesWhatABurstOpened) {
  testing::TempDir dir;
  PoolOptions o;
  o.max_open = 3;
  o.overflow_after = std::chrono::milliseconds(50);
  o.keep = 1;
  Database db(dir.file("p.db"), o);
  {
    std::vector<Database::Lease> held;
    for (int i = 0; i < 3; ++i) held.push_back(db.acquire());
    EXPECT_EQ(db.open_connections(), 3u);
    // A fourth waits for one to come back ...
    std::thread give_back([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      held.pop_back();
    });
    auto t0 = std::chrono::steady_clock::now();
    auto fourth = db.acquire();
    give_back.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
    EXPECT_EQ(db.open_connections(), 3u);
    // ... and when none does (a thread holding one asks for another) it opens one after a while.
    auto fifth = db.acquire();
    EXPECT_EQ(db.open_connections(), 4u);
  }
  // Returned connections stay open (no opening and preparing again under load) until they have
  // been idle for a while; then all but `keep` are closed.
  EXPECT_EQ(db.open_connections(), 4u);
  EXPECT_EQ(db.close_idle(std::chrono::steady_clock::now()), 0u);
  EXPECT_EQ(db.close_idle(std::chrono::steady_clock::now() + o.idle_close), 3u);
  EXPECT_EQ(db.open_connections(), 1u);
  EXPECT_EQ(db.acquire()->scalar("SELECT 1"), 1);
}

TEST(Storage, ConnectionsCountTheirStatementsButNotTriggers) {
  testing::TestDb t;
  auto c = t.db->acquire();
  c->exec(
      "CREATE TABLE a (x); CREATE TABLE b (y);"
      "CREATE TRIGGER a_b AFTER INSERT ON a BEGIN INSERT INTO b VALUES (NEW.x); END;");
  auto before = c->statements();
  auto steps = c->steps();
  c->run("INSERT INTO a VALUES (1)");
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM b"), 1);
  EXPECT_EQ(c->statements() - before, 2u);  // the insert (with its trigger) and the count
  EXPECT_GT(c->steps(), steps);
}

// What the start page's kept body is checked against (web/page_cache.hpp): the content
// generation moves after any committed write but sign-in bookkeeping, seen from every connection
// of the pool, and not for reads or rolled-back work.
TEST(Storage, ContentGenerationMovesWithCommittedContentOnly) {
  testing::TestDb t;
  auto a = t.db->acquire();
  auto b = t.db->acquire();
  auto g = b->content_generation();
  EXPECT_EQ(a->content_generation(), g);
  a->scalar("SELECT COUNT(*) FROM users");
  EXPECT_EQ(b->content_generation(), g);

  a->run(
      "INSERT INTO users (id, login, last_name, first_name, role, secret_hash, created_at) "
      "VALUES (7, 'ivanov.a', 'Иванов', 'Андрей', 'student', 'x', 0)");
  EXPECT_EQ(b->content_generation(), g + 1);  // autocommit, another connection sees it
  g = b->content_generation();

  // Signing in and opening the portal: a session, its touch, the day's visit (a WITHOUT ROWID
  // table, with its triggers).
  a->run(
      "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) "
      "VALUES ('h', 7, 'c', 0, 0)");
  a->run("UPDATE sessions SET last_seen = 5 WHERE token_hash = 'h'");
  a->run("INSERT INTO visits (user_id, day, first_at) VALUES (7, '2026-12-02', 5)");
  a->run("DELETE FROM sessions WHERE last_seen < 0");
  a->run("DELETE FROM users WHERE id = 8");  // nothing to delete
  EXPECT_EQ(b->content_generation(), g);

  {
    Transaction tx(*a);
    a->run("UPDATE users SET first_name = 'Андрюша' WHERE id = 7");
  }  // rolled back
  EXPECT_EQ(b->content_generation(), g);

  {
    Transaction tx(*a);
    a->run("INSERT INTO visits (user_id, day, first_at) VALUES (7, '2026-12-03', 6)");
    a->run("UPDATE users SET phone = '+7 900 000-00-00' WHERE id = 7");
    EXPECT_EQ(b->content_generation(), g);  // not before the commit
    tx.commit();
  }
  EXPECT_EQ(b->content_generation(), g + 1);
  g = b->content_generation();

  // A WITHOUT ROWID table of content, and a table emptied at once, count too.
  a->run("INSERT INTO sync_seen (device, epoch, seq, hash) VALUES ('d', 'e', 1, 'h')");
  EXPECT_EQ(b->content_generation(), g + 1);
  a->run("DELETE FROM sync_seen");
  EXPECT_EQ(b->content_generation(), g + 2);
}

}  // namespace
}  // namespace parta::storage
