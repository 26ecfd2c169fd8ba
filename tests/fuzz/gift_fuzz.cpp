// libFuzzer target for the GIFT reader (a teacher's question bank, or any file uploaded as one):
// any bytes give questions or a bounded list of messages with lines, never a crash, and what is
// read is written back as GIFT that reads again to the same questions' kinds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "content/utf8.hpp"
#include "domain/quiz.hpp"

namespace {
void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "gift invariant broken: %s\n", what);
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace parta::domain;
  auto r = parse_gift(std::string_view(reinterpret_cast<const char*>(data), size));
  check(r.errors.size() <= 51, "at most 50 errors and one \"and more\"");
  if (!r.ok()) {
    check(r.questions.empty(), "all or nothing");
    return 0;
  }
  check(!r.questions.empty() && r.questions.size() <= kMaxQuestions, "question count");
  for (const auto& q : r.questions) {
    check(!q.text.empty() && parta::text::is_valid_utf8(q.text), "text");
    check(q.choices.size() <= kMaxChoices && q.numbers.size() <= kMaxChoices, "answers");
    check(q.points > 0 && q.points <= 100, "points");
    for (const auto& c : q.choices)
      check(
          !c.text.empty() && parta::text::is_valid_utf8(c.text) && c.weight >= -1 && c.weight <= 1,
          "choices");
    if (q.kind == QuizKind::single || q.kind == QuizKind::multiple ||
        q.kind == QuizKind::short_answer)
      check(!q.choices.empty(), "a choice question has choices");
    if (q.kind == QuizKind::number) check(!q.numbers.empty(), "a number question has numbers");
    auto m = mark_answer(q, "0");
    check(q.kind == QuizKind::open ? !m : (m && *m >= 0 && *m <= 1), "a mark is a share");
  }
  auto again = parse_gift(to_gift(r.questions));
  check(again.ok(), "its own GIFT reads back");
  check(again.questions.size() == r.questions.size(), "as many questions");
  for (std::size_t i = 0; i < again.questions.size(); ++i)
    check(again.questions[i].kind == r.questions[i].kind, "of the same kinds");
  return 0;
}
