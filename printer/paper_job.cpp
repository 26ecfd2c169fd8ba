#include "printer/paper_job.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace parta::printer {

namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<JobKind, const char*>, 9> kKinds{
    {{JobKind::packets, "packets"},
     {JobKind::count_pages, "count_pages"},
     {JobKind::read_page, "read_page"},
     {JobKind::cards, "cards"},
     {JobKind::printers, "printers"},
     {JobKind::print, "print"},
     {JobKind::job_status, "job_status"},
     {JobKind::travel_copy, "travel_copy"},
     {JobKind::read_boxes, "read_boxes"}}};

constexpr std::array<std::pair<JobError, const char*>, 7> kErrors{
    {{JobError::none, "none"},
     {JobError::version, "version"},
     {JobError::bad_job, "bad_job"},
     {JobError::unreadable, "unreadable"},
     {JobError::too_large, "too_large"},
     {JobError::printer, "printer"},
     {JobError::failed, "failed"}}};

// Limits for what partad reads back (the job side is written by partad itself).
constexpr std::size_t kMaxText = 4096;
constexpr std::size_t kMaxItems = 10000;

// A typed reader over one JSON object that remembers the first thing wrong with it, so the
// parsers read straight through and say once what was wrong.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail("is not an object");
  }
  bool ok() const { return why_.empty(); }
  const std::string& why() const { return why_; }
  void fail(const std::string& what) {
    if (why_.empty()) why_ = where_ + " " + what;
  }
  bool has(const char* key) const {
    return j_.is_object() && j_.contains(key) && !j_.at(key).is_null();
  }

  std::string text(const char* key, bool required = true, std::size_t max = kMaxText) {
    const json* v = find(key, required);
    if (!v) return "";
    if (!v->is_string()) return fail(std::string(key) + " is not text"), "";
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max) return fail(std::string(key) + " is too long"), "";
    return s;
  }
  std::int64_t integer(const char* key, std::int64_t min, std::int64_t max, bool required = true) {
    const json* v = find(key, required);
    if (!v) return min;
    if (!v->is_number_integer()) return fail(std::string(key) + " is not a whole number"), min;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      return fail(std::string(key) + " is out of range"), min;
    auto n = v->get<std::int64_t>();
    if (n < min || n > max) return fail(std::string(key) + " is out of range"), min;
    return n;
  }
  double number(const char* key, double min, double max, bool required = true) {
    const json* v = find(key, required);
    if (!v) return min;
    if (!v->is_number()) return fail(std::string(key) + " is not a number"), min;
    auto n = v->get<double>();
    if (!(n >= min && n <= max)) return fail(std::string(key) + " is out of range"), min;
    return n;
  }
  // A list of at most `count` numbers in [min, max].
  std::vector<double> numbers(const char* key, double min, double max, std::size_t count,
                              bool required = true) {
    std::vector<double> out;
    const json* v = find(key, required);
    if (!v) return out;
    if (!v->is_array() || v->size() > count)
      return fail(std::string(key) + " is not a list of numbers"), out;
    for (const auto& n : *v) {
      if (!n.is_number()) return fail(std::string(key) + " is not a list of numbers"), out;
      double d = n.get<double>();
      if (!(d >= min && d <= max)) return fail(std::string(key) + " is out of range"), out;
      out.push_back(d);
    }
    return out;
  }
  bool boolean(const char* key, bool required = true) {
    const json* v = find(key, required);
    if (!v) return false;
    if (!v->is_boolean()) return fail(std::string(key) + " is not true or false"), false;
    return v->get<bool>();
  }
  // An array of objects, each read by `read(Fields&)`.
  template <typename T, typename F>
  std::vector<T> list(const char* key, F read, bool required = true) {
    std::vector<T> out;
    const json* v = find(key, required);
    if (!v) return out;
    if (!v->is_array()) return fail(std::string(key) + " is not a list"), out;
    if (v->size() > kMaxItems) return fail(std::string(key) + " has too many entries"), out;
    for (const auto& item : *v) {
      Fields f(item, where_ + " " + key + "[" + std::to_string(out.size()) + "]");
      T t = read(f);
      if (!f.ok()) return fail(f.why()), out;
      out.push_back(std::move(t));
    }
    return out;
  }
  Fields object(const char* key) {
    const json* v = find(key, true);
    static const json kNull;
    return Fields(v ? *v : kNull, where_ + " " + key);
  }

 private:
  const json* find(const char* key, bool required) {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) fail(std::string("has no ") + key);
      return nullptr;
    }
    return &*it;
  }
  const json& j_;
  std::string where_, why_;
};

std::optional<JobKind> kind_from(const std::string& s) {
  for (const auto& [k, name] : kKinds)
    if (s == name) return k;
  return std::nullopt;
}

constexpr std::array<std::pair<PaperQuestion::Form, const char*>, 4> kForms{
    {{PaperQuestion::Form::one, "one"},
     {PaperQuestion::Form::many, "many"},
     {PaperQuestion::Form::line, "line"},
     {PaperQuestion::Form::frame, "frame"}}};

json box_json(const AnswerBox& b) {
  return {{"p", b.page}, {"q", b.question}, {"o", b.option}, {"m", b.many},
          {"x", b.x},    {"y", b.y},        {"w", b.w},      {"h", b.h}};
}

AnswerBox box_from(Fields& f) {
  AnswerBox b;
  b.page = static_cast<int>(f.integer("p", 1, 100000));
  b.question = static_cast<int>(f.integer("q", 0, 100000));
  b.option = static_cast<int>(f.integer("o", AnswerBox::kBlock, 1000));
  b.many = f.boolean("m", false);
  b.x = f.number("x", -100, 1000);
  b.y = f.number("y", -100, 1000);
  b.w = f.number("w", 0, 1000);
  b.h = f.number("h", 0, 1000);
  return b;
}

json packet_json(const PacketInfo& p) {
  json quiz = json::array();
  for (const auto& q : p.quiz) {
    json options = json::array();
    for (const auto& [index, text] : q.options) options.push_back({{"i", index}, {"t", text}});
    const char* form = "one";
    for (const auto& [f, name] : kForms)
      if (f == q.form) form = name;
    quiz.push_back({{"position", q.position},
                    {"form", form},
                    {"text", q.text},
                    {"options", options},
                    {"points", q.points}});
  }
  json materials = json::array();
  for (const auto& m : p.materials)
    materials.push_back({{"path", m.path}, {"name", m.name}, {"kind", m.kind}});
  return {{"school", p.school},
          {"class_name", p.class_name},
          {"student_name", p.student_name},
          {"student_no", p.student_no},
          {"subject", p.subject},
          {"teacher", p.teacher},
          {"title", p.title},
          {"due", p.due},
          {"how_to_return", p.how_to_return},
          {"body_markdown", p.body_markdown},
          {"materials", materials},
          {"answer_pages", p.answer_pages},
          {"ruling", p.ruling == Ruling::grid ? "grid" : "lined"},
          {"quiz_title", p.quiz_title},
          {"quiz", quiz},
          {"id", {{"assignment", p.id.assignment}, {"student", p.id.student}, {"run", p.id.run}}}};
}

PacketInfo packet_from(Fields& f) {
  PacketInfo p;
  constexpr std::size_t kBody = 1 << 20;  // an assignment's Markdown
  p.school = f.text("school");
  p.class_name = f.text("class_name");
  p.student_name = f.text("student_name");
  p.student_no = f.text("student_no");
  p.subject = f.text("subject");
  p.teacher = f.text("teacher");
  p.title = f.text("title");
  p.due = f.text("due");
  p.how_to_return = f.text("how_to_return");
  p.body_markdown = f.text("body_markdown", true, kBody);
  p.materials = f.list<Material>("materials", [](Fields& m) {
    std::string kind = m.text("kind", false);
    return Material{m.text("path"), m.text("name"), kind == "article" ? kind : "pdf"};
  });
  p.answer_pages = static_cast<int>(f.integer("answer_pages", 0, 100));
  std::string ruling = f.text("ruling");
  if (ruling != "lined" && ruling != "grid") f.fail("ruling is neither lined nor grid");
  p.ruling = ruling == "grid" ? Ruling::grid : Ruling::lined;
  p.quiz_title = f.text("quiz_title", false);
  p.quiz = f.list<PaperQuestion>(
      "quiz",
      [](Fields& q) {
        PaperQuestion out;
        out.position = static_cast<int>(q.integer("position", 0, 100000));
        std::string form = q.text("form");
        bool known = false;
        for (const auto& [k, name] : kForms)
          if (form == name) out.form = k, known = true;
        if (!known) q.fail("form is not one, many, line or frame");
        out.text = q.text("text", true, 1 << 16);
        auto options = q.list<std::pair<int, std::string>>("options", [](Fields& o) {
          return std::pair<int, std::string>{static_cast<int>(o.integer("i", 0, 1000)),
                                             o.text("t")};
        });
        out.options = std::move(options);
        out.points = q.number("points", 0, 1e6);
        return out;
      },
      false);
  Fields id = f.object("id");
  p.id.assignment = id.integer("assignment", 1, INT64_MAX);
  p.id.student = id.integer("student", 1, INT64_MAX);
  p.id.run = id.text("run", true, 16);
  if (!id.ok()) f.fail(id.why());
  return p;
}

JobResult refusal(JobError e, std::string detail) {
  JobResult r;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

json file_json(const OutFile& f) {
  json j{{"name", f.name}, {"pages", f.pages}};
  if (!f.boxes.empty()) {
    json boxes = json::array();
    for (const auto& b : f.boxes) boxes.push_back(box_json(b));
    j["boxes"] = std::move(boxes);
  }
  return j;
}

OutFile file_from(Fields& f) {
  OutFile o{f.text("name", true, 128), static_cast<int>(f.integer("pages", 0, 1'000'000)), {}};
  o.boxes = f.list<AnswerBox>("boxes", box_from, false);
  if (f.ok() && !safe_file_name(o.name)) f.fail("names a file outside its folder");
  return o;
}

}  // namespace

std::string boxes_to_json(const std::vector<AnswerBox>& boxes) {
  json j = json::array();
  for (const auto& b : boxes) j.push_back(box_json(b));
  return j.dump();
}

std::vector<AnswerBox> boxes_from_json(std::string_view text) {
  if (text.empty()) return {};
  json j = json::parse(text, nullptr, false);
  json wrapped{{"boxes", j}};
  Fields f(wrapped, "the boxes");
  auto out = f.list<AnswerBox>("boxes", box_from);
  return f.ok() ? out : std::vector<AnswerBox>{};
}

const char* box_state_code(BoxState s) {
  switch (s) {
    case BoxState::empty:
      return "empty";
    case BoxState::marked:
      return "marked";
    case BoxState::full:
      return "full";
    case BoxState::doubtful:
      return "doubtful";
  }
  return "doubtful";
}

std::optional<BoxState> box_state_from(std::string_view s) {
  for (BoxState b : {BoxState::empty, BoxState::marked, BoxState::full, BoxState::doubtful})
    if (s == box_state_code(b)) return b;
  return std::nullopt;
}

const char* kind_name(JobKind k) {
  for (const auto& [kind, name] : kKinds)
    if (kind == k) return name;
  return "?";
}

const char* error_name(JobError e) {
  for (const auto& [err, name] : kErrors)
    if (err == e) return name;
  return "?";
}

bool safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

JobFolder::JobFolder(const std::string& parent) {
  std::string t = parent + "/paper-XXXXXX";
  if (!mkdtemp(t.data())) throw std::runtime_error("cannot make a folder in " + parent);
  path_ = t;
}

JobFolder::~JobFolder() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> JobFolder::output(std::string_view name) const {
  if (!safe_file_name(name)) return std::nullopt;
  std::string path = path_ + "/" + std::string(name);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
    return std::nullopt;
  return path;
}

std::string job_to_json(const Job& job) {
  json j{{"v", kJobVersion}, {"kind", kind_name(job.kind)}};
  switch (job.kind) {
    case JobKind::packets: {
      json packets = json::array();
      for (const auto& p : job.packets) packets.push_back(packet_json(p));
      j["out"] = job.out;
      j["packets"] = std::move(packets);
      break;
    }
    case JobKind::count_pages:
      j["path"] = job.path;
      j["max_pixels"] = job.max_pixels;
      break;
    case JobKind::read_page:
      j["path"] = job.path;
      j["page"] = job.page;
      j["out"] = job.out;
      j["max_pixels"] = job.max_pixels;
      break;
    case JobKind::cards: {
      json cards = json::array();
      for (const auto& c : job.cards)
        cards.push_back({{"name", c.name},
                         {"class_name", c.class_name},
                         {"login", c.login},
                         {"secret", c.secret},
                         {"url", c.url}});
      j["out"] = job.out;
      j["school"] = job.school;
      j["wifi"] = job.wifi;
      j["cards"] = std::move(cards);
      break;
    }
    case JobKind::printers:
      break;
    case JobKind::print:
      j["printer"] = job.printer;
      j["path"] = job.path;
      j["title"] = job.title;
      j["two_sided"] = job.two_sided;
      break;
    case JobKind::job_status:
      j["printer"] = job.printer;
      j["job"] = job.print_job;
      break;
    case JobKind::travel_copy:
      j["path"] = job.path;
      j["out"] = job.out;
      j["max_pixels"] = job.max_pixels;
      j["long_side"] = job.long_side;
      j["quality"] = job.quality;
      j["grey"] = job.grey;
      j["check_codes"] = job.check_codes;
      break;
    case JobKind::read_boxes: {
      j["path"] = job.path;
      j["page"] = job.page;
      j["out"] = job.out;
      j["max_pixels"] = job.max_pixels;
      j["frame"] = job.frame;
      json boxes = json::array();
      for (const auto& b : job.boxes) boxes.push_back(box_json(b));
      j["boxes"] = std::move(boxes);
      break;
    }
  }
  // Invalid UTF-8 (a file name from a phone) is replaced rather than thrown on.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<Job, JobResult> parse_job(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return refusal(JobError::bad_job, "the job is not JSON");
  Fields f(j, "the job");
  if (!f.ok()) return refusal(JobError::bad_job, f.why());
  std::int64_t v = f.integer("v", INT64_MIN, INT64_MAX);
  if (!f.ok()) return refusal(JobError::bad_job, f.why());
  if (v < kOldestJobVersion || v > kJobVersion)
    return refusal(JobError::version,
                   "job version " + std::to_string(v) + "; this parta-paper reads versions " +
                       std::to_string(kOldestJobVersion) + " to " + std::to_string(kJobVersion));
  auto kind = kind_from(f.text("kind"));
  if (!kind) return refusal(JobError::bad_job, f.ok() ? "unknown job kind" : f.why());
  Job job;
  job.kind = *kind;
  constexpr std::size_t kPath = 4096, kBig = 1 << 20;
  switch (job.kind) {
    case JobKind::packets:
      job.out = f.text("out", true, kPath);
      job.packets = f.list<PacketInfo>("packets", packet_from);
      break;
    case JobKind::count_pages:
      job.path = f.text("path", true, kPath);
      job.max_pixels = f.integer("max_pixels", 1, INT64_MAX);
      break;
    case JobKind::read_page:
      job.path = f.text("path", true, kPath);
      job.page = static_cast<int>(f.integer("page", 0, 100000));
      job.out = f.text("out", true, kPath);
      job.max_pixels = f.integer("max_pixels", 1, INT64_MAX);
      break;
    case JobKind::cards:
      job.out = f.text("out", true, kPath);
      job.school = f.text("school", true, kBig);
      job.wifi = f.text("wifi", true, kBig);
      job.cards = f.list<LoginCard>("cards", [](Fields& c) {
        return LoginCard{c.text("name"), c.text("class_name"), c.text("login"), c.text("secret"),
                         c.text("url")};
      });
      break;
    case JobKind::printers:
      break;
    case JobKind::print:
      job.printer = f.text("printer");
      job.path = f.text("path", true, kPath);
      job.title = f.text("title");
      job.two_sided = f.boolean("two_sided");
      break;
    case JobKind::job_status:
      job.printer = f.text("printer");
      job.print_job = static_cast<int>(f.integer("job", 1, INT32_MAX));
      break;
    case JobKind::travel_copy:
      job.path = f.text("path", true, kPath);
      job.out = f.text("out", true, kPath);
      job.max_pixels = f.integer("max_pixels", 1, INT64_MAX);
      job.long_side = static_cast<int>(f.integer("long_side", 64, 20000));
      job.quality = static_cast<int>(f.integer("quality", 1, 100));
      job.grey = f.text("grey", true, 16);
      if (job.grey != "auto" && job.grey != "always" && job.grey != "never")
        f.fail("grey is not auto, always or never");
      job.check_codes = f.boolean("check_codes", false);
      break;
    case JobKind::read_boxes:
      job.path = f.text("path", true, kPath);
      job.page = static_cast<int>(f.integer("page", 0, 100000));
      job.out = f.text("out", true, kPath);
      job.max_pixels = f.integer("max_pixels", 1, INT64_MAX);
      job.frame = f.numbers("frame", -1e12, 1e12, 9);
      if (f.ok() && job.frame.size() != 9) f.fail("frame is not nine numbers");
      job.boxes = f.list<AnswerBox>("boxes", box_from);
      break;
  }
  if (!f.ok()) return refusal(JobError::bad_job, f.why());
  return job;
}

std::string result_to_json(JobKind kind, const JobResult& r) {
  json j{{"v", kJobVersion}, {"ok", r.ok()}};
  if (!r.ok()) {
    j["error"] = error_name(r.error);
    j["detail"] = r.detail;
    if (r.error == JobError::too_large) {
      j["width"] = r.width;
      j["height"] = r.height;
    }
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  switch (kind) {
    case JobKind::packets: {
      json files = json::array();
      for (const auto& f : r.files) files.push_back(file_json(f));
      j["files"] = std::move(files);
      j["combined"] = file_json(r.combined);
      break;
    }
    case JobKind::count_pages:
      j["pages"] = r.pages;
      break;
    case JobKind::read_page:
      j["payload"] = r.payload ? json(*r.payload) : json(nullptr);
      j["codes"] = r.codes;
      j["disagree"] = r.disagree;
      j["foreign"] = r.foreign;
      j["damaged"] = r.damaged;
      j["marks"] = r.marks;
      j["misplaced"] = r.misplaced;
      j["unplaced"] = r.unplaced;
      j["jpeg"] = r.jpeg;
      j["width"] = r.width;
      j["height"] = r.height;
      if (!r.frame.empty()) j["frame"] = r.frame;
      break;
    case JobKind::read_boxes: {
      json boxes = json::array(), rows = json::array(), writes = json::array();
      for (const auto& b : r.read.boxes)
        boxes.push_back({{"q", b.question},
                         {"o", b.option},
                         {"s", box_state_code(b.state)},
                         {"ink", b.ink},
                         {"grey", b.grey},
                         {"beside", b.beside},
                         {"outline", b.outline}});
      for (const auto& row : r.read.rows)
        rows.push_back({{"q", row.question},
                        {"decided", row.decided},
                        {"chosen", row.chosen},
                        {"why", row.why},
                        {"crop", row.crop}});
      for (const auto& w : r.read.writes)
        writes.push_back({{"q", w.question}, {"blank", w.blank}, {"crop", w.crop}});
      j["boxes"] = std::move(boxes);
      j["rows"] = std::move(rows);
      j["writes"] = std::move(writes);
      break;
    }
    case JobKind::cards:
      j["file"] = file_json(r.files.empty() ? OutFile{} : r.files[0]);
      break;
    case JobKind::printers: {
      json printers = json::array();
      for (const auto& p : r.printers)
        printers.push_back({{"name", p.name},
                            {"info", p.info},
                            {"location", p.location},
                            {"is_default", p.is_default},
                            {"accepting", p.accepting}});
      j["printers"] = std::move(printers);
      break;
    }
    case JobKind::print:
      j["job"] = r.print_job;
      break;
    case JobKind::job_status:
      if (r.status) {
        j["state"] = r.status->state;
        j["done"] = r.status->done;
      }
      break;
    case JobKind::travel_copy:
      j["jpeg"] = r.jpeg;
      j["width"] = r.width;
      j["height"] = r.height;
      j["grey"] = r.grey;
      j["cropped"] = r.cropped;
      j["quality"] = r.quality;
      j["codes_lost"] = r.codes_lost;
      j["codes"] = r.codes;
      j["foreign"] = r.foreign;
      j["codes_original"] = r.codes_original;
      j["foreign_original"] = r.foreign_original;
      break;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<JobResult> parse_result(JobKind kind, std::string_view text, std::string* why) {
  auto no = [why](const std::string& what) -> std::optional<JobResult> {
    if (why) *why = what;
    return std::nullopt;
  };
  if (text.size() > kMaxResultBytes) return no("the result is too large");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return no("the result is not JSON");
  Fields f(j, "the result");
  std::int64_t v = f.integer("v", INT64_MIN, INT64_MAX);
  if (!f.ok()) return no(f.why());
  if (v < kOldestJobVersion || v > kJobVersion)
    return no("the result has version " + std::to_string(v));
  JobResult r;
  if (!f.boolean("ok")) {
    if (!f.ok()) return no(f.why());
    std::string e = f.text("error");
    r.error = JobError::failed;
    bool known = false;
    for (const auto& [err, name] : kErrors)
      if (e == name && err != JobError::none) r.error = err, known = true;
    if (!known && f.ok()) f.fail("names an unknown error");
    r.detail = f.text("detail", false);
    if (r.error == JobError::too_large) {
      r.width = f.integer("width", 0, INT32_MAX);
      r.height = f.integer("height", 0, INT32_MAX);
    }
    if (!f.ok()) return no(f.why());
    return r;
  }
  switch (kind) {
    case JobKind::packets: {
      r.files = f.list<OutFile>("files", file_from);
      Fields c = f.object("combined");
      r.combined = file_from(c);
      if (!c.ok()) f.fail(c.why());
      break;
    }
    case JobKind::count_pages:
      r.pages = static_cast<int>(f.integer("pages", 1, 100000));
      break;
    case JobKind::read_page:
      if (f.has("payload")) r.payload = f.text("payload", true, 64);
      r.codes = static_cast<int>(f.integer("codes", 0, 1000));
      r.disagree = f.boolean("disagree");
      r.foreign = f.boolean("foreign", false);
      r.damaged = f.boolean("damaged", false);
      r.marks = static_cast<int>(f.integer("marks", 0, 4, false));
      r.misplaced = f.boolean("misplaced", false);
      r.unplaced = f.boolean("unplaced", false);
      r.jpeg = f.text("jpeg", true, 128);
      if (f.ok() && !safe_file_name(r.jpeg)) f.fail("names a file outside its folder");
      r.width = f.integer("width", 0, INT32_MAX);
      r.height = f.integer("height", 0, INT32_MAX);
      r.frame = f.numbers("frame", -1e12, 1e12, 9, false);
      if (f.ok() && !r.frame.empty() && r.frame.size() != 9) f.fail("frame is not nine numbers");
      break;
    case JobKind::read_boxes: {
      auto crop_name = [](Fields& x) {
        std::string c = x.text("crop", false, 128);
        if (x.ok() && !c.empty() && !safe_file_name(c)) x.fail("names a file outside its folder");
        return c;
      };
      r.read.boxes = f.list<BoxReading>("boxes", [](Fields& b) {
        BoxReading out;
        out.question = static_cast<int>(b.integer("q", 0, 100000));
        out.option = static_cast<int>(b.integer("o", AnswerBox::kWriteIn, 1000));
        auto state = box_state_from(b.text("s", true, 16));
        if (!state) b.fail("names an unknown box state");
        out.state = state.value_or(BoxState::doubtful);
        out.ink = b.number("ink", 0, 1);
        out.grey = b.number("grey", 0, 1);
        out.beside = b.number("beside", 0, 1);
        out.outline = b.number("outline", 0, 1);
        return out;
      });
      r.read.rows = f.list<RowReading>("rows", [&](Fields& x) {
        RowReading out;
        out.question = static_cast<int>(x.integer("q", 0, 100000));
        out.decided = x.boolean("decided");
        for (double c : x.numbers("chosen", 0, 1000, 1000))
          out.chosen.push_back(static_cast<int>(c));
        out.why = x.text("why", false, 16);
        out.crop = crop_name(x);
        return out;
      });
      r.read.writes = f.list<WriteIn>("writes", [&](Fields& x) {
        WriteIn out;
        out.question = static_cast<int>(x.integer("q", 0, 100000));
        out.blank = x.boolean("blank");
        out.crop = crop_name(x);
        return out;
      });
      break;
    }
    case JobKind::cards: {
      Fields c = f.object("file");
      r.files.push_back(file_from(c));
      if (!c.ok()) f.fail(c.why());
      break;
    }
    case JobKind::printers:
      r.printers = f.list<Printer>("printers", [](Fields& p) {
        Printer out;
        out.name = p.text("name", true, 256);
        out.info = p.text("info", false);
        out.location = p.text("location", false);
        out.is_default = p.boolean("is_default");
        out.accepting = p.boolean("accepting");
        return out;
      });
      break;
    case JobKind::print:
      r.print_job = static_cast<int>(f.integer("job", 1, INT32_MAX));
      break;
    case JobKind::job_status:
      if (f.has("state")) r.status = JobStatus{f.text("state", true, 64), f.boolean("done")};
      break;
    case JobKind::travel_copy:
      r.jpeg = f.text("jpeg", true, 128);
      if (f.ok() && !safe_file_name(r.jpeg)) f.fail("names a file outside its folder");
      r.width = f.integer("width", 1, INT32_MAX);
      r.height = f.integer("height", 1, INT32_MAX);
      r.grey = f.boolean("grey");
      r.cropped = f.boolean("cropped");
      r.quality = static_cast<int>(f.integer("quality", 0, 100, false));
      r.codes_lost = f.boolean("codes_lost", false);
      r.codes = static_cast<int>(f.integer("codes", 0, 1000, false));
      r.foreign = f.boolean("foreign", false);
      r.codes_original = static_cast<int>(f.integer("codes_original", 0, 1000, false));
      r.foreign_original = f.boolean("foreign_original", false);
      break;
  }
  if (!f.ok()) return no(f.why());
  return r;
}

}  // namespace parta::printer
