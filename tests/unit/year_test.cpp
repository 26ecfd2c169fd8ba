// A school year in the database: the migration from schema version 11 with a year of data in it,
// the unread counts and the at-risk figures kept exact as the data changes, and the set-based work
// states equal to the per-row definition they replace.
#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "domain/conversations.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/monitoring.hpp"
#include "storage/migrations.hpp"
#include "test_db.hpp"
#include "year_gen.hpp"

namespace parta::domain {
namespace {

// The schema before issue 22's migration: the version the year migration starts from.
constexpr int kBeforeYear = 11;

bench::YearSpec small_year() {
  bench::YearSpec spec;
  spec.classes = 3;
  spec.students = 10;
  spec.subjects = 5;
  spec.days = 170;
  spec.per_day = 2;
  spec.last_day = "2026-11-20";
  return spec;
}
// The evening after the year's last school day.
std::int64_t year_now() { return day_start("2026-11-20") + 20 * 3600; }

std::vector<std::int64_t> ids(storage::Connection& c, const std::string& sql) {
  std::vector<std::int64_t> out;
  auto q = c.query(sql);
  while (q.next()) out.push_back(q.integer(0));
  return out;
}

// What the pages read from a year, as text: equal before and after the migration.
std::string what_pages_read(storage::Connection& c, std::int64_t now,
                            const std::vector<std::string>& tables) {
  std::ostringstream out;
  for (const auto& t : tables)
    out << t << " " << c.scalar("SELECT COUNT(*) FROM " + t).value_or(-1) << "\n";
  for (auto k : ids(c, "SELECT id FROM classes ORDER BY id")) {
    for (const auto& r : at_risk(c, k, now, 3))
      out << "risk " << r.student.user.id << " " << r.last_active << " " << r.idle_days << " "
          << r.overdue << " " << r.falling << "\n";
    auto week = week_report(c, k, monday_of(local_day(now)));
    out << "week " << k << " " << week.active << " " << week.submitted << " " << week.reached << " "
        << week.absences << "\n";
    for (auto s : ids(c, "SELECT subject_id FROM teaching WHERE class_id = " + std::to_string(k))) {
      auto g = gradebook(c, k, s);
      for (const auto& r : g.rows) {
        out << "gb " << k << " " << s << " " << r.student.user.id;
        for (const auto& m : r.marks) out << " " << m;
        out << "\n";
      }
    }
  }
  for (auto sid : ids(c, "SELECT user_id FROM students ORDER BY user_id")) {
    for (const auto& [a, st] : work_of_student(c, sid, now, {}))
      out << "work " << sid << " " << a.id << " " << status_code(st.status) << " " << st.submissions
          << "\n";
    for (const auto& e : diary(c, sid)) out << "diary " << sid << " " << e.grade.mark << "\n";
  }
  for (auto uid : ids(c, "SELECT id FROM users ORDER BY id")) {
    User u;
    u.id = uid;
    out << "unread " << uid << " " << unread_recount(c, u) << "\n";
  }
  return out.str();
}

// Every user's kept unread count equals the count from the messages, and every conversation's
// kept latest message is its latest message.
void expect_counts_exact(storage::Connection& c, const std::string& after) {
  for (auto uid : ids(c, "SELECT id FROM users")) {
    User u;
    u.id = uid;
    EXPECT_EQ(c.scalar("SELECT n FROM unread_counts WHERE user_id = ?1", uid).value_or(-1),
              unread_recount(c, u))
        << "user " << uid << " after " << after;
  }
  EXPECT_EQ(c.scalar("SELECT COUNT(*) FROM conversations cv WHERE last_message != COALESCE((SELECT "
                     "MAX(id) FROM messages m WHERE m.conversation_id = cv.id), 0)"),
            0)
      << "after " << after;
}

// A user's message list, page by page, is every conversation they belong to (direct ones once
// written in), newest activity first.
void expect_lists_exact(storage::Connection& c) {
  for (auto uid : ids(c, "SELECT id FROM users WHERE role != 'admin'")) {
    User u;
    u.id = uid;
    std::vector<std::int64_t> want = ids(
        c,
        "SELECT cv.id FROM conversations cv WHERE (cv.user_a = " + std::to_string(uid) +
            " OR cv.user_b = " + std::to_string(uid) +
            ") AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = cv.id) OR "
            "cv.class_id IN (SELECT class_id FROM students WHERE user_id = " +
            std::to_string(uid) +
            ") OR cv.class_id IN (SELECT id FROM classes WHERE class_teacher_id = " +
            std::to_string(uid) +
            ") OR cv.group_id IN (SELECT group_id FROM group_members WHERE user_id = " +
            std::to_string(uid) +
            ") OR cv.group_id IN (SELECT id FROM groups WHERE owner_id = " + std::to_string(uid) +
            ") ORDER BY COALESCE((SELECT MAX(id) FROM messages m WHERE m.conversation_id = "
            "cv.id), 0) DESC, cv.id DESC");
    std::vector<std::int64_t> got;
    bool more = true;
    for (std::size_t from = 0; more; from += 3)
      for (const auto& v : conversations_of(c, u, 3, from, &more)) got.push_back(v.id);
    EXPECT_EQ(got, want) << "user " << uid;
  }
}

TEST(Year, MigratesAPopulatedYearFromVersion11) {
  ASSERT_GE(sodium_init(), 0);
  testing::TempDir dir;
  storage::Connection c(dir.file("old.db"));
  storage::migrate(c, kBeforeYear);
  ASSERT_EQ(c.scalar("PRAGMA user_version"), kBeforeYear);
  auto made = bench::generate_year(c, small_year(), year_now());
  ASSERT_GT(made.submissions, 5000);
  std::vector<std::string> tables;
  {
    auto q = c.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
        "'sqlite_%' ORDER BY name");
    while (q.next()) tables.push_back(q.text(0));
  }
  std::string before = what_pages_read(c, year_now(), tables);

  storage::migrate(c);
  EXPECT_EQ(c.scalar("PRAGMA user_version"), storage::kSchemaVersion);
  auto check = c.query("PRAGMA integrity_check");
  ASSERT_TRUE(check.next());
  EXPECT_EQ(check.text(0), "ok");
  EXPECT_FALSE(c.query("PRAGMA foreign_key_check").next());
  for (const char* index :
       {"grades_student", "assignment_students_student", "assignments_due", "assignments_teacher",
        "assignments_created", "submissions_student", "classes_teacher", "groups_owner",
        "announcements_board", "announcements_pinned", "print_runs_assignment"})
    EXPECT_TRUE(c.scalar("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1", index))
        << index;
  // Nothing a page reads changed, and the kept counts are what counting says.
  EXPECT_EQ(what_pages_read(c, year_now(), tables), before);
  std::map<std::int64_t, std::int64_t> kept;
  for (auto uid : ids(c, "SELECT id FROM users")) {
    User u;
    u.id = uid;
    auto n = c.scalar("SELECT n FROM unread_counts WHERE user_id = ?1", uid);
    ASSERT_TRUE(n) << uid;
    EXPECT_EQ(*n, unread_recount(c, u)) << uid;
    kept[uid] = *n;
  }
  expect_counts_exact(c, "the migration");
  expect_lists_exact(c);
  std::int64_t unread = 0;
  for (const auto& [uid, n] : kept) unread += n;
  EXPECT_GT(unread, 0);  // the generated year leaves some messages unread

  // The same year made on the current schema (its triggers counting as it goes) agrees.
  storage::Connection fresh(dir.file("new.db"));
  storage::migrate(fresh);
  bench::generate_year(fresh, small_year(), year_now());
  for (const auto& [uid, n] : kept)
    EXPECT_EQ(fresh.scalar("SELECT n FROM unread_counts WHERE user_id = ?1", uid), n) << uid;
  EXPECT_EQ(what_pages_read(fresh, year_now(), tables), before);
}

TEST(Year, UnreadCountsFollowEveryChange) {
  ASSERT_GE(sodium_init(), 0);
  testing::TestDb t;
  auto c = t.db->acquire();
  bench::YearSpec spec;
  spec.classes = 2;
  spec.students = 6;
  spec.subjects = 3;
  spec.days = 10;
  spec.per_day = 1;
  spec.last_day = "2026-11-20";
  FakeClock clock(year_now());
  bench::generate_year(*c, spec, clock.now());
  expect_counts_exact(*c, "the generated days");
  std::mt19937 rng(7);
  auto any = [&](const std::string& sql) {
    auto v = ids(*c, sql);
    return v.empty() ? 0 : v[rng() % v.size()];
  };
  for (int step = 0; step < 300; ++step) {
    clock.advance(60);
    int op = static_cast<int>(rng() % 10);
    std::string what = std::to_string(step) + ":" + std::to_string(op);
    std::int64_t conv = any("SELECT id FROM conversations");
    std::int64_t user = any("SELECT id FROM users");
    switch (op) {
      case 0:
      case 1:
      case 2: {  // a member writes
        User viewer;
        viewer.id = user;
        auto v = find_conversation(*c, conv, viewer);
        std::int64_t author =
            any("SELECT user_a FROM conversations WHERE id = " + std::to_string(conv) +
                " AND user_a IS NOT NULL UNION SELECT user_id FROM students s JOIN conversations x "
                "ON x.class_id = s.class_id WHERE x.id = " +
                std::to_string(conv) +
                " UNION SELECT m.user_id FROM group_members m JOIN conversations x ON x.group_id = "
                "m.group_id WHERE x.id = " +
                std::to_string(conv));
        if (v && author) post_message(*c, clock, conv, author, "новость");
        break;
      }
      case 3:  // someone reads (members and the admin, who is not a member of class ones)
        mark_read(*c, conv, user);
        break;
      case 4:  // the moderator hides a message, or shows it again
        c->run("UPDATE messages SET removed = 1 - removed WHERE id = ?1",
               any("SELECT id FROM messages ORDER BY id DESC LIMIT 20"));
        break;
      case 5:  // a student moves to the other class
        c->run(
            "UPDATE students SET class_id = (SELECT id FROM classes WHERE id != class_id "
            "LIMIT 1) WHERE user_id = ?1",
            any("SELECT user_id FROM students"));
        break;
      case 6: {  // group members come and go
        std::int64_t g = any("SELECT id FROM groups");
        std::int64_t s = any("SELECT user_id FROM students");
        if (rng() % 2)
          c->run("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)", g, s);
        else
          c->run("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2", g, s);
        break;
      }
      case 7:  // another class teacher
        c->run("UPDATE classes SET class_teacher_id = ?1 WHERE id = ?2",
               any("SELECT id FROM users WHERE role = 'teacher'"), any("SELECT id FROM classes"));
        break;
      case 8:  // a new direct conversation, or one read back to an older message
        if (rng() % 2) {
          std::int64_t a = any("SELECT id FROM users WHERE role = 'teacher'");
          std::int64_t b = any("SELECT id FROM users WHERE role = 'parent'");
          post_message(*c, clock, direct_conversation(*c, a, b), a, "здравствуйте");
        } else {
          c->run("UPDATE conversation_reads SET last_read = last_read / 2 WHERE rowid = ?1",
                 any("SELECT rowid FROM conversation_reads"));
        }
        break;
      case 9:  // rarely: a group deleted with its conversation, or a whole conversation, or a
               // conversation's latest message erased
        if (step % 50 == 9) {
          if (rng() % 3 == 0)
            c->run("DELETE FROM groups WHERE id = ?1", any("SELECT id FROM groups"));
          else if (rng() % 2)
            c->run("DELETE FROM conversations WHERE id = ?1", conv);
          else
            c->run("DELETE FROM messages WHERE id = (SELECT MAX(id) FROM messages)");
        }
        break;
    }
    expect_counts_exact(*c, what);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(c->scalar("SELECT SUM(n) FROM unread_counts").value_or(0), 0);
  expect_lists_exact(*c);
}

TEST(Year, SetBasedWorkStatesMatchPerRowStates) {
  ASSERT_GE(sodium_init(), 0);
  testing::TestDb t;
  auto c = t.db->acquire();
  auto spec = small_year();
  spec.days = 40;
  std::int64_t now = year_now();
  bench::generate_year(*c, spec, now);
  for (auto sid : ids(*c, "SELECT user_id FROM students")) {
    auto list = work_of_student(*c, sid, now, {});
    // The assignments as the old per-row pages found them.
    auto per_row =
        ids(*c, "SELECT a.id FROM assignments a WHERE a.publish_at <= " + std::to_string(now) +
                    " AND ((a.whole_class = 1 AND a.class_id = (SELECT class_id FROM "
                    "students WHERE user_id = " +
                    std::to_string(sid) +
                    ")) OR EXISTS (SELECT 1 FROM assignment_students x WHERE "
                    "x.assignment_id = a.id AND x.student_id = " +
                    std::to_string(sid) + ")) ORDER BY a.due_at, a.id");
    ASSERT_EQ(list.size(), per_row.size());
    for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].assignment.id, per_row[i]);
    for (const auto& [a, st] : list) {
      auto one = state_of(*c, a, sid, now);
      EXPECT_EQ(st.status, one.status) << a.id << " " << sid;
      EXPECT_EQ(st.submissions, one.submissions);
      EXPECT_EQ(st.grade.has_value(), one.grade.has_value());
    }
    // The start page's query: the unfinished ones from four weeks back, soonest first.
    WorkQuery w;
    w.due.from = now - std::int64_t{kRecentDays} * 24 * 3600;
    w.unfinished = true;
    std::size_t expected = 0;
    for (const auto& [a, st] : list)
      expected += a.due_at >= w.due.from &&
                  (st.status == WorkStatus::none || st.status == WorkStatus::overdue ||
                   st.status == WorkStatus::returned);
    EXPECT_EQ(work_of_student(*c, sid, now, w).size(), expected) << sid;
  }
  for (auto aid : ids(*c, "SELECT id FROM assignments WHERE id % 7 = 0")) {
    auto a = *find_assignment(*c, aid);
    auto rows = work_of_assignment(*c, a, now);
    auto students = students_of(*c, a);
    ASSERT_EQ(rows.size(), students.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].student.user.id, students[i].user.id);
      EXPECT_EQ(rows[i].state.status, state_of(*c, a, students[i].user.id, now).status);
      EXPECT_EQ(rows[i].has_variant, !variant_for(*c, aid, students[i].user.id).empty());
    }
  }
  // The at-risk figures' overdue work: what the per-row states say for the last four weeks.
  for (auto k : ids(*c, "SELECT id FROM classes")) {
    for (const auto& f : risk_facts(*c, {k}, now, nullptr)) {
      int overdue = 0;
      for (const auto& [a, st] : work_of_student(*c, f.student_id, now, {}))
        overdue += st.status == WorkStatus::overdue &&
                   a.due_at >= now - std::int64_t{kOverdueWindowDays} * 24 * 3600;
      EXPECT_EQ(f.overdue, overdue) << f.student_id;
    }
  }
}

TEST(Year, RiskCacheHoldsUntilTheDataOrTheTimeChanges) {
  ASSERT_GE(sodium_init(), 0);
  testing::TestDb t;
  auto c = t.db->acquire();
  auto spec = small_year();
  spec.days = 30;
  std::int64_t now = year_now();
  bench::generate_year(*c, spec, now);
  auto classes = ids(*c, "SELECT id FROM classes");
  RiskCache cache;
  auto counts = [&](std::int64_t at) { return at_risk_counts(*c, classes, at, 3, &cache); };
  auto cost = [&](std::int64_t at) {
    auto before = c->statements();
    auto n = counts(at);
    return std::make_pair(n, c->statements() - before);
  };
  auto [first, computed] = cost(now);
  EXPECT_EQ(first, at_risk_counts(*c, classes, now, 3, nullptr));
  auto [again, kept] = cost(now + 60);
  EXPECT_EQ(again, first);
  EXPECT_EQ(kept, 1u);  // only the change counters were read
  EXPECT_GT(computed, kept);

  // A submission changes the data of one class: computed again, and the same as without a cache.
  std::int64_t student = ids(*c, "SELECT user_id FROM students LIMIT 1")[0];
  auto a = work_of_student(*c, student, now, {}).back().assignment;
  FakeClock clock(now + 120);
  submit(*c, clock, a, student, student, "готово", {}, "web", "");
  auto [changed, recomputed] = cost(now + 120);
  EXPECT_GT(recomputed, 1u);
  EXPECT_EQ(changed, at_risk_counts(*c, classes, now + 120, 3, nullptr));

  // A visit (written with INSERT OR IGNORE, whose conflict clause the counting trigger must not
  // inherit) counts as a change too.
  VisitLog visits;
  std::int64_t other = ids(*c, "SELECT user_id FROM students ORDER BY user_id DESC LIMIT 1")[0];
  c->run("DELETE FROM visits WHERE user_id = ?1 AND day = ?2", other, local_day(now + 180));
  visits.note(*c, other, local_day(now + 180), now + 180);
  EXPECT_GT(cost(now + 180).second, 1u);

  // Midnight: idle days move.
  std::int64_t tomorrow = day_start(add_days(local_day(now), 1)) + 3600;
  auto [next_day, recomputed_day] = cost(tomorrow);
  EXPECT_GT(recomputed_day, 1u);
  EXPECT_EQ(next_day, at_risk_counts(*c, classes, tomorrow, 3, nullptr));

  // A due time passes (work becomes overdue): computed again, the same day. At 07:00 of the last
  // school day the previous day's work is due at 08:00.
  std::int64_t morning = day_start("2026-11-20") + 7 * 3600;
  EXPECT_GT(cost(morning).second, 1u);
  EXPECT_EQ(cost(morning + 10).second, 1u);
  auto due = c->scalar("SELECT MIN(due_at) FROM assignments WHERE due_at >= ?1", morning);
  ASSERT_TRUE(due);
  ASSERT_EQ(local_day(*due), "2026-11-20");
  EXPECT_EQ(cost(*due).second, 1u);  // due now, not overdue yet
  auto [late, recomputed_due] = cost(*due + 1);
  EXPECT_GT(recomputed_due, 1u);
  EXPECT_EQ(late, at_risk_counts(*c, classes, *due + 1, 3, nullptr));
}

TEST(Year, OutboxAndHubRecordsAreCountedAsTheyCome) {
  testing::TestDb t;
  auto c = t.db->acquire();
  auto counted = [&](const char* table, const char* peer) {
    return c->scalar(std::string("SELECT n FROM ") + table + " WHERE peer = ?1", peer).value_or(0);
  };
  for (int i = 0; i < 5; ++i)
    c->run("INSERT INTO sync_outbox (epoch, peer, kind, ref) VALUES ('e', ?1, 'visit', ?2)",
           i % 2 ? "school-a" : "", std::to_string(i));
  EXPECT_EQ(counted("sync_outbox_counts", ""), 3);
  EXPECT_EQ(counted("sync_outbox_counts", "school-a"), 2);
  c->run("DELETE FROM sync_outbox WHERE peer = '' AND seq <= 3");
  EXPECT_EQ(counted("sync_outbox_counts", ""), 1);
  for (const char* kind : {"grade", "grade-lost", "visit"})
    c->run(
        "INSERT OR IGNORE INTO sync_records (peer, kind, rid, version, origin, data) VALUES "
        "('school-a', ?1, 'r1', 1, 'x', '{}')",
        kind);
  EXPECT_EQ(counted("sync_record_counts", "school-a"), 2);  // lost grades are not records
  c->run("UPDATE sync_records SET deleted = 1 WHERE kind = 'visit'");
  EXPECT_EQ(counted("sync_record_counts", "school-a"), 1);
  EXPECT_EQ(counted("sync_record_counts", "school-a"),
            c->scalar("SELECT COUNT(*) FROM sync_records WHERE peer = 'school-a' AND deleted = 0 "
                      "AND kind != 'grade-lost'"));
}

TEST(Year, TermsAndMonths) {
  auto t = term_of("2026-09-01");
  EXPECT_EQ(t.code(), "2026-1");
  EXPECT_EQ(t.first, "2026-09-01");
  EXPECT_EQ(t.end, "2026-11-01");
  EXPECT_EQ(term_of("2026-12-31").code(), "2026-2");
  EXPECT_EQ(term_of("2026-12-31").end, "2027-01-01");
  EXPECT_EQ(term_of("2027-01-01").code(), "2026-3");
  EXPECT_EQ(term_of("2027-03-31").end, "2027-04-01");
  EXPECT_EQ(term_of("2027-04-01").code(), "2026-4");
  EXPECT_EQ(term_of("2027-08-31").end, "2027-09-01");
  EXPECT_EQ(next_term(term_of("2027-08-31")).code(), "2027-1");
  EXPECT_EQ(parse_term("2026-3")->first, "2027-01-01");
  EXPECT_FALSE(parse_term("2026-5"));
  EXPECT_FALSE(parse_term("x"));
  EXPECT_EQ(add_months("2026-12", 1), "2027-01");
  EXPECT_EQ(add_months("2027-01", -1), "2026-12");
  EXPECT_TRUE(valid_month("2026-11"));
  EXPECT_FALSE(valid_month("2026-13"));
  EXPECT_FALSE(valid_month("2026-1x"));
}

}  // namespace
}  // namespace parta::domain
