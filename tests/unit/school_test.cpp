#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "domain/demo.hpp"
#include "domain/hash_slots.hpp"
#include "domain/roster_import.hpp"
#include "domain/school.hpp"
#include "domain/translit.hpp"
#include "test_db.hpp"

namespace parta::domain {
namespace {

class DomainTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
  testing::TestDb t;
  storage::Database::Lease c = t.db->acquire();
  FakeClock clock;
};

TEST(ClassName, Normalizes) {
  EXPECT_EQ(normalize_class_name("5а"), "5А");
  EXPECT_EQ(normalize_class_name(" 11 б "), "11Б");
  EXPECT_EQ(normalize_class_name("5-A"), "5А");  // Latin look-alike
  EXPECT_EQ(normalize_class_name("9ё"), "9Ё");
  EXPECT_EQ(normalize_class_name("12А"), std::nullopt);
  EXPECT_EQ(normalize_class_name("0А"), std::nullopt);
  EXPECT_EQ(normalize_class_name("5"), std::nullopt);
  EXPECT_EQ(normalize_class_name("5АБ"), std::nullopt);
  EXPECT_EQ(normalize_class_name("5Z"), std::nullopt);
  EXPECT_EQ(normalize_class_name("5b"), std::nullopt);  // 5Б or 5В? Ask rather than guess.
  EXPECT_EQ(normalize_class_name("05д"), "5Д");
}

TEST(Translit, RussianToLatin) {
  EXPECT_EQ(translit("Щукина"), "shchukina");
  EXPECT_EQ(translit("Семёнов"), "semenov");
  EXPECT_EQ(translit("Юрьева"), "iureva");
  EXPECT_EQ(translit("O'Neil"), "oneil");
}

TEST(Names, Validation) {
  EXPECT_TRUE(valid_person_name("Салтыков-Щедрин"));
  EXPECT_TRUE(valid_person_name("Д'Артаньян"));
  EXPECT_FALSE(valid_person_name(""));
  EXPECT_FALSE(valid_person_name("<b>"));
  EXPECT_FALSE(valid_person_name("Иван1"));
  EXPECT_TRUE(valid_student_no("10260001"));
  EXPECT_TRUE(valid_student_no("УИН-5/12"));
  EXPECT_FALSE(valid_student_no("12 34"));
  EXPECT_FALSE(valid_student_no(std::string(33, '1')));
  EXPECT_TRUE(valid_login("ivanov.a"));
  EXPECT_FALSE(valid_login("Ivanov"));
  EXPECT_FALSE(valid_login("ab"));
}

TEST_F(DomainTest, SecretsAreArgon2idAndVerify) {
  std::string h = hash_secret("correct horse");
  EXPECT_EQ(h.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_secret(h, "correct horse"));
  EXPECT_FALSE(verify_secret(h, "correct hors"));
  EXPECT_EQ(generate_pin().size(), 6u);
  EXPECT_EQ(generate_password().size(), 10u);
}

TEST_F(DomainTest, UsersLoginsAndCredentials) {
  NewUser u{"", "Иванова", "Мария", "Петровна", Role::teacher, SecretKind::password, ""};
  std::int64_t a = create_user(*c, clock, u, "pw-one");
  std::int64_t b = create_user(*c, clock, u, "pw-two");
  EXPECT_EQ(find_user(*c, a)->login, "ivanova.m");
  EXPECT_EQ(find_user(*c, b)->login, "ivanova.m2");
  EXPECT_EQ(find_user(*c, a)->short_name(), "Иванова М. П.");
  EXPECT_TRUE(check_credentials(*c, "ivanova.m", "pw-one"));
  EXPECT_FALSE(check_credentials(*c, "ivanova.m", "pw-two"));
  EXPECT_FALSE(check_credentials(*c, "nobody", "pw-one"));
  std::string fresh = reset_secret(*c, a, SecretKind::password);
  EXPECT_FALSE(check_credentials(*c, "ivanova.m", "pw-one"));
  EXPECT_TRUE(check_credentials(*c, "ivanova.m", fresh));
}

TEST_F(DomainTest, SessionsExpireAndEndOnReset) {
  std::int64_t id =
      create_user(*c, clock, {"u1", "А", "Б", "", Role::student, SecretKind::pin, ""}, "123456");
  std::string token = create_session(*c, clock, id);
  auto s = find_session(*c, clock, token);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user_id, id);
  EXPECT_GE(s->csrf.size(), 40u);
  EXPECT_FALSE(find_session(*c, clock, token + "x"));
  // The token itself is not stored.
  EXPECT_FALSE(c->scalar("SELECT 1 FROM sessions WHERE token_hash = ?1", token));
  clock.advance(kSessionLifetime + 1);
  EXPECT_FALSE(find_session(*c, clock, token));
  std::string t2 = create_session(*c, clock, id);
  // The expired one went when the new one was made.
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM sessions"), 1);
  reset_secret(*c, id, SecretKind::pin);
  EXPECT_FALSE(find_session(*c, clock, t2));
}

// A box with no time source runs months behind until a district bundle (or the admin) sets its
// clock: the jump signs nobody out and refuses no upload in flight (seen in the booted image: a
// photo trickling in while the district's stick moved the clock seven months was refused).
TEST_F(DomainTest, SessionsSurviveTheClockCatchingUp) {
  std::int64_t id =
      create_user(*c, clock, {"u2", "А", "Б", "", Role::student, SecretKind::pin, ""}, "123456");
  std::string live = create_session(*c, clock, id);
  clock.advance(kSessionLifetime - 3600);
  std::string idle = create_session(*c, clock, id);  // made after `live` was last seen
  std::string gone = create_session(*c, clock, id);
  c->run(
      "UPDATE sessions SET last_seen = last_seen - ?1 WHERE token_hash = (SELECT token_hash "
      "FROM sessions ORDER BY rowid DESC LIMIT 1)",
      kSessionLifetime + 10);  // already expired before the jump
  std::int64_t before = clock.now();
  clock.advance(220 * 24 * 3600);  // April's clock meets the district's December
  keep_sessions_across_jump(*c, before, clock.now());
  EXPECT_TRUE(find_session(*c, clock, live));
  EXPECT_TRUE(find_session(*c, clock, idle));
  EXPECT_FALSE(find_session(*c, clock, gone));
  // Without a jump (or backwards) nothing moves.
  keep_sessions_across_jump(*c, clock.now(), clock.now() - 100);
  clock.advance(kSessionLifetime + 1);
  EXPECT_FALSE(find_session(*c, clock, live));
}

TEST_F(DomainTest, ApiTokens) {
  std::int64_t id = create_user(
      *c, clock, {"dist", "Район", "Отдел", "", Role::admin, SecretKind::password, ""}, "x");
  std::string tok = create_api_token(*c, clock, id, "district");
  EXPECT_EQ(find_api_token(*c, tok), id);
  EXPECT_FALSE(find_api_token(*c, tok.substr(0, tok.size() - 1)));
}

TEST_F(DomainTest, DemoSchoolAndPermissions) {
  auto creds = fill_demo(*c, clock);
  EXPECT_GE(creds.size(), 35u);
  EXPECT_TRUE(fill_demo(*c, clock).empty());  // only into an empty database
  auto classes = list_classes(*c);
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[0].name, "5А");
  auto students = list_students(*c, std::nullopt);
  EXPECT_GE(students.size(), 25u);
  int paper = 0;
  for (const auto& s : students) paper += s.paper;
  EXPECT_EQ(paper, 2);

  auto student = *find_user_by_login(*c, students[0].user.login);
  auto other = students[1].user.id;
  EXPECT_TRUE(can_view_student(*c, student, student.id));
  EXPECT_FALSE(can_view_student(*c, student, other));
  auto parent = find_user_by_login(*c, "ivanova.s");  // mother of Иванов Артём (5А), Иванова (9А)
  ASSERT_TRUE(parent);
  auto kids = children_of(*c, parent->id);
  ASSERT_EQ(kids.size(), 2u);
  for (const auto& k : kids) EXPECT_TRUE(can_view_student(*c, *parent, k.user.id));
  for (const auto& s : students) {
    if (s.user.last_name == "Лебедев") {
      EXPECT_FALSE(can_view_student(*c, *parent, s.user.id));
    }
  }
  auto smirnova = *find_user_by_login(*c, "smirnova");  // 5А and 5Б only
  auto c9 = *find_class_by_name(*c, "9А");
  EXPECT_FALSE(can_view_class(*c, smirnova, c9.id));
  EXPECT_TRUE(can_view_class(*c, smirnova, classes[0].id));
  auto ninth = list_students(*c, c9.id);
  EXPECT_FALSE(can_view_student(*c, smirnova, ninth[0].user.id));
  auto popova = *find_user_by_login(*c, "popova");  // class teacher of 9А
  EXPECT_TRUE(can_view_student(*c, popova, ninth[0].user.id));
}

RosterRow row(int line, std::string k, std::string last, std::string first, std::string no,
              bool paper, std::string parent, std::string phone) {
  RosterRow r;
  r.line = line;
  r.class_name = std::move(k);
  r.last_name = std::move(last);
  r.first_name = std::move(first);
  r.student_no = std::move(no);
  r.paper = paper;
  r.parent_name = std::move(parent);
  r.parent_phone = std::move(phone);
  return r;
}

RosterParse rows(std::vector<RosterRow> r) {
  RosterParse p;
  p.rows = std::move(r);
  return p;
}

TEST_F(DomainTest, RosterImportIsAllOrNothingAndIdempotent) {
  RosterRow a = row(2, "7В", "Орлова", "Анна", "77001", false, "Орлов Пётр Ильич", "+79120000001");
  RosterRow b = row(3, "7В", "Орлов", "Иван", "77002", true, "Орлов Пётр Ильич", "+79120000001");
  auto r1 = import_roster(*c, clock, rows({a, b}));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1.created, 2);
  EXPECT_EQ(r1.parents_created, 1);  // siblings share one parent account
  EXPECT_EQ(r1.classes_created, 1);
  EXPECT_EQ(r1.credentials.size(), 3u);
  auto r2 = import_roster(*c, clock, rows({a, b}));
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.created, 0);
  EXPECT_EQ(r2.updated, 2);
  EXPECT_EQ(r2.parents_created, 0);
  EXPECT_EQ(c->scalar("SELECT COUNT(*) FROM students"), 2);

  // A bad row anywhere: nothing of the file is written.
  RosterRow d = row(2, "8А", "Новый", "Ученик", "88001", false, "", "");
  RosterRow e = row(3, "8А", "Плохой", "Родитель", "88002", false, "Одно", "");
  auto r3 = import_roster(*c, clock, rows({d, e}));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.errors[0].args[0].second, "3");
  EXPECT_FALSE(find_student_by_no(*c, "88001"));
  EXPECT_FALSE(find_class_by_name(*c, "8А"));
}

// A whole school's roster is hundreds of argon2id hashes: the import makes them before its write
// transaction, so the box's other writers (hand-ins, sign-ins, visits) are not held while it
// hashes. Here the import waits for the one hashing slot (a sign-in holds it) and, meanwhile,
// another connection writes with a short busy timeout: it would fail if the import had opened
// its transaction first. The file is the clerk's Excel export.
TEST_F(DomainTest, RosterImportHashesBeforeItsWriteTransaction) {
  std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/roster/clerk_excel_cp1251.csv",
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  RosterParse parsed = parse_roster_csv(text.str());
  ASSERT_TRUE(parsed.ok());
  auto& slots = hash_slots();
  slots.configure(1, std::chrono::seconds(60));
  std::optional<HashSlots::Lease> sign_in(slots.acquire());
  ImportReport report;
  std::thread import([&] {
    auto own = t.db->acquire();
    report = import_roster(*own, clock, parsed);
  });
  while (slots.waiting() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  {
    auto other = t.db->acquire();
    sqlite3_busy_timeout(other->handle(), 100);
    EXPECT_NO_THROW(other->exec("BEGIN IMMEDIATE; COMMIT;"));
    sqlite3_busy_timeout(other->handle(), storage::Connection::kBusyTimeoutMs);
  }
  sign_in.reset();
  import.join();
  slots.configure(1, std::chrono::seconds(3));
  ASSERT_TRUE(report.ok()) << report.errors.at(0).msgid;
  EXPECT_EQ(report.created, 6);
  EXPECT_EQ(report.parents_created, 5);
}

// The clerk's list without IDs, imported twice, then next year's from the journal (everyone a
// grade up, one new student, the fathers added): nobody is duplicated, the date of birth is kept,
// and a real ID given later takes the place of the made-up one.
TEST_F(DomainTest, RosterWithoutIdsIsStableAcrossImportsAndYears) {
  auto read = [](const char* name) {
    std::ifstream in(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/roster/" + name,
                     std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return parse_roster_csv(s.str());
  };
  auto students = [&] { return c->scalar("SELECT COUNT(*) FROM students").value_or(0); };
  std::int64_t before = students();
  auto first = import_roster(*c, clock, read("clerk_excel_cp1251.csv"));
  ASSERT_TRUE(first.ok()) << first.errors.at(0).msgid;
  EXPECT_EQ(first.created, 6);
  EXPECT_EQ(first.ids_generated, 6);
  EXPECT_EQ(first.parents_created, 5);
  EXPECT_EQ(first.unused_columns, (std::vector<std::string>{"№", "Пол", "Адрес"}));
  EXPECT_EQ(students(), before + 6);
  auto again = import_roster(*c, clock, read("clerk_excel_cp1251.csv"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.created, 0);
  EXPECT_EQ(again.updated, 6);
  EXPECT_EQ(again.parents_created, 0);
  auto elkin = c->query(
      "SELECT s.birth_date, k.name FROM students s JOIN users u ON u.id = s.user_id JOIN classes "
      "k ON k.id = s.class_id WHERE u.last_name = 'Ёлкин'");
  ASSERT_TRUE(elkin.next());
  EXPECT_EQ(elkin.text(0), "2014-09-01");
  EXPECT_EQ(elkin.text(1), "5А");

  auto next_year = import_roster(*c, clock, read("journal_next_year.csv"));
  ASSERT_TRUE(next_year.ok()) << next_year.errors.at(0).msgid;
  EXPECT_EQ(next_year.created, 1);  // Зуева, new this year
  EXPECT_EQ(next_year.updated, 6);  // promoted, found by name and date of birth
  EXPECT_EQ(students(), before + 7);
  EXPECT_EQ(*c->scalar("SELECT COUNT(*) FROM students s JOIN classes k ON k.id = s.class_id "
                       "JOIN users u ON u.id = s.user_id WHERE k.name = '6А' AND "
                       "u.last_name IN ('Алексеев', 'Белова', 'Ёлкин', 'Елкин', 'Гусейнов')"),
            4);
  // The father came with this list and is linked to his son.
  EXPECT_EQ(*c->scalar("SELECT COUNT(*) FROM parent_child pc JOIN users p ON p.id = pc.parent_id "
                       "JOIN users s ON s.id = pc.student_id WHERE p.last_name = 'Алексеев' AND "
                       "p.first_name = 'Игорь' AND s.first_name = 'Артём'"),
            1);

  // The school finds the real record numbers: they replace the made-up ones, nobody doubles.
  auto with_ids = import_roster(*c, clock,
                                parse_roster_csv("Класс;ФИО;Дата рождения;№ личного дела\n"
                                                 "6А;Алексеев Артём Игоревич;05.03.2014;А-17\n"));
  ASSERT_TRUE(with_ids.ok()) << with_ids.errors.at(0).msgid;
  EXPECT_EQ(with_ids.created, 0);
  EXPECT_EQ(with_ids.updated, 1);
  auto s = find_student_by_no(*c, "А-17");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user.first_name, "Артём");
  EXPECT_EQ(students(), before + 7);
}

}  // namespace
}  // namespace parta::domain
