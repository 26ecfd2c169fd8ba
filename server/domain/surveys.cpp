#include "domain/surveys.hpp"

#include <algorithm>
#include <set>

#include "content/utf8.hpp"

namespace parta::domain {

namespace {

#define PARTA_SURVEY_COLUMNS                                                                     \
  "SELECT s.id, s.author_id, s.class_id, s.title, s.intro, u.last_name || ' ' || u.first_name, " \
  "COALESCE(k.name, ''), s.audience, s.open, s.created_at, "                                     \
  "(SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) "
#define PARTA_SURVEY_FROM \
  "FROM surveys s JOIN users u ON u.id = s.author_id LEFT JOIN classes k ON k.id = s.class_id "
constexpr const char* kSelect = PARTA_SURVEY_COLUMNS PARTA_SURVEY_FROM;

// Surveys addressed to user ?1: students of the class (or any class), parents of a child in it.
constexpr const char* kAddressed =
    "((s.audience = 'students' AND EXISTS (SELECT 1 FROM students st WHERE st.user_id = ?1 AND "
    "  (s.class_id IS NULL OR st.class_id = s.class_id))) "
    "OR (s.audience = 'parents' AND EXISTS (SELECT 1 FROM parent_child pc JOIN students st ON "
    "  st.user_id = pc.student_id WHERE pc.parent_id = ?1 AND "
    "  (s.class_id IS NULL OR st.class_id = s.class_id))))";

Survey from(const storage::Query& q) {
  Survey s;
  s.id = q.integer(0);
  s.author_id = q.integer(1);
  s.class_id = q.opt_integer(2);
  s.title = q.text(3);
  s.intro = q.text(4);
  s.author_name = q.text(5);
  s.class_name = q.text(6);
  s.audience = q.text(7) == "students" ? Role::student : Role::parent;
  s.open = q.integer(8) != 0;
  s.created_at = q.integer(9);
  s.responses = static_cast<int>(q.integer(10));
  return s;
}

Message msg(const char* id) { return Message{id, {}}; }

NewQuestion choice(QuestionKind k, std::string text, std::vector<std::string> options) {
  return NewQuestion{k, std::move(text), std::move(options)};
}

}  // namespace

const char* question_kind_code(QuestionKind k) {
  switch (k) {
    case QuestionKind::single:
      return "single";
    case QuestionKind::multi:
      return "multi";
    case QuestionKind::text:
      return "text";
  }
  return "text";
}

std::optional<QuestionKind> parse_question_kind(const std::string& s) {
  if (s == "single") return QuestionKind::single;
  if (s == "multi") return QuestionKind::multi;
  if (s == "text") return QuestionKind::text;
  return std::nullopt;
}

// The seeds ask class teachers to find out which families have a computer and internet for
// distance learning, and the admin to measure satisfaction with it every week.
std::optional<NewSurvey> survey_template(const std::string& name) {
  using K = QuestionKind;
  NewSurvey s;
  s.audience = Role::parent;
  if (name == "devices") {
    s.title = "Устройства и интернет дома";
    s.intro =
        "Школе нужно знать, сможет ли ваш ребёнок учиться дистанционно. Если нет — мы выдадим "
        "бумажные задания или устройство из школы.";
    s.questions = {
        choice(K::multi, "На чём ребёнок может заниматься дома?",
               {"Компьютер или ноутбук", "Планшет", "Смартфон", "Ни на чём"}),
        choice(K::single, "Устройство у ребёнка своё или общее?",
               {"Своё", "Общее с другими членами семьи", "Устройства нет"}),
        choice(K::single, "Есть ли дома интернет?",
               {"Да, без ограничений (Wi-Fi, кабель)", "Только мобильный, с ограничением трафика",
                "Нет"}),
        choice(K::single, "Сможет ли ребёнок подключаться к онлайн-урокам с видео?",
               {"Да", "Иногда", "Нет"}),
        choice(K::single, "Нужны ли вашему ребёнку бумажные задания?", {"Да", "Нет"}),
        choice(K::text, "Что ещё нам важно знать?", {}),
    };
    return s;
  }
  if (name == "satisfaction") {
    s.title = "Как проходит дистанционное обучение";
    s.intro = "Ответьте, пожалуйста, на несколько вопросов: это поможет нам улучшить обучение.";
    s.questions = {
        choice(K::single, "Насколько вы довольны тем, как организовано обучение?",
               {"Полностью доволен(льна)", "Скорее доволен(льна)", "Скорее недоволен(льна)",
                "Недоволен(льна)"}),
        choice(K::single, "Сколько времени в день уходит на задания?",
               {"Меньше 2 часов", "2–4 часа", "4–6 часов", "Больше 6 часов"}),
        choice(K::multi, "Что вызывает трудности?",
               {"Слишком много заданий", "Непонятные объяснения", "Связь или устройство",
                "Трудно организовать день", "Трудностей нет"}),
        choice(K::single, "Учителя отвечают на вопросы вовремя?", {"Да", "Не всегда", "Нет"}),
        choice(K::text, "Ваши предложения", {}),
    };
    return s;
  }
  return std::nullopt;
}

std::vector<ClassInfo> surveyable_classes(storage::Connection& c, const User& u) {
  if (u.role == Role::admin) return list_classes(c);
  if (u.role == Role::teacher) return classes_led_by(c, u.id);
  return {};
}

std::optional<Message> check_survey(const NewSurvey& s) {
  if (s.title.empty()) return msg("Enter the survey's title.");
  if (text::char_count(s.title) > 200 || text::char_count(s.intro) > 2000)
    return msg("A field in the form is too long.");
  if (s.questions.empty()) return msg("Add at least one question.");
  if (s.questions.size() > kMaxQuestions) return msg("Too many questions.");
  for (std::size_t i = 0; i < s.questions.size(); ++i) {
    const auto& q = s.questions[i];
    std::string n = std::to_string(i + 1);
    if (q.text.empty()) return Message{"Question {n} has no text.", {{"n", n}}};
    if (text::char_count(q.text) > 300) return Message{"Question {n} is too long.", {{"n", n}}};
    if (q.kind == QuestionKind::text) continue;
    if (q.options.size() < 2)
      return Message{"Question {n} needs at least two answers to choose from.", {{"n", n}}};
    if (q.options.size() > kMaxOptions)
      return Message{"Question {n} has too many answers to choose from.", {{"n", n}}};
    std::set<std::string> seen;
    for (const auto& o : q.options) {
      if (text::char_count(o) > 200)
        return Message{"Question {n}: an answer is too long.", {{"n", n}}};
      if (!seen.insert(o).second)
        return Message{"Question {n} has the same answer twice.", {{"n", n}}};
    }
  }
  return std::nullopt;
}

std::int64_t create_survey(storage::Connection& c, const Clock& clock, std::int64_t author,
                           const NewSurvey& s) {
  storage::Transaction tx(c);
  c.run(
      "INSERT INTO surveys (title, intro, author_id, class_id, audience, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      s.title, s.intro, author, s.class_id, s.audience == Role::student ? "students" : "parents",
      clock.now());
  std::int64_t id = c.last_insert_id();
  for (std::size_t i = 0; i < s.questions.size(); ++i) {
    const auto& q = s.questions[i];
    c.run("INSERT INTO survey_questions (survey_id, position, kind, text) VALUES (?1, ?2, ?3, ?4)",
          id, static_cast<std::int64_t>(i), question_kind_code(q.kind), q.text);
    std::int64_t qid = c.last_insert_id();
    if (q.kind == QuestionKind::text) continue;
    for (std::size_t j = 0; j < q.options.size(); ++j)
      c.run("INSERT INTO survey_options (question_id, position, text) VALUES (?1, ?2, ?3)", qid,
            static_cast<std::int64_t>(j), q.options[j]);
  }
  tx.commit();
  return id;
}

std::optional<Survey> find_survey(storage::Connection& c, std::int64_t id) {
  auto q = c.query(std::string(kSelect) + "WHERE s.id = ?1", id);
  if (!q.next()) return std::nullopt;
  Survey s = from(q);
  auto qs = c.query(
      "SELECT id, kind, text FROM survey_questions WHERE survey_id = ?1 ORDER BY position", id);
  while (qs.next())
    s.questions.push_back(
        SurveyQuestion{qs.integer(0),
                       parse_question_kind(qs.text(1)).value_or(QuestionKind::text),
                       qs.text(2),
                       {}});
  // Every question's options in one query, in question order.
  auto os = c.query(
      "SELECT o.question_id, o.id, o.text FROM survey_questions q JOIN survey_options o ON "
      "o.question_id = q.id WHERE q.survey_id = ?1 ORDER BY q.position, o.position",
      id);
  auto it = s.questions.begin();
  while (os.next()) {
    while (it != s.questions.end() && it->id != os.integer(0)) ++it;
    if (it == s.questions.end()) break;
    it->options.push_back(SurveyOption{os.integer(1), os.text(2)});
  }
  return s;
}

void set_survey_open(storage::Connection& c, std::int64_t id, bool open) {
  c.run("UPDATE surveys SET open = ?1 WHERE id = ?2", open, id);
}

void delete_survey(storage::Connection& c, std::int64_t id) {
  c.run("DELETE FROM surveys WHERE id = ?1", id);
}

std::vector<Survey> surveys_for(storage::Connection& c, const User& u) {
  std::vector<Survey> out;
  std::string where;
  switch (u.role) {
    case Role::admin:
      where = "WHERE ?1 = ?1";
      break;
    case Role::teacher:
      where = "WHERE s.author_id = ?1";
      break;
    default:
      where = std::string("WHERE ") + kAddressed;
  }
  auto q = c.query(std::string(PARTA_SURVEY_COLUMNS
                               ", EXISTS (SELECT 1 FROM survey_responses r "
                               "WHERE r.survey_id = s.id AND r.user_id = ?1) " PARTA_SURVEY_FROM) +
                       where + " ORDER BY s.open DESC, s.id DESC",
                   u.id);
  while (q.next()) {
    out.push_back(from(q));
    out.back().answered = q.integer(11) != 0;
  }
  return out;
}

bool is_addressed_to(storage::Connection& c, const User& u, const Survey& s) {
  return c
      .scalar(std::string("SELECT 1 FROM surveys s WHERE s.id = ?2 AND ") + kAddressed, u.id, s.id)
      .has_value();
}

bool can_see_results(storage::Connection& c, const User& u, const Survey& s) {
  if (u.role == Role::admin || u.id == s.author_id) return true;
  // The class teacher sees what was asked of their class.
  return u.role == Role::teacher && s.class_id &&
         c.scalar("SELECT 1 FROM classes WHERE id = ?1 AND class_teacher_id = ?2", *s.class_id,
                  u.id)
             .has_value();
}

int audience_size(storage::Connection& c, const Survey& s) {
  if (s.audience == Role::student)
    return static_cast<int>(
        c.scalar("SELECT COUNT(*) FROM students WHERE ?1 IS NULL OR class_id = ?1", s.class_id)
            .value_or(0));
  return static_cast<int>(c.scalar("SELECT COUNT(DISTINCT pc.parent_id) FROM parent_child pc "
                                   "JOIN students st ON st.user_id = pc.student_id "
                                   "WHERE ?1 IS NULL OR st.class_id = ?1",
                                   s.class_id)
                              .value_or(0));
}

std::optional<Message> check_answers(const Survey& s, const Answers& a) {
  for (std::size_t i = 0; i < s.questions.size(); ++i) {
    const auto& q = s.questions[i];
    std::string n = std::to_string(i + 1);
    if (q.kind == QuestionKind::text) {
      auto t = a.text.find(q.id);
      if (t != a.text.end() && text::char_count(t->second) > 1000)
        return Message{"The answer to question {n} is too long.", {{"n", n}}};
      continue;
    }
    auto it = a.chosen.find(q.id);
    std::size_t chosen = it == a.chosen.end() ? 0 : it->second.size();
    if (chosen == 0) return Message{"Answer question {n}.", {{"n", n}}};
    if (q.kind == QuestionKind::single && chosen > 1)
      return Message{"Choose one answer in question {n}.", {{"n", n}}};
    for (std::int64_t o : it->second) {
      bool known = std::any_of(q.options.begin(), q.options.end(),
                               [&](const SurveyOption& x) { return x.id == o; });
      if (!known) return msg("The form refers to something that does not exist.");
    }
  }
  return std::nullopt;
}

void save_answers(storage::Connection& c, const Clock& clock, const Survey& s, std::int64_t user,
                  const Answers& a) {
  storage::Transaction tx(c);
  c.run("DELETE FROM survey_responses WHERE survey_id = ?1 AND user_id = ?2", s.id, user);
  c.run("INSERT INTO survey_responses (survey_id, user_id, created_at) VALUES (?1, ?2, ?3)", s.id,
        user, clock.now());
  std::int64_t r = c.last_insert_id();
  for (const auto& q : s.questions) {
    if (q.kind == QuestionKind::text) {
      auto t = a.text.find(q.id);
      if (t != a.text.end() && !t->second.empty())
        c.run("INSERT INTO survey_answers (response_id, question_id, text) VALUES (?1, ?2, ?3)", r,
              q.id, t->second);
      continue;
    }
    auto it = a.chosen.find(q.id);
    if (it == a.chosen.end()) continue;
    std::set<std::int64_t> once(it->second.begin(), it->second.end());
    for (std::int64_t o : once)
      c.run("INSERT INTO survey_answers (response_id, question_id, option_id) VALUES (?1, ?2, ?3)",
            r, q.id, o);
  }
  tx.commit();
}

std::optional<Answers> answers_of(storage::Connection& c, const Survey& s, std::int64_t user) {
  auto r =
      c.scalar("SELECT id FROM survey_responses WHERE survey_id = ?1 AND user_id = ?2", s.id, user);
  if (!r) return std::nullopt;
  Answers a;
  auto q =
      c.query("SELECT question_id, option_id, text FROM survey_answers WHERE response_id = ?1", *r);
  while (q.next()) {
    if (auto o = q.opt_integer(1))
      a.chosen[q.integer(0)].push_back(*o);
    else
      a.text[q.integer(0)] = q.text(2);
  }
  return a;
}

std::vector<QuestionResult> survey_results(storage::Connection& c, const Survey& s) {
  // Three queries for the whole survey: who answered each question, each option's count, and the
  // text answers.
  std::map<std::int64_t, int> answered, counts;
  std::map<std::int64_t, std::vector<std::string>> texts;
  auto a = c.query(
      "SELECT a.question_id, COUNT(DISTINCT a.response_id) FROM survey_questions q JOIN "
      "survey_answers a ON a.question_id = q.id WHERE q.survey_id = ?1 GROUP BY a.question_id",
      s.id);
  while (a.next()) answered[a.integer(0)] = static_cast<int>(a.integer(1));
  auto o = c.query(
      "SELECT a.option_id, COUNT(*) FROM survey_questions q JOIN survey_answers a ON "
      "a.question_id = q.id WHERE q.survey_id = ?1 AND a.option_id IS NOT NULL GROUP BY "
      "a.option_id",
      s.id);
  while (o.next()) counts[o.integer(0)] = static_cast<int>(o.integer(1));
  auto t = c.query(
      "SELECT a.question_id, a.text FROM survey_questions q JOIN survey_answers a ON "
      "a.question_id = q.id WHERE q.survey_id = ?1 AND q.kind = 'text' AND a.option_id IS NULL "
      "ORDER BY a.question_id, a.response_id",
      s.id);
  while (t.next()) texts[t.integer(0)].push_back(t.text(1));
  std::vector<QuestionResult> out;
  for (const auto& q : s.questions) {
    QuestionResult r;
    r.answered = answered[q.id];
    for (const auto& opt : q.options) r.counts.push_back(counts[opt.id]);
    if (q.kind == QuestionKind::text) r.texts = std::move(texts[q.id]);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<SurveyPerson> survey_people(storage::Connection& c, const Survey& s) {
  std::vector<SurveyPerson> out;
  std::map<std::int64_t, std::size_t> at;
  {
    auto q = s.audience == Role::student
                 ? c.query(
                       "SELECT u.id, u.last_name || ' ' || u.first_name, '' FROM students st "
                       "JOIN users u ON u.id = st.user_id JOIN classes k ON k.id = st.class_id "
                       "WHERE ?1 IS NULL OR st.class_id = ?1 "
                       "ORDER BY k.grade, k.name, u.last_name, u.first_name",
                       s.class_id)
                 : c.query(
                       "SELECT p.id, p.last_name || ' ' || p.first_name, "
                       "group_concat(ch.last_name || ' ' || ch.first_name || ', ' || k.name, '; ') "
                       "FROM parent_child pc JOIN students st ON st.user_id = pc.student_id "
                       "JOIN users p ON p.id = pc.parent_id JOIN users ch ON ch.id = pc.student_id "
                       "JOIN classes k ON k.id = st.class_id "
                       "WHERE ?1 IS NULL OR st.class_id = ?1 GROUP BY p.id "
                       "ORDER BY min(ch.last_name || ' ' || ch.first_name), p.last_name",
                       s.class_id);
    while (q.next()) {
      at[q.integer(0)] = out.size();
      out.push_back(SurveyPerson{q.integer(0), q.text(1), q.text(2), false, {}});
    }
  }
  auto q = c.query(
      "SELECT r.user_id, a.question_id, a.option_id, a.text FROM survey_responses r "
      "LEFT JOIN survey_answers a ON a.response_id = r.id WHERE r.survey_id = ?1",
      s.id);
  while (q.next()) {
    auto it = at.find(q.integer(0));
    if (it == at.end()) continue;  // moved to another class since: not in this list
    SurveyPerson& p = out[it->second];
    p.answered = true;
    if (q.is_null(1)) continue;
    if (auto o = q.opt_integer(2))
      p.answers.chosen[q.integer(1)].push_back(*o);
    else
      p.answers.text[q.integer(1)] = q.text(3);
  }
  return out;
}

std::vector<std::string> survey_children(storage::Connection& c, const Survey& s,
                                         std::int64_t parent_id) {
  std::vector<std::string> out;
  auto q = c.query(
      "SELECT ch.last_name || ' ' || ch.first_name || ', ' || k.name FROM parent_child pc "
      "JOIN students st ON st.user_id = pc.student_id JOIN users ch ON ch.id = pc.student_id "
      "JOIN classes k ON k.id = st.class_id WHERE pc.parent_id = ?1 AND (?2 IS NULL OR "
      "st.class_id = ?2) ORDER BY k.grade, ch.last_name",
      parent_id, s.class_id);
  while (q.next()) out.push_back(q.text(0));
  return out;
}

}  // namespace parta::domain
