#pragma once
// The web application: resolves the session and language, checks the route's roles and the CSRF
// token centrally (so no handler can forget), then calls the view. Views never see CivetWeb.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mstch/mstch.hpp>

#include "content/blob_store.hpp"
#include "content/zim.hpp"
#include "domain/accounts.hpp"
#include "domain/box_clock.hpp"
#include "domain/login_limiter.hpp"
#include "domain/monitoring.hpp"
#include "domain/sign_in.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "printer/paper_job.hpp"
#include "storage/database.hpp"
#include "sync/engine.hpp"
#include "web/i18n.hpp"
#include "web/page_cache.hpp"

namespace parta::web {

// Who may use a route: a bit per role; kPublic needs no sign-in.
enum Access : unsigned {
  kPublic = 0,
  kAdmin = 1u << 0,
  kTeacher = 1u << 1,
  kStudent = 1u << 2,
  kParent = 1u << 3,
  kStaff = kAdmin | kTeacher,
  kSignedIn = kAdmin | kTeacher | kStudent | kParent,
  // Another Parta box, not a person: no session or CSRF; the view checks the box's signature.
  kDevice = 1u << 4,
};
unsigned role_bit(domain::Role r);

// Deployment settings the views need.
struct Settings {
  std::string usb_dir = "/media/parta-usb";            // where the box mounts a USB stick
  std::uint64_t disk_reserve = 500ull * 1024 * 1024;   // never fill the card past this
  std::uint64_t hand_in_quota = 300ull * 1024 * 1024;  // one student's hand-ins, files together
  std::function<void()> wake_paper;                    // new print run or scan batch queued
  // Runs a job in the parta-paper helper (CUPS, login cards); nullopt when it did not answer.
  std::function<std::optional<printer::JobResult>(const printer::Job&)> paper;
  std::string portal_host;  // where captive-portal probes send phones ("" = the Host asked)
  domain::BoxClock* box_clock = nullptr;  // the appliance's clock (null in tools and tests)
  std::string usb_status_file;            // the USB stick script's last status line
  std::string first_admin_password_file;  // `parta firstboot`'s password, shown until changed
  std::string first_admin_delivery_file;  // which USB stick got that password, and when
  std::string packs_waiting_dir;          // packs from sticks nobody trusted signed, for the admin
  std::string zim_dir;                    // the reference archives (DATA/zim)
  content::ZimShelf* zims = nullptr;      // the archives partad has open
  std::uint64_t max_upload = 200ull << 20;  // one upload (what the admin page says)
  // Long admin jobs (an archive's whole-file check) run here; unset: in the request.
  std::function<void(std::function<void()>)> background;
  storage::Database* database = nullptr;  // for those jobs (the request's connection is gone)
  int zim_wait_ms = 3000;  // how long the admin's request waits for a check before "checking…"
  sync::Node* sync = nullptr;                // this box's sync engine (null in tests without one)
  std::string district_url;                  // school: where the district hub answers
  std::function<void()> wake_sync;           // school: sync over the network now
  std::function<std::string()> sync_status;  // school: how the last network sync went
  std::uint64_t link_kbit = 0;  // school: the link's configured rate (0: not set, 256 assumed)
  // Tests and benchmarks: every response says how many SQL statements it ran
  // (X-Parta-Statements) and how much work they did (X-Parta-Steps, SQLite's virtual-machine
  // steps), so a page whose cost grows with the data fails a test.
  bool count_statements = false;
};

struct Ctx {
  const http::Request& req;
  storage::Connection& db;
  const domain::Clock& clock;
  Lang lang = Lang::ru;
  std::optional<domain::User> user;
  std::string csrf;                     // the token this user's forms carry
  bool via_token = false;               // API bearer token instead of a session cookie
  content::BlobStore* blobs = nullptr;  // where uploaded files are kept
  const Settings* settings = nullptr;
  std::int64_t seen_writes = 0;       // rows note_seen() changed: the only writes a GET may make
  domain::RiskCache* risk = nullptr;  // the at-risk figures per class, kept between views
  PageCache* pages = nullptr;         // rendered bodies of the most viewed pages
  // Gives the database connection back to the pool before a long wait that needs none (reading
  // an archive behind other readers): `db` must not be used after it.
  std::function<void()> release_db = [] {};

  std::string tr(std::string_view msgid) const { return Catalogue::instance().tr(lang, msgid); }
  std::string tr(const domain::Message& m) const { return Catalogue::instance().format(lang, m); }
  const domain::User& me() const { return *user; }
};

using View = std::function<http::Response(Ctx&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;
  unsigned access;
};

class App {
 public:
  App(storage::Database& db, const domain::Clock& clock, content::BlobStore* blobs = nullptr);

  void route(const std::string& method, const std::string& pattern, unsigned access, View view);
  const std::vector<RouteInfo>& routes() const { return routes_; }

  http::Response handle(http::Request& req);
  http::Response render_error(const http::Request& req, int status, const std::string& msgid);

  domain::LoginLimiter& limiter() { return limiter_; }
  const domain::DeviceKey& device_key() const { return device_key_; }
  Settings settings;

 private:
  storage::Database& db_;
  const domain::Clock& clock_;
  content::BlobStore* blobs_;
  domain::LoginLimiter limiter_;
  domain::DeviceKey device_key_;
  domain::VisitLog visits_;
  domain::RiskCache risk_;
  PageCache pages_;
  http::Router router_;
  std::vector<RouteInfo> routes_;
};

// Session cookie names.
inline constexpr const char* kSessionCookie = "parta_session";
inline constexpr const char* kAnonCsrfCookie = "parta_csrf";
inline constexpr const char* kLangCookie = "parta_lang";
// A device's token for one account (see domain/sign_in.hpp): "parta_dev_<login>".
std::string device_cookie_name(const std::string& login);
inline constexpr long kDeviceCookieLifetime = 400L * 24 * 3600;  // the most browsers keep
inline constexpr const char* kBusyMsgid =
    "The box is busy with other sign-ins. Try again in a few seconds.";

Lang request_lang(const http::Request& req);

// The one kind of write a page view may make besides the visit and the session touch: the viewer's
// own "seen" mark (read up to here). Best-effort: a busy database never fails the page for it.
// Any other write during a GET is logged as an error ("a GET changed the database").
void note_seen(Ctx& ctx, const std::function<void()>& write);

// Renders templates/<name>.html inside the layout. `title_msgid` is translated.
http::Response page(Ctx& ctx, const std::string& name, mstch::map data,
                    const std::string& title_msgid, int status = 200);
// page() for a body kept between views (see PageCache): build(valid_through) makes the page's
// data when the body is not kept, and sets the last second it holds for (at most a minute from
// now). The body is kept per person, session and language; it must not depend on anything but
// the database and the time, and it has no refresh.
using PageBuilder = std::function<mstch::map(std::int64_t& valid_through)>;
http::Response cached_page(Ctx& ctx, const std::string& name, const PageBuilder& build,
                           const std::string& title_msgid);
// The context every template gets: t (translate), lang, csrf, me, nav, css, school.
mstch::map base_context(Ctx& ctx);

// All route registrations, one function per area.
void register_auth_views(App& app);
void register_home_views(App& app);
void register_admin_views(App& app);
void register_api_views(App& app);
void register_coursework_views(App& app);
void register_library_views(App& app);
void register_zim_views(App& app);
// The reference archives (views_zim.cpp): their listing, hits for a search (titles, then full
// text) from every archive, and the articles attached to an assignment.
// archives, has_archives, and for a search (q) zim_hits, has_zim_hits; one listing of the
// archives for both.
void add_zim_data(Ctx& ctx, const std::string& q, int per_archive, mstch::map& data);
// Files parta-usb left for the admin in the waiting folder: packs, or archives (.zim).
std::vector<std::string> waiting_files(const Settings& s, bool archives);
mstch::array articles_data(Ctx& ctx, std::int64_t assignment_id);
void register_board_views(App& app);
void register_schedule_views(App& app);
void register_device_views(App& app);
void register_message_views(App& app);
void register_group_views(App& app);
void register_calendar_views(App& app);
void register_survey_views(App& app);
void register_monitoring_views(App& app);
void register_paper_views(App& app);
void register_captive_views(App& app);
void register_clock_views(App& app);
void register_quiz_views(App& app);
void register_sync_views(App& app);
// The district hub's pages (partad --role district), instead of the school's.
void register_district_views(App& app);
// The district's weekly reports across schools (called by register_district_views).
void register_report_views(App& app);
// The latest announcements for the signed-in user (start pages).
mstch::map board_data(Ctx& ctx, std::size_t limit);
// Open surveys the signed-in student or parent has not answered yet (start pages).
mstch::array surveys_waiting(Ctx& ctx);
void register_static_views(App& app);
inline void register_all_views(App& app) {
  register_static_views(app);
  register_auth_views(app);
  register_home_views(app);
  register_admin_views(app);
  register_coursework_views(app);
  register_quiz_views(app);
  register_library_views(app);
  register_zim_views(app);
  register_board_views(app);
  register_schedule_views(app);
  register_device_views(app);
  register_message_views(app);
  register_group_views(app);
  register_calendar_views(app);
  register_survey_views(app);
  register_monitoring_views(app);
  register_paper_views(app);
  register_captive_views(app);
  register_clock_views(app);
  register_sync_views(app);
  register_api_views(app);
}

}  // namespace parta::web
