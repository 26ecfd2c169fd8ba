#pragma once
// Surveys: the admin or a class teacher asks a class's students or parents (the admin: every
// class's) a few questions — single choice, multiple choice, short text. Two built-in templates
// come from the seeds: home devices and internet access, and satisfaction with distance learning.
// Results are counted per option.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/message.hpp"
#include "domain/school.hpp"

namespace parta::domain {

enum class QuestionKind { single, multi, text };
const char* question_kind_code(QuestionKind k);
std::optional<QuestionKind> parse_question_kind(const std::string& s);

struct SurveyOption {
  std::int64_t id = 0;
  std::string text;
};

struct SurveyQuestion {
  std::int64_t id = 0;
  QuestionKind kind = QuestionKind::single;
  std::string text;
  std::vector<SurveyOption> options;
};

struct Survey {
  std::int64_t id = 0, author_id = 0;
  std::optional<std::int64_t> class_id;
  std::string title, intro, author_name, class_name;
  Role audience = Role::parent;  // student or parent
  bool open = true;
  std::int64_t created_at = 0;
  int responses = 0;
  bool answered = false;                  // surveys_for: the user it was listed for answered it
  std::vector<SurveyQuestion> questions;  // filled by find_survey
};

struct NewQuestion {
  QuestionKind kind = QuestionKind::single;
  std::string text;
  std::vector<std::string> options;
};

struct NewSurvey {
  std::string title, intro;
  std::optional<std::int64_t> class_id;
  Role audience = Role::parent;
  std::vector<NewQuestion> questions;
};

inline constexpr std::size_t kMaxQuestions = 12, kMaxOptions = 10;

// The seeds' two surveys, for a start ("devices" or "satisfaction").
std::optional<NewSurvey> survey_template(const std::string& name);

// Classes a user may survey: the admin all (and the whole school); a teacher the classes they lead.
std::vector<ClassInfo> surveyable_classes(storage::Connection& c, const User& u);
std::optional<Message> check_survey(const NewSurvey& s);
std::int64_t create_survey(storage::Connection& c, const Clock& clock, std::int64_t author,
                           const NewSurvey& s);
std::optional<Survey> find_survey(storage::Connection& c, std::int64_t id);
void set_survey_open(storage::Connection& c, std::int64_t id, bool open);
void delete_survey(storage::Connection& c, std::int64_t id);

// Staff: the surveys they made (the admin: all). Students and parents: those addressed to them.
std::vector<Survey> surveys_for(storage::Connection& c, const User& u);
bool is_addressed_to(storage::Connection& c, const User& u, const Survey& s);
bool can_see_results(storage::Connection& c, const User& u, const Survey& s);
// How many people the survey is addressed to.
int audience_size(storage::Connection& c, const Survey& s);

// One person's answers: question id → chosen option ids, or the text.
struct Answers {
  std::map<std::int64_t, std::vector<std::int64_t>> chosen;
  std::map<std::int64_t, std::string> text;
};
std::optional<Message> check_answers(const Survey& s, const Answers& a);
// Saves (or replaces) the user's answers in one transaction.
void save_answers(storage::Connection& c, const Clock& clock, const Survey& s, std::int64_t user,
                  const Answers& a);
std::optional<Answers> answers_of(storage::Connection& c, const Survey& s, std::int64_t user);

struct QuestionResult {
  std::vector<int> counts;         // per option, in option order
  std::vector<std::string> texts;  // text answers
  int answered = 0;
};
std::vector<QuestionResult> survey_results(storage::Connection& c, const Survey& s);

// Everyone a survey is addressed to, with their answers: the class teacher sees who has not
// answered yet and who needs what (a tablet, paper). A parent is listed with their children the
// survey is about. Two queries, whatever the class's size.
struct SurveyPerson {
  std::int64_t user_id = 0;
  std::string name, children;  // children: "Иванов Алексей, 5А" (parents only)
  bool answered = false;
  Answers answers;
};
std::vector<SurveyPerson> survey_people(storage::Connection& c, const Survey& s);
// The children a parent's answers are about: those in the survey's class (all of them for a
// school-wide survey), as "Иванов Алексей, 5А".
std::vector<std::string> survey_children(storage::Connection& c, const Survey& s,
                                         std::int64_t parent_id);

}  // namespace parta::domain
