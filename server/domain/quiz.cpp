#include "domain/quiz.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

#include "content/html_scan.hpp"
#include "content/utf8.hpp"
#include "domain/csv_reader.hpp"

namespace parta::domain {

namespace {

constexpr std::size_t kMaxText = 4000;  // characters of a question's text or an option

bool special(char c) {
  return c == '~' || c == '=' || c == '#' || c == '{' || c == '}' || c == ':';
}

// The first `ch` at or after `from` that is not escaped by a backslash.
std::size_t find_plain(std::string_view s, char ch, std::size_t from = 0) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == ch) return i;
  }
  return std::string_view::npos;
}

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (special(n) || n == '\\' || n == '%') {
        out += n;
        ++i;
        continue;
      }
      if (n == 'n') {
        out += '\n';
        ++i;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (special(c) || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// An answer's text: a '%' it starts with would be read as a weight.
std::string escape_answer(std::string_view s) {
  std::string out = escape(s);
  return !out.empty() && out[0] == '%' ? "\\" + out : out;
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\n' || s[b - 1] == '\r'))
    --b;
  return std::string(s.substr(a, b - a));
}

std::optional<double> parse_double(std::string_view s) {
  std::string t = trim(s);
  if (t.empty() || t.size() > 40) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "%50%rest": the weight (as a share) and what follows; no weight: `fallback`.
std::optional<double> take_weight(std::string& s, double fallback) {
  if (s.empty() || s[0] != '%') return fallback;
  auto end = s.find('%', 1);
  if (end == std::string::npos) return std::nullopt;
  auto w = parse_double(std::string_view(s).substr(1, end - 1));
  if (!w || *w < -100 || *w > 100) return std::nullopt;
  s.erase(0, end + 1);
  return *w / 100;
}

// Splits an answer into its text and its "#feedback".
std::pair<std::string, std::string> split_feedback(std::string_view raw) {
  auto hash = find_plain(raw, '#');
  if (hash == std::string_view::npos) return {trim(unescape(raw)), ""};
  return {trim(unescape(raw.substr(0, hash))), trim(unescape(raw.substr(hash + 1)))};
}

// Moodle writes nearly every question as [html]: the text as people read it (content/html_scan's
// tokenizer and entities; a paragraph, a break or a list item a new line; a no-break space a
// space, as typed answers have it).
std::string html_to_text(std::string_view h) {
  std::string out;
  content::scan_html(h, [&](const content::HtmlToken& t) {
    if (t.kind == content::HtmlToken::text) {
      out += content::decode_entities(t.raw);
    } else if ((t.kind == content::HtmlToken::start_tag && t.name == "br") ||
               (t.kind == content::HtmlToken::end_tag &&
                (t.name == "p" || t.name == "div" || t.name == "li"))) {
      out += '\n';
    }
  });
  for (std::size_t at; (at = out.find("\xc2\xa0")) != std::string::npos;) out.replace(at, 2, " ");
  // Lines trimmed, runs of empty ones made one.
  std::string clean;
  int blank = 0;
  for (std::size_t pos = 0; pos <= out.size();) {
    auto end = out.find('\n', pos);
    std::string line = trim(std::string_view(out).substr(
        pos, end == std::string::npos ? std::string::npos : end - pos));
    pos = end == std::string::npos ? out.size() + 1 : end + 1;
    if (line.empty()) {
      ++blank;
      continue;
    }
    if (!clean.empty()) clean += blank > 0 ? "\n\n" : "\n";
    blank = 0;
    clean += line;
  }
  return clean;
}

struct Block {
  int line = 0;
  double points = 1;
  std::string text;
};

class Parser {
 public:
  explicit Parser(csv::Problems& problems) : problems_(problems) {}

  std::optional<QuizQuestion> question(const Block& b) {
    line_ = b.line;
    std::string_view s = b.text;
    QuizQuestion q;
    q.points = b.points;
    if (s.substr(0, 2) == "::") {
      auto end = s.find("::", 2);
      while (end != std::string_view::npos && s[end - 1] == '\\') end = s.find("::", end + 1);
      if (end == std::string_view::npos)
        return fail("Line {line}: The title's closing \"::\" is missing.");
      q.title = trim(unescape(s.substr(2, end - 2)));
      s = s.substr(end + 2);
    }
    auto open = find_plain(s, '{');
    if (open == std::string_view::npos)
      return fail("Line {line}: The question has no answers in braces {…}.");
    auto close = find_plain(s, '}', open + 1);
    if (close == std::string_view::npos)
      return fail("Line {line}: The closing brace } is missing.");
    if (find_plain(s.substr(close + 1), '{') != std::string_view::npos)
      return fail("Line {line}: A question has one block of answers {…}; this one has more.");
    std::string before = trim(s.substr(0, open)), after = trim(s.substr(close + 1));
    // A format tag ([html], [markdown], [plain], [moodle]) at the start of the text.
    html_ = false;
    if (!before.empty() && before[0] == '[') {
      auto end = before.find(']');
      std::string tag = end == std::string::npos ? "" : before.substr(1, end - 1);
      if (tag == "html" || tag == "markdown" || tag == "plain" || tag == "moodle") {
        before = trim(std::string_view(before).substr(end + 1));
        html_ = tag == "html";
      }
    }
    q.text = shown(unescape(before));
    if (!after.empty())
      q.text += (q.text.empty() ? "" : " ") + std::string("_____ ") + shown(unescape(after));
    q.text = trim(q.text);
    if (q.text.empty()) q.text = q.title;
    if (q.text.empty()) return fail("Line {line}: The question has no text.");
    if (text::char_count(q.text) > kMaxText)
      return fail("Line {line}: The question's text is too long.");
    if (!answers(trim(s.substr(open + 1, close - open - 1)), q)) return std::nullopt;
    return q;
  }

 private:
  std::optional<QuizQuestion> fail(const char* msgid) {
    problems_.add(msgid, {{"line", std::to_string(line_)}});
    return std::nullopt;
  }
  bool bad(const char* msgid) {
    fail(msgid);
    return false;
  }

  bool answers(std::string a, QuizQuestion& q) {
    // Moodle writes the question's general feedback last in the block, after "####": not an
    // answer's.
    for (auto at = find_plain(a, '#'); at != std::string::npos; at = find_plain(a, '#', at + 1))
      if (a.compare(at, 4, "####") == 0) {
        a = trim(std::string_view(a).substr(0, at));
        break;
      }
    if (a.empty()) {
      q.kind = QuizKind::open;
      return true;
    }
    std::string head = a.substr(0, find_plain(a, '#'));
    std::string flag = trim(head);
    if (flag == "T" || flag == "TRUE" || flag == "F" || flag == "FALSE") {
      bool yes = flag[0] == 'T';
      q.kind = QuizKind::single;
      q.true_false = true;
      q.choices = {{"true", yes ? 1.0 : 0.0, ""}, {"false", yes ? 0.0 : 1.0, ""}};
      return true;
    }
    if (a[0] == '#') return numbers(a.substr(1), q);
    // Answers start at each unescaped '=' or '~'.
    struct Raw {
      char marker;
      std::string body;
    };
    std::vector<Raw> raw;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i] == '\\' && i + 1 < a.size()) {
        if (!raw.empty()) raw.back().body += a.substr(i, 2);
        ++i;
        continue;
      }
      if (a[i] == '=' || a[i] == '~') {
        raw.push_back({a[i], ""});
        continue;
      }
      if (raw.empty()) {
        if (a[i] == ' ' || a[i] == '\n' || a[i] == '\t') continue;
        return bad("Line {line}: Each answer starts with = (right) or ~ (wrong).");
      }
      raw.back().body += a[i];
    }
    if (raw.empty()) return bad("Line {line}: Each answer starts with = (right) or ~ (wrong).");
    if (raw.size() > kMaxChoices) return bad("Line {line}: A question has at most 26 answers.");
    int right = 0;
    bool weighted_wrong = false, only_right = true;
    for (auto& r : raw) {
      if (r.body.find("->") != std::string::npos && r.marker == '=')
        return bad("Line {line}: Matching questions ({=a -> b}) are not supported.");
      auto w = take_weight(r.body, r.marker == '=' ? 1.0 : 0.0);
      if (!w) return bad("Line {line}: A weight is written %50% (percent, from -100 to 100).");
      if (r.marker == '=' && *w <= 0)
        return bad("Line {line}: A right answer (=) is worth more than 0%.");
      auto [text, feedback] = split_feedback(r.body);
      text = shown(text);
      feedback = shown(feedback);
      if (text.empty()) return bad("Line {line}: An answer is empty.");
      if (text::char_count(text) > kMaxText) return bad("Line {line}: An answer is too long.");
      if (r.marker == '=') ++right;
      if (r.marker == '~') only_right = false;
      if (r.marker == '~' && *w > 0) weighted_wrong = true;
      q.choices.push_back({text, *w, feedback});
    }
    if (only_right) {
      q.kind = QuizKind::short_answer;
      return true;
    }
    if (weighted_wrong) {
      q.kind = QuizKind::multiple;
      return true;
    }
    if (right != 1)
      return bad(
          "Line {line}: A single-choice question has one right answer (=); for several right "
          "answers give "
          "each a weight: ~%50%.");
    q.kind = QuizKind::single;
    return true;
  }

  bool numbers(std::string a, QuizQuestion& q) {
    q.kind = QuizKind::number;
    a = trim(a);
    std::vector<std::string> parts;
    if (!a.empty() && a[0] == '=') {
      std::size_t from = 1;
      for (auto at = find_plain(a, '=', from);; at = find_plain(a, '=', from)) {
        parts.push_back(a.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) break;
        from = at + 1;
      }
    } else {
      parts.push_back(a);
    }
    if (parts.size() > kMaxChoices) return bad("Line {line}: A question has at most 26 answers.");
    for (auto& p : parts) {
      p = trim(p);
      auto w = take_weight(p, 1.0);
      if (!w) return bad("Line {line}: A weight is written %50% (percent, from -100 to 100).");
      std::string value = p.substr(0, find_plain(p, '#'));
      QuizNumber n;
      n.weight = *w;
      auto dots = value.find("..");
      auto colon = find_plain(value, ':');
      if (dots != std::string::npos) {
        auto lo = parse_double(value.substr(0, dots)), hi = parse_double(value.substr(dots + 2));
        if (!lo || !hi || *lo > *hi)
          return bad("Line {line}: A number answer is written 3.14, 3.14:0.01 or 3..4.");
        n.value = (*lo + *hi) / 2;
        n.tolerance = (*hi - *lo) / 2;
      } else {
        auto v = parse_double(value.substr(0, colon));
        auto t = colon == std::string::npos ? std::optional<double>(0)
                                            : parse_double(value.substr(colon + 1));
        if (!v || !t || *t < 0)
          return bad("Line {line}: A number answer is written 3.14, 3.14:0.01 or 3..4.");
        n.value = *v;
        n.tolerance = *t;
      }
      q.numbers.push_back(n);
    }
    return true;
  }

  std::string shown(const std::string& s) const { return html_ ? html_to_text(s) : s; }

  csv::Problems& problems_;
  int line_ = 0;
  bool html_ = false;
};

std::string format_number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string format_weight(double w) { return "%" + format_number(w * 100) + "%"; }

}  // namespace

const char* quiz_kind_code(QuizKind k) {
  switch (k) {
    case QuizKind::single:
      return "single";
    case QuizKind::multiple:
      return "multiple";
    case QuizKind::number:
      return "number";
    case QuizKind::short_answer:
      return "short";
    case QuizKind::open:
      return "open";
  }
  return "open";
}

std::optional<QuizKind> parse_quiz_kind(std::string_view s) {
  for (auto k : {QuizKind::single, QuizKind::multiple, QuizKind::number, QuizKind::short_answer,
                 QuizKind::open})
    if (s == quiz_kind_code(k)) return k;
  return std::nullopt;
}

GiftParse parse_gift(std::string_view bytes) {
  GiftParse out;
  csv::Problems problems;
  csv::Text text = csv::decode(bytes, kMaxGiftBytes, problems);
  if (!text.ok) {
    out.errors = problems.take();
    return out;
  }
  // Blocks: lines up to a blank line (as Moodle splits them), comments and categories left out.
  std::vector<Block> blocks;
  Block cur;
  double pending_points = 1;
  int line = 0;
  std::string_view all = text.utf8;
  auto flush = [&] {
    if (!trim(cur.text).empty()) blocks.push_back(cur);
    cur = Block{};
  };
  for (std::size_t pos = 0; pos <= all.size();) {
    auto end = all.find('\n', pos);
    std::string_view l =
        all.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? all.size() + 1 : end + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    std::string t = trim(l);
    if (t.rfind("//", 0) == 0) {
      // "// points: 2" (or "баллы") sets the next question's points.
      std::string c = csv::fold_case(std::string_view(t).substr(2));
      for (const char* key : {"points:", "баллы:", "балл:", "балла:"})
        if (c.rfind(key, 0) == 0) {
          auto v = parse_double(std::string_view(c).substr(std::string_view(key).size()));
          if (v && *v > 0 && *v <= 100)
            pending_points = *v;
          else
            problems.add("Line {line}: points are a number from 0 to 100.",
                         {{"line", std::to_string(line)}});
        }
      continue;
    }
    if (t.rfind("$CATEGORY:", 0) == 0) continue;
    if (t.empty()) {
      flush();
      continue;
    }
    if (trim(cur.text).empty()) {
      cur.line = line;
      cur.points = pending_points;
      pending_points = 1;
    }
    cur.text += std::string(l) + "\n";
  }
  flush();
  if (blocks.size() > kMaxQuestions)
    problems.add(
        "A quiz has at most {max} questions; this file has {count}.",
        {{"max", std::to_string(kMaxQuestions)}, {"count", std::to_string(blocks.size())}});
  Parser parser(problems);
  for (const auto& b : blocks) {
    if (out.questions.size() >= kMaxQuestions) break;
    if (auto q = parser.question(b)) out.questions.push_back(std::move(*q));
  }
  if (out.questions.empty() && problems.count() == 0)
    problems.add("The file has no questions.", {});
  if (problems.count() > 0) {
    out.questions.clear();
    out.errors = problems.take();
  }
  return out;
}

std::string to_gift(const std::vector<QuizQuestion>& questions) {
  std::string out;
  for (const auto& q : questions) {
    if (q.points != 1) out += "// points: " + format_number(q.points) + "\n";
    if (!q.title.empty()) out += "::" + escape(q.title) + "::";
    out += escape(q.text) + " {";
    switch (q.kind) {
      case QuizKind::open:
        break;
      case QuizKind::single:
        if (q.true_false && q.choices.size() == 2) {
          out += q.choices[0].weight > 0 ? "TRUE" : "FALSE";
          break;
        }
        [[fallthrough]];
      case QuizKind::multiple:
        for (const auto& c : q.choices) {
          // In a single choice every answer worth something was written with '=' (a '~' worth
          // something makes a multiple choice).
          bool right = q.kind == QuizKind::single && c.weight > 0;
          out += "\n  ";
          out += right ? "=" : "~";
          if (right ? c.weight != 1 : c.weight != 0) out += format_weight(c.weight);
          out += escape_answer(c.text);
          if (!c.feedback.empty()) out += " #" + escape(c.feedback);
        }
        out += "\n";
        break;
      case QuizKind::short_answer:
        for (const auto& c : q.choices) {
          out += "\n  =";
          if (c.weight != 1) out += format_weight(c.weight);
          out += escape_answer(c.text);
          if (!c.feedback.empty()) out += " #" + escape(c.feedback);
        }
        out += "\n";
        break;
      case QuizKind::number:
        out += "#";
        for (const auto& n : q.numbers) {
          if (q.numbers.size() > 1) out += "\n  =";
          if (n.weight != 1) out += format_weight(n.weight);
          out += format_number(n.value);
          if (n.tolerance != 0) out += ":" + format_number(n.tolerance);
        }
        if (q.numbers.size() > 1) out += "\n";
        break;
    }
    out += "}\n\n";
  }
  return out;
}

std::optional<double> parse_typed_number(std::string_view s) {
  std::string t;
  for (char c : trim(s)) {
    if (c == ' ') continue;  // "1 000"
    t += c == ',' ? '.' : c;
  }
  // A no-break space between thousands, as phones type it.
  for (std::size_t at; (at = t.find("\xc2\xa0")) != std::string::npos;) t.erase(at, 2);
  if (t.empty() || t.size() > 40) return std::nullopt;
  if (t[0] == '+') t.erase(0, 1);
  return parse_double(t);
}

std::optional<double> mark_answer(const QuizQuestion& q, std::string_view answer) {
  // Shares to a millionth: three options of 33.33333 % ticked are the whole question.
  auto clamp = [](double v) { return std::clamp(std::round(v * 1e6) / 1e6, 0.0, 1.0); };
  switch (q.kind) {
    case QuizKind::open:
      return std::nullopt;
    case QuizKind::single:
    case QuizKind::multiple: {
      std::set<std::size_t> chosen;
      std::string_view rest = answer;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        std::size_t i = 0;
        auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), i);
        if (ec == std::errc() && p == item.data() + item.size() && i < q.choices.size())
          chosen.insert(i);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      if (q.kind == QuizKind::single && chosen.size() != 1) return 0.0;
      double sum = 0;
      for (auto i : chosen) sum += q.choices[i].weight;
      return clamp(sum);
    }
    case QuizKind::number: {
      auto v = parse_typed_number(answer);
      if (!v) return 0.0;
      double best = 0;
      for (const auto& n : q.numbers)
        if (std::abs(*v - n.value) <= n.tolerance + 1e-9 * std::max(1.0, std::abs(n.value)))
          best = std::max(best, n.weight);
      return clamp(best);
    }
    case QuizKind::short_answer: {
      std::string given = csv::fold_case(answer);
      double best = 0;
      for (const auto& c : q.choices)
        if (csv::fold_case(c.text) == given) best = std::max(best, c.weight);
      return clamp(best);
    }
  }
  return 0.0;
}

int scale_mark(const MarkScale& s, double percent) {
  // A hair below a boundary (66.666… of 65) is not pushed down by rounding.
  double p = std::round(percent * 1000) / 1000;
  if (p >= s.five) return 5;
  if (p >= s.four) return 4;
  if (p >= s.three) return 3;
  return 2;
}

std::string points_text(double v, char decimal) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", std::round(v * 100) / 100);
  std::string s = buf;
  for (char& ch : s)
    if (ch == '.') ch = decimal;
  return s;
}

}  // namespace parta::domain
