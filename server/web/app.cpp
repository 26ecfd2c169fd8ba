#include "web/app.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "app/log.hpp"
#include "domain/announcements.hpp"
#include "domain/conversations.hpp"
#include "domain/coursework.hpp"
#include "domain/days.hpp"
#include "domain/frame.hpp"
#include "domain/hash_slots.hpp"
#include "domain/school.hpp"
#include "web/static_assets.hpp"
#include "web/templates.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

unsigned role_bit(domain::Role r) {
  switch (r) {
    case domain::Role::admin:
      return kAdmin;
    case domain::Role::teacher:
      return kTeacher;
    case domain::Role::student:
      return kStudent;
    case domain::Role::parent:
      return kParent;
  }
  return 0;
}

Lang request_lang(const http::Request& req) {
  if (auto c = req.cookie(kLangCookie)) return parse_lang(*c);
  return Lang::ru;  // Russian first, whatever the phone's browser asks for
}

namespace {

bool same_token(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_api(const std::string& path) { return path.rfind("/api/", 0) == 0; }

bool is_multipart(const http::Request& req) {
  return req.header("content-type").rfind("multipart/form-data", 0) == 0;
}

// Anyone on the Wi-Fi may post to a public route: only a small URL-encoded form, refused before a
// byte of anything else is read (a multipart body used to stream 200 MB to tmp/ first).
void refuse_public_body(const http::Request& req) {
  if (is_multipart(req)) throw http::UnsupportedMediaType();
  std::string length = req.header("content-length");  // none: chunked, bounded as it is read
  if (length.empty()) return;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
  if (ec != std::errc() || end != length.data() + length.size() || n > req.max_form)
    throw http::PayloadTooLarge();
}

// Fills ctx.user / ctx.csrf from the bearer token or the session cookie.
void authenticate(Ctx& ctx) {
  const std::string auth = ctx.req.header("authorization");
  if (is_api(ctx.req.path) && auth.rfind("Bearer ", 0) == 0) {
    if (auto uid = domain::find_api_token(ctx.db, auth.substr(7))) {
      ctx.user = domain::find_user(ctx.db, *uid);
      ctx.via_token = ctx.user.has_value();
    }
    if (!ctx.user) throw http::HttpError(401, "The API token is not valid.");
    return;
  }
  if (auto token = ctx.req.cookie(kSessionCookie)) {
    if (auto s = domain::find_session(ctx.db, ctx.clock, *token)) {
      ctx.user = domain::find_user(ctx.db, s->user_id);
      ctx.csrf = s->csrf;
    }
  }
  if (!ctx.user) ctx.csrf = ctx.req.cookie(kAnonCsrfCookie).value_or("");
}

}  // namespace

App::App(storage::Database& db, const domain::Clock& clock, content::BlobStore* blobs)
    : db_(db), clock_(clock), blobs_(blobs), limiter_(clock) {
  auto lease = db_.acquire();
  device_key_ = domain::load_device_key(*lease);
}

std::string device_cookie_name(const std::string& login) { return "parta_dev_" + login; }

void App::route(const std::string& method, const std::string& pattern, unsigned access, View view) {
  routes_.push_back({method, pattern, access});
  router_.add(method, pattern, [this, method, pattern, access, view](http::Request& req) {
    std::optional<storage::Database::Lease> lease(db_.acquire());
    const std::uint64_t statements = (*lease)->statements(), steps = (*lease)->steps();
    std::uint64_t statements_done = 0, steps_done = 0;  // counted when the view gives it back
    Ctx ctx{req, **lease, clock_, request_lang(req), std::nullopt, "", false, blobs_, &settings};
    ctx.risk = &risk_;
    // A hub on PostgreSQL has other processes writing: no page is kept past its request.
    ctx.pages = db_.postgres() ? nullptr : &pages_;
    ctx.release_db = [&] {
      if (!lease) return;
      statements_done = (*lease)->statements() - statements;
      steps_done = (*lease)->steps() - steps;
      lease.reset();
    };
    auto respond = [&](http::Response r) {
      if (settings.count_statements) {
        if (lease) {
          statements_done = (*lease)->statements() - statements;
          steps_done = (*lease)->steps() - steps;
        }
        r.header("X-Parta-Statements", std::to_string(statements_done));
        r.header("X-Parta-Steps", std::to_string(steps_done));
      }
      return r;
    };
    if (access == kDevice) return respond(view(ctx));
    if (access == kPublic && method == "POST") refuse_public_body(req);
    authenticate(ctx);
    // Opening the portal counts for monitoring (once per user per day).
    if (ctx.user && !ctx.via_token) {
      std::int64_t now = clock_.now();
      visits_.note(**lease, ctx.user->id, domain::local_day(now), now);
    }
    if (access != kPublic) {
      if (!ctx.user) {
        if (is_api(req.path)) throw http::Unauthorized();
        return respond(http::Response::redirect("/login?next=" + http::url_encode(req.path)));
      }
      if (!(access & role_bit(ctx.user->role))) throw http::Forbidden();
    }
    if (method == "POST" && !ctx.via_token) {
      std::string sent = req.header("x-csrf-token");
      if (sent.empty()) {
        // The check below holds ctx: it must not outlive this call, whatever form() throws.
        struct Unhook {
          http::Request& r;
          ~Unhook() { r.upload_limits.csrf_first = nullptr; }
        } unhook{req};
        if (is_multipart(req)) {
          // The token is the first field of every form: a forged upload is refused before any
          // of its files reaches the disk.
          req.upload_limits.csrf_first = [&ctx](std::string_view v) {
            return same_token(std::string(v), ctx.csrf);
          };
          // A student's uploads are hand-ins: they stop where the student's quota is full.
          if (ctx.user && ctx.user->role == domain::Role::student) {
            std::uint64_t used = domain::hand_in_bytes(ctx.db, ctx.user->id);
            std::uint64_t quota = settings.hand_in_quota;
            req.upload_limits.max_files = used < quota ? quota - used : 0;
          }
        }
        sent = req.form().value("csrf");
      }
      if (!same_token(sent, ctx.csrf))
        throw http::HttpError(403,
                              "This form has expired. Go back, reload the page and try again.");
    }
    const std::int64_t writes = ctx.db.total_changes();
    http::Response resp;
    try {
      resp = view(ctx);
    } catch (const domain::HashBusy&) {
      throw http::ServiceUnavailable(kBusyMsgid);
    }
    // No GET changes state (a prefetching browser or a link in a message would change it).
    if (method == "GET" && lease && ctx.db.total_changes() - writes > ctx.seen_writes)
      log::error("GET " + pattern + " changed the database (" + req.path + ")");
    return respond(std::move(resp));
  });
}

http::Response App::handle(http::Request& req) {
  try {
    return router_.dispatch(req);
  } catch (const storage::DbError& e) {
    // A write that waited out the busy timeout (a long import) or a full card: say so plainly.
    if (e.is_busy()) throw http::ServiceUnavailable();
    if (e.is_full()) throw http::InsufficientStorage();
    throw;
  }
}

void note_seen(Ctx& ctx, const std::function<void()>& write) {
  const std::int64_t before = ctx.db.total_changes();
  try {
    write();
  } catch (const storage::DbError& e) {
    log::warning(std::string("a seen mark was not saved: ") + e.what());
  }
  ctx.seen_writes += ctx.db.total_changes() - before;
}

http::Response App::render_error(const http::Request& req, int status, const std::string& msgid) {
  Lang lang = request_lang(req);
  std::string text = Catalogue::instance().tr(lang, msgid);
  if (is_api(req.path)) {
    nlohmann::json j = {{"error", text}, {"status", status}};
    return http::Response::json(j.dump(), status);
  }
  auto lease = db_.acquire();
  Ctx ctx{req, *lease, clock_, lang, std::nullopt, "", false};
  try {
    authenticate(ctx);
  } catch (const std::exception&) {
    // An error page for a bad token still renders, as an anonymous page.
  }
  // A refused upload says how much may be sent and what to do with a larger pile.
  if (status == 413 && msgid == "The file or form is too large.")
    text = Catalogue::instance().format(
        lang, domain::Message{"The file or form is too large: at most {limit} can be sent at "
                              "once. Send a larger pile of scans or photos in several parts, or "
                              "make the photos smaller.",
                              {{"limit", format_size(lang, settings.max_upload)}}});
  mstch::map data{{"status", std::to_string(status)}, {"message", text}};
  if (status == 401 || status == 403) data["signin"] = !ctx.user.has_value();
  const char* title = status == 404 ? "Page not found" : status >= 500 ? "Server error" : "Error";
  auto resp = page(ctx, "error", std::move(data), title, status);
  return resp;
}

namespace {
std::string unread_badge(int n) {
  return n == 0 ? std::string() : n > 99 ? std::string("99+") : std::to_string(n);
}
}  // namespace

mstch::map base_context(Ctx& ctx) {
  Lang lang = ctx.lang;
  mstch::map m;
  m["lang"] = std::string(lang_code(lang));
  m["other_lang"] = std::string(lang == Lang::ru ? "en" : "ru");
  m["other_lang_label"] = std::string(lang == Lang::ru ? "English" : "Русский");
  m["here"] = http::url_encode(ctx.req.path);
  m["csrf"] = ctx.csrf;
  m["css"] = StaticAssets::instance().url("app.css");
  auto frame = domain::page_frame(ctx.db, ctx.user ? &*ctx.user : nullptr,
                                  domain::local_day(ctx.clock.now()));
  m["school"] = mstch::map{
      {"name", frame.school_name},
      {"short_name", frame.school_short_name.empty() ? frame.school_name : frame.school_short_name},
      {"hotline", frame.hotline},
      {"hotline_tel", tel_href(frame.hotline)}};
  if (ctx.user) {
    const auto& u = *ctx.user;
    mstch::array nav;
    auto item = [&](const char* href, const char* label) {
      nav.push_back(mstch::map{{"href", std::string(href)}, {"label", ctx.tr(label)}});
    };
    if (ctx.settings && ctx.settings->sync && ctx.settings->sync->role == sync::Role::district) {
      // The district hub: its schools, and the reports across them.
      item("/district", "District hub");
      item("/district/reports", "Reports");
      m["has_nav"] = true;
      m["nav"] = nav;
      m["me"] = mstch::map{{"name", u.short_name()}, {"login", u.login}};
      return m;
    }
    const bool teacher = u.role == domain::Role::teacher;
    item("/", "Home");
    // A teacher's menu fits two lines of a 360 px phone: the daily sections, the others listed
    // on the start page ("More"), as the admin's are.
    if (teacher) item("/assignments", "Assignments");
    if (!teacher) item("/announcements", "Announcements");
    nav.push_back(mstch::map{{"href", std::string("/messages")},
                             {"label", ctx.tr("Messages")},
                             {"badge", unread_badge(frame.unread)}});
    if (u.role != domain::Role::admin) item("/schedule", "Schedule");
    if (teacher) {
      item("/announcements", "Announcements");
      item("/#more", "More");
    } else {
      item("/calendar", "Calendar");
      item("/surveys", "Surveys");
      if (u.role == domain::Role::admin) item("/monitoring", "Monitoring");
      if (u.role == domain::Role::admin) item("/paper", "Paper");
      item("/library", "Library");
    }
    if (u.role == domain::Role::student) {
      nav.push_back(mstch::map{{"href", "/students/" + std::to_string(u.id) + "/assignments"},
                               {"label", ctx.tr("Assignments")}});
      nav.push_back(mstch::map{{"href", "/students/" + std::to_string(u.id) + "/diary"},
                               {"label", ctx.tr("Diary")}});
    }
    // The admin's other sections are listed on the admin's start page: a phone's menu stays short.
    if (u.role == domain::Role::admin) item("/admin/schedule", "Schedule");
    m["has_nav"] = !nav.empty();
    if (frame.distance) m["distance_banner"] = true;
    if (ctx.settings && ctx.settings->box_clock && !ctx.settings->box_clock->certain() &&
        (u.role == domain::Role::admin || u.role == domain::Role::teacher))
      m["clock_banner"] = mstch::map{{"admin", u.role == domain::Role::admin}};
    m["nav"] = nav;
    m["me"] = mstch::map{{"name", u.short_name()}, {"login", u.login}};
  }
  return m;
}

namespace {

// The page's body: its template with its data and the frame's fields. mstch copies the context
// it is given (and each list item as it renders it): the page's data, which may list a whole
// school, is handed over once, moved into its node.
std::string render_body(Ctx& ctx, const std::string& name, mstch::map data, mstch::map& frame) {
  for (const auto& [k, v] : frame) data.emplace(k, v);
  if (auto r = data.find("refresh"); r != data.end()) frame["refresh"] = r->second;
  const mstch::node page_data(std::move(data));
  return Templates::instance().render(ctx.lang, name, page_data);
}

// The layout gets only the frame around the body (the frame, the title, the page's refresh and
// the rendered body).
http::Response in_layout(Ctx& ctx, mstch::map frame, std::string body, int status) {
  frame["body"] = std::move(body);
  const mstch::node layout(std::move(frame));
  return http::Response::html(Templates::instance().render(ctx.lang, "layout", layout), status);
}

}  // namespace

http::Response page(Ctx& ctx, const std::string& name, mstch::map data,
                    const std::string& title_msgid, int status) {
  mstch::map frame = base_context(ctx);
  frame["page_title"] = ctx.tr(title_msgid);
  std::string body = render_body(ctx, name, std::move(data), frame);
  return in_layout(ctx, std::move(frame), std::move(body), status);
}

http::Response cached_page(Ctx& ctx, const std::string& name, const PageBuilder& build,
                           const std::string& title_msgid) {
  mstch::map frame = base_context(ctx);
  frame["page_title"] = ctx.tr(title_msgid);
  // Read before the data: a body built from what was read after is at least this new.
  const std::uint64_t generation = ctx.db.content_generation();
  const std::int64_t now = ctx.clock.now();
  const std::string key = name + '\n' + std::to_string(ctx.user ? ctx.user->id : 0) + '\n' +
                          std::string(lang_code(ctx.lang)) + '\n' + ctx.csrf;
  if (ctx.pages)
    if (auto body = ctx.pages->find(key, generation, now))
      return in_layout(ctx, std::move(frame), std::move(*body), 200);
  std::int64_t valid_through = now + 60;
  mstch::map data = build(valid_through);
  valid_through = std::min(valid_through, now + 60);
  std::string body = render_body(ctx, name, std::move(data), frame);
  if (ctx.pages) ctx.pages->store(key, generation, valid_through, body);
  return in_layout(ctx, std::move(frame), std::move(body), 200);
}

}  // namespace parta::web
