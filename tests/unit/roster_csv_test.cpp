#include "domain/roster_csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace parta::domain {
namespace {

// The msgids, spelled out again: they are the keys of the translations, so a change must be
// deliberate (and made in server/i18n/roster.ru.po too).
constexpr char kEmpty[] = "Line {line}: column \"{column}\" is empty";
constexpr char kBadClass[] =
    "Line {line}: class \"{value}\" is not like 5А or 11Б (a number from 1 to 11 and a letter)";
constexpr char kBadName[] =
    "Line {line}: \"{value}\" in column \"{column}\" may contain only letters, hyphens, spaces and "
    "apostrophes";
constexpr char kBadFullName[] =
    "Line {line}: \"{value}\" in column \"{column}\" must be a last name, a first name and an "
    "optional middle name";
constexpr char kTooLong[] = "Line {line}: column \"{column}\" is longer than {max} characters";
constexpr char kBadStudentNo[] =
    "Line {line}: student ID \"{value}\" may contain only letters, digits, \"-\" and \"/\"";
constexpr char kDuplicateStudentNo[] =
    "Line {line}: student ID \"{value}\" is already used on line {other_line}";
constexpr char kBadLogin[] =
    "Line {line}: login \"{value}\" must be 3 to 32 characters: Latin letters, digits, \".\", "
    "\"_\" or \"-\"";
constexpr char kDuplicateLogin[] =
    "Line {line}: login \"{value}\" is already used on line {other_line}";
constexpr char kBadPaper[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not yes or no (write да or нет, or leave "
    "it empty)";
constexpr char kBadPhone[] =
    "Line {line}: \"{value}\" in column \"{column}\" is not a phone number (digits, spaces and "
    "+ - ( ), 5 to 15 digits)";
constexpr char kControl[] =
    "Line {line}: column \"{column}\" contains an invisible control character";
constexpr char kFieldCount[] =
    "Line {line}: expected {expected} values as in the header, found {found}";
constexpr char kMissingColumns[] =
    "Line {line}: required columns are missing from the header: {columns}";
constexpr char kDuplicateColumn[] =
    "Line {line}: columns \"{column}\" and \"{other}\" mean the same thing; keep only one of them";
constexpr char kTooManyColumns[] =
    "Line {line}: the header has {found} columns, at most {max} are allowed";
constexpr char kNoStudents[] = "There are no students in the file";
constexpr char kTooManyRows[] =
    "The file has more than {max} students; split it into several files";
constexpr char kTooBig[] = "The file is larger than {max_mb} MB";
constexpr char kUtf16[] =
    "The file is saved as UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\" instead";
constexpr char kBadEncoding[] =
    "Line {line}: the text is neither UTF-8 nor Windows-1251; save the file as \"CSV UTF-8\"";
constexpr char kUnclosedQuote[] = "Line {line}: a quoted value is never closed (a \" is missing)";
constexpr char kStrayQuote[] = "Line {line}: a quote mark (\") is in the wrong place";
constexpr char kMoreErrors[] = "…and {count} more problems";

constexpr char kHeader[] =
    "Класс;Фамилия;Имя;Отчество;Номер ученика;Логин;Бумага;Телефон родителя\n";

std::filesystem::path source_dir() {
#ifdef PARTA_SOURCE_DIR
  return PARTA_SOURCE_DIR;
#else
  // tests/unit/roster_csv_test.cpp → the repository root (absolute under CMake, relative to the
  // working directory when compiled by hand from the root).
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string fixture(const char* name) {
  return read_file(source_dir() / "tests/fixtures/roster" / name);
}

std::string arg(const Message& m, const std::string& key) {
  for (const auto& [k, v] : m.args) {
    if (k == key) return v;
  }
  return "<no " + key + ">";
}

// (msgid, line) of every error, in order; line 0 for messages without one.
std::vector<std::pair<std::string, int>> problems(const RosterParse& r) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& e : r.errors) {
    std::string line = arg(e, "line");
    out.emplace_back(e.msgid, line.starts_with("<") ? 0 : std::stoi(line));
  }
  return out;
}

using Problems = std::vector<std::pair<std::string, int>>;

// One data row under kHeader; the single error it produces.
Message single_error(const std::string& row) {
  RosterParse r = parse_roster_csv(std::string(kHeader) + row + "\n");
  EXPECT_EQ(r.errors.size(), 1u) << row;
  EXPECT_TRUE(r.rows.empty());
  return r.errors.empty() ? Message{} : r.errors[0];
}

RosterRow single_row(const std::string& row) {
  RosterParse r = parse_roster_csv(std::string(kHeader) + row + "\n");
  EXPECT_TRUE(r.ok()) << row << ": " << (r.errors.empty() ? "" : r.errors[0].msgid);
  EXPECT_EQ(r.rows.size(), 1u);
  return r.rows.empty() ? RosterRow{} : r.rows[0];
}

TEST(RosterCsvFixtures, GoodUtf8WithBomSemicolonsAndCrlf) {
  RosterParse r = parse_roster_csv(fixture("good_utf8.csv"));
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid << " line " << arg(r.errors[0], "line");
  EXPECT_EQ(r.encoding, "UTF-8");
  EXPECT_EQ(r.delimiter, ';');
  ASSERT_EQ(r.rows.size(), 10u);

  const RosterRow& ivanov = r.rows[0];
  EXPECT_EQ(ivanov.line, 2);
  EXPECT_EQ(ivanov.class_name, "5А");
  EXPECT_EQ(ivanov.last_name, "Иванов");
  EXPECT_EQ(ivanov.first_name, "Иван");
  EXPECT_EQ(ivanov.middle_name, "Иванович");
  EXPECT_EQ(ivanov.student_no, "0512-001");
  EXPECT_EQ(ivanov.login, "ivanov.i");
  EXPECT_FALSE(ivanov.paper);
  EXPECT_EQ(ivanov.parent_name, "Иванова Мария Петровна");
  EXPECT_EQ(ivanov.parent_phone, "+79123456789");

  const RosterRow& sidorov = r.rows[2];  // "5 а", no middle name, paper, no phone
  EXPECT_EQ(sidorov.line, 4);
  EXPECT_EQ(sidorov.class_name, "5А");
  EXPECT_EQ(sidorov.first_name, "Пётр");
  EXPECT_EQ(sidorov.middle_name, "");
  EXPECT_TRUE(sidorov.paper);
  EXPECT_EQ(sidorov.parent_name, "Сидорова Елена");
  EXPECT_EQ(sidorov.parent_phone, "");

  // Line 5's notes cell holds ';' and a line break, so the next student is on line 7.
  EXPECT_EQ(r.rows[3].line, 5);
  EXPECT_EQ(r.rows[3].class_name, "5А");  // "5-А"
  EXPECT_EQ(r.rows[4].line, 7);
  EXPECT_EQ(r.rows[4].last_name, "Смирнов");
  EXPECT_EQ(r.rows[4].login, "smirnov.a");  // lowercased
  EXPECT_EQ(r.rows[5].parent_phone, "3452123456");
  EXPECT_EQ(r.rows[6].class_name, "6Б");  // "6б"
  EXPECT_EQ(r.rows[9].line, 12);
  EXPECT_EQ(r.rows[9].class_name, "11Б");  // "11 Б"
  EXPECT_EQ(r.rows[9].middle_name, "Ахмед оглы");

  std::set<std::string> classes;
  int paper = 0;
  for (const auto& row : r.rows) {
    classes.insert(row.class_name);
    paper += row.paper;
  }
  EXPECT_EQ(classes, (std::set<std::string>{"5А", "6Б", "11Б"}));
  EXPECT_EQ(paper, 1);
}

TEST(RosterCsvFixtures, GoodCp1251Commas) {
  RosterParse r = parse_roster_csv(fixture("good_cp1251_comma.csv"));
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid << " line " << arg(r.errors[0], "line");
  EXPECT_EQ(r.encoding, "Windows-1251");
  EXPECT_EQ(r.delimiter, ',');
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[0].class_name, "7В");
  EXPECT_EQ(r.rows[0].last_name, "Ёлкин");
  EXPECT_EQ(r.rows[0].first_name, "Фёдор");
  EXPECT_EQ(r.rows[0].middle_name, "Семёнович");
  EXPECT_EQ(r.rows[0].student_no, "0712-001");
  EXPECT_EQ(r.rows[0].parent_name, "Ёлкина Ирина");
  EXPECT_EQ(r.rows[0].parent_phone, "+79125556677");
  EXPECT_EQ(r.rows[1].last_name, "Щукина");
  EXPECT_EQ(r.rows[1].first_name, "Юлия");
  EXPECT_EQ(r.rows[1].middle_name, "");
  EXPECT_TRUE(r.rows[1].paper);
  EXPECT_EQ(r.rows[2].class_name, "7В");  // "7в"
  EXPECT_EQ(r.rows[2].last_name, "Эйхман-Шульц");
  EXPECT_EQ(r.rows[2].parent_phone, "89125556688");
  EXPECT_EQ(r.rows[3].line, 5);
  EXPECT_EQ(r.rows[3].class_name, "8А");  // Latin "8A"
}

TEST(RosterCsvFixtures, BadRowsReportsEveryProblemOnItsLine) {
  RosterParse r = parse_roster_csv(fixture("bad_rows.csv"));
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.rows.empty());  // line 2 is fine, but the import is all-or-nothing
  EXPECT_EQ(problems(r), (Problems{{kBadClass, 3},
                                   {kEmpty, 4},
                                   {kBadName, 5},
                                   {kDuplicateStudentNo, 6},
                                   {kDuplicateLogin, 7},
                                   {kBadPaper, 8},
                                   {kBadPhone, 10},
                                   {kFieldCount, 11},
                                   {kBadStudentNo, 12}}));
  ASSERT_EQ(r.errors.size(), 9u);
  EXPECT_EQ(arg(r.errors[0], "value"), "12А");
  EXPECT_EQ(arg(r.errors[1], "column"), "Фамилия");
  EXPECT_EQ(arg(r.errors[2], "value"), "Сидоров2");
  EXPECT_EQ(arg(r.errors[3], "value"), "001");
  EXPECT_EQ(arg(r.errors[3], "other_line"), "2");
  EXPECT_EQ(arg(r.errors[4], "value"), "ivanov");
  EXPECT_EQ(arg(r.errors[4], "other_line"), "2");
  EXPECT_EQ(arg(r.errors[5], "value"), "может быть");
  EXPECT_EQ(arg(r.errors[5], "column"), "Бумага");
  EXPECT_EQ(arg(r.errors[6], "value"), "12-34");
  EXPECT_EQ(arg(r.errors[7], "expected"), "8");
  EXPECT_EQ(arg(r.errors[7], "found"), "7");
  EXPECT_EQ(arg(r.errors[8], "value"), "009 / 1");
}

// The file a clerk really has: Excel's Windows-1251 ';' CSV, no student IDs, the date of birth,
// «Родитель (ФИО)», columns of her own.
TEST(RosterCsvFixtures, ClerksExcelListWithoutIds) {
  RosterParse r = parse_roster_csv(fixture("clerk_excel_cp1251.csv"));
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid << " line " << arg(r.errors[0], "line");
  EXPECT_EQ(r.encoding, "Windows-1251");
  ASSERT_EQ(r.rows.size(), 6u);
  EXPECT_TRUE(r.ids_generated);
  EXPECT_EQ(r.unused_columns, (std::vector<std::string>{"№", "Пол", "Адрес"}));
  const RosterRow& a = r.rows[0];
  EXPECT_EQ(a.class_name, "5А");
  EXPECT_EQ(a.last_name, "Алексеев");
  EXPECT_EQ(a.birth_date, "2014-03-05");
  EXPECT_EQ(a.parent_name, "Алексеева Ирина Викторовна");
  EXPECT_EQ(a.parent_phone, "89121002001");
  EXPECT_TRUE(a.student_no_generated);
  EXPECT_EQ(a.student_no.rfind("G-", 0), 0u);
  EXPECT_EQ(r.rows[1].middle_name, "");
  EXPECT_EQ(r.rows[2].last_name, "Ёлкин");
  EXPECT_EQ(r.rows[2].birth_date, "2014-09-01");  // 1.9.2014
  EXPECT_EQ(r.rows[3].middle_name, "Рашид оглы");
  EXPECT_EQ(r.rows[3].parent_name, "");
  // The same file again gives the same IDs; another student gets another.
  RosterParse again = parse_roster_csv(fixture("clerk_excel_cp1251.csv"));
  for (std::size_t i = 0; i < r.rows.size(); ++i)
    EXPECT_EQ(again.rows[i].student_no, r.rows[i].student_no);
  std::set<std::string> ids;
  for (const auto& row : r.rows) ids.insert(row.student_no);
  EXPECT_EQ(ids.size(), r.rows.size());
}

TEST(RosterCsvFixtures, JournalExportWithBothParents) {
  RosterParse r = parse_roster_csv(fixture("journal_next_year.csv"));
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid << " line " << arg(r.errors[0], "line");
  ASSERT_EQ(r.rows.size(), 7u);
  EXPECT_EQ(r.unused_columns, (std::vector<std::string>{"№ п/п"}));
  EXPECT_EQ(r.rows[0].first_name, "Артём");
  EXPECT_EQ(r.rows[0].parent2_name, "Алексеев Игорь Олегович");
  EXPECT_EQ(r.rows[0].parent2_phone, "+79122002001");
  EXPECT_EQ(r.rows[1].parent_name, "");
  EXPECT_EQ(r.rows[1].parent2_name, "Белов Сергей");
  EXPECT_EQ(r.rows[3].middle_name, "Рашид оглы");  // one ФИО cell, four words
}

TEST(RosterCsvFixtures, AMistakeIsReportedOnItsOwnLine) {
  RosterParse r = parse_roster_csv(fixture("clerk_bad_line4.csv"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(arg(r.errors[0], "line"), "4");
  EXPECT_EQ(arg(r.errors[0], "value"), "31.02.2014");
  EXPECT_EQ(arg(r.errors[0], "column"), "Дата рождения");
  EXPECT_TRUE(r.rows.empty());
}

TEST(RosterCsv, HeaderSpellingsAndDates) {
  for (const char* header : {"Класс;Ф.И.О.;Д.Р.", "Класс (группа);ФИО ученика;Дата рожд.",
                             "класс;фамилия, имя, отчество;дата рождения"}) {
    RosterParse r = parse_roster_csv(std::string(header) + "\n5А;Ким Юна;05.03.14\n");
    ASSERT_TRUE(r.ok()) << header << ": " << r.errors[0].msgid;
    EXPECT_EQ(r.rows.at(0).birth_date, "2014-03-05") << header;
    EXPECT_TRUE(r.unused_columns.empty()) << header;
  }
  EXPECT_EQ(parse_birth_date("2013-11-17"), "2013-11-17");
  EXPECT_EQ(parse_birth_date("17/11/2013"), "2013-11-17");
  EXPECT_EQ(parse_birth_date("17.11.2013 0:00:00"), "2013-11-17");
  EXPECT_EQ(parse_birth_date("29.02.2016"), "2016-02-29");
  for (const char* bad :
       {"29.02.2015", "32.01.2014", "2014", "05.03", "вчера", "05-03-2014x", "41703", "05.13.2014"})
    EXPECT_FALSE(parse_birth_date(bad)) << bad;
  // Twice the same person in one file (no IDs to tell them apart) is a mistake, not two students.
  RosterParse twice = parse_roster_csv(
      "Класс;ФИО;Дата рождения\n5А;Ким Юна;05.03.2014\n"
      "5А;Ким Юна;05.03.2014\n5А;Ким Юна;06.03.2014\n");
  ASSERT_EQ(twice.errors.size(), 1u);
  EXPECT_EQ(arg(twice.errors[0], "line"), "3");
  EXPECT_EQ(arg(twice.errors[0], "other_line"), "2");
}

TEST(RosterCsv, Windows1251BytesAreConverted) {
  // "Класс;Фамилия;Имя;Номер ученика;Без устройства", "5а;Ёлкин;Фёдор;A-1;да",
  // "11в;Щукина;Юлия;A-2;нет" in Windows-1251.
  std::string bytes =
      "\xCA\xEB\xE0\xF1\xF1;\xD4\xE0\xEC\xE8\xEB\xE8\xFF;\xC8\xEC\xFF;\xCD\xEE\xEC\xE5\xF0 "
      "\xF3\xF7\xE5\xED\xE8\xEA\xE0;\xC1\xE5\xE7 \xF3\xF1\xF2\xF0\xEE\xE9\xF1\xF2\xE2\xE0\r\n"
      "5\xE0;\xA8\xEB\xEA\xE8\xED;\xD4\xB8\xE4\xEE\xF0;A-1;\xE4\xE0\r\n"
      "11\xE2;\xD9\xF3\xEA\xE8\xED\xE0;\xDE\xEB\xE8\xFF;A-2;\xED\xE5\xF2\r\n";
  RosterParse r = parse_roster_csv(bytes);
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  EXPECT_EQ(r.encoding, "Windows-1251");
  EXPECT_EQ(r.delimiter, ';');
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].class_name, "5А");
  EXPECT_EQ(r.rows[0].last_name, "Ёлкин");
  EXPECT_EQ(r.rows[0].first_name, "Фёдор");
  EXPECT_EQ(r.rows[0].student_no, "A-1");
  EXPECT_TRUE(r.rows[0].paper);
  EXPECT_EQ(r.rows[1].line, 3);
  EXPECT_EQ(r.rows[1].class_name, "11В");
  EXPECT_EQ(r.rows[1].last_name, "Щукина");
  EXPECT_FALSE(r.rows[1].paper);
}

TEST(RosterCsv, ByteUndefinedInWindows1251IsAnEncodingError) {
  // 0x98 is the one byte Windows-1251 leaves undefined; 0xC0 makes the text invalid UTF-8.
  RosterParse r = parse_roster_csv("\xCA\xEB\xE0\xF1\xF1;x\n5\xC0;y\n1;\x98\n");
  EXPECT_EQ(problems(r), (Problems{{kBadEncoding, 3}}));
  EXPECT_EQ(r.encoding, "Windows-1251");
}

TEST(RosterCsv, Utf16IsRecognisedAndRefused) {
  const std::string utf16le = {'\xFF', '\xFE', 'K', '\0', 'l', '\0'};  // BOM, "Kl"
  RosterParse r = parse_roster_csv(utf16le);
  EXPECT_EQ(problems(r), (Problems{{kUtf16, 0}}));
}

TEST(RosterCsv, EnglishHeaderWithBomAndCommas) {
  RosterParse r = parse_roster_csv(
      "\xEF\xBB\xBF"
      "CLASS, Last_Name ,first name,Middle Name,Student_ID,LOGIN,Paper,Parent Name,Parent Phone\n"
      "5A,Smith,John,,S-1,JSmith,yes,Jane Smith,+1 (555) 010-0000\n"
      "5a,O'Neil,Mary,,S-2,,No,,\n");
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  EXPECT_EQ(r.encoding, "UTF-8");
  EXPECT_EQ(r.delimiter, ',');
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].class_name, "5А");  // Latin A → Cyrillic А
  EXPECT_EQ(r.rows[0].last_name, "Smith");
  EXPECT_EQ(r.rows[0].student_no, "S-1");
  EXPECT_EQ(r.rows[0].login, "jsmith");
  EXPECT_TRUE(r.rows[0].paper);
  EXPECT_EQ(r.rows[0].parent_name, "Jane Smith");
  EXPECT_EQ(r.rows[0].parent_phone, "+15550100000");
  EXPECT_EQ(r.rows[1].class_name, "5А");
  EXPECT_EQ(r.rows[1].last_name, "O'Neil");
  EXPECT_FALSE(r.rows[1].paper);
}

TEST(RosterCsv, HeaderSynonymsCaseAndYo) {
  RosterParse r = parse_roster_csv(
      "КЛАСС;фамилия;ИМЯ;Отчёство;ID учёника;Без  устройства;Родитель;Телефон;Примечание\n"
      "1б;Ёжиков;Илья;Ильич;77;+;Ёжикова Анна;8-912-000-00-01;что угодно\n");
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].class_name, "1Б");
  EXPECT_EQ(r.rows[0].middle_name, "Ильич");
  EXPECT_EQ(r.rows[0].student_no, "77");
  EXPECT_TRUE(r.rows[0].paper);
  EXPECT_EQ(r.rows[0].parent_name, "Ёжикова Анна");
  EXPECT_EQ(r.rows[0].parent_phone, "89120000001");
}

TEST(RosterCsv, StudentIdSynonyms) {
  for (const char* column : {"Номер ученика", "ID ученика", "Личный номер", "Уникальный номер",
                             "student id", "student_id", "Student No", "student no."}) {
    RosterParse r = parse_roster_csv(std::string("Класс;ФИО;") + column + "\n5А;Ким Юна;9\n");
    ASSERT_TRUE(r.ok()) << column;
    EXPECT_EQ(r.rows[0].student_no, "9") << column;
  }
}

TEST(RosterCsv, FullNameColumnIsSplit) {
  RosterParse r = parse_roster_csv(
      "Класс;ФИО ученика;Номер ученика\n"
      "5А;Иванов Иван Иванович;1\n"
      "5А;  Петрова   Анна ;2\n");
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].last_name, "Иванов");
  EXPECT_EQ(r.rows[0].first_name, "Иван");
  EXPECT_EQ(r.rows[0].middle_name, "Иванович");
  EXPECT_EQ(r.rows[1].last_name, "Петрова");
  EXPECT_EQ(r.rows[1].first_name, "Анна");
  EXPECT_EQ(r.rows[1].middle_name, "");
}

TEST(RosterCsv, FullNameWithOneOrFourPartsIsAnError) {
  RosterParse r = parse_roster_csv(
      "class,full name,student id\n"
      "5A,Cher,1\n"
      "5A,Mamedov Rashid Akhmed ogly,2\n"
      "5A,R2D2 Droid,3\n");
  EXPECT_EQ(problems(r), (Problems{{kBadFullName, 2}, {kBadFullName, 3}, {kBadName, 4}}));
  EXPECT_EQ(arg(r.errors[0], "value"), "Cher");
  EXPECT_EQ(arg(r.errors[0], "column"), "full name");
  EXPECT_EQ(arg(r.errors[2], "value"), "R2D2");
}

TEST(RosterCsv, SeparateNameColumnsWinOverFullName) {
  RosterParse r = parse_roster_csv("Класс;Фамилия;Имя;ФИО;Номер ученика\n5А;Ким;Юна;что-то;1\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.rows[0].last_name, "Ким");
  EXPECT_EQ(r.rows[0].first_name, "Юна");
}

TEST(RosterCsv, QuotedFieldsWithDelimiterAndNewlineKeepLineNumbers) {
  RosterParse r = parse_roster_csv(
      "Класс;Фамилия;Имя;Номер ученика;Примечание\n"
      "\"5А\";\"Иванов\";Иван;1;\"две строки;\nи точка с запятой\"\n"
      "5А;Петров;Пётр;2;\"три\r\nстроки\r\n\"\"в кавычках\"\"\"\n"
      "5А;Сидоров;Олег;3;\n");
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid << " " << arg(r.errors[0], "line");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[0].last_name, "Иванов");
  EXPECT_EQ(r.rows[1].line, 4);
  EXPECT_EQ(r.rows[2].line, 7);

  // The same shape with an error after the multi-line cells: it must be reported on line 7.
  RosterParse bad = parse_roster_csv(
      "Класс;Фамилия;Имя;Номер ученика;Примечание\n"
      "5А;Иванов;Иван;1;\"две строки;\nи точка с запятой\"\n"
      "5А;Петров;Пётр;2;\"три\r\nстроки\r\n\"\"в кавычках\"\"\"\n"
      "15А;Сидоров;Олег;3;\n");
  EXPECT_EQ(problems(bad), (Problems{{kBadClass, 7}}));
}

TEST(RosterCsv, LineBreakInsideAKnownCellIsAControlCharacter) {
  RosterParse r = parse_roster_csv(
      "Класс;Фамилия;Имя;Номер ученика\n"
      "5А;\"Иванов\nПетров\";Иван;1\n"
      "5А;Ива\tнов;Иван;2\n"
      "5А;Иванов;Иван;3\x7f\n");
  EXPECT_EQ(problems(r), (Problems{{kControl, 2}, {kControl, 4}, {kControl, 5}}));
  EXPECT_EQ(arg(r.errors[0], "column"), "Фамилия");
  EXPECT_EQ(arg(r.errors[2], "column"), "Номер ученика");
}

TEST(RosterCsv, OldMacLineEndings) {
  RosterParse r = parse_roster_csv("Класс;ФИО;Номер ученика\r5А;Ким Юна;1\r\r5Б;Ли Хан;2\r");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].line, 4);
}

TEST(RosterCsv, DelimiterCountsOnlyOutsideQuotes) {
  RosterParse r =
      parse_roster_csv("\"Заметка;a;b;c;d;e\",Класс,ФИО,Номер ученика\nx,5А,Ким Юна,1\n");
  EXPECT_EQ(r.delimiter, ',');
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  EXPECT_EQ(r.rows[0].last_name, "Ким");
  // A tie goes to ';'.
  EXPECT_EQ(parse_roster_csv("Класс;ФИО,Номер ученика\n").delimiter, ';');
}

TEST(RosterCsv, ClassNamesAreNormalised) {
  const std::pair<const char*, const char*> good[] = {
      {"5А", "5А"},       {"5а", "5А"},  {"11 б", "11Б"}, {"5-а", "5А"}, {"5 - в", "5В"},
      {"1Ё", "1Ё"},       {"5A", "5А"},  {"7B", "7В"},    {"9K", "9К"},  {"10x", "10Х"},
      {"3\u00a0г", "3Г"}, {"05Д", "5Д"}, {"8M", "8М"},    {"4H", "4Н"},  {"6p", "6Р"}};
  for (auto [in, out] : good) {
    EXPECT_EQ(single_row(std::string(in) + ";Ким;Юна;;1;;;").class_name, out) << in;
  }
  for (const char* bad :
       {"12А", "0А", "5", "А5", "5АБ", "5 класс", "5b", "5D", "100А", "5.А", "-5А", "5Ъ1"}) {
    Message e = single_error(std::string(bad) + ";Ким;Юна;;1;;;");
    EXPECT_EQ(e.msgid, kBadClass) << bad;
    EXPECT_EQ(arg(e, "value"), bad);
  }
}

TEST(RosterCsv, EachValidationErrorNamesLineColumnAndValue) {
  Message e = single_error("5А;Иванов;;;1;;;");
  EXPECT_EQ(e.msgid, kEmpty);
  EXPECT_EQ(arg(e, "line"), "2");
  EXPECT_EQ(arg(e, "column"), "Имя");

  e = single_error(";Иванов;Иван;;1;;;");
  EXPECT_EQ(e.msgid, kEmpty);
  EXPECT_EQ(arg(e, "column"), "Класс");

  // A student without an ID gets one made from class, name and date of birth.
  RosterRow no_id = single_row("5А;Иванов;Иван;;;;;");
  EXPECT_TRUE(no_id.student_no_generated);
  EXPECT_EQ(no_id.student_no, generated_student_no("5А", "Иванов", "Иван", "", ""));

  e = single_error("5А;Иванов;Иван;Иван.;1;;;");
  EXPECT_EQ(e.msgid, kBadName);
  EXPECT_EQ(arg(e, "column"), "Отчество");
  EXPECT_EQ(arg(e, "value"), "Иван.");

  e = single_error("5А;" + std::string(61, 'a') + ";Иван;;1;;;");
  EXPECT_EQ(e.msgid, kTooLong);
  EXPECT_EQ(arg(e, "column"), "Фамилия");
  EXPECT_EQ(arg(e, "max"), "60");
  // 60 Cyrillic letters are 120 bytes but only 60 characters.
  std::string sixty;
  for (int i = 0; i < 60; ++i) sixty += "я";
  EXPECT_EQ(single_row("5А;" + sixty + ";Иван;;1;;;").last_name, sixty);

  e = single_error("5А;Иванов;Иван;;" + std::string(33, '7') + ";;;");
  EXPECT_EQ(e.msgid, kTooLong);
  EXPECT_EQ(arg(e, "column"), "Номер ученика");
  EXPECT_EQ(arg(e, "max"), "32");
  EXPECT_EQ(single_row("5А;Иванов;Иван;;" + std::string(32, '7') + ";;;").student_no,
            std::string(32, '7'));

  e = single_error("5А;Иванов;Иван;;12_3;;;");
  EXPECT_EQ(e.msgid, kBadStudentNo);
  EXPECT_EQ(arg(e, "value"), "12_3");
  EXPECT_EQ(single_row("5А;Иванов;Иван;;Ш-12/3;;;").student_no, "Ш-12/3");

  e = single_error("5А;Иванов;Иван;;1;иванов;;");
  EXPECT_EQ(e.msgid, kBadLogin);
  EXPECT_EQ(arg(e, "value"), "иванов");
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;ab;;").msgid, kBadLogin);
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;" + std::string(33, 'a') + ";;").msgid, kBadLogin);
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;a b c;;").msgid, kBadLogin);
  EXPECT_EQ(single_row("5А;Иванов;Иван;;1;Ivan_O.2-b;;").login, "ivan_o.2-b");

  e = single_error("5А;Иванов;Иван;;1;;может;");
  EXPECT_EQ(e.msgid, kBadPaper);
  EXPECT_EQ(arg(e, "column"), "Бумага");
  EXPECT_EQ(arg(e, "value"), "может");

  e = single_error("5А;Иванов;Иван;;1;;;+7 912 ext 5");
  EXPECT_EQ(e.msgid, kBadPhone);
  EXPECT_EQ(arg(e, "column"), "Телефон родителя");
  EXPECT_EQ(arg(e, "value"), "+7 912 ext 5");
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;;;12-34").msgid, kBadPhone);             // 4 digits
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;;;7+9120000000").msgid, kBadPhone);      // '+' inside
  EXPECT_EQ(single_error("5А;Иванов;Иван;;1;;;1234567890123456").msgid, kBadPhone);  // 16
  EXPECT_EQ(single_row("5А;Иванов;Иван;;1;;;12345").parent_phone, "12345");

  e = single_error("5А;Иванов;Иван;;1;;");
  EXPECT_EQ(e.msgid, kFieldCount);
  EXPECT_EQ(arg(e, "expected"), "8");
  EXPECT_EQ(arg(e, "found"), "7");
  EXPECT_EQ(arg(single_error("5А;Иванов;Иван;;1;;;;;"), "found"), "10");
}

TEST(RosterCsv, ParentNameIsCheckedLikeANameButMayBeLonger) {
  RosterParse r = parse_roster_csv(
      "Класс;ФИО;Номер ученика;ФИО родителя\n"
      "5А;Ким Юна;1;Ким Ольга (мама)\n"
      "5А;Ким Хан;2;Константинопольская-Семёнова Анастасия-Виктория Александровна\n");
  EXPECT_EQ(problems(r), (Problems{{kBadName, 2}}));
  EXPECT_EQ(arg(r.errors[0], "column"), "ФИО родителя");
}

TEST(RosterCsv, PaperValues) {
  for (const char* yes : {"да", "Да", "ДА", "yes", "YES", "1", "+", "ИСТИНА", "true"}) {
    EXPECT_TRUE(single_row(std::string("5А;Ким;Юна;;1;;") + yes + ";").paper) << yes;
  }
  for (const char* no : {"нет", "Нет", "no", "No", "0", "-", "", "  ", "ЛОЖЬ", "false"}) {
    EXPECT_FALSE(single_row(std::string("5А;Ким;Юна;;1;;") + no + ";").paper) << no;
  }
}

TEST(RosterCsv, DuplicateStudentIdNamesBothLines) {
  RosterParse r = parse_roster_csv(std::string(kHeader) +
                                   "5А;Ким;Юна;;A-7;;;\n"
                                   "5А;Ли;Хан;;A-8;;;\n"
                                   "5Б;Пак;Ир;;A-7;;;\n"
                                   "5Б;Чой;Ми;; A-7 ;;;\n");
  EXPECT_EQ(problems(r), (Problems{{kDuplicateStudentNo, 4}, {kDuplicateStudentNo, 5}}));
  EXPECT_EQ(arg(r.errors[0], "value"), "A-7");
  EXPECT_EQ(arg(r.errors[0], "other_line"), "2");
  EXPECT_EQ(arg(r.errors[1], "other_line"), "2");
}

TEST(RosterCsv, DuplicateLoginIgnoresCase) {
  RosterParse r = parse_roster_csv(std::string(kHeader) +
                                   "5А;Ким;Юна;;1;kim;;\n"
                                   "5А;Ким;Хан;;2;KIM;;\n");
  EXPECT_EQ(problems(r), (Problems{{kDuplicateLogin, 3}}));
  EXPECT_EQ(arg(r.errors[0], "other_line"), "2");
}

TEST(RosterCsv, BlankLinesAreSkippedButCounted) {
  RosterParse r = parse_roster_csv(
      "\n\n"
      "Класс;ФИО;Номер ученика\n"
      "\n"
      ";;\n"
      " ; ;  \n"
      "5А;Ким Юна;1\n");
  ASSERT_TRUE(r.ok()) << r.errors[0].msgid;
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].line, 7);
}

TEST(RosterCsv, MissingColumnsAreNamedInTheHeadersLanguage) {
  RosterParse ru = parse_roster_csv("Класс;Фамилия;Примечание\n5А;Ким;x\n");
  EXPECT_EQ(problems(ru), (Problems{{kMissingColumns, 1}}));
  EXPECT_EQ(arg(ru.errors[0], "columns"), "«Имя»");

  RosterParse ru_names = parse_roster_csv("Номер ученика;Отчество\n1;Ильич\n");
  EXPECT_EQ(problems(ru_names), (Problems{{kMissingColumns, 1}}));
  EXPECT_EQ(arg(ru_names.errors[0], "columns"), "«Класс», «Фамилия», «Имя» (или «ФИО»)");

  RosterParse ru_first = parse_roster_csv("Класс;Фамилия;Номер ученика\n");
  EXPECT_EQ(arg(ru_first.errors.at(0), "columns"), "«Имя»");

  RosterParse en = parse_roster_csv("class,last name\n5A,Kim\n");
  EXPECT_EQ(problems(en), (Problems{{kMissingColumns, 1}}));
  EXPECT_EQ(arg(en.errors[0], "columns"), "\"first name\"");

  RosterParse none = parse_roster_csv("a,b,c\n1,2,3\n");
  EXPECT_EQ(arg(none.errors.at(0), "columns"),
            "\"class\", \"last name\", \"first name\" (or \"full name\")");
}

TEST(RosterCsv, DuplicatedKnownColumnIsAnError) {
  RosterParse r = parse_roster_csv(
      "Класс;ФИО;Номер ученика;Телефон;Телефон родителя;Заметка;Заметка\n5А;Ким Юна;1;;;;\n");
  EXPECT_EQ(problems(r), (Problems{{kDuplicateColumn, 1}}));
  EXPECT_EQ(arg(r.errors[0], "column"), "Телефон");
  EXPECT_EQ(arg(r.errors[0], "other"), "Телефон родителя");
  EXPECT_TRUE(r.rows.empty());
}

TEST(RosterCsv, EmptyFileOrHeaderOnlyHasNoStudents) {
  for (const char* text : {"", "\xEF\xBB\xBF", "\n\r\n  \n", "Класс;ФИО;Номер ученика\n",
                           "Класс;ФИО;Номер ученика\n;;\n\n"}) {
    RosterParse r = parse_roster_csv(text);
    EXPECT_EQ(problems(r), (Problems{{kNoStudents, 0}})) << text;
    EXPECT_TRUE(r.rows.empty());
  }
}

TEST(RosterCsv, AllOrNothing) {
  RosterParse r = parse_roster_csv(std::string(kHeader) +
                                   "5А;Ким;Юна;;1;;;\n"
                                   "5А;Ли;Хан;;2;;;\n"
                                   "55А;Пак;Ир;;3;;;\n"
                                   "5А;Чой;Ми;;4;;;\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(problems(r), (Problems{{kBadClass, 4}}));
  EXPECT_TRUE(r.rows.empty());
}

TEST(RosterCsv, ErrorsAreCappedAtFifty) {
  std::string text = kHeader;
  for (int i = 0; i < 60; ++i) text += "99А;Ким;Юна;;" + std::to_string(i) + ";;;\n";
  RosterParse r = parse_roster_csv(text);
  ASSERT_EQ(r.errors.size(), 51u);
  EXPECT_EQ(arg(r.errors[49], "line"), "51");
  EXPECT_EQ(r.errors[50].msgid, kMoreErrors);
  EXPECT_EQ(arg(r.errors[50], "count"), "10");
}

TEST(RosterCsv, SizeLimits) {
  RosterParse big = parse_roster_csv(std::string(kMaxRosterBytes + 1, 'a'));
  EXPECT_EQ(problems(big), (Problems{{kTooBig, 0}}));
  EXPECT_EQ(arg(big.errors[0], "max_mb"), "4");

  std::string text = "Класс;ФИО;Номер ученика\n";
  for (std::size_t i = 0; i < kMaxRosterRows; ++i) text += "5А;Ким Юна;" + std::to_string(i) + "\n";
  RosterParse full = parse_roster_csv(text);
  EXPECT_TRUE(full.ok());
  EXPECT_EQ(full.rows.size(), kMaxRosterRows);
  RosterParse too_many = parse_roster_csv(text + "5А;Ким Юна;x\n");
  EXPECT_EQ(problems(too_many), (Problems{{kTooManyRows, 0}}));
  EXPECT_EQ(arg(too_many.errors[0], "max"), "5000");
  EXPECT_TRUE(too_many.rows.empty());

  std::string wide(250, ';');
  EXPECT_EQ(problems(parse_roster_csv("Класс" + wide + "\n5А" + wide + "\n")),
            (Problems{{kTooManyColumns, 1}}));
}

TEST(RosterCsv, BrokenQuotesAreReportedWithTheirLine) {
  RosterParse unclosed = parse_roster_csv(
      "Класс;ФИО;Номер ученика\n"
      "5А;Ким Юна;1\n"
      "5А;\"Ли Хан;2\n"
      "5А;Пак Ир;3\n");
  EXPECT_EQ(problems(unclosed), (Problems{{kUnclosedQuote, 3}}));
  EXPECT_TRUE(unclosed.rows.empty());

  RosterParse stray = parse_roster_csv(
      "Класс;ФИО;Номер ученика\n"
      "55А;Ким Юна;1\n"
      "5А;Ли \"Хан\";2\n"
      "5А;Пак Ир;3\n");
  EXPECT_EQ(problems(stray), (Problems{{kBadClass, 2}, {kStrayQuote, 3}}));
}

TEST(RosterCsv, LongValuesAreShortenedInMessages) {
  Message e = single_error("5А;Иванов;Иван;;1;;" + std::string(1000, 'x') + ";");
  EXPECT_EQ(e.msgid, kBadPaper);
  EXPECT_EQ(arg(e, "value"), std::string(40, 'x') + "…");
}

// Every message the parser can produce has a Russian translation with the same placeholders.
TEST(RosterCsv, EveryMessageIsTranslated) {
  std::map<std::string, std::set<std::string>> seen;  // msgid → its arg names
  auto collect = [&](const std::string& text) {
    for (const auto& e : parse_roster_csv(text).errors) {
      auto& names = seen[e.msgid];
      for (const auto& [k, v] : e.args) names.insert(k);
    }
  };
  collect("");                                           // no students
  collect("\xFF\xFE");                                   // UTF-16
  collect("\xC0\x98");                                   // neither UTF-8 nor Windows-1251
  collect("a\n");                                        // missing columns
  collect("Класс;ФИО;Номер ученика;Телефон;Телефон\n");  // duplicate column
  collect("\"");                                         // unclosed quote
  collect("a\"b");                                       // stray quote
  collect(std::string(kMaxRosterBytes + 1, ' '));        // too big
  collect("a" + std::string(300, ';'));                  // too many columns
  collect(
      "Класс;ФИО;Номер ученика;Логин;Бумага;Телефон\n"
      "5;Ким Юна Ли Хан;1;a;?;x\n"  // class, full name, login, paper, phone
      "5А;R2 D2;1_2;;;\n"           // name, student ID
      "5А;;3;;;\n"                  // empty
      "5А;Ким Юна;4\n"              // field count
      "5А;Ким Юна;\x01;;;\n"        // control character
      "5А;Ким Юна;" +
      std::string(40, '1') +
      ";;;\n"                   // too long
      "5А;Ким Юна;1;abc;;\n"    // duplicate student ID
      "5А;Ким Юна;5;ABC;;\n");  // duplicate login
  std::string many = kHeader;
  for (int i = 0; i <= 5000; ++i) many += "0А;Ким;Юна;;" + std::to_string(i) + ";;;\n";
  collect(many);  // too many students, and more than 50 errors
  collect("Класс;ФИО;Дата рождения\n5А;Ким Юна;31.02.2014\n");  // not a date
  collect("Класс;ФИО\n5А;Ким Юна\n5А;Ким Юна\n");               // the same student twice
  EXPECT_EQ(seen.size(), 26u) << "a message is not exercised here, or a new one was added";

  // A small .po reader: enough for the file we write (single-line strings, \" escapes).
  std::string po = read_file(source_dir() / "server/i18n/roster.ru.po");
  std::map<std::string, std::string> catalogue;
  std::regex entry(R"re(msgid "((?:[^"\\]|\\.)*)"\nmsgstr "((?:[^"\\]|\\.)*)")re");
  auto unescape = [](std::string s) { return std::regex_replace(s, std::regex(R"(\\")"), "\""); };
  for (std::sregex_iterator it(po.begin(), po.end(), entry), end; it != end; ++it) {
    catalogue[unescape((*it)[1])] = unescape((*it)[2]);
  }
  EXPECT_NE(po.find("Content-Type: text/plain; charset=UTF-8"), std::string::npos);
  std::regex placeholder(R"(\{(\w+)\})");
  auto placeholders = [&](const std::string& s) {
    std::set<std::string> out;
    for (std::sregex_iterator it(s.begin(), s.end(), placeholder), end; it != end; ++it) {
      out.insert((*it)[1]);
    }
    return out;
  };
  for (const auto& [msgid, args] : seen) {
    auto it = catalogue.find(msgid);
    ASSERT_NE(it, catalogue.end()) << "not in roster.ru.po: " << msgid;
    EXPECT_NE(it->second, "") << msgid;
    EXPECT_EQ(placeholders(it->second), placeholders(msgid)) << msgid;
    EXPECT_EQ(placeholders(msgid), args) << "args do not match the placeholders of " << msgid;
  }
  EXPECT_EQ(catalogue.size(), seen.size() + 1) << "roster.ru.po has an unused entry";  // + header
}

}  // namespace
}  // namespace parta::domain
