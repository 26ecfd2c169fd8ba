// The role × route table: every route partad has, asked by every role, including students and
// parents asking for someone else's data by ID. A route missing from the table fails the test.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace parta::testing {
namespace {

enum Outcome { kOk, kInvalid, kLogin, kDeny, kNotFound, kOther };
const char* name(Outcome o) {
  switch (o) {
    case kOk:
      return "allowed";
    case kInvalid:
      return "let in, form refused";
    case kLogin:
      return "sign-in required";
    case kDeny:
      return "forbidden";
    case kNotFound:
      return "not found";
    case kOther:
      return "something else";
  }
  return "?";
}

// A refused form (400/422, or 409 for a state that does not allow it yet) is told apart from
// "allowed": the row then says the access check let this user through to the form's checks.
Outcome classify(const Reply& r) {
  if (r.status == 401 || (r.status == 303 && r.location().rfind("/login", 0) == 0)) return kLogin;
  if (r.status == 403) return kDeny;
  if (r.status == 404) return kNotFound;
  if (r.status == 400 || r.status == 422 || r.status == 409) return kInvalid;
  if (r.status < 400) return kOk;  // 2xx and redirects elsewhere
  return kOther;
}

// Roles, in the column order of the table.
constexpr int kRoles = 6;
const char* kRoleNames[kRoles] = {"anonymous", "admin",   "class teacher",
                                  "teacher",   "student", "parent"};

struct Row {
  std::string method;
  std::string pattern;  // the route as partad lists it
  std::string url;      // with IDs filled in
  std::vector<std::pair<std::string, std::string>> form;
  Outcome expect[kRoles];
};

class Permissions : public ::testing::Test {
 protected:
  // A setup that throws must fail the test, not skip it (CTest counts gtest's skip as passed).
  static void SetUpTestSuite() {
    try {
      prepare();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static inline std::string setup_error_;
  static void prepare() {
    server_ = new Partad();
    Client admin(*server_);
    if (admin.login("admin", kDemoPassword).status != 200) throw std::runtime_error("admin login");
    auto classes = nlohmann::json::parse(admin.get("/api/v1/classes").body);
    for (const auto& k : classes) class_ids_[k["name"]] = k["id"];
    for (const auto& [name, id] : class_ids_) {
      auto students = nlohmann::json::parse(
          admin.get("/api/v1/classes/" + std::to_string(id) + "/students").body);
      for (const auto& s : students) student_ids_[s["login"]] = s["id"];
    }
    // A teacher who leads no class and teaches only 5Б (physics).
    admin.get("/admin/teachers");
    Reply made =
        admin.post("/admin/teachers",
                   {{"last_name", "Новикова"}, {"first_name", "Зоя"}, {"login", "novikova.z"}});
    std::smatch m;
    if (!std::regex_search(made.body, m, std::regex("Пароль: <code>([^<]+)</code>")))
      throw std::runtime_error("teacher not created");
    plain_teacher_password_ = m[1];
    auto teachers = nlohmann::json::parse(admin.get("/api/v1/teachers").body);
    for (const auto& t : teachers) teacher_ids_[t["login"]] = t["id"];
    std::string subject;
    for (const auto& t : teachers)
      for (const auto& x : t["teaching"])
        if (x["subject"] == "Физика") subject = std::to_string(x["subject_id"].get<std::int64_t>());
    Reply add =
        admin.post("/admin/teachers/" + std::to_string(teacher_ids_["novikova.z"]) + "/teaching",
                   {{"class_id", std::to_string(class_ids_["5Б"])}, {"subject_id", subject}});
    if (add.status != 303) throw std::runtime_error("teaching not added");
    for (const auto& t : teachers)
      for (const auto& x : t["teaching"])
        if (x["subject"] == "Русский язык") rus_ = x["subject_id"].get<std::int64_t>();
    // A content pack, so the library has an item.
    admin.get("/admin/packs");
    Reply pack = admin.multipart(
        "/admin/packs", {{"unsigned", "1"}},
        {{"pack", "good.tar.gz", "application/gzip",
          read_file(std::string(PARTA_SOURCE_DIR) + "/tests/fixtures/packs/good.tar.gz")}});
    if (pack.status != 200) throw std::runtime_error("pack not imported: " + pack.body);
    std::smatch li;
    std::string lib = admin.get("/library").body;
    if (!std::regex_search(lib, li, std::regex("/library/(\\d+)\"")))
      throw std::runtime_error("no library item");
    item_ = std::stoll(li[1]);
    // A reference archive (ZIM), so the library has one.
    admin.get("/admin/zim");
    Reply z = admin.multipart("/admin/zim", {},
                              {{"zim", "ru-wiki.zim", "application/octet-stream",
                                read_file(std::string(PARTA_ZIM_FIXTURES) + "/ru-wiki.zim")}});
    if (z.status != 200) throw std::runtime_error("archive not added: " + z.body);
    std::string zl = admin.get("/library").body;
    if (!std::regex_search(zl, li, std::regex("/library/zim/(\\d+)\">Школьная энциклопедия<")))
      throw std::runtime_error("no archive");
    zim_ = std::stoll(li[1]);
    // Coursework: smirnova sets Russian in 5А with a file; ivanov.a and sokolova.m hand in photos.
    Client teacher(*server_);
    teacher.login("smirnova", kDemoPassword);
    teacher.get("/assignments/new?class=" + std::to_string(class_ids_["5А"]) +
                "&subject=" + std::to_string(rus_));
    Reply made_a = teacher.multipart("/assignments",
                                     {{"class_id", std::to_string(class_ids_["5А"])},
                                      {"subject_id", std::to_string(rus_)},
                                      {"title", "Упражнение 5"},
                                      {"grading", "mark"},
                                      {"due_date", "2099-01-01"},
                                      {"due_time", "18:00"}},
                                     {{"files", "task.pdf", "application/pdf", "%PDF-1.4 test"}});
    if (made_a.status != 303) throw std::runtime_error("assignment not created: " + made_a.body);
    assignment_ = std::stoll(made_a.location().substr(std::string("/assignments/").size()));
    // A quiz on it (three attempts: the table's student starts one).
    std::string quiz = "/assignments/" + std::to_string(assignment_) + "/quiz";
    teacher.get(quiz + "/edit");
    Reply made_q = teacher.post(quiz + "/edit", {{"gift", "2 + 2 = ? {=4 ~5 ~22}\n"},
                                                 {"attempts", "3"},
                                                 {"per_page", "5"},
                                                 {"five", "85"},
                                                 {"four", "65"},
                                                 {"three", "45"}});
    if (made_q.status != 303) throw std::runtime_error("quiz not saved: " + made_q.body);
    for (const char* who : {"ivanov.a", "sokolova.m"}) {
      Client st(*server_);
      st.login(who, kDemoPin);
      std::string thread = "/assignments/" + std::to_string(assignment_) + "/students/" +
                           std::to_string(student_ids_[who]);
      st.get(thread);
      Reply sub = st.multipart(thread + "/submit", {{"text", "готово"}},
                               {{"files", "photo.jpg", "image/jpeg", "\xFF\xD8\xFF\xE0 photo"}});
      if (sub.status != 303) throw std::runtime_error("submission failed: " + sub.body);
      Reply page = st.get(thread);
      std::smatch f;
      if (std::regex_search(page.body, f, std::regex("/files/submission/(\\d+)")))
        file_ids_[who] = std::stoll(f[1]);
      if (std::regex_search(page.body, f, std::regex("/files/attachment/(\\d+)")))
        attachment_ = std::stoll(f[1]);
    }
    // Messages: ivanova.s writes to smirnova; smirnova makes a group of 5А's parents; the class
    // conversation of 5А exists.
    Client parent(*server_);
    parent.login("ivanova.s", kDemoPassword);
    std::string to = "/messages/to/" + std::to_string(teacher_ids_["smirnova"]);
    parent.get(to);
    Reply sent = parent.post(to, {{"text", "Здравствуйте"}});
    if (sent.status != 303) throw std::runtime_error("message not sent");
    direct_ = sent.location().substr(0, sent.location().find('#'));
    teacher.get("/groups");
    Reply group = teacher.post("/groups", {{"name", "Родители 5А"}});
    if (group.status != 303) throw std::runtime_error("group not made");
    group_ = group.location();
    teacher.get(group_);
    teacher.post(group_ + "/class",
                 {{"class_id", std::to_string(class_ids_["5А"])}, {"who", "parents"}});
    class_conv_ =
        admin.get("/classes/" + std::to_string(class_ids_["5А"]) + "/messages").location();
    if (class_conv_.empty()) throw std::runtime_error("no class conversation");
    // A survey of 5А's parents by their class teacher.
    teacher.get("/surveys/new");
    Reply survey = teacher.post("/surveys", {{"title", "Интернет дома"},
                                             {"audience", "parents"},
                                             {"class", std::to_string(class_ids_["5А"])},
                                             {"q1_kind", "single"},
                                             {"q1_text", "Есть интернет?"},
                                             {"q1_options", "Да\nНет"}});
    if (survey.status != 303) throw std::runtime_error("survey not made");
    survey_ = survey.location().substr(0, survey.location().size() - 8);
    // Paper packets for the assignment's paper students, made before the table runs.
    std::string paper_page =
        teacher.get("/assignments/" + std::to_string(assignment_) + "/paper").body;
    std::vector<std::pair<std::string, std::string>> run_form = {{"answer_pages", "1"},
                                                                 {"ruling", "lined"}};
    static const std::regex kChecked("name=\"student\" value=\"(\\d+)\" checked");
    for (std::sregex_iterator i(paper_page.begin(), paper_page.end(), kChecked), e; i != e; ++i)
      run_form.emplace_back("student", (*i)[1]);
    Reply run = teacher.post("/assignments/" + std::to_string(assignment_) + "/paper", run_form);
    if (run.status != 303) throw std::runtime_error("no print run: " + run.body);
    run_ = run.location();
    for (int i = 0; i < 600 && teacher.get(run_).body.find("/all.pdf") == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch pk;
    std::string run_page = teacher.get(run_).body;
    if (!std::regex_search(run_page, pk, std::regex("/paper/packets/(\\d+)/")))
      throw std::runtime_error("no packet");
    packet_ = "/paper/packets/" + pk[1].str();
    // The print file comes back as a scan: a batch and a page filed to a 5А student.
    std::string printed = teacher.get(run_ + "/all.pdf").body;
    teacher.get("/paper");
    Reply scan =
        teacher.multipart("/paper/scans", {}, {{"scans", "scan.pdf", "application/pdf", printed}});
    if (scan.status != 303) throw std::runtime_error("scan not taken: " + scan.body);
    batch_ = scan.location();
    std::string done;
    for (int i = 0; i < 600; ++i) {
      done = teacher.get(batch_).body;
      if (done.find("http-equiv=\"refresh\"") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::smatch pg;
    if (!std::regex_search(done, pg, std::regex("/paper/pages/(\\d+)/image\\.jpg")))
      throw std::runtime_error("no scanned page");
    page_ = "/paper/pages/" + pg[1].str() + "/image.jpg";
    set_up_object_states(admin, teacher);
  }

  // The states the table above has one of each: a scheduled assignment beside the published one,
  // a variant for one student, an assignment by another teacher of the class (maths in 5А by
  // kuznetsov, whose class teacher smirnova does not teach maths), and a scanned page no code
  // identified in kuznetsov's batch (another teacher's review page).
  static void set_up_object_states(Client& admin, Client& smirnova) {
    auto attachments = [](const std::string& body) {
      std::vector<std::int64_t> ids;
      static const std::regex kFile("/files/attachment/(\\d+)");
      for (std::sregex_iterator i(body.begin(), body.end(), kFile), e; i != e; ++i)
        ids.push_back(std::stoll((*i)[1]));
      return ids;
    };
    const std::string c5a = std::to_string(class_ids_["5А"]);
    // Ivanov's own variant of the published assignment.
    std::string own_thread = "/assignments/" + std::to_string(assignment_) + "/students/" +
                             std::to_string(student_ids_["ivanov.a"]);
    smirnova.get("/assignments/" + std::to_string(assignment_));
    Reply variant = smirnova.multipart(
        "/assignments/" + std::to_string(assignment_) + "/variants",
        {{"student_id", std::to_string(student_ids_["ivanov.a"])}, {"variant", "Вариант 2"}},
        {{"files", "variant.pdf", "application/pdf", "%PDF-1.4 variant"}});
    if (variant.status != 303) throw std::runtime_error("variant not saved: " + variant.body);
    for (auto id : attachments(smirnova.get(own_thread).body))
      if (id != attachment_) variant_attachment_ = id;
    if (!variant_attachment_) throw std::runtime_error("no variant file");
    // The same teacher's test for 5А, published the day after tomorrow.
    smirnova.get("/assignments/new?class=" + c5a + "&subject=" + std::to_string(rus_));
    Reply later = smirnova.multipart("/assignments",
                                     {{"class_id", c5a},
                                      {"subject_id", std::to_string(rus_)},
                                      {"title", "Контрольная работа"},
                                      {"grading", "mark"},
                                      {"publish_date", "2099-01-01"},
                                      {"due_date", "2099-01-02"},
                                      {"due_time", "18:00"}},
                                     {{"files", "test.pdf", "application/pdf", "%PDF-1.4 test"}});
    if (later.status != 303) throw std::runtime_error("scheduled assignment: " + later.body);
    scheduled_ = std::stoll(later.location().substr(std::string("/assignments/").size()));
    auto later_files = attachments(smirnova.get(later.location()).body);
    if (later_files.size() != 1) throw std::runtime_error("no scheduled attachment");
    scheduled_attachment_ = later_files[0];
    // Maths in 5А by kuznetsov, with a file; ivanov.a hands in a photo.
    Client maths(*server_);
    maths.login("kuznetsov", kDemoPassword);
    auto teachers = nlohmann::json::parse(admin.get("/api/v1/teachers").body);
    std::string maths_id;
    for (const auto& t : teachers)
      for (const auto& x : t["teaching"])
        if (x["subject"] == "Математика") maths_id = std::to_string(x["subject_id"].get<int>());
    maths.get("/assignments/new?class=" + c5a + "&subject=" + maths_id);
    Reply m = maths.multipart("/assignments",
                              {{"class_id", c5a},
                               {"subject_id", maths_id},
                               {"title", "Задачи 1–5"},
                               {"grading", "mark"},
                               {"due_date", "2099-01-01"},
                               {"due_time", "18:00"}},
                              {{"files", "tasks.pdf", "application/pdf", "%PDF-1.4 tasks"}});
    if (m.status != 303) throw std::runtime_error("maths assignment: " + m.body);
    maths_ = std::stoll(m.location().substr(std::string("/assignments/").size()));
    auto maths_files = attachments(maths.get(m.location()).body);
    if (maths_files.size() != 1) throw std::runtime_error("no maths attachment");
    maths_attachment_ = maths_files[0];
    Client student(*server_);
    student.login("ivanov.a", kDemoPin);
    std::string maths_thread =
        m.location() + "/students/" + std::to_string(student_ids_["ivanov.a"]);
    student.get(maths_thread);
    Reply sub = student.multipart(maths_thread + "/submit", {{"text", "решено"}},
                                  {{"files", "tasks.jpg", "image/jpeg", "\xFF\xD8\xFF\xE0 x"}});
    if (sub.status != 303) throw std::runtime_error("maths hand-in: " + sub.body);
    std::smatch f;
    std::string page = student.get(maths_thread).body;
    if (!std::regex_search(page, f, std::regex("/files/submission/(\\d+)")))
      throw std::runtime_error("no maths submission file");
    maths_submission_ = std::stoll(f[1]);
    // kuznetsov scans a page with no code on it: it waits in his review queue.
    maths.get("/paper");
    Reply scan =
        maths.multipart("/paper/scans", {},
                        {{"scans", "blank.pdf", "application/pdf",
                          read_file(std::string(PARTA_SOURCE_DIR) + "/tests/printer/blank.pdf")}});
    if (scan.status != 303) throw std::runtime_error("blank scan not taken: " + scan.body);
    std::string done;
    for (int i = 0; i < 600; ++i) {
      done = maths.get(scan.location()).body;
      if (done.find("http-equiv=\"refresh\"") == std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::smatch pg;
    if (!std::regex_search(done, pg, std::regex("/paper/pages/(\\d+)/image\\.jpg")))
      throw std::runtime_error("no review page: " + done);
    review_page_ = std::stoll(pg[1]);
    // A lesson in 5А (smirnova's class) and one in 5Б (not hers), far ahead.
    for (const char* cls : {"5А", "5Б"}) {
      std::string k = std::to_string(class_ids_[cls]);
      admin.get("/admin/schedule?class=" + k + "&day=2099-01-05");
      Reply l = admin.post("/admin/schedule/lessons", {{"class_id", k},
                                                       {"day", "2099-01-05"},
                                                       {"number", "1"},
                                                       {"starts", "08:30"},
                                                       {"ends", "09:10"},
                                                       {"subject_id", std::to_string(rus_)},
                                                       {"teacher_id", ""},
                                                       {"mode", "school"},
                                                       {"link", ""}});
      if (l.status != 303) throw std::runtime_error("lesson not added: " + l.body);
      std::string day = admin.get(l.location()).body;
      if (!std::regex_search(day, pg, std::regex("/admin/schedule/lessons/(\\d+)\"")))
        throw std::runtime_error("no lesson");
      (std::string(cls) == "5А" ? lesson_5a_ : lesson_5b_) = std::stoll(pg[1]);
    }
  }
  static void TearDownTestSuite() { delete server_; }
  void check_object_states();

  static Partad* server_;
  static std::string plain_teacher_password_;
  static std::int64_t rus_, assignment_, attachment_, item_, zim_;
  static std::map<std::string, std::int64_t> file_ids_;
  static std::string direct_, group_, class_conv_, survey_, run_, packet_, batch_, page_;
  static std::int64_t variant_attachment_, scheduled_, scheduled_attachment_, maths_,
      maths_attachment_, maths_submission_, review_page_, lesson_5a_, lesson_5b_;
  static std::map<std::string, std::int64_t> class_ids_, student_ids_, teacher_ids_;
};
Partad* Permissions::server_ = nullptr;
std::string Permissions::plain_teacher_password_;
std::int64_t Permissions::rus_ = 0, Permissions::assignment_ = 0, Permissions::attachment_ = 0,
             Permissions::item_ = 0, Permissions::zim_ = 0;
std::map<std::string, std::int64_t> Permissions::file_ids_;
std::int64_t Permissions::variant_attachment_ = 0, Permissions::scheduled_ = 0,
             Permissions::scheduled_attachment_ = 0, Permissions::maths_ = 0,
             Permissions::maths_attachment_ = 0, Permissions::maths_submission_ = 0,
             Permissions::review_page_ = 0, Permissions::lesson_5a_ = 0,
             Permissions::lesson_5b_ = 0;
std::string Permissions::direct_, Permissions::group_, Permissions::class_conv_,
    Permissions::survey_, Permissions::run_, Permissions::packet_, Permissions::batch_,
    Permissions::page_;
std::map<std::string, std::int64_t> Permissions::class_ids_, Permissions::student_ids_,
    Permissions::teacher_ids_;

TEST_F(Permissions, RoleByRouteTable) {
  ASSERT_TRUE(setup_error_.empty())
      << "setting up the table failed: " << setup_error_.substr(0, 2000);
  auto id = [](std::int64_t v) { return std::to_string(v); };
  // The demo: class teacher = smirnova (teaches 5А, 5Б; leads 5А), teacher = novikova.z (made
  // above: physics in 5Б only, leads no class), student = ivanov.a (5А),
  // parent = ivanova.s (mother of ivanov.a in 5А and ivanova.e in 9А).
  const std::string own = id(student_ids_.at("ivanov.a"));
  const std::string sibling = id(student_ids_.at("ivanova.e"));     // 9А: not smirnova's class
  const std::string classmate = id(student_ids_.at("sokolova.m"));  // 5А, another family
  const std::string other5b = id(student_ids_.at("morozova.p"));    // 5Б
  const std::string c5a = id(class_ids_.at("5А")), c5b = id(class_ids_.at("5Б")),
                    c9a = id(class_ids_.at("9А"));
  const std::string vasiliev = id(teacher_ids_.at("vasiliev"));
  const std::string smirnova = id(teacher_ids_.at("smirnova"));
  const std::string rus = id(rus_), asg = id(assignment_);
  const std::string thread_own = "/assignments/" + asg + "/students/" + own;
  const std::string thread_mate = "/assignments/" + asg + "/students/" + classmate;
  const Outcome A = kOk, V = kInvalid, L = kLogin, D = kDeny, N = kNotFound;
  std::vector<Row> rows = {
      {"GET", "/", "/", {}, {A, A, A, A, A, A}},
      {"GET", "/school", "/school", {}, {A, A, A, A, A, A}},
      {"GET", "/login", "/login", {}, {A, A, A, A, A, A}},
      {"POST", "/login", "/login", {{"login", "nobody"}, {"secret", "x"}}, {L, L, L, L, L, L}},
      {"GET", "/lang/{code}", "/lang/ru", {}, {A, A, A, A, A, A}},
      {"GET", "/static/{file}", "/static/app.0.css", {}, {N, N, N, N, N, N}},
      {"GET", "/favicon.ico", "/favicon.ico", {}, {A, A, A, A, A, A}},
      {"GET", "/students/{id}", "/students/" + own, {}, {L, A, A, D, A, A}},
      {"GET", "/students/{id}", "/students/" + sibling, {}, {L, A, D, D, D, A}},
      {"GET", "/students/{id}", "/students/" + classmate, {}, {L, A, A, D, D, D}},
      {"GET", "/students/{id}", "/students/" + other5b, {}, {L, A, A, A, D, D}},
      {"GET", "/students/{id}", "/students/999999", {}, {L, N, D, D, D, D}},
      {"GET", "/classes/{id}", "/classes/" + c5a, {}, {L, A, A, D, D, D}},
      {"GET", "/classes/{id}", "/classes/" + c9a, {}, {L, A, D, D, D, D}},
      {"GET", "/admin/school", "/admin/school", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/school", "/admin/school", {{"name", ""}}, {L, V, D, D, D, D}},
      {"GET", "/admin/classes", "/admin/classes", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/classes", "/admin/classes", {{"name", "bad"}}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/classes/{id}/teacher",
       "/admin/classes/" + c5b + "/teacher",
       {{"teacher_id", ""}},
       {L, A, D, D, D, D}},
      {"POST", "/admin/subjects", "/admin/subjects", {{"name", ""}}, {L, V, D, D, D, D}},
      {"GET", "/admin/teachers", "/admin/teachers", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/teachers", "/admin/teachers", {}, {L, V, D, D, D, D}},
      {"GET", "/admin/teachers/{id}", "/admin/teachers/" + vasiliev, {}, {L, A, D, D, D, D}},
      {"POST",
       "/admin/teachers/{id}/teaching",
       "/admin/teachers/" + vasiliev + "/teaching",
       {},
       {L, V, D, D, D, D}},
      {"GET", "/admin/students", "/admin/students", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/students", "/admin/students", {}, {L, V, D, D, D, D}},
      {"GET", "/admin/students/{id}", "/admin/students/" + own, {}, {L, A, D, D, D, D}},
      {"POST", "/admin/students/{id}", "/admin/students/" + own, {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/students/{id}/parents",
       "/admin/students/" + own + "/parents",
       {{"parent_login", ""}},
       {L, V, D, D, D, D}},
      {"GET", "/admin/parents", "/admin/parents", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/parents", "/admin/parents", {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/users/{id}/reset",
       "/admin/users/" + vasiliev + "/reset",
       {},
       {L, A, D, D, D, D}},
      {"POST",
       "/admin/users/{id}/profile",
       "/admin/users/" + vasiliev + "/profile",
       {},
       {L, V, D, D, D, D}},
      {"GET", "/admin/roster", "/admin/roster", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/roster", "/admin/roster", {}, {L, V, D, D, D, D}},
      {"GET", "/api/v1/school", "/api/v1/school", {}, {A, A, A, A, A, A}},
      {"GET", "/api/v1/me", "/api/v1/me", {}, {L, A, A, A, A, A}},
      {"GET", "/api/v1/classes", "/api/v1/classes", {}, {L, A, A, A, D, D}},
      {"GET",
       "/api/v1/classes/{id}/students",
       "/api/v1/classes/" + c5a + "/students",
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/api/v1/classes/{id}/students",
       "/api/v1/classes/" + c9a + "/students",
       {},
       {L, A, D, D, D, D}},
      {"GET", "/api/v1/students/{id}", "/api/v1/students/" + own, {}, {L, A, A, D, A, A}},
      {"GET", "/api/v1/students/{id}", "/api/v1/students/" + sibling, {}, {L, A, D, D, D, A}},
      {"GET", "/api/v1/students/{id}", "/api/v1/students/" + classmate, {}, {L, A, A, D, D, D}},
      {"GET", "/api/v1/children", "/api/v1/children", {}, {L, D, D, D, D, A}},
      {"GET", "/api/v1/teachers", "/api/v1/teachers", {}, {L, A, D, D, D, D}},
      // Coursework: assignment in 5А Russian by smirnova; own = ivanov.a, classmate = sokolova.m.
      {"GET", "/assignments", "/assignments", {}, {L, A, A, A, D, D}},
      {"GET",
       "/assignments/new",
       "/assignments/new?class=" + c5a + "&subject=" + rus,
       {},
       {L, D, A, D, D, D}},
      {"POST",
       "/assignments",
       "/assignments",
       {{"class_id", c5a}, {"subject_id", rus}},
       {L, D, V, D, D, D}},
      {"GET", "/assignments/{id}", "/assignments/" + asg, {}, {L, A, A, D, A, D}},
      {"POST",
       "/assignments/{id}/variants",
       "/assignments/" + asg + "/variants",
       {},
       {L, D, V, D, D, D}},
      // Fixing and deleting are the subject teacher's; with hand-ins it is never deleted (409).
      {"GET", "/assignments/{id}/edit", "/assignments/" + asg + "/edit", {}, {L, D, A, D, D, D}},
      {"POST", "/assignments/{id}/edit", "/assignments/" + asg + "/edit", {}, {L, D, V, D, D, D}},
      {"POST",
       "/assignments/{id}/delete",
       "/assignments/" + asg + "/delete",
       {{"confirm", "1"}},
       {L, D, V, D, D, D}},
      // The quiz: the subject teacher's to set and read; the class's students' to take.
      {"GET",
       "/assignments/{id}/quiz/edit",
       "/assignments/" + asg + "/quiz/edit",
       {},
       {L, D, A, D, D, D}},
      {"POST",
       "/assignments/{id}/quiz/edit",
       "/assignments/" + asg + "/quiz/edit",
       {},
       {L, D, V, D, D, D}},
      {"GET",
       "/assignments/{id}/quiz.gift",
       "/assignments/" + asg + "/quiz.gift",
       {},
       {L, D, A, D, D, D}},
      {"GET",
       "/assignments/{id}/quiz/results",
       "/assignments/" + asg + "/quiz/results",
       {},
       {L, D, A, D, D, D}},
      {"POST",
       "/assignments/{id}/quiz/attempts/{aid}/answers/{n}",
       "/assignments/" + asg + "/quiz/attempts/999999/answers/1",
       {{"points", "1"}},
       {L, D, N, D, D, D}},
      // The quiz on paper: a row the page does not say plainly, decided by the teacher; the
      // crops of answers read from paper (a hash no answer of this quiz has is not found).
      {"POST",
       "/assignments/{id}/quiz/attempts/{aid}/answers/{n}/decide",
       "/assignments/" + asg + "/quiz/attempts/999999/answers/1/decide",
       {{"answer", "0"}},
       {L, D, N, D, D, D}},
      {"GET",
       "/assignments/{id}/quiz/crops/{file}",
       "/assignments/" + asg + "/quiz/crops/" + std::string(64, 'a') + ".jpg",
       {},
       {L, D, N, D, D, D}},
      {"GET", "/assignments/{id}/quiz", "/assignments/" + asg + "/quiz", {}, {L, A, A, D, A, D}},
      {"POST",
       "/assignments/{id}/quiz/start",
       "/assignments/" + asg + "/quiz/start",
       {},
       {L, D, D, D, A, D}},
      {"GET",
       "/assignments/{id}/quiz/attempts/{aid}/{page}",
       "/assignments/" + asg + "/quiz/attempts/999999/1",
       {},
       {L, D, D, D, N, D}},
      {"POST",
       "/assignments/{id}/quiz/attempts/{aid}/{page}",
       "/assignments/" + asg + "/quiz/attempts/999999/1",
       {},
       {L, D, D, D, N, D}},
      {"GET", "/assignments/{id}/students/{sid}", thread_own, {}, {L, A, A, D, A, A}},
      {"GET", "/assignments/{id}/students/{sid}", thread_mate, {}, {L, A, A, D, D, D}},
      {"POST",
       "/assignments/{id}/students/{sid}/submit",
       thread_own + "/submit",
       {},
       {L, D, D, D, V, D}},
      {"POST",
       "/assignments/{id}/students/{sid}/submit",
       thread_mate + "/submit",
       {},
       {L, D, D, D, D, D}},
      {"POST",
       "/assignments/{id}/students/{sid}/comment",
       thread_own + "/comment",
       {},
       {L, D, V, D, V, D}},
      {"POST",
       "/assignments/{id}/students/{sid}/comment",
       thread_mate + "/comment",
       {},
       {L, D, V, D, D, D}},
      {"POST",
       "/assignments/{id}/students/{sid}/grade",
       thread_own + "/grade",
       {{"mark", "9"}},
       {L, D, V, D, D, D}},
      {"GET",
       "/files/attachment/{id}",
       "/files/attachment/" + id(attachment_),
       {},
       {L, A, A, D, A, A}},
      {"GET",
       "/files/submission/{id}",
       "/files/submission/" + id(file_ids_.at("ivanov.a")),
       {},
       {L, A, A, D, A, A}},
      {"GET",
       "/files/submission/{id}",
       "/files/submission/" + id(file_ids_.at("sokolova.m")),
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/gradebook/{class}/{subject}",
       "/gradebook/" + c5a + "/" + rus,
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/gradebook/{class}/{subject}",
       "/gradebook/" + c9a + "/" + rus,
       {},
       {L, A, D, D, D, D}},
      {"GET",
       "/gradebook/{class}/{subject}/export.csv",
       "/gradebook/" + c5a + "/" + rus + "/export.csv",
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/gradebook/{class}/{subject}/export.xlsx",
       "/gradebook/" + c5a + "/" + rus + "/export.xlsx",
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/students/{id}/assignments",
       "/students/" + own + "/assignments",
       {},
       {L, A, A, D, A, A}},
      {"GET",
       "/students/{id}/assignments",
       "/students/" + classmate + "/assignments",
       {},
       {L, A, A, D, D, D}},
      {"GET", "/students/{id}/diary", "/students/" + own + "/diary", {}, {L, A, A, D, A, A}},
      {"GET", "/students/{id}/diary", "/students/" + sibling + "/diary", {}, {L, A, D, D, D, A}},
      // Library and content packs.
      {"GET", "/library", "/library?q=%D1%83%D1%80%D0%BE%D0%BA", {}, {L, A, A, A, A, A}},
      {"GET", "/library/add", "/library/add", {}, {L, A, A, A, D, D}},
      {"GET", "/library/{id}", "/library/" + id(item_), {}, {L, A, A, A, A, A}},
      {"GET", "/library/{id}/file", "/library/" + id(item_) + "/file", {}, {L, A, A, A, A, A}},
      {"POST", "/library", "/library", {}, {L, V, V, V, D, D}},
      {"POST",
       "/assignments/{id}/materials",
       "/assignments/" + asg + "/materials",
       {{"item_id", id(item_)}},
       {L, D, A, D, D, D}},
      // Reference archives (ZIM): read by everyone signed in, attached by the subject's teacher,
      // managed by the admin.
      {"GET", "/zim/{id}", "/zim/" + id(zim_), {}, {L, A, A, A, A, A}},
      {"GET", "/zim/{id}/{*path}", "/zim/" + id(zim_) + "/I/ezh.png", {}, {L, A, A, A, A, A}},
      {"GET",
       "/library/zim/{id}",
       "/library/zim/" + id(zim_) + "?q=%D0%BB%D0%B5%D1%81",
       {},
       {L, A, A, A, A, A}},
      {"GET",
       "/library/zim/{id}/attach",
       "/library/zim/" + id(zim_) + "/attach?path=Main",
       {},
       {L, D, A, A, D, D}},
      {"POST",
       "/assignments/{id}/articles",
       "/assignments/" + asg + "/articles",
       {{"zim_id", id(zim_)}, {"path", "Main"}},
       {L, D, A, D, D, D}},
      {"GET", "/admin/zim", "/admin/zim", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/zim", "/admin/zim", {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/zim/usb",
       "/admin/zim/usb",
       {{"name", "../../etc/passwd"}},
       {L, V, D, D, D, D}},
      {"POST", "/admin/zim/{id}/remove", "/admin/zim/999/remove", {}, {L, N, D, D, D, D}},
      {"GET", "/admin/packs", "/admin/packs", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/packs", "/admin/packs", {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/packs/usb",
       "/admin/packs/usb",
       {{"name", "../../etc/passwd"}},
       {L, V, D, D, D, D}},
      // Bulletin board and the distance-learning switch.
      {"GET", "/announcements", "/announcements", {}, {L, A, A, A, A, A}},
      {"POST",
       "/announcements",
       "/announcements",
       {{"audience", c5a}, {"title", ""}},
       {L, V, V, D, D, D}},
      {"POST",
       "/announcements",
       "/announcements",
       {{"audience", "school"}, {"title", ""}},
       {L, V, D, D, D, D}},
      {"POST",
       "/announcements/{id}/delete",
       "/announcements/999999/delete",
       {},
       {L, N, N, N, D, D}},
      // Distance mode: the school is the admin's, a class also its class teacher's (issue 16).
      {"GET", "/admin/distance", "/admin/distance", {}, {L, A, A, D, D, D}},
      {"POST", "/admin/distance", "/admin/distance", {{"scope", "x"}}, {L, V, V, V, D, D}},
      {"POST",
       "/admin/distance",
       "/admin/distance",
       {{"scope", c5a}, {"on", "1"}, {"message", ""}},
       {L, V, V, D, D, D}},
      {"POST",
       "/admin/distance",
       "/admin/distance",
       {{"scope", c5b}, {"on", "1"}, {"message", ""}},
       {L, V, D, D, D, D}},
      {"POST",
       "/admin/distance",
       "/admin/distance",
       {{"scope", "school"}, {"on", "1"}, {"message", ""}},
       {L, V, D, D, D, D}},
      // Schedule: the admin's, and the class teacher's for her class.
      {"GET", "/schedule", "/schedule", {}, {L, A, A, A, A, A}},
      {"GET", "/admin/schedule", "/admin/schedule", {}, {L, A, A, D, D, D}},
      {"GET", "/admin/schedule", "/admin/schedule?class=" + c5b, {}, {L, A, D, D, D, D}},
      {"POST",
       "/admin/schedule/lessons",
       "/admin/schedule/lessons",
       {{"class_id", c5a}, {"subject_id", rus}, {"day", "bad"}},
       {L, V, V, D, D, D}},
      {"POST",
       "/admin/schedule/lessons",
       "/admin/schedule/lessons",
       {{"class_id", c5b}, {"subject_id", rus}, {"day", "bad"}},
       {L, V, D, D, D, D}},
      {"GET",
       "/admin/schedule/lessons/{id}",
       "/admin/schedule/lessons/999999",
       {},
       {L, N, N, N, D, D}},
      {"POST",
       "/admin/schedule/lessons/{id}",
       "/admin/schedule/lessons/999999",
       {},
       {L, N, N, N, D, D}},
      {"POST",
       "/admin/schedule/lessons/{id}/delete",
       "/admin/schedule/lessons/999999/delete",
       {},
       {L, N, N, N, D, D}},
      {"POST",
       "/admin/schedule/publish",
       "/admin/schedule/publish",
       {{"class_id", c5a}},
       {L, V, V, D, D, D}},
      {"POST",
       "/admin/schedule/copy",
       "/admin/schedule/copy",
       {{"class_id", c5a}},
       {L, V, V, D, D, D}},
      {"POST",
       "/admin/schedule/copy",
       "/admin/schedule/copy",
       {{"class_id", c5b}},
       {L, V, D, D, D, D}},
      // Device lending: the admin keeps the register; the class teacher lends to her students.
      {"GET", "/admin/devices", "/admin/devices", {}, {L, A, A, D, D, D}},
      {"POST", "/admin/devices", "/admin/devices", {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/devices/{id}/lend",
       "/admin/devices/999999/lend",
       {{"student_id", own}},
       {L, V, V, D, D, D}},
      {"POST",
       "/admin/devices/{id}/lend",
       "/admin/devices/999999/lend",
       {{"student_id", other5b}},
       {L, V, D, D, D, D}},
      {"POST",
       "/admin/devices/{id}/return",
       "/admin/devices/999999/return",
       {},
       {L, N, N, N, D, D}},
      {"GET", "/messages", "/messages", {}, {L, A, A, A, A, A}},
      {"GET", "/messages/new", "/messages/new", {}, {L, A, A, A, A, A}},
      {"GET", "/messages/new", "/messages/new?class=" + c9a, {}, {L, A, A, A, A, A}},
      {"GET", "/messages/to/{id}", "/messages/to/" + smirnova, {}, {L, A, D, D, A, A}},
      {"GET", "/messages/to/{id}", "/messages/to/" + classmate, {}, {L, A, A, D, D, D}},
      {"GET", "/messages/to/{id}", "/messages/to/" + sibling, {}, {L, A, D, D, D, D}},
      {"GET", "/messages/to/{id}", "/messages/to/999999", {}, {L, D, D, D, D, D}},
      // The first message makes the conversation (an empty one is refused: nothing is made).
      {"POST", "/messages/to/{id}", "/messages/to/" + smirnova, {{"text", ""}}, {L, V, D, D, V, V}},
      {"POST",
       "/messages/to/{id}",
       "/messages/to/" + classmate,
       {{"text", ""}},
       {L, V, V, D, D, D}},
      {"POST", "/messages/to/{id}", "/messages/to/999999", {{"text", ""}}, {L, D, D, D, D, D}},
      {"GET", "/messages/{id}", direct_, {}, {L, D, A, D, D, A}},
      {"GET", "/messages/{id}", class_conv_, {}, {L, A, A, D, A, D}},
      {"GET", "/messages/{id}", "/messages/999999", {}, {L, D, D, D, D, D}},
      {"POST", "/messages/{id}", direct_, {{"text", ""}}, {L, D, V, D, D, V}},
      {"POST", "/messages/{id}", class_conv_, {{"text", ""}}, {L, V, V, D, V, D}},
      {"POST",
       "/messages/{id}/closed",
       class_conv_ + "/closed",
       {{"closed", "0"}},
       {L, A, A, D, D, D}},
      {"POST", "/messages/{id}/closed", direct_ + "/closed", {{"closed", "0"}}, {L, D, D, D, D, D}},
      {"POST",
       "/messages/{id}/remove/{message}",
       class_conv_ + "/remove/999999",
       {},
       {L, N, N, D, D, D}},
      {"GET", "/classes/{id}/messages", "/classes/" + c5a + "/messages", {}, {L, A, A, D, A, D}},
      {"GET", "/classes/{id}/messages", "/classes/" + c9a + "/messages", {}, {L, A, D, D, D, D}},
      {"GET", "/groups/{id}/messages", group_ + "/messages", {}, {L, A, A, D, D, A}},
      {"GET", "/groups", "/groups", {}, {L, A, A, A, A, A}},
      {"POST", "/groups", "/groups", {{"name", ""}}, {L, V, V, V, D, D}},
      {"GET", "/groups/{id}", group_, {}, {L, A, A, D, D, A}},
      {"GET", "/groups/{id}", "/groups/999999", {}, {L, D, D, D, D, D}},
      {"POST", "/groups/{id}/members", group_ + "/members", {}, {L, A, A, D, D, D}},
      {"POST",
       "/groups/{id}/class",
       group_ + "/class",
       {{"class_id", c5a}, {"who", "nobody"}},
       {L, V, V, D, D, D}},
      {"POST", "/groups/{id}/remove/{user}", group_ + "/remove/999999", {}, {L, A, A, D, D, D}},
      {"POST", "/groups/{id}/delete", "/groups/999999/delete", {}, {L, D, D, D, D, D}},
      {"GET", "/calendar", "/calendar", {}, {L, A, A, A, A, A}},
      {"GET", "/calendar", "/calendar?month=1999-99", {}, {L, A, A, A, A, A}},
      {"POST",
       "/calendar/events",
       "/calendar/events",
       {{"audience", "school"}, {"title", ""}},
       {L, V, D, D, D, D}},
      {"POST",
       "/calendar/events",
       "/calendar/events",
       {{"audience", "class:" + c5a}, {"title", ""}},
       {L, V, V, D, D, D}},
      {"POST",
       "/calendar/events/{id}/delete",
       "/calendar/events/999999/delete",
       {},
       {L, N, N, N, D, D}},
      {"GET", "/surveys", "/surveys", {}, {L, A, A, A, A, A}},
      {"GET", "/surveys/new", "/surveys/new", {}, {L, A, A, D, D, D}},
      {"POST",
       "/surveys",
       "/surveys",
       {{"title", ""}, {"audience", "parents"}, {"class", c5a}},
       {L, V, V, D, D, D}},
      {"GET", "/surveys/{id}", survey_, {}, {L, A, A, D, D, A}},
      {"GET", "/surveys/{id}", "/surveys/999999", {}, {L, D, D, D, D, D}},
      {"POST", "/surveys/{id}", survey_, {}, {L, D, D, D, D, V}},
      {"GET", "/surveys/{id}/results", survey_ + "/results", {}, {L, A, A, D, D, D}},
      {"GET", "/surveys/{id}/results.csv", survey_ + "/results.csv", {}, {L, A, A, D, D, D}},
      {"POST", "/surveys/{id}/open", survey_ + "/open", {{"open", "1"}}, {L, A, A, D, D, D}},
      {"POST", "/surveys/{id}/delete", "/surveys/999999/delete", {}, {L, D, D, D, D, D}},
      {"GET", "/monitoring", "/monitoring", {}, {L, A, A, D, D, D}},
      {"GET", "/monitoring/classes/{id}", "/monitoring/classes/" + c5a, {}, {L, A, A, D, D, D}},
      {"GET", "/monitoring/classes/{id}", "/monitoring/classes/" + c9a, {}, {L, A, D, D, D, D}},
      {"POST",
       "/monitoring/classes/{id}/absences",
       "/monitoring/classes/" + c5a + "/absences",
       {{"day", "bad"}},
       {L, V, V, D, D, D}},
      {"GET",
       "/monitoring/classes/{id}/week",
       "/monitoring/classes/" + c5a + "/week",
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/monitoring/classes/{id}/week.csv",
       "/monitoring/classes/" + c9a + "/week.csv",
       {},
       {L, A, D, D, D, D}},
      {"GET",
       "/monitoring/classes/{id}/risk",
       "/monitoring/classes/" + c5a + "/risk",
       {},
       {L, A, A, D, D, D}},
      {"GET",
       "/monitoring/classes/{id}/risk.csv",
       "/monitoring/classes/" + c5a + "/risk.csv",
       {},
       {L, A, A, D, D, D}},
      {"POST", "/admin/schedule/import", "/admin/schedule/import", {}, {L, V, D, D, D, D}},
      {"GET", "/assignments/{id}/paper", "/assignments/" + asg + "/paper", {}, {L, A, A, D, D, D}},
      {"POST",
       "/assignments/{id}/paper",
       "/assignments/" + asg + "/paper",
       {{"answer_pages", "x"}},
       {L, V, V, D, D, D}},
      {"GET", "/paper/runs/{id}", run_, {}, {L, A, A, D, D, D}},
      {"GET", "/paper/runs/{id}", "/paper/runs/999999", {}, {L, N, N, N, D, D}},
      {"GET", "/paper/runs/{id}/all.pdf", run_ + "/all.pdf", {}, {L, A, A, D, D, D}},
      {"GET", "/paper/packets/{id}/packet.pdf", packet_ + "/packet.pdf", {}, {L, A, A, D, D, D}},
      {"POST",
       "/paper/runs/{id}/print",
       run_ + "/print",
       {{"printer", "nope"}},
       {L, V, V, D, D, D}},
      {"POST", "/paper/packets/{id}/pickup", packet_ + "/pickup", {{"by", ""}}, {L, V, V, D, D, D}},
      {"POST", "/paper/packets/{id}/return", packet_ + "/return", {}, {L, A, A, D, D, D}},
      {"GET", "/paper", "/paper", {}, {L, A, A, A, D, D}},
      {"POST", "/paper/scans", "/paper/scans", {}, {L, V, V, V, D, D}},
      {"GET", "/paper/scans/{id}", "/paper/scans/999999", {}, {L, N, N, N, D, D}},
      {"GET", "/paper/scans/{id}", batch_, {}, {L, A, A, D, D, D}},
      {"GET", "/paper/pages/{id}/image.jpg", page_, {}, {L, A, A, D, D, D}},
      {"GET",
       "/paper/pages/{id}/image.jpg",
       "/paper/pages/999999/image.jpg",
       {},
       {L, N, N, N, D, D}},
      {"GET", "/paper/review", "/paper/review", {}, {L, A, A, A, D, D}},
      {"POST", "/paper/review/{id}/file", "/paper/review/999999/file", {}, {L, N, N, N, D, D}},
      {"POST",
       "/paper/review/{id}/discard",
       "/paper/review/999999/discard",
       {},
       {L, N, N, N, D, D}},
      {"GET", "/admin/printer", "/admin/printer", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/printer", "/admin/printer", {{"printer", "nope"}}, {L, V, D, D, D, D}},
      // Login cards from the class page: without students or the confirmation nothing changes.
      {"POST",
       "/classes/{id}/login-cards",
       "/classes/" + c5a + "/login-cards",
       {},
       {L, A, A, D, D, D}},
      {"POST",
       "/classes/{id}/login-cards",
       "/classes/" + c5b + "/login-cards",
       {},
       {L, A, D, D, D, D}},
      {"GET", "/generate_204", "/generate_204", {}, {A, A, A, A, A, A}},
      {"GET", "/gen_204", "/gen_204", {}, {A, A, A, A, A, A}},
      {"GET", "/mobile/status.php", "/mobile/status.php", {}, {A, A, A, A, A, A}},
      {"GET", "/hotspot-detect.html", "/hotspot-detect.html", {}, {A, A, A, A, A, A}},
      {"GET", "/library/test/success.html", "/library/test/success.html", {}, {A, A, A, A, A, A}},
      {"GET", "/connecttest.txt", "/connecttest.txt", {}, {A, A, A, A, A, A}},
      {"GET", "/ncsi.txt", "/ncsi.txt", {}, {A, A, A, A, A, A}},
      {"GET", "/redirect", "/redirect", {}, {A, A, A, A, A, A}},
      {"GET", "/canonical.html", "/canonical.html", {}, {A, A, A, A, A, A}},
      {"GET", "/success.txt", "/success.txt", {}, {A, A, A, A, A, A}},
      {"GET", "/kindle-wifi/wifistub.html", "/kindle-wifi/wifistub.html", {}, {A, A, A, A, A, A}},
      {"GET", "/check_network_status.txt", "/check_network_status.txt", {}, {A, A, A, A, A, A}},
      {"GET", "/admin/clock", "/admin/clock", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/clock", "/admin/clock", {{"date", "bad"}}, {L, V, D, D, D, D}},
      {"POST", "/admin/clock/district", "/admin/clock/district", {}, {L, A, D, D, D, D}},
      {"GET", "/admin/sync", "/admin/sync", {}, {L, A, D, D, D, D}},
      {"POST", "/admin/sync/usb/request", "/admin/sync/usb/request", {}, {L, V, D, D, D, D}},
      {"POST", "/admin/sync/usb/accept", "/admin/sync/usb/accept", {}, {L, V, D, D, D, D}},
      {"POST", "/admin/sync/usb/export", "/admin/sync/usb/export", {}, {L, V, D, D, D, D}},
      {"POST", "/admin/sync/usb/import", "/admin/sync/usb/import", {}, {L, V, D, D, D, D}},
      {"POST", "/admin/sync/certificate", "/admin/sync/certificate", {}, {L, V, D, D, D, D}},
      {"POST", "/admin/sync/network", "/admin/sync/network", {}, {L, V, D, D, D, D}},
      {"POST",
       "/admin/sync/alarms/{id}/resolve",
       "/admin/sync/alarms/1/resolve",
       {},
       {L, A, D, D, D, D}},
      // One's own password: the empty form is refused (422), nobody's password changes here.
      {"GET", "/profile", "/profile", {}, {L, A, A, A, A, A}},
      {"POST", "/profile/password", "/profile/password", {}, {L, V, V, V, V, V}},
      // Signing out last: it ends the session the other rows use.
      {"POST", "/logout", "/logout", {}, {L, A, A, A, A, A}},
  };

  // Every route partad has must be in the table.
  int rc = 0;
  std::istringstream routes(run_command(std::string(PARTAD_PATH) + " --list-routes", &rc));
  ASSERT_EQ(rc, 0);
  std::set<std::string> covered;
  for (const auto& r : rows) covered.insert(r.method + " " + r.pattern);
  int listed = 0;
  for (std::string method, pattern, access; routes >> method >> pattern >> access; ++listed)
    EXPECT_TRUE(covered.count(method + " " + pattern))
        << "route not in the table: " << method << " " << pattern;
  EXPECT_GT(listed, 30);

  const std::string plain = plain_teacher_password_;
  const char* logins[kRoles][2] = {{nullptr, nullptr},          {"admin", kDemoPassword},
                                   {"smirnova", kDemoPassword}, {"novikova.z", plain.c_str()},
                                   {"ivanov.a", kDemoPin},      {"ivanova.s", kDemoPassword}};
  int checked = 0;
  for (int role = 0; role < kRoles; ++role) {
    Client c(*server_);
    if (logins[role][0]) {
      ASSERT_EQ(c.login(logins[role][0], logins[role][1]).status, 200);
    }
    for (const auto& row : rows) {
      auto form = row.form;
      // A fresh made-up login per role, so the failed sign-ins never reach the rate limit.
      for (auto& [k, v] : form)
        if (k == "login") v += std::to_string(role);
      Reply r = row.method == "GET" ? c.get(row.url) : c.post(row.url, form);
      EXPECT_STREQ(name(classify(r)), name(row.expect[role]))
          << kRoleNames[role] << " " << row.method << " " << row.url << " → " << r.status;
      EXPECT_LT(r.status, 500) << row.url;
      ++checked;
    }
  }
  std::printf("role x route: %d checks over %zu rows and %d roles\n", checked, rows.size(), kRoles);
  check_object_states();
  // No GET changed the database (partad logs every one that does; the visit and session touch
  // and the reader's own "seen" mark are not counted).
  std::string log = server_->log();
  EXPECT_EQ(log.find("changed the database"), std::string::npos) << log;
}

// The object states the table above has one of: a published and a scheduled assignment, a
// variant for one student, an assignment of the class by another teacher, another teacher's
// review page; asked by people whose relation to them differs. The row's pattern is the route.
void Permissions::check_object_states() {
  constexpr int kWho = 9;
  const char* who[kWho][2] = {
      {nullptr, nullptr},           {"admin", kDemoPassword},
      {"smirnova", kDemoPassword},   // class teacher of 5А; Russian yes, maths no
      {"kuznetsov", kDemoPassword},  // maths in 5А: another subject in the same class
      {"morozova", kDemoPassword},   // English in 5А: teaches the class, neither subject
      {"ivanov.a", kDemoPin},        // the student (5А)
      {"ivanova.s", kDemoPassword},  // his mother
      {"sokolov.d", kDemoPassword},  // a classmate's father
      {"sokolova.m", kDemoPin},      // the classmate
  };
  struct StateRow {
    std::string what, method, url;
    std::vector<std::pair<std::string, std::string>> form;
    Outcome expect[kWho];
  };
  auto id = [](std::int64_t v) { return std::to_string(v); };
  const std::string own = id(student_ids_.at("ivanov.a"));
  const std::string published = "/assignments/" + id(assignment_);
  const std::string scheduled = "/assignments/" + id(scheduled_);
  const std::string maths = "/assignments/" + id(maths_);
  const std::string review = id(review_page_);
  const std::string c5a = id(class_ids_.at("5А")), c5b = id(class_ids_.at("5Б"));
  const std::string other5b = id(student_ids_.at("morozova.p"));
  const std::string lesson5a = "/admin/schedule/lessons/" + id(lesson_5a_);
  const std::string lesson5b = "/admin/schedule/lessons/" + id(lesson_5b_);
  const Outcome A = kOk, V = kInvalid, L = kLogin, D = kDeny;
  // Columns: anonymous, admin, class teacher, maths, English, student, parent, classmate's
  // parent, classmate.
  std::vector<StateRow> rows = {
      {"published, the teachers' page", "GET", published, {}, {L, A, A, D, D, A, D, D, A}},
      {"scheduled, the teachers' page", "GET", scheduled, {}, {L, A, A, D, D, D, D, D, D}},
      {"class teacher without the subject (B6)", "GET", maths, {}, {L, A, A, A, D, A, D, D, A}},
      {"published, own thread",
       "GET",
       published + "/students/" + own,
       {},
       {L, A, A, D, D, A, A, D, D}},
      {"scheduled, own thread",
       "GET",
       scheduled + "/students/" + own,
       {},
       {L, A, A, D, D, D, D, D, D}},
      {"another subject's thread",
       "GET",
       maths + "/students/" + own,
       {},
       {L, A, A, A, D, A, A, D, D}},
      {"published, the task's file",
       "GET",
       "/files/attachment/" + id(attachment_),
       {},
       {L, A, A, D, D, A, A, A, A}},
      {"scheduled, the task's file (B5)",
       "GET",
       "/files/attachment/" + id(scheduled_attachment_),
       {},
       {L, A, A, D, D, D, D, D, D}},
      {"one student's variant",
       "GET",
       "/files/attachment/" + id(variant_attachment_),
       {},
       {L, A, A, D, D, A, A, D, D}},
      {"class teacher without the subject, the file (B6)",
       "GET",
       "/files/attachment/" + id(maths_attachment_),
       {},
       {L, A, A, A, D, A, A, A, A}},
      {"a hand-in",
       "GET",
       "/files/submission/" + id(file_ids_.at("ivanov.a")),
       {},
       {L, A, A, D, D, A, A, D, D}},
      {"a hand-in in another subject",
       "GET",
       "/files/submission/" + id(maths_submission_),
       {},
       {L, A, A, A, D, A, A, D, D}},
      {"grading is the subject teacher's",
       "POST",
       maths + "/students/" + own + "/grade",
       {{"mark", "9"}},
       {L, D, D, V, D, D, D, D, D}},
      {"the class teacher reads, does not comment",
       "POST",
       maths + "/students/" + own + "/comment",
       {{"text", ""}},
       {L, D, D, V, D, V, D, D, D}},
      {"nobody hands in before publication",
       "POST",
       scheduled + "/students/" + own + "/submit",
       {},
       {L, D, D, D, D, D, D, D, D}},
      {"paper packets are the subject teacher's",
       "GET",
       maths + "/paper",
       {},
       {L, A, D, A, D, D, D, D, D}},
      {"another teacher's review page",
       "GET",
       "/paper/pages/" + review + "/image.jpg",
       {},
       {L, A, D, A, D, D, D, D, D}},
      {"another teacher's review page, filing",
       "POST",
       "/paper/review/" + review + "/file",
       {},
       {L, V, D, V, D, D, D, D, D}},
      // A class's own arrangements (issue 16): its class teacher (smirnova, 5А) for her class,
      // not for another class (5Б); its subject teachers do not.
      {"her class's lesson", "GET", lesson5a, {}, {L, A, A, D, D, D, D, D, D}},
      {"another class's lesson", "GET", lesson5b, {}, {L, A, D, D, D, D, D, D, D}},
      {"her class's lesson, edited",
       "POST",
       lesson5a,
       {{"subject_id", "x"}},
       {L, V, V, D, D, D, D, D, D}},
      {"another class's lesson, edited",
       "POST",
       lesson5b,
       {{"subject_id", "x"}},
       {L, V, D, D, D, D, D, D, D}},
      {"her class's lesson, deleting asks first",
       "POST",
       lesson5a + "/delete",
       {},
       {L, A, A, D, D, D, D, D, D}},
      {"another class's lesson, deleting",
       "POST",
       lesson5b + "/delete",
       {},
       {L, A, D, D, D, D, D, D, D}},
      {"her class's day, unpublished",
       "POST",
       "/admin/schedule/publish",
       {{"class_id", c5a}, {"day", "2099-01-05"}, {"on", "0"}},
       {L, A, A, D, D, D, D, D, D}},
      {"another class's day",
       "POST",
       "/admin/schedule/publish",
       {{"class_id", c5b}, {"day", "2099-01-05"}, {"on", "0"}},
       {L, A, D, D, D, D, D, D, D}},
      {"her class to distance, no message",
       "POST",
       "/admin/distance",
       {{"scope", c5a}, {"on", "1"}, {"message", ""}},
       {L, V, V, D, D, D, D, D, D}},
      {"another class to distance",
       "POST",
       "/admin/distance",
       {{"scope", c5b}, {"on", "1"}, {"message", ""}},
       {L, V, D, D, D, D, D, D, D}},
      {"a device to her student",
       "POST",
       "/admin/devices/999999/lend",
       {{"student_id", own}},
       {L, V, V, D, D, D, D, D, D}},
      {"a device to another class's student",
       "POST",
       "/admin/devices/999999/lend",
       {{"student_id", other5b}},
       {L, V, D, D, D, D, D, D, D}},
      {"her class's login cards, asks first",
       "POST",
       "/classes/" + c5a + "/login-cards",
       {{"who", "all"}},
       {L, A, A, D, D, D, D, D, D}},
      {"another class's login cards",
       "POST",
       "/classes/" + c5b + "/login-cards",
       {{"who", "all"}},
       {L, A, D, D, D, D, D, D, D}},
      {"another teacher's review page, discarding",
       "POST",
       "/paper/review/" + review + "/discard",
       {},
       {L, A, D, A, D, D, D, D, D}},
  };
  int checked = 0;
  for (int w = 0; w < kWho; ++w) {
    Client c(*server_);
    if (who[w][0]) {
      ASSERT_EQ(c.login(who[w][0], who[w][1]).status, 200) << who[w][0];
    }
    // The review queue lists only the pages this person may act on.
    if (w >= 1 && w <= 4) {
      bool listed = c.get("/paper/review").body.find("/paper/review/" + review + "/file") !=
                    std::string::npos;
      EXPECT_EQ(listed, w == 1 || w == 3) << who[w][0] << " and kuznetsov's unread page";
    }
    for (const auto& row : rows) {
      // Discarding changes the page for everyone after: only the last allowed viewer does it.
      if (row.url.find("/discard") != std::string::npos && row.expect[w] == A && w != 3) {
        continue;
      }
      c.get(w == 0 ? "/login" : "/");  // a fresh CSRF token
      Reply r = row.method == "GET" ? c.get(row.url) : c.post(row.url, row.form);
      EXPECT_STREQ(name(classify(r)), name(row.expect[w]))
          << (who[w][0] ? who[w][0] : "anonymous") << " — " << row.what << ": " << row.method << " "
          << row.url << " → " << r.status;
      EXPECT_LT(r.status, 500) << row.url;
      if (row.method == "GET" && r.status == 200 && row.url.rfind("/files/", 0) == 0) {
        // A child's work and a teacher's task never stay in a shared phone's cache.
        EXPECT_EQ(r.header("cache-control"), "private, no-store") << row.url;
      }
      ++checked;
    }
  }
  std::printf("object states: %d checks over %zu rows and %d people\n", checked, rows.size(), kWho);
}

}  // namespace
}  // namespace parta::testing
