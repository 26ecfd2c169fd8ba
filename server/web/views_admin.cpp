// The school admin's pages: school info, classes and subjects, teachers and what they teach,
// students, parents, roster import, password resets.
#include <map>

#include "domain/roster_csv.hpp"
#include "domain/roster_import.hpp"
#include "domain/school.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

std::int64_t form_id(Ctx& ctx, const char* name) {
  std::string v = field(ctx, name, 18);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
    throw http::BadRequest("The form refers to something that does not exist.");
  return std::stoll(v);
}

// What was typed into the refused form posted to `action`, as f_<name>, so it shows it again.
void keep_typed(Ctx& ctx, mstch::map& data, const std::string& action,
                std::initializer_list<const char*> names) {
  if (ctx.req.method != "POST" || ctx.req.path != action) return;
  for (const char* n : names) data[std::string("f_") + n] = ctx.req.form().value(n);
}

http::Response credentials_page(Ctx& ctx, const std::vector<domain::Credential>& creds,
                                const std::string& back) {
  mstch::map data{{"credentials", credentials_data(creds)}, {"back", back}};
  return page(ctx, "credentials", std::move(data), "New sign-in details");
}

// ---- school ----
http::Response school_form(Ctx& ctx, const domain::SchoolInfo& s, const std::string& msg,
                           bool error) {
  mstch::map data{{"info", school_data(s)}};
  if (!msg.empty()) data[error ? "error" : "notice"] = msg;
  return page(ctx, "admin_school", std::move(data), "School", error ? 422 : 200);
}

// ---- classes ----
http::Response classes_page(Ctx& ctx, const std::string& error, int status = 200) {
  mstch::array classes, subjects;
  auto all_teachers = domain::list_users(ctx.db, domain::Role::teacher);
  for (const auto& k : domain::list_classes(ctx.db)) {
    mstch::map m = class_data(k);
    mstch::array options;
    for (const auto& t : all_teachers)
      options.push_back(mstch::map{{"id", std::to_string(t.id)},
                                   {"short_name", t.short_name()},
                                   {"selected", k.class_teacher_id == t.id}});
    m["teachers"] = options;
    classes.push_back(m);
  }
  for (const auto& s : domain::list_subjects(ctx.db))
    subjects.push_back(mstch::map{{"id", std::to_string(s.id)}, {"name", s.name}});
  mstch::map data{{"classes", classes}, {"subjects", subjects}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_classes", std::move(data), "Classes and subjects", status);
}

// ---- teachers ----
http::Response teachers_page(Ctx& ctx, const std::string& error, int status = 200) {
  mstch::array teachers;
  std::map<std::int64_t, std::string> what;
  for (const auto& x : domain::all_teaching(ctx.db)) {
    std::string& w = what[x.teacher_id];
    w += (w.empty() ? "" : ", ") + x.class_name + " " + x.subject_name;
  }
  for (const auto& t : domain::list_users(ctx.db, domain::Role::teacher)) {
    mstch::map m = user_data(t);
    m["teaching"] = what[t.id];
    teachers.push_back(m);
  }
  mstch::map data{{"teachers", teachers}};
  keep_typed(ctx, data, "/admin/teachers", {"last_name", "first_name", "middle_name", "login"});
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_teachers", std::move(data), "Teachers", status);
}

http::Response teacher_page(Ctx& ctx, std::int64_t id, const std::string& error, int status = 200) {
  auto t = domain::find_user(ctx.db, id);
  if (!t || t->role != domain::Role::teacher) throw http::NotFound();
  mstch::array teaching, classes, subjects;
  for (const auto& x : domain::teaching_of_teacher(ctx.db, id))
    teaching.push_back(mstch::map{{"class_id", std::to_string(x.class_id)},
                                  {"subject_id", std::to_string(x.subject_id)},
                                  {"class_name", x.class_name},
                                  {"subject", x.subject_name}});
  for (const auto& k : domain::list_classes(ctx.db)) classes.push_back(class_data(k));
  for (const auto& s : domain::list_subjects(ctx.db))
    subjects.push_back(mstch::map{{"id", std::to_string(s.id)}, {"name", s.name}});
  mstch::array led;
  for (const auto& k : domain::classes_led_by(ctx.db, id)) led.push_back(class_data(k));
  mstch::map data{{"teacher", user_data(*t)}, {"teaching", teaching}, {"classes", classes},
                  {"subjects", subjects},     {"led", led},           {"has_led", !led.empty()}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_teacher", std::move(data), "Teacher", status);
}

// ---- students ----
http::Response students_page(Ctx& ctx, const std::string& error, int status = 200) {
  auto all_classes = domain::list_classes(ctx.db);
  ClassPick pick = pick_class(ctx, all_classes, "/admin/students", "class_id");
  std::optional<std::int64_t> class_id = pick.id;
  mstch::array students, new_classes;
  // A row has only what the list shows: a school's list is long, and each field is copied as
  // the template renders it.
  auto list = domain::list_students(ctx.db, class_id);
  students.reserve(list.size());
  for (const auto& s : list)
    students.push_back(mstch::map{{"id", std::to_string(s.user.id)},
                                  {"name", s.user.full_name()},
                                  {"paper", s.paper},
                                  {"class_name", s.class_name},
                                  {"student_no", s.student_no}});
  // The new student's class: as chosen when the form was refused, else the class shown.
  std::string chosen = ctx.req.method == "POST"
                           ? ctx.req.form().value("class_id")
                           : (class_id ? std::to_string(*class_id) : std::string());
  for (const auto& k : all_classes)
    new_classes.push_back(mstch::map{{"id", std::to_string(k.id)},
                                     {"name", k.name},
                                     {"chosen", chosen == std::to_string(k.id)}});
  mstch::map data{{"students", std::move(students)},
                  {"classes", std::move(pick.links)},
                  {"new_classes", std::move(new_classes)}};
  keep_typed(ctx, data, "/admin/students",
             {"last_name", "first_name", "middle_name", "login", "student_no"});
  if (ctx.req.method == "POST") data["f_paper"] = ctx.req.form().value("paper") == "1";
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_students", std::move(data), "Students", status);
}

http::Response student_admin_page(Ctx& ctx, std::int64_t id, const std::string& error,
                                  int status = 200) {
  auto s = domain::find_student(ctx.db, id);
  if (!s) throw http::NotFound();
  mstch::array classes, parents;
  for (const auto& k : domain::list_classes(ctx.db)) {
    mstch::map m = class_data(k);
    m["selected"] = k.id == s->class_id;
    classes.push_back(m);
  }
  for (const auto& p : domain::parents_of(ctx.db, id)) parents.push_back(user_data(p));
  mstch::map data{{"student", student_data(*s)}, {"classes", classes}, {"parents", parents}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_student", std::move(data), "Student", status);
}

// ---- parents ----
http::Response parents_page(Ctx& ctx, const std::string& error, int status = 200) {
  mstch::array parents;
  ClassPick pick = pick_class(ctx, domain::list_classes(ctx.db), "/admin/parents");
  auto children = domain::children_by_parent(ctx.db, pick.id);
  auto list = domain::list_parents(ctx.db, pick.id);
  parents.reserve(list.size());
  for (const auto& p : list) {
    std::string kids;
    for (const auto& s : children[p.id])
      kids += (kids.empty() ? "" : ", ") + s.user.short_name() + " (" + s.class_name + ")";
    parents.push_back(mstch::map{{"id", std::to_string(p.id)},
                                 {"name", p.full_name()},
                                 {"login", p.login},
                                 {"phone", p.phone},
                                 {"pin", p.secret_kind == domain::SecretKind::pin},
                                 {"children", std::move(kids)}});
  }
  mstch::map data{{"parents", std::move(parents)}, {"classes", std::move(pick.links)}};
  keep_typed(ctx, data, "/admin/parents",
             {"last_name", "first_name", "middle_name", "login", "phone", "student_no"});
  if (!error.empty()) data["error"] = error;
  return page(ctx, "admin_parents", std::move(data), "Parents", status);
}

struct PersonFields {
  std::string last, first, middle;
};

// Reads and checks the name fields; returns an error msgid or "".
std::string read_person(Ctx& ctx, PersonFields* p) {
  p->last = field(ctx, "last_name", 120);
  p->first = field(ctx, "first_name", 120);
  p->middle = field(ctx, "middle_name", 120);
  if (p->last.empty() || p->first.empty()) return "Enter the last name and the first name.";
  if (!domain::valid_person_name(p->last) || !domain::valid_person_name(p->first) ||
      (!p->middle.empty() && !domain::valid_person_name(p->middle)))
    return "A name may contain only letters, spaces, hyphens and apostrophes.";
  return "";
}

std::string read_login(Ctx& ctx, std::string* login) {
  *login = field(ctx, "login", 64);
  for (char& c : *login) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (login->empty()) return "";
  if (!domain::valid_login(*login))
    return "A login is 3 to 32 Latin letters, digits, dots, hyphens or underscores.";
  if (domain::find_user_by_login(ctx.db, *login)) return "This login is already taken.";
  return "";
}

}  // namespace

void register_admin_views(App& app) {
  // ---- school ----
  app.route("GET", "/admin/school", kAdmin,
            [](Ctx& ctx) { return school_form(ctx, domain::school_info(ctx.db), "", false); });
  app.route("POST", "/admin/school", kAdmin, [](Ctx& ctx) {
    domain::SchoolInfo s{field(ctx, "name"),      field(ctx, "short_name"),
                         field(ctx, "address"),   field(ctx, "hotline"),
                         field(ctx, "email"),     field(ctx, "director"),
                         field(ctx, "wifi_name"), field(ctx, "how_to_connect", 2000)};
    if (s.name.empty()) return school_form(ctx, s, ctx.tr("Enter the school's name."), true);
    domain::save_school_info(ctx.db, s);
    return school_form(ctx, s, ctx.tr("Saved."), false);
  });

  // ---- classes and subjects ----
  app.route("GET", "/admin/classes", kAdmin, [](Ctx& ctx) { return classes_page(ctx, ""); });
  app.route("POST", "/admin/classes", kAdmin, [](Ctx& ctx) {
    auto name = domain::normalize_class_name(field(ctx, "name", 20));
    if (!name)
      return classes_page(
          ctx, ctx.tr("A class name is a grade from 1 to 11 and a letter, like 5А."), 422);
    if (domain::find_class_by_name(ctx.db, *name))
      return classes_page(ctx, ctx.tr("This class already exists."), 422);
    domain::create_class(ctx.db, *name);
    return http::Response::redirect("/admin/classes");
  });
  app.route("POST", "/admin/classes/{id}/teacher", kAdmin, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::find_class(ctx.db, id)) throw http::NotFound();
    std::string t = field(ctx, "teacher_id", 18);
    std::optional<std::int64_t> teacher;
    if (!t.empty()) {
      teacher = form_id(ctx, "teacher_id");
      auto u = domain::find_user(ctx.db, *teacher);
      if (!u || u->role != domain::Role::teacher)
        throw http::BadRequest("The form refers to something that does not exist.");
    }
    domain::set_class_teacher(ctx.db, id, teacher);
    return http::Response::redirect("/admin/classes");
  });
  app.route("POST", "/admin/subjects", kAdmin, [](Ctx& ctx) {
    std::string name = field(ctx, "name", 100);
    if (name.empty()) return classes_page(ctx, ctx.tr("Enter the subject's name."), 422);
    if (ctx.db.scalar("SELECT 1 FROM subjects WHERE name = ?1", name))
      return classes_page(ctx, ctx.tr("This subject already exists."), 422);
    domain::create_subject(ctx.db, name);
    return http::Response::redirect("/admin/classes");
  });

  // ---- teachers ----
  app.route("GET", "/admin/teachers", kAdmin, [](Ctx& ctx) { return teachers_page(ctx, ""); });
  app.route("POST", "/admin/teachers", kAdmin, [](Ctx& ctx) {
    PersonFields p;
    std::string login;
    std::string err = read_person(ctx, &p);
    if (err.empty()) err = read_login(ctx, &login);
    if (!err.empty()) return teachers_page(ctx, ctx.tr(err), 422);
    std::string pw = domain::generate_password();
    storage::Transaction tx(ctx.db);
    std::int64_t id = domain::create_user(
        ctx.db, ctx.clock,
        {login, p.last, p.first, p.middle, domain::Role::teacher, domain::SecretKind::password, ""},
        pw);
    tx.commit();
    auto u = domain::find_user(ctx.db, id);
    return credentials_page(ctx, {{u->full_name(), "", domain::Role::teacher, u->login, pw, false}},
                            "/admin/teachers/" + std::to_string(id));
  });
  app.route("GET", "/admin/teachers/{id}", kAdmin,
            [](Ctx& ctx) { return teacher_page(ctx, ctx.req.id("id"), ""); });
  app.route("POST", "/admin/teachers/{id}/teaching", kAdmin, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    auto t = domain::find_user(ctx.db, id);
    if (!t || t->role != domain::Role::teacher) throw http::NotFound();
    std::int64_t class_id = form_id(ctx, "class_id");
    std::int64_t subject_id = form_id(ctx, "subject_id");
    if (!domain::find_class(ctx.db, class_id) ||
        !ctx.db.scalar("SELECT 1 FROM subjects WHERE id = ?1", subject_id))
      throw http::BadRequest("The form refers to something that does not exist.");
    if (ctx.req.form().value("remove") == "1") {
      domain::remove_teaching(ctx.db, id, class_id, subject_id);
    } else {
      domain::add_teaching(ctx.db, id, class_id, subject_id);
    }
    return http::Response::redirect("/admin/teachers/" + std::to_string(id));
  });

  // ---- students ----
  app.route("GET", "/admin/students", kAdmin, [](Ctx& ctx) { return students_page(ctx, ""); });
  app.route("POST", "/admin/students", kAdmin, [](Ctx& ctx) {
    PersonFields p;
    std::string login;
    std::string err = read_person(ctx, &p);
    if (err.empty()) err = read_login(ctx, &login);
    std::string no = field(ctx, "student_no", 32);
    if (err.empty() && no.empty()) err = "Enter the student ID.";
    if (err.empty() && !domain::valid_student_no(no))
      err = "A student ID may contain only letters, digits, hyphens and slashes.";
    if (err.empty() && domain::find_student_by_no(ctx.db, no))
      err = "A student with this ID already exists.";
    std::int64_t class_id = 0;
    if (err.empty() && ctx.req.form().value("class_id").empty()) err = "Choose the class.";
    if (err.empty()) {
      class_id = form_id(ctx, "class_id");
      if (!domain::find_class(ctx.db, class_id))
        throw http::BadRequest("The form refers to something that does not exist.");
    }
    if (!err.empty()) return students_page(ctx, ctx.tr(err), 422);
    bool paper = ctx.req.form().value("paper") == "1";
    std::string pin = domain::generate_pin();
    storage::Transaction tx(ctx.db);
    std::int64_t id = domain::create_student(
        ctx.db, ctx.clock,
        {login, p.last, p.first, p.middle, domain::Role::student, domain::SecretKind::pin, ""}, no,
        class_id, paper, pin);
    tx.commit();
    auto s = domain::find_student(ctx.db, id);
    return credentials_page(
        ctx,
        {{s->user.full_name(), s->class_name, domain::Role::student, s->user.login, pin, true}},
        "/admin/students/" + std::to_string(id));
  });
  app.route("GET", "/admin/students/{id}", kAdmin,
            [](Ctx& ctx) { return student_admin_page(ctx, ctx.req.id("id"), ""); });
  app.route("POST", "/admin/students/{id}", kAdmin, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::find_student(ctx.db, id)) throw http::NotFound();
    std::int64_t class_id = form_id(ctx, "class_id");
    if (!domain::find_class(ctx.db, class_id))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::update_student(ctx.db, id, class_id, ctx.req.form().value("paper") == "1");
    return http::Response::redirect("/admin/students/" + std::to_string(id));
  });
  app.route("POST", "/admin/students/{id}/parents", kAdmin, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    if (!domain::find_student(ctx.db, id)) throw http::NotFound();
    std::string login = field(ctx, "parent_login", 64);
    for (char& c : login) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto p = domain::find_user_by_login(ctx.db, login);
    if (!p || p->role != domain::Role::parent)
      return student_admin_page(ctx, id, ctx.tr("There is no parent with this login."), 422);
    if (ctx.req.form().value("remove") == "1") {
      domain::unlink_parent(ctx.db, p->id, id);
    } else {
      domain::link_parent(ctx.db, p->id, id);
    }
    return http::Response::redirect("/admin/students/" + std::to_string(id));
  });

  // ---- parents ----
  app.route("GET", "/admin/parents", kAdmin, [](Ctx& ctx) { return parents_page(ctx, ""); });
  app.route("POST", "/admin/parents", kAdmin, [](Ctx& ctx) {
    PersonFields p;
    std::string login;
    std::string err = read_person(ctx, &p);
    if (err.empty()) err = read_login(ctx, &login);
    std::string phone = field(ctx, "phone", 40);
    std::string child_no = field(ctx, "student_no", 32);
    std::optional<domain::Student> child;
    if (err.empty() && !child_no.empty()) {
      child = domain::find_student_by_no(ctx.db, child_no);
      if (!child) err = "There is no student with this ID.";
    }
    if (!err.empty()) return parents_page(ctx, ctx.tr(err), 422);
    std::string pw = domain::generate_password();
    storage::Transaction tx(ctx.db);
    std::int64_t id = domain::create_user(ctx.db, ctx.clock,
                                          {login, p.last, p.first, p.middle, domain::Role::parent,
                                           domain::SecretKind::password, phone},
                                          pw);
    if (child) domain::link_parent(ctx.db, id, child->user.id);
    tx.commit();
    auto u = domain::find_user(ctx.db, id);
    return credentials_page(ctx, {{u->full_name(), "", domain::Role::parent, u->login, pw, false}},
                            "/admin/parents");
  });

  // ---- a person's name and phone (fixing a typo must not need a new account) ----
  app.route("POST", "/admin/users/{id}/profile", kAdmin, [](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    auto u = domain::find_user(ctx.db, id);
    if (!u) throw http::NotFound();
    PersonFields p;
    std::string err = read_person(ctx, &p);
    std::string phone = field(ctx, "phone", 40);
    std::string back = u->role == domain::Role::student   ? "/admin/students/"
                       : u->role == domain::Role::teacher ? "/admin/teachers/"
                                                          : "";
    if (!err.empty()) {
      if (u->role == domain::Role::student) return student_admin_page(ctx, id, ctx.tr(err), 422);
      if (u->role == domain::Role::teacher) return teacher_page(ctx, id, ctx.tr(err), 422);
      return parents_page(ctx, ctx.tr(err), 422);
    }
    ctx.db.run(
        "UPDATE users SET last_name = ?1, first_name = ?2, middle_name = ?3, phone = ?4 "
        "WHERE id = ?5",
        p.last, p.first, p.middle, phone, id);
    return http::Response::redirect(back.empty() ? "/admin/parents" : back + std::to_string(id));
  });

  // ---- password / PIN reset ----
  app.route("POST", "/admin/users/{id}/reset", kAdmin, [&app](Ctx& ctx) {
    std::int64_t id = ctx.req.id("id");
    auto u = domain::find_user(ctx.db, id);
    if (!u) throw http::NotFound();
    auto kind = ctx.req.form().value("kind") == "pin" && u->role == domain::Role::student
                    ? domain::SecretKind::pin
                    : domain::SecretKind::password;
    if (!confirmed(ctx)) {
      std::string back = u->role == domain::Role::student   ? "/admin/students/"
                         : u->role == domain::Role::teacher ? "/admin/teachers/"
                                                            : "";
      return confirm_page(
          ctx,
          ctx.tr(
              domain::Message{kind == domain::SecretKind::pin
                                  ? "Make a new PIN for {name}? The old one stops working at once."
                                  : "Make a new password for {name}? The old one stops working "
                                    "at once.",
                              {{"name", u->full_name()}}}),
          ctx.tr(kind == domain::SecretKind::pin ? "Make a new PIN" : "Make a new password"),
          back.empty() ? "/admin/parents" : back + std::to_string(id));
    }
    std::string secret = domain::reset_secret(ctx.db, id, kind);
    // The new secret goes on a card to a new device, too: strangers' failures must not stop it.
    app.limiter().forgive_account(u->login);
    if (ctx.settings)
      domain::forget_first_admin_password(*u, ctx.settings->first_admin_password_file);
    std::string cls;
    std::string back = "/admin";
    if (auto s = domain::find_student(ctx.db, id)) {
      cls = s->class_name;
      back = "/admin/students/" + std::to_string(id);
    } else if (u->role == domain::Role::teacher) {
      back = "/admin/teachers/" + std::to_string(id);
    } else if (u->role == domain::Role::parent) {
      back = "/admin/parents";
    }
    return credentials_page(
        ctx, {{u->full_name(), cls, u->role, u->login, secret, kind == domain::SecretKind::pin}},
        back);
  });

  // ---- roster import ----
  app.route("GET", "/admin/roster", kAdmin,
            [](Ctx& ctx) { return page(ctx, "admin_roster", {}, "Import students"); });
  app.route("POST", "/admin/roster", kAdmin, [](Ctx& ctx) {
    const http::UploadedFile* f = ctx.req.form().file("file");
    auto fail = [&](mstch::array errors) {
      mstch::map data{{"errors", errors}, {"has_errors", !errors.empty()}};
      return page(ctx, "admin_roster", std::move(data), "Import students", 422);
    };
    if (!f || f->size == 0) return fail({ctx.tr("Choose a CSV file with the student list.")});
    if (f->size > domain::kMaxRosterBytes) throw http::PayloadTooLarge();
    auto parsed = domain::parse_roster_csv(f->read());
    auto report = domain::import_roster(ctx.db, ctx.clock, parsed);
    if (!report.ok()) {
      mstch::array errors;
      for (const auto& e : report.errors) errors.push_back(ctx.tr(e));
      return fail(errors);
    }
    mstch::map data{{"created", std::to_string(report.created)},
                    {"updated", std::to_string(report.updated)},
                    {"parents_created", std::to_string(report.parents_created)},
                    {"classes_created", std::to_string(report.classes_created)},
                    {"credentials", credentials_data(report.credentials)},
                    {"has_credentials", !report.credentials.empty()}};
    if (report.ids_generated)
      data["ids_generated"] = ctx.tr(domain::Message{
          "The file has no student IDs for {count} students: they got IDs made from the class, "
          "the name and the date of birth, the same at every import of this list.",
          {{"count", std::to_string(report.ids_generated)}}});
    std::string unused;
    for (const auto& col : report.unused_columns)
      unused += (unused.empty() ? "«" : ", «") + col + "»";
    if (!unused.empty())
      data["unused"] =
          ctx.tr(domain::Message{"These columns were not used: {columns}.", {{"columns", unused}}});
    return page(ctx, "admin_roster_done", std::move(data), "Import students");
  });
}

}  // namespace parta::web
