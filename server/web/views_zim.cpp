// The reference library: ZIM archives (Wikipedia, Wiktionary, …) read on the box. The admin adds
// them from an upload or a USB stick and removes them; everyone signed in reads and searches
// them; a teacher attaches an article to an assignment, which the student reads in the portal
// and a paper-track student gets printed in the packet.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "app/log.hpp"
#include "content/durable.hpp"
#include "content/html_scan.hpp"
#include "content/utf8.hpp"
#include "domain/library.hpp"
#include "domain/zim_library.hpp"
#include "http/form.hpp"
#include "web/app.hpp"
#include "web/templates.hpp"
#include "web/time_format.hpp"

namespace parta::web {

namespace {

using domain::Role;

// Archive pages run no script at all (the archive's own or injected), keep their inline styles,
// and load only from the box.
constexpr const char* kArchiveCsp =
    "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; font-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'";
constexpr std::uint64_t kMaxWhole = 64ull << 20;  // an entry sent whole (larger: by ranges)
constexpr std::uint64_t kMaxRange = 4ull << 20;   // one range answer at most
constexpr std::uint64_t kMaxRewrite = 16ull << 20;

std::string archive_url(std::int64_t id, const std::string& path) {
  return "/zim/" + std::to_string(id) + "/" + http::url_encode(path);
}

struct Opened {
  domain::ZimRow row;
  std::shared_ptr<const content::ZimArchive> archive;
};

Opened open_archive(Ctx& ctx, std::int64_t id) {
  auto row = domain::find_zim(ctx.db, id);
  if (!row || !ctx.settings->zims) throw http::NotFound();
  try {
    return {*row, ctx.settings->zims->get(id, domain::zim_file(ctx.settings->zim_dir, row->uuid))};
  } catch (const std::exception&) {
    throw http::NotFound();
  }
}

// An archive's Language metadata (ISO 639-3 codes, comma-separated) in words.
std::string language_names(Ctx& ctx, const std::string& codes) {
  static const std::map<std::string, const char*> kNames = {
      {"rus", "Russian"},    {"eng", "English language"}, {"deu", "German"},
      {"fra", "French"},     {"spa", "Spanish"},          {"ukr", "Ukrainian"},
      {"bel", "Belarusian"}, {"kaz", "Kazakh"},           {"tat", "Tatar"},
      {"bak", "Bashkir"},    {"chv", "Chuvash"},          {"sah", "Yakut"},
      {"kom", "Komi"},       {"udm", "Udmurt"},           {"che", "Chechen"},
      {"oss", "Ossetian"},   {"mul", "Several languages"}};
  std::string out;
  std::size_t pos = 0;
  while (pos <= codes.size()) {
    std::size_t end = codes.find(',', pos);
    if (end == std::string::npos) end = codes.size();
    std::string code = codes.substr(pos, end - pos);
    pos = end + 1;
    if (code.empty()) continue;
    auto it = kNames.find(code);
    if (!out.empty()) out += ", ";
    out += it == kNames.end() ? code : ctx.tr(it->second);
  }
  return out;
}

mstch::map archive_data(Ctx& ctx, const domain::ZimRow& z) {
  return mstch::map{{"id", std::to_string(z.id)},
                    {"title", z.title},
                    {"language", language_names(ctx, z.language)},
                    {"date", z.date},
                    {"description", z.description},
                    {"size", format_size(ctx.lang, z.size)},
                    {"articles", std::to_string(z.articles)},
                    {"fulltext", z.fulltext},
                    {"url", "/library/zim/" + std::to_string(z.id)}};
}

// Titles first (the suggestions), then full-text hits not already listed.
mstch::array hits_data(const Opened& o, const std::string& q, int max) {
  mstch::array out;
  std::set<std::string> seen;
  auto add = [&](const content::ZimArchive::Hit& h) {
    if (static_cast<int>(out.size()) >= max || !seen.insert(h.path).second) return;
    out.push_back(mstch::map{{"url", archive_url(o.row.id, h.path)},
                             {"title", h.title.empty() ? h.path : h.title},
                             {"snippet", h.snippet},
                             {"archive", o.row.title}});
  };
  for (const auto& h : o.archive->suggest(q, max)) add(h);
  for (const auto& h : o.archive->search(q, max - static_cast<int>(out.size()), seen)) add(h);
  return out;
}

// What goes on top of every archive page: the way back, search, and for a teacher "attach".
std::string article_bar(Ctx& ctx, const domain::ZimRow& z, const std::string& path) {
  std::string id = std::to_string(z.id);
  // Every target a thumb's size (44 px), as on the portal's own pages.
  const std::string tap = " style=\"display:inline-block;min-height:44px;line-height:44px\"";
  std::string bar =
      "<div style=\"font:16px/1.4 sans-serif;background:#eef2f7;border-bottom:1px solid #ccd;"
      "padding:0 8px 6px;margin:0 0 8px\"><a href=\"/library\"" +
      tap + ">← " + html_escape(ctx.tr("Library")) + "</a> · <a href=\"/library/zim/" + id + "\"" +
      tap + ">" + html_escape(z.title) + "</a>";
  if (ctx.me().role == Role::teacher)
    bar += " · <a href=\"/library/zim/" + id + "/attach?path=" + http::url_encode(path) + "\"" +
           tap + ">" + html_escape(ctx.tr("Attach to an assignment")) + "</a>";
  bar += "<form method=\"get\" action=\"/library/zim/" + id +
         "\" style=\"margin:0\"><input name=\"q\" maxlength=\"200\" placeholder=\"" +
         html_escape(ctx.tr("Search in this archive")) +
         "\" style=\"width:60%;height:44px;box-sizing:border-box\"> <button "
         "style=\"height:44px;min-width:44px\">" +
         html_escape(ctx.tr("Find")) + "</button></form></div>";
  return bar;
}

// Archive pages as they were last sent, rewritten and gzipped, by archive, entry, language and
// whether the reader may attach (the bar differs): a class reading the same articles costs one
// decompression of each, not one per phone. Bounded in bytes; the oldest goes first.
class ArticleCache {
 public:
  std::optional<std::string> get(const std::string& key) {
    std::lock_guard lock(m_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    order_.splice(order_.begin(), order_, it->second.second);
    return it->second.first;
  }
  void put(const std::string& key, std::string gz) {
    if (gz.size() > kMax / 16) return;
    std::lock_guard lock(m_);
    if (map_.count(key)) return;
    bytes_ += gz.size() + key.size();
    order_.push_front(key);
    map_.emplace(key, std::make_pair(std::move(gz), order_.begin()));
    while (bytes_ > kMax && !order_.empty()) {
      auto old = map_.find(order_.back());
      bytes_ -= old->second.first.size() + old->first.size();
      map_.erase(old);
      order_.pop_back();
    }
  }

 private:
  static constexpr std::size_t kMax = 2u << 20;  // a class reads a few dozen pages: ~600 of them
  std::mutex m_;
  std::list<std::string> order_;
  std::unordered_map<std::string, std::pair<std::string, std::list<std::string>::iterator>> map_;
  std::size_t bytes_ = 0;
};
ArticleCache& article_cache() {
  static ArticleCache c;
  return c;
}

constexpr const char* kHeadExtra =
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<style>img,video{max-width:100%;height:auto}table{display:block;overflow-x:auto}"
    "body{overflow-wrap:break-word}li>a,td>a,th>a{display:inline-block;min-height:44px;"
    "padding-top:11px;box-sizing:border-box}</style>";

http::Response entry_response(Ctx& ctx, const Opened& o, const content::ZimEntry& e) {
  // An archive never changes under its uuid: its pictures and styles are cached like the
  // library's files. A page carries the bar, which differs by language and by whether the reader
  // may attach: its ETag says which, and the phone asks again each time (a family phone passed
  // from the teacher to the child gets the child's page, as a 304 when it has it).
  bool html = e.mime.rfind("text/html", 0) == 0;
  bool attach = ctx.me().role == Role::teacher;
  const char* variant = !html    ? ""
                        : attach ? (ctx.lang == Lang::ru ? "-tr" : "-te")
                                 : (ctx.lang == Lang::ru ? "-r" : "-e");
  char etag[72];
  std::snprintf(etag, sizeof etag, "\"z%.12s-%u%s\"", o.row.uuid.c_str(), e.index, variant);
  std::string inm = ctx.req.header("if-none-match");
  http::Response r;
  r.header("ETag", etag);
  r.header("Cache-Control", html ? "private, no-cache" : "private, max-age=86400");
  r.csp = kArchiveCsp;
  if (!inm.empty() && inm.find(etag) != std::string::npos) {
    r.status = 304;
    return r;
  }
  r.content_type = e.mime.empty() ? "application/octet-stream" : e.mime;
  if (e.mime.rfind("text/", 0) == 0 && e.mime.find("charset") == std::string::npos)
    r.content_type += "; charset=utf-8";
  // What follows reads the archive, behind other readers (one at a time per two cores): no
  // database connection is held meanwhile (30 phones reading would hold the pool's twelve, each
  // with its own copy of the schema, and a teacher's page would wait for one).
  ctx.release_db();
  std::string range = ctx.req.header("range");
  if (!html && !range.empty() &&
      (ctx.req.header("if-range").empty() || ctx.req.header("if-range") == etag)) {
    bool unsatisfiable = false;
    const std::uint64_t size = o.archive->size(e);
    auto br = http::parse_range(range, size, &unsatisfiable);
    if (unsatisfiable) {
      r.status = 416;
      r.header("Content-Range", "bytes */" + std::to_string(size));
      return r;
    }
    if (br) {
      std::uint64_t last = std::min(br->last, br->first + kMaxRange - 1);
      r.status = 206;
      r.body = o.archive->read(e, br->first, last - br->first + 1);
      r.compress = false;
      r.header("Accept-Ranges", "bytes");
      r.header("Content-Range", "bytes " + std::to_string(br->first) + "-" + std::to_string(last) +
                                    "/" + std::to_string(size));
      return r;
    }
  }
  if (!html) r.header("Accept-Ranges", "bytes");
  std::string key;
  if (html && ctx.req.accepts_gzip()) {
    // By uuid, not id: an id can come back for another archive after a removal.
    key = o.row.uuid + ":" + std::to_string(e.index) + ":" + (ctx.lang == Lang::ru ? "ru" : "en") +
          (ctx.me().role == Role::teacher ? ":t" : "");
    if (auto gz = article_cache().get(key)) {
      r.body = std::move(*gz);
      r.header("Content-Encoding", "gzip");
      r.header("Vary", "Accept-Encoding");
      return r;
    }
  }
  auto whole = o.archive->read_whole(e, kMaxWhole);
  if (!whole) throw http::PayloadTooLarge();
  r.body = std::move(*whole);
  if (html && r.body.size() <= kMaxRewrite)
    r.body = content::rewrite_article(r.body, "/zim/" + std::to_string(o.row.id) + "/", kHeadExtra,
                                      article_bar(ctx, o.row, e.path));
  if (!key.empty()) {
    r.body = http::gzip(r.body);
    r.header("Content-Encoding", "gzip");
    r.header("Vary", "Accept-Encoding");
    article_cache().put(key, r.body);
  }
  return r;
}

// ---- admin ----

std::vector<std::string> waiting_zims(const Settings& s) { return waiting_files(s, true); }

// The checks the admin started (a Wikipedia takes minutes to read whole): a check runs in the
// background; the request waits a moment (zim_wait_ms) and answers with the result when it is
// that quick, else with "checking…" on a page that refreshes itself until it is done. A result
// not shown yet stays on the archives page for ten minutes.
struct Check {
  std::string name, path;
  bool done = false;
  domain::ZimAdd result;
  std::int64_t ended = 0;
};

class Checks {
 public:
  std::shared_ptr<Check> start(const std::string& name, const std::string& path) {
    std::lock_guard lock(m_);
    auto c = std::make_shared<Check>();
    c->name = name;
    c->path = path;
    list_.push_back(c);
    return c;
  }
  void finish(const std::shared_ptr<Check>& c, domain::ZimAdd r, std::int64_t now) {
    {
      std::lock_guard lock(m_);
      c->result = std::move(r);
      c->done = true;
      c->ended = now;
    }
    cv_.notify_all();
  }
  // True when the check ended within `ms`; its result is then the caller's to show.
  bool wait(const std::shared_ptr<Check>& c, int ms) {
    std::unique_lock lock(m_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return c->done; });
    if (!c->done) return false;
    list_.remove(c);
    return true;
  }
  bool busy(const std::string& path) {
    std::lock_guard lock(m_);
    for (const auto& c : list_)
      if (!c->done && c->path == path) return true;
    return false;
  }
  std::vector<Check> recent(std::int64_t now) {
    std::lock_guard lock(m_);
    list_.remove_if([&](const auto& c) { return c->done && now - c->ended > 600; });
    std::vector<Check> out;
    for (const auto& c : list_) out.push_back(*c);
    return out;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::list<std::shared_ptr<Check>> list_;
};
Checks& checks() {
  static Checks c;
  return c;
}

std::string outcome(Ctx& ctx, const domain::ZimAdd& r) {
  if (r.problem)
    return ctx.tr(
        domain::Message{"The archive was not added: {why}", {{"why", ctx.tr(*r.problem)}}});
  if (r.unchanged)
    return ctx.tr(domain::Message{"«{title}» is in the library already.", {{"title", r.title}}});
  return ctx.tr(
      domain::Message{"«{title}» was checked and added to the library.", {{"title", r.title}}});
}

http::Response admin_page(Ctx& ctx, const std::string& error, const std::string& notice,
                          int status = 200) {
  mstch::array list, usb, running;
  for (const auto& z : domain::list_zims(ctx.db)) {
    mstch::map m = archive_data(ctx, z);
    m["when"] = format_datetime(z.added_at);
    list.push_back(m);
  }
  for (const auto& f : waiting_zims(*ctx.settings))
    if (!checks().busy(ctx.settings->packs_waiting_dir + "/" + f))
      usb.push_back(mstch::map{{"name", f}});
  bool checking = false;
  for (const auto& c : checks().recent(ctx.clock.now())) {
    checking = checking || !c.done;
    running.push_back(mstch::map{{"name", c.name},
                                 {"done", c.done},
                                 {"refused", c.done && c.result.problem.has_value()},
                                 {"outcome", c.done ? outcome(ctx, c.result) : std::string()}});
  }
  mstch::map data{{"archives", list},
                  {"has_archives", !list.empty()},
                  {"usb", usb},
                  {"has_usb", !usb.empty()},
                  {"checks", running},
                  {"has_checks", !running.empty()},
                  {"max_upload", format_size(ctx.lang, ctx.settings->max_upload)},
                  {"free", format_size(ctx.lang, content::free_space(ctx.settings->zim_dir))}};
  if (checking) data["refresh"] = std::string("5");
  if (!error.empty()) data["error"] = error;
  if (!notice.empty()) data["notice"] = notice;
  return page(ctx, "admin_zim", std::move(data), "Reference archives", status);
}

// Checks the archive at `path` (and adds it), in the background when partad has one. `move`: the
// file is given up (renamed into place if it checks out; removed after the check either way).
http::Response add_result(Ctx& ctx, const std::string& path, const std::string& name) {
  auto check = checks().start(name, path);
  const Settings& s = *ctx.settings;
  const domain::Clock* clock = &ctx.clock;
  storage::Database* database = s.database;
  storage::Connection* here = &ctx.db;
  auto job = [check, clock, database, here, path, dir = s.zim_dir, reserve = s.disk_reserve,
              user = ctx.me().id](bool in_request) {
    domain::ZimAdd r;
    try {
      if (in_request) {
        r = domain::add_zim(*here, *clock, dir, path, true, reserve, user);
      } else {
        auto c = database->acquire();
        r = domain::add_zim(*c, *clock, dir, path, true, reserve, user);
      }
    } catch (const std::exception& e) {
      log::error("zim: checking " + path + " failed: " + e.what());
      r.problem = domain::Message{"The archive could not be copied to the box's card.", {}};
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);  // refused: it goes; added: it was renamed away
    checks().finish(check, std::move(r), clock->now());
  };
  if (s.background && database)
    s.background([job] { job(false); });
  else
    job(true);
  if (!checks().wait(check, s.background && database ? s.zim_wait_ms : 0))
    return admin_page(ctx, "",
                      ctx.tr(domain::Message{"Checking «{name}»: a large archive takes minutes. "
                                             "This page shows the result when it is done.",
                                             {{"name", name}}}));
  if (check->result.problem) return admin_page(ctx, outcome(ctx, check->result), "", 422);
  return admin_page(ctx, "", outcome(ctx, check->result));
}

std::string checked_path(const std::string& v) {
  if (v.empty() || v.size() > 2000 || !text::is_valid_utf8(v)) throw http::BadRequest();
  return v;
}

}  // namespace

void register_zim_views(App& app) {
  // ---- reading ----
  app.route("GET", "/zim/{id}", kSignedIn, [](Ctx& ctx) {
    auto o = open_archive(ctx, ctx.req.id("id"));
    if (auto m = o.archive->main_entry())
      return http::Response::redirect(
          archive_url(o.row.id, m->redirect_to.empty() ? m->path : m->redirect_to));
    return http::Response::redirect("/library/zim/" + std::to_string(o.row.id));
  });
  app.route("GET", "/zim/{id}/{*path}", kSignedIn, [](Ctx& ctx) {
    auto o = open_archive(ctx, ctx.req.id("id"));
    auto e = o.archive->find(ctx.req.params.at("path"));
    if (!e) throw http::NotFound();
    if (!e->redirect_to.empty()) {
      auto r = http::Response::redirect(archive_url(o.row.id, e->redirect_to));
      r.status = 302;  // a GET again, cacheable like the pages
      return r;
    }
    return entry_response(ctx, o, *e);
  });

  // One archive: what it is, and search in it.
  app.route("GET", "/library/zim/{id}", kSignedIn, [](Ctx& ctx) {
    auto o = open_archive(ctx, ctx.req.id("id"));
    std::string q = ctx.req.query("q").value_or("");
    if (q.size() > 200 || !text::is_valid_utf8(q))
      throw http::BadRequest("A field in the form is too long.");
    mstch::map data{{"archive", archive_data(ctx, o.row)}, {"q", q}};
    if (auto m = o.archive->main_entry())
      data["main_url"] = archive_url(o.row.id, m->redirect_to.empty() ? m->path : m->redirect_to);
    if (!q.empty()) {
      auto hits = hits_data(o, q, 25);  // a page of results, as kiwix-serve's
      data["searched"] = true;
      data["has_hits"] = !hits.empty();
      data["hits"] = hits;
    }
    return page(ctx, "zim_archive", std::move(data), "Library");
  });

  // A teacher chooses the assignment an article goes with.
  app.route("GET", "/library/zim/{id}/attach", kTeacher, [](Ctx& ctx) {
    auto o = open_archive(ctx, ctx.req.id("id"));
    std::string path = checked_path(ctx.req.query("path").value_or(""));
    auto e = o.archive->find(path);
    if (!e) throw http::NotFound();
    mstch::array mine;
    for (const auto& a : domain::assignments_of_teacher(
             ctx.db, ctx.me().id, {ctx.clock.now() + 1, std::numeric_limits<std::int64_t>::max()}))
      mine.push_back(
          mstch::map{{"id", std::to_string(a.id)}, {"title", a.title + " (" + a.class_name + ")"}});
    mstch::map data{{"archive", archive_data(ctx, o.row)},
                    {"path", path},
                    {"title", e->title.empty() ? path : e->title},
                    {"url", archive_url(o.row.id, path)},
                    {"assignments", mine},
                    {"has_assignments", !mine.empty()}};
    return page(ctx, "zim_attach", std::move(data), "Library");
  });
  app.route("POST", "/assignments/{id}/articles", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    const auto& f = ctx.req.form();
    std::string zid = f.value("zim_id");
    std::string path = checked_path(f.value("path"));
    if (zid.empty() || zid.size() > 18 || zid.find_first_not_of("0123456789") != std::string::npos)
      throw http::BadRequest("The form refers to something that does not exist.");
    auto z = domain::find_zim(ctx.db, std::stoll(zid));
    if (!z) throw http::BadRequest("The form refers to something that does not exist.");
    if (f.value("action") == "remove") {
      domain::detach_article(ctx.db, a->id, z->uuid, path);
    } else {
      auto o = open_archive(ctx, z->id);
      auto e = o.archive->find(path);
      if (!e) throw http::BadRequest("The form refers to something that does not exist.");
      domain::attach_article(ctx.db, a->id, z->uuid, path, e->title.empty() ? path : e->title);
    }
    return http::Response::redirect("/assignments/" + std::to_string(a->id));
  });

  // ---- admin ----
  app.route("GET", "/admin/zim", kAdmin, [](Ctx& ctx) { return admin_page(ctx, "", ""); });
  app.route("POST", "/admin/zim", kAdmin, [](Ctx& ctx) {
    auto& form = const_cast<http::Form&>(ctx.req.form());
    http::UploadedFile* f = nullptr;
    for (auto& x : form.files)
      if (x.field == "zim") f = &x;
    if (!f || f->size == 0) return admin_page(ctx, ctx.tr("Choose a ZIM file."), "", 422);
    std::string name = text::truncate_chars(f->filename, 80);
    if (f->temp_path.empty()) {  // a small upload kept in memory: give libzim a file
      std::string path =
          ctx.settings->zim_dir + "/.upload-" + domain::random_token().substr(0, 12) + ".part";
      content::write_file_durably(path, f->data);
      return add_result(ctx, path, name);
    }
    // The upload's temp file is given up: renamed into place when it checks out.
    return add_result(ctx, f->release_temp(), name);
  });
  app.route("POST", "/admin/zim/usb", kAdmin, [](Ctx& ctx) {
    std::string name = ctx.req.form().value("name");
    auto files = waiting_zims(*ctx.settings);
    std::string path = ctx.settings->packs_waiting_dir + "/" + name;
    if (std::find(files.begin(), files.end(), name) == files.end() || checks().busy(path))
      return admin_page(ctx, ctx.tr("That archive is not waiting any more."), "", 422);
    if (ctx.req.form().value("action") == "delete") {
      std::filesystem::remove(path);
      return admin_page(ctx, "", ctx.tr("The archive was deleted without adding it."));
    }
    return add_result(ctx, path, name);
  });
  app.route("POST", "/admin/zim/{id}/remove", kAdmin, [](Ctx& ctx) {
    auto z = domain::find_zim(ctx.db, ctx.req.id("id"));
    if (!z) throw http::NotFound();
    if (ctx.settings->zims) ctx.settings->zims->close(z->id);
    domain::remove_zim(ctx.db, ctx.settings->zim_dir, z->id);
    return admin_page(
        ctx, "",
        ctx.tr(domain::Message{"«{title}» was removed from the library.", {{"title", z->title}}}));
  });
}

void add_zim_data(Ctx& ctx, const std::string& q, int per_archive, mstch::map& data) {
  auto rows = domain::list_zims(ctx.db);
  mstch::array archives, hits;
  for (const auto& z : rows) archives.push_back(archive_data(ctx, z));
  data["has_archives"] = !archives.empty();
  data["archives"] = archives;
  if (q.empty() || rows.empty() || !ctx.settings || !ctx.settings->zims) return;
  for (const auto& z : rows) {
    try {
      Opened o{z, ctx.settings->zims->get(z.id, domain::zim_file(ctx.settings->zim_dir, z.uuid))};
      for (auto& h : hits_data(o, q, per_archive)) hits.push_back(std::move(h));
    } catch (const std::exception&) {
    }
  }
  data["has_zim_hits"] = !hits.empty();
  data["zim_hits"] = hits;
  if (!hits.empty()) data["has_items"] = true;
}

mstch::array articles_data(Ctx& ctx, std::int64_t assignment_id) {
  mstch::array out;
  for (const auto& a : domain::articles_of(ctx.db, assignment_id)) {
    mstch::map m{{"name", a.title}, {"path", a.path}, {"on_box", a.archive_id.has_value()}};
    if (a.archive_id) {
      m["url"] = archive_url(*a.archive_id, a.path);
      m["zim_id"] = std::to_string(*a.archive_id);
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace parta::web
