#include "year_gen.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "domain/accounts.hpp"
#include "domain/days.hpp"

namespace parta::bench {

namespace {

using storage::Connection;

// splitmix64: the same numbers on every machine and standard library (std's distributions are
// not specified bit for bit).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int below(int n) { return n <= 0 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))];
  }

 private:
  std::uint64_t s_;
};

const std::vector<std::string> kLastMale = {
    "Иванов",  "Смирнов", "Кузнецов", "Попов",    "Васильев", "Петров",    "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов",  "Волков",   "Алексеев", "Лебедев",   "Семёнов", "Егоров",
    "Павлов",  "Козлов",  "Степанов", "Николаев", "Орлов",    "Андреев",   "Макаров", "Никитин",
    "Захаров", "Зайцев",  "Соловьёв", "Борисов",  "Яковлев",  "Григорьев", "Романов", "Воробьёв"};
const std::vector<std::string> kFirstMale = {"Артём", "Максим", "Иван",    "Михаил", "Кирилл",
                                             "Егор",  "Никита", "Илья",    "Даниил", "Матвей",
                                             "Лев",   "Глеб",   "Тимофей", "Роман",  "Павел"};
const std::vector<std::string> kFirstFemale = {"Мария",  "Анна",     "Дарья",     "Полина", "Алиса",
                                               "София",  "Ксения",   "Варвара",   "Ева",    "Алина",
                                               "Ульяна", "Виктория", "Екатерина", "Ольга"};
const std::vector<std::string> kMiddleMale = {"Сергеевич", "Андреевич", "Павлович", "Игоревич",
                                              "Олегович",  "Денисович", "Ильич",    "Романович"};
const std::vector<std::string> kMiddleFemale = {"Сергеевна", "Андреевна", "Павловна",
                                                "Игоревна",  "Олеговна",  "Романовна"};
const std::vector<std::string> kSubjects = {
    "Русский язык",    "Литература", "Математика", "История",     "Биология",
    "Английский язык", "Физика",     "География",  "Информатика", "Обществознание"};
const std::vector<std::string> kPhrases = {
    "Прочитайте параграф и ответьте на вопросы в конце.",
    "Решите задачи из учебника, запишите решение полностью.",
    "Выучите правило и выполните упражнение письменно.",
    "Сделайте краткий конспект и приложите фотографию тетради.",
    "Подготовьте устный ответ, тезисы запишите в тетрадь.",
    "Повторите материал прошлого урока и решите две задачи повышенной сложности."};
const std::vector<std::string> kAnswers = {
    "Сделал все упражнения, фото тетради приложил.", "Готово. Во второй задаче не уверен.",
    "Выполнила задание, ответы в тексте ниже.",      "Ответы: 1) б, 2) в, 3) а, 4) г.",
    "Не понял последний вопрос, написал как смог.",  "Вот моя работа."};
const std::vector<std::string> kChat = {"Добрый день! Завтра классный час в 14:00.",
                                        "Не забудьте принести сменную обувь.",
                                        "Спасибо, поняла.",
                                        "Можно сдать работу завтра? Болела.",
                                        "Да, конечно.",
                                        "Напоминаю о родительском собрании в четверг.",
                                        "Хорошо, придём.",
                                        "Ребята, проверьте задания на портале."};
const std::vector<std::string> kMarks = {"2", "3-", "3", "3+", "4-", "4", "4+", "5-", "5"};

struct Person {
  std::int64_t id = 0;
  std::string login;
};

struct StudentRec {
  std::int64_t id = 0;
  std::int64_t parent = 0;  // 0: no parent account
  int klass = 0;
  bool paper = false;
  double ability = 0.5;
  bool fades = false;  // stops working towards the end: someone for the at-risk list
};

std::string two(int n) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", n % 100);
  return b;
}

std::string fake_sha(std::int64_t n) {
  char b[72];
  std::snprintf(b, sizeof b, "%064llx", static_cast<unsigned long long>(n));
  return b;
}

std::string hhmm(int minutes) { return two(minutes / 60) + ":" + two(minutes % 60); }

}  // namespace

YearStats generate_year(Connection& c, const YearSpec& spec, std::int64_t now) {
  if (c.scalar("SELECT 1 FROM school")) throw std::runtime_error("the database is not empty");
  if (spec.classes < 1 || spec.students < 2 || spec.subjects < 1 || spec.days < 1 ||
      spec.per_day < 1)
    throw std::runtime_error("a year needs classes, students, subjects and days");
  Rng rng(spec.seed * 0x2545F4914F6CDD1Dull + 1);
  YearStats st;

  // The school days, Monday to Friday, ending at last_day.
  std::string last = spec.last_day;
  if (last.empty()) last = domain::add_days(domain::local_day(now), -1);
  while (domain::weekday(last) > 4) last = domain::add_days(last, -1);
  std::vector<std::string> days;
  for (std::string d = last; static_cast<int>(days.size()) < spec.days; d = domain::add_days(d, -1))
    if (domain::weekday(d) <= 4) days.push_back(d);
  std::reverse(days.begin(), days.end());
  std::vector<std::string> ahead;  // the timetable goes a week further
  for (std::string d = domain::add_days(last, 1); ahead.size() < 5; d = domain::add_days(d, 1))
    if (domain::weekday(d) <= 4) ahead.push_back(d);
  st.first_day = days.front();
  st.last_day = last;
  auto at = [](const std::string& day, int minutes) {
    return domain::day_start(day) + static_cast<std::int64_t>(minutes) * 60;
  };
  const std::int64_t made_at = at(domain::add_days(days.front(), -7), 9 * 60);

  storage::Transaction tx(c);
  c.run(
      "INSERT INTO school (id, name, short_name, address, hotline, director, wifi_name) VALUES "
      "(1, 'МОУ «Средняя общеобразовательная школа с. Берёзовка»', 'СОШ с. Берёзовка', "
      "'с. Берёзовка, ул. Центральная, 5', '8 (82130) 2-00-00', 'Кузнецова Ирина Павловна', "
      "'Parta-Школа')");

  // ---- people ----
  const std::string pw_hash = domain::hash_secret(kYearPassword);
  const std::string pin_hash = domain::hash_secret(kYearPin);
  auto add_user = [&](const std::string& login, const std::string& role, bool male,
                      const std::string& phone) {
    const std::string& last_name = rng.pick(kLastMale);
    std::string ln = male ? last_name : last_name + "а";
    if (!male && ln.size() > 4 && ln.compare(ln.size() - 4, 4, "ёва") == 0) ln = last_name + "а";
    std::string first = male ? rng.pick(kFirstMale) : rng.pick(kFirstFemale);
    std::string middle = male ? rng.pick(kMiddleMale) : rng.pick(kMiddleFemale);
    bool student = role == "student";
    c.run(
        "INSERT INTO users (login, last_name, first_name, middle_name, role, secret_hash, "
        "secret_kind, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        login, ln, first, middle, role, student ? pin_hash : pw_hash, student ? "pin" : "password",
        phone, made_at);
    ++st.users;
    return Person{c.last_insert_id(), login};
  };
  Person admin = add_user("admin", "admin", false, "");

  std::vector<std::int64_t> class_ids, subject_ids;
  std::vector<std::string> class_names;
  for (int k = 0; k < spec.classes; ++k) {
    static const char* kLetters[] = {"А", "Б", "В", "Г", "Д", "Е"};
    int grade = k % 11 + 1;
    std::string name = std::to_string(grade) + kLetters[(k / 11) % 6];
    c.run("INSERT INTO classes (name, grade) VALUES (?1, ?2)", name, grade);
    class_ids.push_back(c.last_insert_id());
    class_names.push_back(name);
  }
  for (int j = 0; j < spec.subjects; ++j) {
    std::string name = j < static_cast<int>(kSubjects.size())
                           ? kSubjects[static_cast<std::size_t>(j)]
                           : "Предмет " + std::to_string(j + 1);
    c.run("INSERT INTO subjects (name) VALUES (?1)", name);
    subject_ids.push_back(c.last_insert_id());
  }
  // Each teacher has five class-subjects, mostly one subject across classes.
  int teacher_count = std::max(1, (spec.classes * spec.subjects + 4) / 5);
  std::vector<Person> teachers;
  for (int t = 0; t < teacher_count; ++t)
    teachers.push_back(add_user("teacher" + two(t + 1), "teacher", rng.chance(0.3), ""));
  // teacher_of[k][j]
  std::vector<std::vector<std::int64_t>> teacher_of(static_cast<std::size_t>(spec.classes));
  std::vector<std::vector<int>> teachers_of_class(static_cast<std::size_t>(spec.classes));
  for (int k = 0; k < spec.classes; ++k)
    for (int j = 0; j < spec.subjects; ++j) {
      int t = (j * spec.classes + k) / 5 % teacher_count;
      auto tid = teachers[static_cast<std::size_t>(t)].id;
      teacher_of[static_cast<std::size_t>(k)].push_back(tid);
      teachers_of_class[static_cast<std::size_t>(k)].push_back(t);
      c.run("INSERT OR IGNORE INTO teaching (teacher_id, class_id, subject_id) VALUES (?1, ?2, ?3)",
            tid, class_ids[static_cast<std::size_t>(k)], subject_ids[static_cast<std::size_t>(j)]);
    }
  std::vector<std::int64_t> class_teacher;
  for (int k = 0; k < spec.classes; ++k) {
    auto tid = teachers[static_cast<std::size_t>(k % teacher_count)].id;
    class_teacher.push_back(tid);
    c.run("UPDATE classes SET class_teacher_id = ?1 WHERE id = ?2", tid,
          class_ids[static_cast<std::size_t>(k)]);
  }

  std::vector<std::vector<StudentRec>> students(static_cast<std::size_t>(spec.classes));
  int paper_per_class = std::max(1, spec.students * 8 / 100);
  for (int k = 0; k < spec.classes; ++k) {
    for (int i = 0; i < spec.students; ++i) {
      std::string tag = two(k + 1) + "." + two(i + 1);
      bool male = rng.chance(0.5);
      Person p = add_user("s" + tag, "student", male, "");
      StudentRec s;
      s.id = p.id;
      s.klass = k;
      s.paper = i >= spec.students - paper_per_class;
      s.ability = 0.25 + 0.75 * rng.unit();
      s.fades = i == 2 || (i == 7 && k % 3 == 0);
      c.run("INSERT INTO students (user_id, student_no, class_id, paper) VALUES (?1, ?2, ?3, ?4)",
            s.id, "Б-" + tag, class_ids[static_cast<std::size_t>(k)], s.paper);
      if (i % 7 != 6) {
        Person parent = add_user("p" + tag, "parent", rng.chance(0.3),
                                 "+7 912 3" + tag.substr(0, 2) + "-" + tag.substr(3, 2) + "-00");
        s.parent = parent.id;
        c.run("INSERT INTO parent_child (parent_id, student_id) VALUES (?1, ?2)", parent.id, s.id);
      }
      students[static_cast<std::size_t>(k)].push_back(s);
    }
  }

  // ---- blobs (rows only: the pages list files, they do not read them) ----
  std::int64_t blob_no = 0;
  auto new_blob = [&](std::int64_t size, std::int64_t when) {
    std::string sha = fake_sha(++blob_no);
    c.run("INSERT INTO blobs (sha256, size, created_at) VALUES (?1, ?2, ?3)", sha, size, when);
    return sha;
  };

  // ---- coursework, day by day ----
  std::map<std::pair<int, std::size_t>, std::int64_t> first_of_day;  // (class, day) → assignment
  std::vector<std::vector<std::int64_t>> paper_assignments(static_cast<std::size_t>(spec.classes));
  for (std::size_t d = 0; d < days.size(); ++d) {
    const std::string& day = days[d];
    const std::string& next_day = d + 1 < days.size() ? days[d + 1] : ahead.front();
    double progress = static_cast<double>(d) / static_cast<double>(days.size());
    for (int k = 0; k < spec.classes; ++k) {
      auto& klass = students[static_cast<std::size_t>(k)];
      for (int n = 0; n < spec.per_day; ++n) {
        int j = static_cast<int>((d * static_cast<std::size_t>(spec.per_day) +
                                  static_cast<std::size_t>(n) + static_cast<std::size_t>(k)) %
                                 static_cast<std::size_t>(spec.subjects));
        std::int64_t teacher = teacher_of[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
        std::int64_t publish = at(day, 8 * 60 + n * 50);
        std::int64_t due = at(next_day, 8 * 60);
        double g = rng.unit();
        const char* grading = g < 0.05 ? "pass" : g < 0.08 ? "none" : "mark";
        bool whole = !rng.chance(0.03);
        std::string title = kSubjects[static_cast<std::size_t>(j) % kSubjects.size()] +
                            ": задание " +
                            std::to_string(d * static_cast<std::size_t>(spec.per_day) +
                                           static_cast<std::size_t>(n) + 1);
        std::string body = "## " + title + "\n\n" + rng.pick(kPhrases) + "\n\n" +
                           rng.pick(kPhrases) + " Срок — до начала следующего урока.";
        c.run(
            "INSERT INTO assignments (class_id, subject_id, teacher_id, topic, title, body, "
            "grading, whole_class, publish_at, due_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
            "?6, ?7, ?8, ?9, ?10, ?9)",
            class_ids[static_cast<std::size_t>(k)], subject_ids[static_cast<std::size_t>(j)],
            teacher, "Тема " + std::to_string(d / 10 + 1), title, body, grading, whole, publish,
            due);
        std::int64_t aid = c.last_insert_id();
        ++st.assignments;
        if (n == 0) first_of_day[{k, d}] = aid;
        std::vector<const StudentRec*> assigned;
        if (whole) {
          for (const auto& s : klass) assigned.push_back(&s);
        } else {
          std::set<int> chosen;
          while (chosen.size() < 4) chosen.insert(rng.below(static_cast<int>(klass.size())));
          for (int i : chosen) {
            const auto& s = klass[static_cast<std::size_t>(i)];
            assigned.push_back(&s);
            c.run(
                "INSERT INTO assignment_students (assignment_id, student_id, variant) VALUES "
                "(?1, ?2, ?3)",
                aid, s.id, "Вариант " + std::to_string(i % 4 + 1) + ": " + rng.pick(kPhrases));
          }
        }
        // A packet every Monday for the class's paper students.
        bool packet_day = n == 0 && whole && domain::weekday(day) == 0;
        if (packet_day) paper_assignments[static_cast<std::size_t>(k)].push_back(aid);
        for (const StudentRec* s : assigned) {
          if (s->paper) {
            if (!packet_day) continue;
            std::int64_t when = due + 26 * 3600;
            if (when >= now || !rng.chance(0.85)) continue;
            c.run(
                "INSERT INTO submissions (assignment_id, student_id, submitted_by, body, "
                "created_at, late, via, client) VALUES (?1, ?2, ?3, '', ?4, 1, 'paper', 'scan')",
                aid, s->id, admin.id, when);
            ++st.submissions;
            if (std::string(grading) != "none" && when + 86400 < now) {
              c.run(
                  "INSERT INTO grades (assignment_id, student_id, mark, comment, teacher_id, "
                  "graded_at) VALUES (?1, ?2, ?3, '', ?4, ?5)",
                  aid, s->id,
                  std::string(grading) == "pass"
                      ? "pass"
                      : kMarks[static_cast<std::size_t>(3 + rng.below(5))],
                  teacher, when + 86400);
              ++st.grades;
            }
            continue;
          }
          double diligence = s->fades && progress > 0.8 ? 0.1 : 0.55 + 0.45 * s->ability;
          bool future = due > now;
          if (!rng.chance(future ? diligence * 0.5 : diligence)) continue;
          bool late = rng.chance(0.05);
          std::int64_t made = late ? due + 3600 * (1 + rng.below(30))
                                   : publish + 3600 * 6 +
                                         rng.below(static_cast<int>(
                                             std::max<std::int64_t>(1, due - publish - 7 * 3600)));
          if (made >= now) continue;
          auto submit = [&](std::int64_t when, bool is_late) {
            c.run(
                "INSERT INTO submissions (assignment_id, student_id, submitted_by, body, "
                "created_at, late, via, client) VALUES (?1, ?2, ?2, ?3, ?4, ?5, 'web', "
                "'Mozilla/5.0 (Linux; Android 10; SM-A105F)')",
                aid, s->id, rng.pick(kAnswers), when, is_late);
            std::int64_t sid = c.last_insert_id();
            ++st.submissions;
            if (rng.chance(0.12)) {
              std::int64_t size = 150000 + rng.below(900000);
              std::string sha = new_blob(size, when);
              c.run(
                  "INSERT INTO submission_files (submission_id, position, sha256, filename, "
                  "content_type, size) VALUES (?1, 1, ?2, 'photo.jpg', 'image/jpeg', ?3)",
                  sid, sha, size);
            }
            return sid;
          };
          std::int64_t sid = submit(made, late);
          std::int64_t graded_at = std::max(made, due) + 3600 * (4 + rng.below(44));
          if (rng.chance(0.03) && graded_at < now) {
            // Returned for corrections, usually handed in again.
            c.run(
                "INSERT INTO comments (assignment_id, student_id, author_id, kind, submission_id, "
                "body, created_at) VALUES (?1, ?2, ?3, 'returned', ?4, ?5, ?6)",
                aid, s->id, teacher, sid, "Исправьте ошибки во втором задании.", graded_at);
            ++st.comments;
            std::int64_t again = graded_at + 3600 * (2 + rng.below(40));
            if (!rng.chance(0.7) || again >= now) continue;
            submit(again, true);
            graded_at = again + 3600 * (4 + rng.below(44));
          }
          if (std::string(grading) == "none" || graded_at >= now || !rng.chance(0.87)) continue;
          std::string mark = "pass";
          if (std::string(grading) == "mark") {
            double a = s->fades && progress > 0.75 ? 0.05 : s->ability;
            int idx = std::clamp(static_cast<int>(a * 9.0 + rng.unit() * 3.0 - 1.5), 0, 8);
            mark = kMarks[static_cast<std::size_t>(idx)];
          } else if (rng.chance(0.1)) {
            mark = "fail";
          }
          bool remark = rng.chance(0.1);
          c.run(
              "INSERT INTO grades (assignment_id, student_id, mark, comment, teacher_id, "
              "graded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
              aid, s->id, mark, remark ? "Аккуратнее с оформлением." : "", teacher, graded_at);
          ++st.grades;
          if (remark) {
            c.run(
                "INSERT INTO comments (assignment_id, student_id, author_id, kind, submission_id, "
                "body, created_at) VALUES (?1, ?2, ?3, 'comment', ?4, 'Аккуратнее с "
                "оформлением.', ?5)",
                aid, s->id, teacher, sid, graded_at);
            ++st.comments;
          }
        }
      }
    }
  }

  // ---- visits and absences ----
  for (std::size_t d = 0; d < days.size(); ++d) {
    const std::string& day = days[d];
    double progress = static_cast<double>(d) / static_cast<double>(days.size());
    auto visit = [&](std::int64_t user, double p) {
      if (!rng.chance(p)) return;
      std::int64_t when = at(day, 7 * 60 + rng.below(13 * 60));
      if (when >= now) return;
      c.run("INSERT INTO visits (user_id, day, first_at) VALUES (?1, ?2, ?3)", user, day, when);
      ++st.visits;
    };
    visit(admin.id, 1.0);
    for (const auto& t : teachers) visit(t.id, 0.95);
    for (int k = 0; k < spec.classes; ++k)
      for (const auto& s : students[static_cast<std::size_t>(k)]) {
        if (rng.chance(0.04)) {
          static const std::vector<std::string> kReasons = {"ill", "ill", "ill", "family", "other"};
          c.run(
              "INSERT INTO absences (student_id, day, reason, note, recorded_by, recorded_at) "
              "VALUES (?1, ?2, ?3, '', ?4, ?5)",
              s.id, day, rng.pick(kReasons), class_teacher[static_cast<std::size_t>(k)],
              at(day, 9 * 60));
          ++st.absences;
          continue;
        }
        if (!s.paper) visit(s.id, s.fades && progress > 0.9 ? 0.0 : 0.6 + 0.35 * s.ability);
        if (s.parent) visit(s.parent, 0.35);
      }
  }

  // ---- conversations and messages ----
  struct Posted {
    std::int64_t id, when, author;
  };
  std::map<std::int64_t, std::vector<Posted>> conv_msgs;
  std::map<std::int64_t, std::set<std::int64_t>> members;
  std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> direct;
  std::vector<std::int64_t> class_conv;
  for (int k = 0; k < spec.classes; ++k) {
    // From version 14 on the class's conversation came with the class (a trigger).
    c.run("INSERT OR IGNORE INTO conversations (kind, class_id) VALUES ('class', ?1)",
          class_ids[static_cast<std::size_t>(k)]);
    class_conv.push_back(*c.scalar("SELECT id FROM conversations WHERE class_id = ?1",
                                   class_ids[static_cast<std::size_t>(k)]));
    auto& m = members[class_conv.back()];
    m.insert(class_teacher[static_cast<std::size_t>(k)]);
    for (const auto& s : students[static_cast<std::size_t>(k)]) m.insert(s.id);
  }
  auto post = [&](std::int64_t conv, std::int64_t author, std::int64_t when) {
    c.run(
        "INSERT INTO messages (conversation_id, author_id, body, created_at) VALUES (?1, ?2, ?3, "
        "?4)",
        conv, author, rng.pick(kChat), when);
    conv_msgs[conv].push_back({c.last_insert_id(), when, author});
    ++st.messages;
  };
  // Groups: the first teachers run a club each, with its conversation.
  std::vector<std::int64_t> group_conv;
  std::vector<std::int64_t> group_owner;
  for (int t = 0; t < std::min(6, teacher_count); ++t) {
    int k = t % spec.classes;
    c.run("INSERT INTO groups (name, owner_id, created_at) VALUES (?1, ?2, ?3)",
          "Кружок «" + kSubjects[static_cast<std::size_t>(t) % kSubjects.size()] + "»",
          teachers[static_cast<std::size_t>(t)].id, made_at);
    std::int64_t gid = c.last_insert_id();
    c.run("INSERT OR IGNORE INTO conversations (kind, group_id) VALUES ('group', ?1)", gid);
    std::int64_t conv = *c.scalar("SELECT id FROM conversations WHERE group_id = ?1", gid);
    group_conv.push_back(conv);
    group_owner.push_back(teachers[static_cast<std::size_t>(t)].id);
    auto& m = members[conv];
    m.insert(teachers[static_cast<std::size_t>(t)].id);
    const auto& klass = students[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < klass.size() && i < 10; ++i) {
      c.run("INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)", gid, klass[i].id);
      m.insert(klass[i].id);
    }
  }
  for (std::size_t d = 0; d < days.size(); ++d) {
    const std::string& day = days[d];
    for (int k = 0; k < spec.classes; ++k) {
      const auto& klass = students[static_cast<std::size_t>(k)];
      for (int n = 0; n < 2; ++n) {
        std::int64_t author =
            rng.chance(0.5)
                ? class_teacher[static_cast<std::size_t>(k)]
                : klass[static_cast<std::size_t>(rng.below(static_cast<int>(klass.size())))].id;
        std::int64_t when = at(day, 9 * 60 + rng.below(11 * 60));
        if (when < now) post(class_conv[static_cast<std::size_t>(k)], author, when);
      }
      for (int n = 0; n < 3; ++n) {
        int j = rng.below(spec.subjects);
        std::int64_t teacher = teacher_of[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
        const auto& s = klass[static_cast<std::size_t>(rng.below(static_cast<int>(klass.size())))];
        std::int64_t other = s.parent && rng.chance(0.6) ? s.parent : s.id;
        std::int64_t a = std::min(teacher, other), b = std::max(teacher, other);
        auto it = direct.find({a, b});
        if (it == direct.end()) {
          c.run("INSERT INTO conversations (kind, user_a, user_b) VALUES ('direct', ?1, ?2)", a, b);
          it = direct.emplace(std::make_pair(a, b), c.last_insert_id()).first;
          members[it->second] = {a, b};
        }
        std::int64_t when = at(day, 10 * 60 + rng.below(10 * 60));
        if (when < now) post(it->second, rng.chance(0.5) ? teacher : other, when);
      }
    }
    if (domain::weekday(day) == 2)
      for (std::size_t g = 0; g < group_conv.size(); ++g) {
        std::int64_t when = at(day, 15 * 60);
        if (when < now) post(group_conv[g], group_owner[g], when);
      }
  }
  // What each member has read: most are up to date, some days behind, a few weeks behind; but
  // never behind what they wrote themselves.
  for (const auto& [conv, list] : conv_msgs) {
    for (std::int64_t user : members[conv]) {
      double r = rng.unit();
      std::int64_t lag = r < 0.7   ? 0
                         : r < 0.9 ? 86400 * (1 + rng.below(7))
                                   : 86400 * (30 + rng.below(30));
      std::int64_t upto = 0;
      // Writing marks the conversation read up to one's own message (domain::post_message).
      for (const auto& m : list)
        if (m.when <= now - lag || m.author == user) upto = m.id;
      if (upto)
        c.run(
            "INSERT INTO conversation_reads (conversation_id, user_id, last_read) VALUES (?1, "
            "?2, ?3)",
            conv, user, upto);
    }
  }

  // ---- announcements, events, timetable ----
  for (const auto& day : days) {
    if (domain::weekday(day) != 0) continue;
    std::int64_t when = at(day, 8 * 60);
    c.run(
        "INSERT INTO announcements (author_id, title, body, pinned, created_at) VALUES (?1, ?2, "
        "?3, 0, ?4)",
        admin.id, "План на неделю с " + day, "Расписание кружков и дежурства на неделю.", when);
    for (int k = 0; k < spec.classes; ++k)
      c.run(
          "INSERT INTO announcements (author_id, class_id, title, body, created_at) VALUES (?1, "
          "?2, ?3, ?4, ?5)",
          class_teacher[static_cast<std::size_t>(k)], class_ids[static_cast<std::size_t>(k)],
          "Классу " + class_names[static_cast<std::size_t>(k)] + ": на этой неделе",
          "Не забудьте сдать задания вовремя.", when + 3600);
  }
  c.run(
      "INSERT INTO announcements (author_id, title, body, pinned, created_at) VALUES (?1, "
      "'Как подключиться к порталу', 'Wi-Fi «Parta-Школа», без пароля.', 1, ?2)",
      admin.id, made_at);
  for (const auto& day : days) {
    if (rng.chance(0.1))
      c.run(
          "INSERT INTO events (title, day, starts, ends, place, author_id) VALUES (?1, ?2, "
          "'15:00', '16:00', 'Актовый зал', ?3)",
          "Школьное мероприятие", day, admin.id);
    for (int k = 0; k < spec.classes; ++k)
      if (rng.chance(0.02))
        c.run(
            "INSERT INTO events (title, day, starts, place, author_id, class_id) VALUES "
            "('Классный час', ?1, '14:00', 'Кабинет', ?2, ?3)",
            day, class_teacher[static_cast<std::size_t>(k)],
            class_ids[static_cast<std::size_t>(k)]);
  }
  std::vector<std::string> timetable(days.begin(), days.end());
  timetable.insert(timetable.end(), ahead.begin(), ahead.end());
  for (std::size_t d = 0; d < timetable.size(); ++d)
    for (int k = 0; k < spec.classes; ++k) {
      for (int n = 1; n <= 6; ++n) {
        int j =
            static_cast<int>((d + static_cast<std::size_t>(n) * 3 + static_cast<std::size_t>(k)) %
                             static_cast<std::size_t>(spec.subjects));
        int start = 8 * 60 + 30 + (n - 1) * 55;
        c.run(
            "INSERT INTO lessons (class_id, day, number, starts, ends, subject_id, teacher_id) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            class_ids[static_cast<std::size_t>(k)], timetable[d], n, hhmm(start), hhmm(start + 45),
            subject_ids[static_cast<std::size_t>(j)],
            teacher_of[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)]);
      }
      c.run("INSERT INTO schedule_days (class_id, day, published) VALUES (?1, ?2, 1)",
            class_ids[static_cast<std::size_t>(k)], timetable[d]);
    }

  // ---- surveys ----
  auto survey = [&](std::int64_t author, std::optional<std::int64_t> class_id, const char* audience,
                    const std::string& title, const std::vector<std::int64_t>& who) {
    c.run(
        "INSERT INTO surveys (title, intro, author_id, class_id, audience, created_at) VALUES "
        "(?1, 'Ответьте, пожалуйста, на несколько вопросов.', ?2, ?3, ?4, ?5)",
        title, author, class_id, audience, at(days[days.size() / 2], 10 * 60));
    std::int64_t sid = c.last_insert_id();
    std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> questions;
    const char* kinds[] = {"single", "multi", "text"};
    for (int q = 0; q < 3; ++q) {
      c.run(
          "INSERT INTO survey_questions (survey_id, position, kind, text) VALUES (?1, ?2, ?3, ?4)",
          sid, q, kinds[q], "Вопрос " + std::to_string(q + 1));
      std::int64_t qid = c.last_insert_id();
      std::vector<std::int64_t> options;
      for (int o = 0; q < 2 && o < 4; ++o) {
        c.run("INSERT INTO survey_options (question_id, position, text) VALUES (?1, ?2, ?3)", qid,
              o, "Вариант " + std::to_string(o + 1));
        options.push_back(c.last_insert_id());
      }
      questions.push_back({qid, options});
    }
    for (std::int64_t u : who) {
      if (!rng.chance(0.6)) continue;
      c.run("INSERT INTO survey_responses (survey_id, user_id, created_at) VALUES (?1, ?2, ?3)",
            sid, u, at(days[days.size() / 2], 18 * 60));
      std::int64_t rid = c.last_insert_id();
      for (const auto& [qid, options] : questions) {
        if (options.empty()) {
          c.run("INSERT INTO survey_answers (response_id, question_id, text) VALUES (?1, ?2, ?3)",
                rid, qid, "Всё хорошо");
          continue;
        }
        c.run(
            "INSERT INTO survey_answers (response_id, question_id, option_id) VALUES (?1, ?2, ?3)",
            rid, qid, rng.pick(options));
      }
    }
  };
  for (int k = 0; k < std::min(3, spec.classes); ++k) {
    std::vector<std::int64_t> who;
    for (const auto& s : students[static_cast<std::size_t>(k)]) who.push_back(s.id);
    survey(class_teacher[static_cast<std::size_t>(k)], class_ids[static_cast<std::size_t>(k)],
           "students", "Как вам учёба в этой четверти?", who);
  }
  {
    std::vector<std::int64_t> who;
    for (const auto& klass : students)
      for (const auto& s : klass)
        if (s.parent) who.push_back(s.parent);
    survey(admin.id, std::nullopt, "parents", "Устройства и интернет дома", who);
  }

  // ---- lent devices, teachers' library files ----
  for (int i = 0; i < 15; ++i) {
    c.run("INSERT INTO devices (kind, model, serial) VALUES ('tablet', 'Lenovo Tab M8', ?1)",
          "SN-" + std::to_string(1000 + i));
    std::int64_t dev = c.last_insert_id();
    const auto& klass = students[static_cast<std::size_t>(i % spec.classes)];
    const auto& s = klass[static_cast<std::size_t>(i) % klass.size()];
    c.run(
        "INSERT INTO loans (device_id, student_id, lent_by, lent_at, returned_at) VALUES (?1, ?2, "
        "?3, ?4, ?5)",
        dev, s.id, admin.id, at(days.front(), 10 * 60),
        i < 10 ? std::optional<std::int64_t>{}
               : std::optional<std::int64_t>{at(days.back(), 10 * 60)});
  }
  for (int i = 0; i < 20; ++i) {
    std::int64_t size = 200000 + rng.below(2000000);
    std::string sha = new_blob(size, made_at);
    c.run(
        "INSERT INTO library_items (title, type, size, sha256, subject, grade, uploaded_by, "
        "created_at) VALUES (?1, 'pdf', ?2, ?3, ?4, ?5, ?6, ?7)",
        "Материал к уроку " + std::to_string(i + 1), size, sha,
        kSubjects[static_cast<std::size_t>(i) % kSubjects.size()], i % 11 + 1,
        teachers[static_cast<std::size_t>(i % teacher_count)].id, made_at);
  }

  // ---- the paper track: a packet every week, scans filed back, pages for the review queue ----
  int run_no = 0;
  for (int k = 0; k < spec.classes; ++k) {
    for (std::int64_t aid : paper_assignments[static_cast<std::size_t>(k)]) {
      std::int64_t published =
          c.scalar("SELECT publish_at FROM assignments WHERE id = ?1", aid).value_or(0);
      char run[16];
      std::snprintf(run, sizeof run, "Y%05d", ++run_no % 100000);
      c.run(
          "INSERT INTO print_runs (run, assignment_id, created_by, created_at, answer_pages, "
          "ruling, status, done) VALUES (?1, ?2, ?3, ?4, 4, 'lined', 'ready', 0)",
          std::string(run), aid, admin.id, published);
      std::int64_t rid = c.last_insert_id();
      for (const auto& s : students[static_cast<std::size_t>(k)]) {
        if (!s.paper) continue;
        auto sub = c.scalar(
            "SELECT id FROM submissions WHERE assignment_id = ?1 AND student_id = ?2", aid, s.id);
        auto sub_at =
            sub ? c.scalar("SELECT created_at FROM submissions WHERE id = ?1", *sub) : std::nullopt;
        c.run(
            "INSERT INTO packets (run_id, student_id, pages, printed_at, picked_up_at, "
            "picked_up_by, returned_at) VALUES (?1, ?2, 6, ?3, ?4, 'мама', ?5)",
            rid, s.id, published + 600, published + 7200, sub_at);
        std::int64_t packet = c.last_insert_id();
        c.run("UPDATE print_runs SET done = done + 1 WHERE id = ?1", rid);
        if (!sub) continue;
        c.run(
            "INSERT INTO scan_batches (uploaded_by, created_at, status, pages, done) VALUES (?1, "
            "?2, 'done', 3, 3)",
            admin.id, *sub_at);
        std::int64_t batch = c.last_insert_id();
        for (int page = 1; page <= 2; ++page) {
          std::string sha = new_blob(120000, *sub_at);
          c.run(
              "INSERT INTO scan_pages (batch_id, source, position, image_sha, status, packet_id, "
              "page, submission_id) VALUES (?1, ?2, ?3, ?4, 'filed', ?5, ?6, ?7)",
              batch, "scan.pdf, стр. " + std::to_string(page), page, sha, packet, page, *sub);
          c.run(
              "INSERT INTO submission_files (submission_id, position, sha256, filename, "
              "content_type, size) VALUES (?1, ?2, ?3, ?4, 'image/jpeg', 120000)",
              *sub, page, sha, "page-" + std::to_string(page) + ".jpg");
        }
        std::string sha = new_blob(90000, *sub_at);
        c.run(
            "INSERT INTO scan_pages (batch_id, source, position, image_sha, status, reason) "
            "VALUES (?1, 'scan.pdf, стр. 3', 3, ?2, ?3, 'No code could be read on this page.')",
            batch, sha, rng.chance(0.1) ? "review" : "discarded");
      }
    }
  }
  tx.commit();
  st.grades = c.scalar("SELECT COUNT(*) FROM grades").value_or(0);
  st.comments = c.scalar("SELECT COUNT(*) FROM comments").value_or(0);
  return st;
}

}  // namespace parta::bench
