#pragma once
// Quizzes (issue 18): questions that mark themselves, read from and written to Moodle's GIFT
// format (the files teachers already have), and the marking of one answer. Storage and attempts
// are in quiz_store.hpp.
//
// GIFT as read here (https://docs.moodle.org/en/GIFT_format): questions separated by blank lines;
// `//` comments and `$CATEGORY:` lines ignored; an optional `::title::`; a `[markdown]`-style
// format tag dropped; the answers in `{…}` (text after them is kept, as a gap "_____" where the
// block stood inside the text); `\~ \= \# \{ \} \:` escapes and `\n` newlines.
//   {=right ~wrong ~wrong}            single choice
//   {~%50%a ~%50%b ~%-100%c}          multiple choice, weights in percent (several right)
//   {T} {TRUE} {F} {FALSE}            true/false (a single choice of two)
//   {=answer =другой ответ}           short answer: accepted spellings (case and ё/е ignored)
//   {#3.14:0.01} {#1..2} {#=5 =%50%4} a number, with a tolerance, a range or several
//   {}                                an open answer, marked by the teacher
// `#feedback` after an answer is read and kept. Matching questions ({=a -> b}) are refused with
// a message. Points: 1 a question, or `// points: 2` (`// баллы: 2`) on the line before it — a
// comment to Moodle, so the file stays a GIFT file.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/message.hpp"

namespace parta::domain {

enum class QuizKind { single, multiple, number, short_answer, open };
const char* quiz_kind_code(QuizKind k);
std::optional<QuizKind> parse_quiz_kind(std::string_view s);

struct QuizChoice {
  std::string text;
  double weight = 0;  // the share of the question's points it gives (1 = right; may be < 0)
  std::string feedback;
  bool operator==(const QuizChoice&) const = default;
};
struct QuizNumber {
  double value = 0, tolerance = 0;
  double weight = 1;
  bool operator==(const QuizNumber&) const = default;
};

struct QuizQuestion {
  QuizKind kind = QuizKind::open;
  std::string title, text;
  bool true_false = false;  // a single choice of "true" and "false" (shown translated)
  std::vector<QuizChoice>
      choices;  // single, multiple: the options; short_answer: accepted spellings
  std::vector<QuizNumber> numbers;
  double points = 1;
  bool operator==(const QuizQuestion&) const = default;
};

inline constexpr std::size_t kMaxQuestions = 200;
inline constexpr std::size_t kMaxChoices = 26;
inline constexpr std::size_t kMaxGiftBytes = 2 << 20;

struct GiftParse {
  std::vector<QuizQuestion> questions;
  std::vector<Message> errors;  // each names its line; all or nothing: no questions with errors
  bool ok() const { return errors.empty(); }
};
// Any bytes (UTF-8 or Windows-1251): questions, or the problems found with their lines.
GiftParse parse_gift(std::string_view bytes);
// The questions as GIFT that parse_gift reads back to the same questions.
std::string to_gift(const std::vector<QuizQuestion>& questions);

// One answer marked: the share of the question's points it earns (0..1), or nullopt when a
// person must decide (an open answer). `answer`: the option numbers chosen (0-based, as text
// "0,2") for single/multiple; the typed text for number and short_answer.
std::optional<double> mark_answer(const QuizQuestion& q, std::string_view answer);
// A number as people type it: "3,14", " -2.5 ", "1 000"; nullopt when it is not one.
std::optional<double> parse_typed_number(std::string_view s);

// Percent → mark: at least `five` % gives 5, `four` gives 4, `three` gives 3, less gives 2.
struct MarkScale {
  int five = 85, four = 65, three = 45;
  bool valid() const { return 0 < three && three < four && four < five && five <= 100; }
};
int scale_mark(const MarkScale& s, double percent);
// Points as people read them: "7", "7,5" (two decimals at most; `decimal`: ',' or '.').
std::string points_text(double v, char decimal = ',');

}  // namespace parta::domain
