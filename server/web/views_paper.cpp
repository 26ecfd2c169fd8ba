// The paper track's pages: packets for an assignment (made in the background, a refreshing status
// page, per-student and combined PDFs, printing through CUPS, the pickup and return log), scan
// upload with progress, the review queue, the printer setting and login cards. CUPS and the
// cards' PDF are the parta-paper helper's work (Settings::paper): partad links neither.
#include <fstream>
#include <set>
#include <sstream>

#include "domain/access.hpp"
#include "domain/coursework.hpp"
#include "domain/paper.hpp"
#include "printer/paper_job.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/uploads.hpp"

namespace parta::web {

namespace {

using domain::Role;

constexpr const char* kRefreshSeconds = "2";
// The box's address when portal_host is not configured: the firmware's default.
constexpr const char* kDefaultPortalHost = "parta.school";
constexpr const char* kNoHelper = "The paper helper does not answer. Try again in a minute.";

// The paper helper's answer, or nullopt when it did not give one (logged by the helper's runner).
std::optional<printer::JobResult> ask(Ctx& ctx, const printer::Job& job) {
  if (!ctx.settings || !ctx.settings->paper) return std::nullopt;
  return ctx.settings->paper(job);
}

// CUPS's queues, or nullopt when the helper did not answer.
std::optional<std::vector<printer::Printer>> printers(Ctx& ctx) {
  printer::Job job;
  job.kind = printer::JobKind::printers;
  auto r = ask(ctx, job);
  if (!r || !r->ok()) return std::nullopt;
  return r->printers;
}

bool known_printer(Ctx& ctx, const std::string& name) {
  for (const auto& p : printers(ctx).value_or(std::vector<printer::Printer>{}))
    if (p.name == name) return true;
  return false;
}

// The admin, or a teacher of the assignment's class and subject.
domain::Assignment load_assignment(Ctx& ctx, std::int64_t id) {
  auto a = domain::find_assignment(ctx.db, id);
  if (!a) throw http::NotFound();
  if (!domain::can_manage_paper(ctx.db, ctx.me(), *a)) throw http::Forbidden();
  return *a;
}

domain::PrintRun load_run(Ctx& ctx, std::int64_t id) {
  auto r = domain::find_run(ctx.db, id);
  if (!r) throw http::NotFound();
  load_assignment(ctx, r->assignment_id);
  return *r;
}

std::pair<domain::Packet, domain::PrintRun> load_packet(Ctx& ctx, std::int64_t id) {
  auto p = domain::find_packet(ctx.db, id);
  if (!p) throw http::NotFound();
  if (!domain::can_read(ctx.db, ctx.me(), *p)) throw http::Forbidden();
  return {*p, *domain::find_run(ctx.db, p->run_id)};
}

// A page of the review queue this user may act on (404 / 403 otherwise).
domain::ScanPage load_review_page(Ctx& ctx, std::int64_t id) {
  auto p = domain::find_scan_page(ctx.db, id);
  if (!p) throw http::NotFound();
  if (!domain::can_review(ctx.db, ctx.me(), *p)) throw http::Forbidden();
  return *p;
}

// The review queue as this user may see it: the pages of their classes' batches, at most `limit`.
std::vector<domain::ScanPage> review_queue(Ctx& ctx, std::size_t limit) {
  // can_review() for every page, as one query.
  if (ctx.me().role == Role::admin) return domain::review_pages(ctx.db, limit);
  if (ctx.me().role != Role::teacher) return {};
  return domain::review_pages(ctx.db, limit, ctx.me().id);
}

std::string when(const std::optional<std::int64_t>& t) {
  return t ? format_datetime(*t) : std::string();
}

// Why a run or batch failed, in the user's language, and after how many tries.
std::string problem(Ctx& ctx, const std::string& reason, int attempts) {
  std::string out = ctx.tr(reason);
  if (attempts > 1)
    out += " " + ctx.tr(domain::Message{"(tried {n} times)", {{"n", std::to_string(attempts)}}});
  return out;
}

const char* run_status(const std::string& s) {
  if (s == "queued") return "waiting to start";
  if (s == "making") return "being made";
  if (s == "ready") return "ready";
  return "failed";
}

http::Response pdf(Ctx& ctx, const std::string& sha, const std::string& name) {
  if (sha.empty() || !ctx.blobs->has(sha)) throw http::NotFound();
  return http::Response::file(ctx.blobs->path_of(sha), "application/pdf", name, true);
}

http::Response assignment_paper_page(Ctx& ctx, const domain::Assignment& a,
                                     const std::string& error, int status) {
  mstch::array students, runs;
  for (const auto& s : domain::students_of(ctx.db, a))
    students.push_back(mstch::map{
        {"sid", std::to_string(s.user.id)}, {"name", s.user.full_name()}, {"paper", s.paper}});
  for (const auto& r : domain::runs_of_assignment(ctx.db, a.id))
    runs.push_back(mstch::map{{"rid", std::to_string(r.id)},
                              {"run", r.run},
                              {"when", format_datetime(r.created_at)},
                              {"count", std::to_string(r.total)},
                              {"status", ctx.tr(run_status(r.status))}});
  mstch::map data{
      {"id", std::to_string(a.id)}, {"title", a.title},
      {"class_name", a.class_name}, {"subject", a.subject_name},
      {"students", students},       {"runs", runs},
      {"has_runs", !runs.empty()},  {"max_pages", std::to_string(domain::kMaxAnswerPages)}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "paper_assignment", std::move(data), "Paper packets", status);
}

http::Response run_page(Ctx& ctx, const domain::PrintRun& r, const std::string& error, int status) {
  mstch::array packets, printers;
  for (const auto& p : domain::packets_of(ctx.db, r.id))
    packets.push_back(mstch::map{{"pid", std::to_string(p.id)},
                                 {"name", p.student_name},
                                 {"class_name", p.class_name},
                                 {"pages", std::to_string(p.pages)},
                                 {"has_pdf", !p.pdf_sha.empty()},
                                 {"printed", when(p.printed_at)},
                                 {"picked_up", when(p.picked_up_at)},
                                 {"picked_up_by", p.picked_up_by},
                                 {"returned", when(p.returned_at)}});
  std::string chosen = domain::chosen_printer(ctx.db);
  auto queues = web::printers(ctx);
  for (const auto& p : queues.value_or(std::vector<printer::Printer>{}))
    printers.push_back(mstch::map{{"name", p.name},
                                  {"label", p.info.empty() ? p.name : p.info},
                                  {"selected", chosen.empty() ? p.is_default : p.name == chosen}});
  mstch::map data{{"id", std::to_string(r.id)},
                  {"run", r.run},
                  {"when", format_datetime(r.created_at)},
                  {"assignment_id", std::to_string(r.assignment_id)},
                  {"title", r.assignment_title},
                  {"class_name", r.class_name},
                  {"status", ctx.tr(run_status(r.status))},
                  {"working", r.status == "queued" || r.status == "making"},
                  {"ready", r.status == "ready"},
                  {"failed", r.status == "failed"},
                  {"problem", problem(ctx, r.error, r.attempts)},
                  {"done", std::to_string(r.done)},
                  {"total", std::to_string(r.total)},
                  {"packets", packets},
                  {"printers", printers},
                  {"has_printers", !printers.empty()}};
  if (r.print_job) {
    data["job"] = std::to_string(r.print_job);
    data["job_printer"] = r.printer;
    printer::Job job;
    job.kind = printer::JobKind::job_status;
    job.printer = r.printer;
    job.print_job = r.print_job;
    auto answer = ask(ctx, job);
    const auto& st = answer && answer->ok() ? answer->status : std::nullopt;
    data["job_state"] = st ? ctx.tr(st->state) : ctx.tr("unknown");
    if (st && !st->done) data["refresh"] = std::string(kRefreshSeconds);
  }
  if (r.status == "queued" || r.status == "making") data["refresh"] = std::string(kRefreshSeconds);
  if (!error.empty())
    data["error"] = error;
  else if (!queues)
    data["error"] = ctx.tr(kNoHelper);
  return page(ctx, "paper_run", std::move(data), "Paper packets", status);
}

http::Response hub_page(Ctx& ctx, const std::string& error, int status) {
  mstch::array runs, batches;
  // The latest runs this user may open: all for the admin, a teacher's own subjects' otherwise.
  for (const auto& r :
       domain::recent_runs(ctx.db, 30, ctx.me().role == Role::admin ? 0 : ctx.me().id)) {
    runs.push_back(mstch::map{{"rid", std::to_string(r.id)},
                              {"title", r.assignment_title},
                              {"class_name", r.class_name},
                              {"run", r.run},
                              {"when", format_datetime(r.created_at)},
                              {"count", std::to_string(r.total)},
                              {"status", ctx.tr(run_status(r.status))}});
  }
  for (const auto& b : domain::recent_batches(ctx.db, 10))
    if (domain::can_read(ctx.db, ctx.me(), b))
      batches.push_back(mstch::map{{"bid", std::to_string(b.id)},
                                   {"when", format_datetime(b.created_at)},
                                   {"who", b.uploader},
                                   {"pages", std::to_string(b.pages)},
                                   {"filed", std::to_string(b.filed)},
                                   {"review", std::to_string(b.review)}});
  mstch::map data{{"runs", runs},
                  {"has_runs", !runs.empty()},
                  {"batches", batches},
                  {"has_batches", !batches.empty()},
                  {"review", std::to_string(review_queue(ctx, 100).size())},
                  {"is_admin", ctx.me().role == Role::admin}};
  if (ctx.settings) data["max_upload"] = format_size(ctx.lang, ctx.settings->max_upload);
  // Login cards are made on a class's page: the classes this user runs.
  mstch::array card_classes;
  for (const auto& k : ctx.me().role == Role::admin ? domain::list_classes(ctx.db)
                                                    : domain::classes_led_by(ctx.db, ctx.me().id))
    card_classes.push_back(mstch::map{{"id", std::to_string(k.id)}, {"name", k.name}});
  data["has_card_classes"] = !card_classes.empty();
  data["card_classes"] = card_classes;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "paper", std::move(data), "Paper", status);
}

const char* page_status(const std::string& s) {
  if (s == "filed") return "filed";
  if (s == "review") return "to review";
  if (s == "duplicate") return "already filed";
  if (s == "discarded") return "discarded";
  return "being read";
}

http::Response review_page(Ctx& ctx, const std::string& error, int status) {
  mstch::array pages, packets;
  for (const auto& p : review_queue(ctx, 20))
    pages.push_back(mstch::map{{"spid", std::to_string(p.id)},
                               {"source", p.source},
                               {"reason", ctx.tr(p.reason)},
                               {"codes", p.codes >= 0 ? std::to_string(p.codes) : std::string()}});
  // Packets to file a page into: only those of this user's subjects (they name students).
  for (const auto& [p, r] :
       domain::recent_packets(ctx.db, 20, ctx.me().role == Role::admin ? 0 : ctx.me().id))
    packets.push_back(mstch::map{
        {"pid", std::to_string(p.id)},
        {"label", p.student_name + ", " + p.class_name + " — " + r.assignment_title + " (A" +
                      std::to_string(r.assignment_id) + " · S" + std::to_string(p.student_id) +
                      " · " + r.run + ", " + std::to_string(p.pages) + ")"}});
  mstch::map data{{"pages", pages}, {"has_pages", !pages.empty()}, {"packets", packets}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "paper_review", std::move(data), "Pages to review", status);
}

}  // namespace

void register_paper_views(App& app) {
  app.route("GET", "/assignments/{id}/paper", kStaff, [](Ctx& ctx) {
    return assignment_paper_page(ctx, load_assignment(ctx, ctx.req.id("id")), "", 200);
  });

  app.route("POST", "/assignments/{id}/paper", kStaff, [](Ctx& ctx) {
    auto a = load_assignment(ctx, ctx.req.id("id"));
    const auto& f = ctx.req.form();
    std::vector<std::int64_t> students;
    for (const auto& v : f.all("student")) {
      auto id = parse_id(v);
      if (!id) throw http::BadRequest("The form refers to something that does not exist.");
      students.push_back(*id);
    }
    std::string pages = f.value("answer_pages");
    int answer_pages = pages.size() == 1 || pages.size() == 2 ? std::atoi(pages.c_str()) : -1;
    if (pages.find_first_not_of("0123456789") != std::string::npos) answer_pages = -1;
    std::string ruling = f.value("ruling");
    if (auto err = domain::check_run(ctx.db, a, students, answer_pages, ruling))
      return assignment_paper_page(ctx, a, ctx.tr(*err), 422);
    auto id = domain::create_run(ctx.db, ctx.clock, a, ctx.me().id, students, answer_pages, ruling);
    if (ctx.settings && ctx.settings->wake_paper) ctx.settings->wake_paper();
    return http::Response::redirect("/paper/runs/" + std::to_string(id));
  });

  app.route("GET", "/paper/runs/{id}", kStaff,
            [](Ctx& ctx) { return run_page(ctx, load_run(ctx, ctx.req.id("id")), "", 200); });

  app.route("GET", "/paper/runs/{id}/all.pdf", kStaff, [](Ctx& ctx) {
    auto r = load_run(ctx, ctx.req.id("id"));
    return pdf(ctx, r.combined_sha, "packets-" + r.class_name + "-" + r.run + ".pdf");
  });

  app.route("GET", "/paper/packets/{id}/packet.pdf", kStaff, [](Ctx& ctx) {
    auto [p, r] = load_packet(ctx, ctx.req.id("id"));
    return pdf(ctx, p.pdf_sha, p.student_name + " " + r.run + ".pdf");
  });

  app.route("POST", "/paper/runs/{id}/print", kStaff, [](Ctx& ctx) {
    auto r = load_run(ctx, ctx.req.id("id"));
    if (r.status != "ready" || r.combined_sha.empty())
      return run_page(ctx, r, ctx.tr("The packets are not ready yet."), 409);
    std::string name = ctx.req.form().value("printer");
    if (!known_printer(ctx, name))
      return run_page(ctx, r, ctx.tr("Choose a printer from the list."), 422);
    printer::Job job;
    job.kind = printer::JobKind::print;
    job.printer = name;
    job.path = ctx.blobs->path_of(r.combined_sha);
    job.title = r.assignment_title + " " + r.run;
    job.two_sided = ctx.req.form().value("two_sided") == "1";
    auto result = ask(ctx, job);
    if (!result) return run_page(ctx, r, ctx.tr(kNoHelper), 503);
    if (!result->ok())
      return run_page(ctx, r,
                      ctx.tr(domain::Message{"The printer did not take the job: {why}",
                                             {{"why", result->detail}}}),
                      502);
    domain::run_printed(ctx.db, ctx.clock, r.id, name, result->print_job);
    return http::Response::redirect("/paper/runs/" + std::to_string(r.id));
  });

  app.route("POST", "/paper/packets/{id}/pickup", kStaff, [](Ctx& ctx) {
    auto [p, r] = load_packet(ctx, ctx.req.id("id"));
    if (auto err = domain::record_pickup(ctx.db, ctx.clock, p.id, field(ctx, "by", 1000)))
      return run_page(ctx, r, ctx.tr(*err), 422);
    return http::Response::redirect("/paper/runs/" + std::to_string(r.id));
  });

  app.route("POST", "/paper/packets/{id}/return", kStaff, [](Ctx& ctx) {
    auto [p, r] = load_packet(ctx, ctx.req.id("id"));
    domain::record_return(ctx.db, ctx.clock, p.id);
    return http::Response::redirect("/paper/runs/" + std::to_string(r.id));
  });

  app.route("GET", "/paper", kStaff, [](Ctx& ctx) { return hub_page(ctx, "", 200); });

  // Scans: the upload returns at once; the worker reads the pages.
  app.route("POST", "/paper/scans", kStaff, [](Ctx& ctx) {
    std::vector<domain::LeftOutFile> left_out;
    auto files = take_scans(ctx, "scans", &left_out);
    if (files.empty()) {
      if (left_out.empty())
        return hub_page(ctx, ctx.tr("Choose the scanned PDF or the photos."), 422);
      std::string names;
      for (const auto& f : left_out)
        names += (names.empty() ? "" : " ") + f.name + ": " + ctx.tr(f.why);
      return hub_page(ctx, names, 422);
    }
    std::vector<domain::ScanFile> scans;
    for (const auto& f : files) {
      domain::record_blob(ctx.db, ctx.clock, f.sha256, f.size);
      scans.push_back(domain::ScanFile{f.sha256, f.filename});
    }
    auto id = domain::create_batch(ctx.db, ctx.clock, ctx.me().id, scans, left_out);
    if (ctx.settings && ctx.settings->wake_paper) ctx.settings->wake_paper();
    return http::Response::redirect("/paper/scans/" + std::to_string(id));
  });

  app.route("GET", "/paper/scans/{id}", kStaff, [](Ctx& ctx) {
    auto b = domain::find_batch(ctx.db, ctx.req.id("id"));
    if (!b) throw http::NotFound();
    if (!domain::can_read(ctx.db, ctx.me(), *b)) throw http::Forbidden();
    mstch::array pages;
    for (const auto& p : domain::batch_pages(ctx.db, b->id))
      pages.push_back(mstch::map{{"spid", std::to_string(p.id)},
                                 {"source", p.source},
                                 {"status", ctx.tr(page_status(p.status))},
                                 {"filed", p.status == "filed"},
                                 {"known", p.packet_id.has_value()},
                                 {"review", p.status == "review"},
                                 {"who", p.student_name},
                                 {"what", p.assignment_title},
                                 {"page", p.page ? std::to_string(*p.page) : std::string()},
                                 {"reason", p.reason.empty() ? std::string() : ctx.tr(p.reason)}});
    bool working = b->status == "queued" || b->status == "reading";
    mstch::map data{{"id", std::to_string(b->id)},
                    {"working", working},
                    {"failed", b->status == "failed"},
                    {"problem", problem(ctx, b->error, b->attempts)},
                    {"pages_total", std::to_string(b->pages)},
                    {"done", std::to_string(b->done)},
                    {"filed", std::to_string(b->filed)},
                    {"review", std::to_string(b->review)},
                    {"duplicates", std::to_string(b->duplicates)},
                    {"pages", pages}};
    mstch::array left_out;
    for (const auto& [name, why] : b->left_out)
      left_out.push_back(mstch::map{{"name", name}, {"why", ctx.tr(why)}});
    data["left_out"] = left_out;
    data["some_left_out"] = !left_out.empty();
    if (working) data["refresh"] = std::string(kRefreshSeconds);
    return page(ctx, "paper_scan", std::move(data), "Scanned pages");
  });

  app.route("GET", "/paper/pages/{id}/image.jpg", kStaff, [](Ctx& ctx) {
    auto p = domain::find_scan_page(ctx.db, ctx.req.id("id"));
    if (!p || !ctx.blobs->has(p->image_sha)) throw http::NotFound();
    // A page filed to a student is that student's work; one nobody could identify is for its
    // reviewers.
    if (!domain::can_read(ctx.db, ctx.me(), *p, ctx.clock.now())) throw http::Forbidden();
    // A page that could not be read keeps the uploaded file itself: offered as a download.
    std::string path = ctx.blobs->path_of(p->image_sha);
    char head[3] = {0, 0, 0};
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      if (std::fread(head, 1, 3, f) != 3) head[0] = 0;
      std::fclose(f);
    }
    bool jpeg = head[0] == '\xFF' && head[1] == '\xD8' && head[2] == '\xFF';
    return http::Response::file(path, jpeg ? "image/jpeg" : "application/octet-stream",
                                "page-" + std::to_string(p->id) + (jpeg ? ".jpg" : ""), jpeg);
  });

  app.route("GET", "/paper/review", kStaff, [](Ctx& ctx) { return review_page(ctx, "", 200); });

  app.route("POST", "/paper/review/{id}/file", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    auto packet = parse_id(f.value("packet_id"));
    auto page_no = parse_id(f.value("page"));
    load_review_page(ctx, ctx.req.id("id"));
    if (!packet || !page_no || *page_no > 999)
      return review_page(ctx, ctx.tr("Choose the packet and write the page number."), 422);
    load_packet(ctx, *packet);  // may this user file into it?
    if (auto err = domain::file_by_hand(ctx.db, ctx.clock, ctx.req.id("id"), *packet,
                                        static_cast<int>(*page_no), ctx.me().id))
      return review_page(ctx, ctx.tr(*err), 422);
    return http::Response::redirect("/paper/review");
  });

  app.route("POST", "/paper/review/{id}/discard", kStaff, [](Ctx& ctx) {
    load_review_page(ctx, ctx.req.id("id"));
    domain::discard_page(ctx.db, ctx.req.id("id"));
    return http::Response::redirect("/paper/review");
  });

  app.route("GET", "/admin/printer", kAdmin, [](Ctx& ctx) {
    mstch::array list;
    std::string chosen = domain::chosen_printer(ctx.db);
    auto queues = printers(ctx);
    for (const auto& p : queues.value_or(std::vector<printer::Printer>{}))
      list.push_back(mstch::map{{"name", p.name},
                                {"info", p.info},
                                {"location", p.location},
                                {"is_default", p.is_default},
                                {"selected", p.name == chosen}});
    mstch::map data{{"printers", list}, {"has_printers", !list.empty()}, {"chosen", chosen}};
    if (!queues) data["error"] = ctx.tr(kNoHelper);
    return page(ctx, "admin_printer", std::move(data), "Printer");
  });

  app.route("POST", "/admin/printer", kAdmin, [](Ctx& ctx) {
    std::string name = ctx.req.form().value("printer");
    if (!name.empty() && !known_printer(ctx, name))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::choose_printer(ctx.db, name);
    return http::Response::redirect("/admin/printer");
  });

  // Login cards for a class, from its page: new PINs for the whole class or for the students
  // ticked, printed with a code to the sign-in page at the box's own address (the configured
  // portal host: never the Host a visitor's browser sent). The admin and the class teacher.
  app.route("POST", "/classes/{id}/login-cards", kStaff, [&app](Ctx& ctx) {
    auto k = domain::find_class(ctx.db, ctx.req.id("id"));
    if (!k) throw http::NotFound();
    if (!domain::can_manage_class(ctx.db, ctx.me(), k->id)) throw http::Forbidden();
    std::string back = "/classes/" + std::to_string(k->id) + "#cards";
    bool all = ctx.req.form().value("who") == "all";
    std::set<std::int64_t> chosen;
    for (const auto& v : ctx.req.form().all("student")) {
      auto id = parse_id(v);
      if (!id) throw http::BadRequest("The form refers to something that does not exist.");
      chosen.insert(*id);
    }
    std::vector<domain::Student> students;
    for (auto& s : domain::list_students(ctx.db, k->id))
      if (all || chosen.count(s.user.id)) students.push_back(std::move(s));
    if (!all && students.size() != chosen.size())
      throw http::BadRequest("The form refers to something that does not exist.");
    if (students.empty())  // nobody ticked: offer the whole class, with the same warning
      return confirm_page(ctx,
                          ctx.tr(domain::Message{
                              "No student was ticked. Make new cards for the whole class {class}? "
                              "All their old PINs stop working at once.",
                              {{"class", k->name}}}),
                          ctx.tr("Cards for the whole class"), back, {{"who", "all"}});
    if (!confirmed(ctx))
      return confirm_page(
          ctx,
          ctx.tr(domain::Message{"Make new PINs for {count} students of {class}? Their old PINs "
                                 "stop working at once.",
                                 {{"count", std::to_string(students.size())}, {"class", k->name}}}),
          ctx.tr("Make the cards"), back);
    std::string host = ctx.settings ? ctx.settings->portal_host : "";
    if (host.empty()) host = kDefaultPortalHost;
    printer::Job job;
    job.kind = printer::JobKind::cards;
    storage::Transaction tx(ctx.db);
    for (const auto& s : students) {
      std::string pin = domain::reset_secret(ctx.db, s.user.id, domain::SecretKind::pin);
      app.limiter().forgive_account(s.user.login);
      job.cards.push_back(printer::LoginCard{s.user.last_name + " " + s.user.first_name, k->name,
                                             s.user.login, pin,
                                             "http://" + host + "/login?login=" + s.user.login});
    }
    auto school = domain::school_info(ctx.db);
    job.school = school.name;
    job.wifi = school.wifi_name;
    // The PINs are in this file: it is sent and removed with its folder, never kept as a blob.
    printer::JobFolder dir(ctx.blobs->tmp_dir());
    job.out = dir.path();
    auto made = ask(ctx, job);
    auto path =
        made && made->ok() && !made->files.empty() ? dir.output(made->files[0].name) : std::nullopt;
    if (!path) throw http::HttpError(503, kNoHelper);
    tx.commit();  // the new PINs count only once their cards exist
    std::ostringstream bytes;
    bytes << std::ifstream(*path, std::ios::binary).rdbuf();
    http::Response r = http::Response::text(bytes.str());
    r.content_type = "application/pdf";
    r.header("Content-Disposition", "attachment; filename=\"login-cards.pdf\"; filename*=UTF-8''" +
                                        http::url_encode("карточки " + k->name + ".pdf"));
    r.header("Cache-Control", "no-store");
    return r;
  });
}

}  // namespace parta::web
