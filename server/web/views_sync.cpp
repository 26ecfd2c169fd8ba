// Sync pages. On a school box: /admin/sync (identity, fingerprint and QR for enrollment, the USB
// stick and network buttons, alarms). On the district hub: /district (every school's status,
// enrollment, USB exchange, announcements) and the device endpoints the boxes' network client
// speaks (/sync/v1/...: resumable upload, return bundle with Range).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <charconv>
#include <chrono>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "app/log.hpp"
#include "content/durable.hpp"
#include "domain/school.hpp"
#include "printer/qr_svg.hpp"
#include "sync/net_client.hpp"
#include "sync/records.hpp"
#include "sync/stick.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/stick_messages.hpp"
#include "web/time_format.hpp"
#include "web/uploads.hpp"

namespace parta::web {

namespace fs = std::filesystem;

namespace {

sync::Node& node(Ctx& ctx) {
  if (!ctx.settings || !ctx.settings->sync) throw http::NotFound();
  return *ctx.settings->sync;
}

std::string when(const std::optional<std::int64_t>& t) { return t ? format_datetime(*t) : "—"; }

bool stick_present(Ctx& ctx) {
  std::error_code ec;
  return ctx.settings && fs::is_directory(ctx.settings->usb_dir, ec) &&
         ::access(ctx.settings->usb_dir.c_str(), W_OK) == 0;
}

const char* alarm_label(const std::string& kind) {
  if (kind == "restore")
    return "The database was restored from a backup: unsent records go again under a new epoch.";
  if (kind == "clone")
    return "The card was moved to other hardware (a copied card?): if two boxes run this card, "
           "one must be enrolled again.";
  if (kind == "other-device") return "The database came from another box.";
  if (kind == "conflict") return "A box sent other content under a number it used before.";
  if (kind == "backwards")
    return "A box went back in time (its database restored or its card copied).";
  if (kind == "gap") return "A bundle starts after records this box never received.";
  return "Sync alarm";
}

mstch::array alarms_data(Ctx& ctx, const std::string& peer) {
  mstch::array out;
  for (const auto& a : sync::open_alarms(ctx.db, peer))
    out.push_back(mstch::map{{"aid", std::to_string(a.id)},
                             {"akind", ctx.tr(alarm_label(a.kind))},
                             {"adetail", a.detail},
                             {"apeer", a.peer},
                             {"aat", format_datetime(a.at)}});
  return out;
}

std::string import_lines(Ctx& ctx,
                         const std::vector<std::pair<std::string, sync::ImportResult>>& rs,
                         bool* all_ok) {
  std::string text;
  *all_ok = true;
  for (const auto& [name, r] : rs) {
    if (!text.empty()) text += " ";
    text += ctx.tr(r.reason);
    *all_ok = *all_ok && r.ok;
  }
  return text;
}

// ---- school ---------------------------------------------------------------------------------

// One record of the district's, for the refusals and what waits for a school.
const char* record_label(const std::string& kind) {
  if (kind == "announcement") return "announcement";
  if (kind == "pack") return "content pack";
  if (kind == "roster") return "roster";
  if (kind == "grade") return "mark correction";
  if (kind == "original_request") return "request for an original";
  if (kind == "revocation") return "revoked box";
  if (kind == "file") return "file sent again";
  if (kind == "withdrawal") return "withdrawal";
  return "record of another kind";
}

mstch::array refusals_data(Ctx& ctx, const std::string& side, const std::string& peer) {
  mstch::array out;
  for (const auto& r : sync::refusals(ctx.db, side, peer))
    out.push_back(mstch::map{{"rkind", ctx.tr(record_label(r.kind))},
                             {"rwhat", r.what},
                             {"repoch", r.epoch},
                             {"rseq", std::to_string(r.seq)},
                             {"rreason", ctx.tr(r.reason)},
                             {"rat", when(r.at)},
                             {"rwithdrawn", r.withdrawn_at != 0},
                             {"rwithdrawn_at", when(r.withdrawn_at)}});
  return out;
}

http::Response school_page(Ctx& ctx, const std::string& notice, const std::string& error,
                           int status = 200, const std::string& detail = "") {
  auto& n = node(ctx);
  auto district = sync::district_peer(ctx.db);
  std::string key = sync::read_district_key(n.data_dir);
  std::string fp = n.id.fingerprint();
  auto alarms = alarms_data(ctx, "*");
  mstch::map data{
      {"device", n.id.device_id},
      {"fingerprint", fp},
      {"qr", printer::qr_svg("PARTA-ENROLL:" + n.id.device_id + ":" + fp, 160)},
      {"has_key", !key.empty()},
      {"enrolled", district.has_value()},
      {"pending", std::to_string(sync::outbox_backlog(ctx.db, ""))},
      {"stick", stick_present(ctx)},
      {"has_url", ctx.settings && !ctx.settings->district_url.empty()},
      {"has_alarms", !alarms.empty()},
      {"alarms", alarms},
  };
  {
    // The link budget: what waits, how long it takes at the link's rate, what the travel copies
    // of the photos saved.
    // Counted after each exchange and by the background worker once a minute, never here.
    auto kept = sync::kept_link_budget(ctx.db);
    sync::LinkBudget b = kept.value_or(sync::LinkBudget{});
    std::uint64_t kbit = ctx.settings && ctx.settings->link_kbit ? ctx.settings->link_kbit : 256;
    std::uint64_t seconds = b.total() * 8 / (kbit * 1000);
    std::string duration = format_duration(ctx.lang, static_cast<std::int64_t>(seconds));
    data["budget_bytes"] = format_size(ctx.lang, b.total());
    data["budget_files"] = std::to_string(b.files);
    data["budget_file_bytes"] = format_size(ctx.lang, b.file_bytes);
    data["budget_time"] = duration;
    data["budget_kbit"] = std::to_string(kbit);
    data["budget_assumed"] = !(ctx.settings && ctx.settings->link_kbit);
    data["budget_saved"] = format_size(ctx.lang, b.saved_bytes);
    data["has_saved"] = b.saved_bytes > 0;
    data["copies_waiting"] = std::to_string(b.copies_waiting);
    data["has_copies_waiting"] = b.copies_waiting > 0;
    data["has_budget"] = kept.has_value();
    data["budget_at"] = kept ? format_datetime(kept->at) : std::string();
  }
  if (district) {
    data["district"] = district->device_id;
    data["last_in"] = when(district->last_in_at);
    data["last_out"] = when(district->last_out_at);
    data["revoked"] = district->revoked;
  }
  {
    auto q = ctx.db.query("SELECT 1 FROM sync_revoked WHERE device_id = ?1", n.id.device_id);
    data["self_revoked"] = q.next();
  }
  auto refused = refusals_data(ctx, "here", "");
  data["refused"] = refused;
  data["has_refused"] = !refused.empty();
  if (ctx.settings && ctx.settings->sync_status) data["net_status"] = ctx.settings->sync_status();
  if (!notice.empty()) data["notice"] = notice;
  if (!error.empty()) data["error"] = error;
  if (!detail.empty()) data["error_detail"] = detail;
  return page(ctx, "admin_sync", std::move(data), "Sync with the district", status);
}

http::Response school_usb(Ctx& ctx, const std::string& action) {
  auto& n = node(ctx);
  if (!stick_present(ctx))
    return school_page(ctx, "", ctx.tr("No USB stick is plugged in (or it is read-only)."), 409);
  const std::string& stick = ctx.settings->usb_dir;
  try {
    if (action == "request") {
      sync::stick_write_request(n, stick, domain::school_info(ctx.db).name);
      return school_page(ctx,
                         ctx.tr("The enrollment request is on the stick and was read back. Take "
                                "it to the district with this fingerprint."),
                         "");
    }
    if (action == "accept") {
      bool found = false;
      auto problem = sync::stick_accept_certificate(n, stick, &found);
      if (!found)
        return school_page(ctx, "", ctx.tr("There is no certificate for this box on the stick."),
                           404);
      if (problem) return school_page(ctx, "", ctx.tr(*problem), 422);
      return school_page(ctx, ctx.tr("Enrolled with the district."), "");
    }
    if (action == "export") {
      auto r = sync::stick_export(n, stick);
      const auto& b = r.bundles.front();
      std::string text = ctx.tr(domain::Message{
          "Written and checked: {records} records, {files} files, {bytes} in all. The stick can "
          "be removed.",
          {{"records", std::to_string(b.records)},
           {"files", std::to_string(b.blobs)},
           {"bytes", format_size(ctx.lang, b.bytes)}}});
      if (b.more > 0) text += " " + ctx.tr(web::more_for_next_stick(b.more));
      return school_page(ctx, text, "");
    }
    auto r = sync::stick_import(n, stick);
    if (r.results.empty())
      return school_page(ctx, ctx.tr("No bundles for this box on the stick."), "");
    bool ok = true;
    std::string text = import_lines(ctx, r.results, &ok);
    return ok ? school_page(ctx, text, "") : school_page(ctx, "", text, 422);
  } catch (const sync::PartTooBig& e) {
    return school_page(ctx, "", ctx.tr(stick_too_small(ctx.lang, e)), 507);
  } catch (const std::exception& e) {
    // The reason is a technician's (paths, system errors): the admin is told in words, the
    // detail is kept under "for the technician".
    return school_page(ctx, "",
                       ctx.tr("The stick could not be used. Try it again, or another stick; if it "
                              "fails again, show the detail below to the technician."),
                       500, e.what());
  }
}

// ---- district -------------------------------------------------------------------------------

const char* kind_label(const std::string& kind) {
  if (kind == "assignment") return "assignments";
  if (kind == "submission") return "submissions";
  if (kind == "comment") return "comments";
  if (kind == "grade") return "marks";
  if (kind == "grade-lost") return "marks that did not stay";
  if (kind == "absence") return "absences";
  if (kind == "visit") return "visits";
  if (kind == "original") return "originals of photos";
  if (kind == "file") return "files sent again";
  return "other records";
}

http::Response district_page(Ctx& ctx, const std::string& notice, const std::string& error,
                             int status = 200) {
  auto& n = node(ctx);
  mstch::array schools;
  for (const auto& s : sync::school_summaries(ctx.db)) {
    const auto& p = s.peer;
    schools.push_back(mstch::map{{"sid", p.device_id},
                                 {"sname", p.name},
                                 {"last_in", when(p.last_in_at)},
                                 {"last_out", when(p.last_out_at)},
                                 {"records", std::to_string(s.records)},
                                 {"backlog", std::to_string(p.reported_backlog)},
                                 {"outbox", std::to_string(s.outbox)},
                                 {"alarm_count", std::to_string(s.alarms)},
                                 {"has_alarms", s.alarms > 0},
                                 {"revoked", p.revoked}});
  }
  auto alarms = alarms_data(ctx, "*");
  mstch::map data{{"device", n.id.device_id},
                  {"key", content::bundle::to_hex(n.id.sign.pk)},
                  {"schools", schools},
                  {"has_schools", !schools.empty()},
                  {"stick", stick_present(ctx)},
                  {"has_alarms", !alarms.empty()},
                  {"alarms", alarms}};
  if (!notice.empty()) data["notice"] = notice;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "district", std::move(data), "District hub", status);
}

http::Response district_school(Ctx& ctx, const std::string& notice, const std::string& error,
                               int status = 200) {
  std::string id = ctx.req.params.at("device");
  auto p = sync::find_peer(ctx.db, id);
  if (!p || p->role != "school") throw http::NotFound();
  mstch::array kinds, grades, lost;
  {
    auto q = ctx.db.query(
        "SELECT kind, COUNT(*) FROM sync_records WHERE peer = ?1 AND "
        "deleted = 0 GROUP BY kind ORDER BY kind",
        id);
    while (q.next())
      kinds.push_back(mstch::map{{"kname", ctx.tr(kind_label(q.text(0)))},
                                 {"kcount", std::to_string(q.integer(1))}});
  }
  {
    auto q = ctx.db.query(
        "SELECT g.rid, g.version, g.data, json_extract(a.data, '$.title') FROM sync_records g "
        "LEFT JOIN sync_records a ON a.peer = g.peer AND a.kind = 'assignment' AND "
        "a.rid = substr(g.rid, 1, instr(g.rid, '/') - 1) WHERE g.peer = ?1 AND "
        "g.kind = 'grade' AND g.deleted = 0 ORDER BY g.rowid DESC LIMIT 30",
        id);
    while (q.next()) {
      auto d = nlohmann::json::parse(q.text(2), nullptr, false);
      std::string rid = q.text(0);
      grades.push_back(mstch::map{{"rid", rid},
                                  {"atitle", q.is_null(3) ? std::string() : q.text(3)},
                                  {"sno", rid.substr(rid.find('/') + 1)},
                                  {"gv", std::to_string(q.integer(1))},
                                  {"mark", d.is_object() ? d.value("mark", "") : ""},
                                  {"teacher", d.is_object() ? d.value("teacher", "") : ""}});
    }
  }
  // The latest submissions with files: the photos came as travel copies (smaller, legible); the
  // original of one is asked for here and comes with the school's next bundle.
  mstch::array subs;
  {
    auto asked = sync::originals_asked(ctx.db, id);
    auto q = ctx.db.query(
        "SELECT s.rid, s.data, json_extract(a.data, '$.title') FROM sync_records s LEFT JOIN "
        "sync_records a ON a.peer = s.peer AND a.kind = 'assignment' AND a.rid = "
        "json_extract(s.data, '$.assignment') WHERE s.peer = ?1 AND s.kind = 'submission' AND "
        "s.deleted = 0 AND json_array_length(s.data, '$.files') > 0 ORDER BY s.rowid DESC "
        "LIMIT 20",
        id);
    while (q.next()) {
      auto d = nlohmann::json::parse(q.text(1), nullptr, false);
      if (!d.is_object() || !d.contains("files") || !d["files"].is_array()) continue;
      mstch::array files;
      for (const auto& f : d["files"]) {
        if (!f.is_object()) continue;
        std::string sha = f.value("sha256", "");
        if (!content::BlobStore::valid_hash(sha)) continue;
        mstch::map file{{"fsha", sha},
                        {"fname", f.value("name", "")},
                        {"fsize", format_size(ctx.lang, f.value("size", std::uint64_t{0}))},
                        {"here", ctx.blobs && ctx.blobs->has(sha)}};
        if (f.contains("original") && f["original"].is_object()) {
          std::string osha = f["original"].value("sha256", "");
          file["copy"] = true;
          file["osha"] = osha;
          file["osize"] = format_size(ctx.lang, f["original"].value("size", std::uint64_t{0}));
          auto a = asked.find(osha);
          if (a != asked.end() && a->second.arrived)
            file["arrived"] = true;
          else if (a != asked.end())
            file["asked"] = when(a->second.asked_at);
        }
        files.push_back(std::move(file));
      }
      subs.push_back(mstch::map{{"srid", q.text(0)},
                                {"stitle", q.is_null(2) ? std::string() : q.text(2)},
                                {"sno", d.value("student", "")},
                                {"sfiles", files}});
    }
  }
  // What the school refused of the district's (and why), and what still waits for it: either
  // may be withdrawn.
  mstch::array queued;
  for (const auto& q : sync::queued_for(ctx.db, id, 30))
    queued.push_back(mstch::map{{"qkind", ctx.tr(record_label(q.kind))},
                                {"qwhat", q.what},
                                {"qepoch", q.epoch},
                                {"qseq", std::to_string(q.seq)},
                                {"qwithdrawn", q.withdrawn}});
  auto refused = refusals_data(ctx, "there", id);
  mstch::map data{{"sid", id},
                  {"sname", p->name},
                  {"refused", refused},
                  {"has_refused", !refused.empty()},
                  {"queued", queued},
                  {"has_queued", !queued.empty()},
                  {"revoked", p->revoked},
                  {"subs", subs},
                  {"has_subs", !subs.empty()},
                  {"last_in", when(p->last_in_at)},
                  {"kinds", kinds},
                  {"grades", grades},
                  {"has_grades", !grades.empty()},
                  {"alarms", alarms_data(ctx, id)},
                  {"has_alarms", !sync::open_alarms(ctx.db, id).empty()}};
  if (!notice.empty()) data["notice"] = notice;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "district_school", std::move(data), "School", status);
}

// ---- device endpoints -------------------------------------------------------------------------

bool valid_bundle_id(const std::string& s) {
  if (s.size() != 32) return false;
  for (char ch : s)
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
  return true;
}

std::uint64_t header_number(Ctx& ctx, const char* name) {
  std::string v = ctx.req.header(name);
  if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string::npos)
    throw http::HttpError(400, "Bad request.");
  return std::stoull(v);
}

// Checks that the request comes from an enrolled, unrevoked school and is signed by it.
sync::PeerInfo device_peer(Ctx& ctx, std::uint64_t* offset, std::uint64_t* length) {
  std::string device = ctx.req.header("x-parta-device");
  auto p = sync::find_peer(ctx.db, device);
  if (!p || p->role != "school") throw http::HttpError(403, "This box is not enrolled here.");
  if (p->revoked) throw http::HttpError(403, "This box was revoked by the district.");
  *offset = header_number(ctx, "x-parta-offset");
  *length = header_number(ctx, "x-parta-length");
  if (!sync::request_signature_holds(p->sign_pk, ctx.req.header("x-parta-sig"), ctx.req.method,
                                     ctx.req.path, device, *offset, *length))
    throw http::HttpError(403, "The request's signature does not hold.");
  return *p;
}

constexpr std::uint64_t kMaxBundle = 4ull << 30;
// One writer per file at a time (a retry may race its dropped predecessor, still reading), while
// other schools' uploads go on in parallel: a lock per bundle or per school's return file.
std::mutex& lock_for(const std::string& key) {
  static std::mutex map_mu;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> guard(map_mu);
  auto& m = locks[key];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

// The same across processes: the hub's processes on PostgreSQL share the folder, and a retry
// nginx sends to another process must wait for its predecessor there too. An flock on a file
// beside the bundle, held while this lives (the kernel drops it with a killed process).
class FileLock {
 public:
  explicit FileLock(const fs::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string());
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

fs::path incoming_dir(sync::Node& n, const std::string& device) {
  return fs::path(n.data_dir) / "sync" / "incoming" / device;
}

http::Response upload_state(Ctx& ctx, const fs::path& part, const fs::path& result) {
  nlohmann::json j = {{"offset", 0}, {"complete", false}};
  std::error_code ec;
  if (fs::exists(result, ec)) {
    auto r = nlohmann::json::parse(sync::read_file(result.string()), nullptr, false);
    if (r.is_object()) {
      j = r;
      j["complete"] = true;
    }
  } else if (fs::exists(part, ec)) {
    j["offset"] = fs::file_size(part, ec);
  } else {
    return http::Response::json(j.dump(), 404);
  }
  (void)ctx;
  return http::Response::json(j.dump());
}

}  // namespace

void register_sync_views(App& app) {
  // School box.
  app.route("GET", "/admin/sync", kAdmin, [](Ctx& ctx) { return school_page(ctx, "", ""); });
  for (const char* action : {"request", "accept", "export", "import"}) {
    std::string a = action;
    app.route("POST", "/admin/sync/usb/" + a, kAdmin, [a](Ctx& ctx) { return school_usb(ctx, a); });
  }
  app.route("POST", "/admin/sync/certificate", kAdmin, [](Ctx& ctx) {
    auto& n = node(ctx);
    const http::UploadedFile* f = ctx.req.form().file("certificate");
    if (!f || f->size == 0 || f->size > 64 * 1024)
      return school_page(ctx, "", ctx.tr("Choose the certificate file from the district."), 422);
    if (auto problem = sync::accept_certificate(n, f->read()))
      return school_page(ctx, "", ctx.tr(*problem), 422);
    return school_page(ctx, ctx.tr("Enrolled with the district."), "");
  });
  app.route("POST", "/admin/sync/network", kAdmin, [](Ctx& ctx) {
    if (!ctx.settings || !ctx.settings->wake_sync)
      return school_page(ctx, "", ctx.tr("No district address is configured (district_url)."), 409);
    ctx.settings->wake_sync();
    return school_page(ctx, ctx.tr("Sync over the network started; this page shows how it went."),
                       "");
  });
  app.route("POST", "/admin/sync/alarms/{id}/resolve", kAdmin, [](Ctx& ctx) {
    sync::resolve_alarm(ctx.db, ctx.req.id("id"));
    return http::Response::redirect("/admin/sync");
  });
}

void register_district_views(App& app) {
  register_report_views(app);
  app.route("GET", "/district", kAdmin, [](Ctx& ctx) { return district_page(ctx, "", ""); });
  app.route("GET", "/", kPublic, [](Ctx&) { return http::Response::redirect("/district"); });
  app.route("POST", "/district/enroll", kAdmin, [](Ctx& ctx) {
    auto& n = node(ctx);
    const http::UploadedFile* f = ctx.req.form().file("request");
    if (!f || f->size == 0 || f->size > 64 * 1024)
      return district_page(ctx, "", ctx.tr("Choose the school's enrollment request file."), 422);
    domain::Message problem;
    auto e = sync::enroll_school(n, f->read(), field(ctx, "fingerprint", 40), &problem);
    if (!e) return district_page(ctx, "", ctx.tr(problem), 422);
    if (stick_present(ctx))
      sync::write_file_durably(
          sync::stick_enroll_dir(ctx.settings->usb_dir) + "/" + e->device_id + ".certificate",
          e->certificate);
    return http::Response::redirect("/district/schools/" + e->device_id);
  });
  app.route("GET", "/district/schools/{device}", kAdmin,
            [](Ctx& ctx) { return district_school(ctx, "", ""); });
  app.route("GET", "/district/schools/{device}/certificate", kAdmin, [](Ctx& ctx) {
    auto q = ctx.db.query(
        "SELECT certificate FROM sync_peers WHERE device_id = ?1 AND "
        "role = 'school'",
        ctx.req.params.at("device"));
    if (!q.next()) throw http::NotFound();
    auto r = http::Response::text(q.text(0));
    r.header("Content-Disposition",
             "attachment; filename=\"" + ctx.req.params.at("device") + ".certificate\"");
    return r;
  });
  // A file of a school's submission: its travel copy, or the original once it came. Found by the
  // submission's record (one row), never by searching the school's records for the hash.
  app.route(
      "GET", "/district/schools/{device}/submissions/{rid}/files/{sha}", kAdmin, [](Ctx& ctx) {
        std::string id = ctx.req.params.at("device"), sha = ctx.req.params.at("sha");
        if (!content::BlobStore::valid_hash(sha) || !ctx.blobs || !ctx.blobs->has(sha))
          throw http::NotFound();
        auto q = ctx.db.query(
            "SELECT data FROM sync_records WHERE peer = ?1 AND kind = 'submission' AND "
            "rid = ?2 AND deleted = 0",
            id, ctx.req.params.at("rid"));
        if (!q.next()) throw http::NotFound();
        auto d = nlohmann::json::parse(q.text(0), nullptr, false);
        const nlohmann::json* file = nullptr;
        if (d.is_object() && d.contains("files") && d["files"].is_array())
          for (const auto& f : d["files"]) {
            if (!f.is_object()) continue;
            if (f.value("sha256", "") == sha) file = &f;
            // The original, once the school sent it.
            else if (f.contains("original") && f["original"].is_object() &&
                     f["original"].value("sha256", "") == sha &&
                     ctx.db.scalar("SELECT 1 FROM sync_records WHERE peer = ?1 AND kind = "
                                   "'original' AND rid = ?2 AND deleted = 0",
                                   id, sha))
              file = &f["original"];
          }
        if (!file) throw http::NotFound();
        std::string type = file->value("type", "application/octet-stream");
        bool view = type.rfind("image/", 0) == 0 || type == "application/pdf";
        return http::Response::file(ctx.blobs->path_of(sha), type, file->value("name", sha), view);
      });
  app.route("POST", "/district/schools/{device}/original", kAdmin, [](Ctx& ctx) {
    std::string id = ctx.req.params.at("device");
    if (!sync::district_ask_original(node(ctx), id, field(ctx, "submission", 64),
                                     field(ctx, "sha", 64)))
      return district_school(ctx, "", ctx.tr("That submission has no such photo."), 422);
    return district_school(
        ctx, ctx.tr("The original is asked for: it comes with the school's next bundle."), "");
  });
  app.route("POST", "/district/schools/{device}/withdraw", kAdmin, [](Ctx& ctx) {
    std::string id = ctx.req.params.at("device");
    auto p = sync::find_peer(ctx.db, id);
    if (!p || p->role != "school") throw http::NotFound();
    std::int64_t seq = 0;
    std::string seq_text = field(ctx, "seq", 20);
    auto [end, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
    if (ec != std::errc() || end != seq_text.data() + seq_text.size() || seq <= 0)
      throw http::BadRequest();
    if (auto problem = sync::district_withdraw(node(ctx), id, field(ctx, "epoch", 64), seq))
      return district_school(ctx, "", ctx.tr(*problem), 422);
    return district_school(
        ctx, ctx.tr("Withdrawn: the school learns it with its next bundle from the district."), "");
  });
  app.route("POST", "/district/schools/{device}/revoke", kAdmin, [](Ctx& ctx) {
    if (!sync::revoke_school(node(ctx), ctx.req.params.at("device"))) throw http::NotFound();
    return district_school(ctx, ctx.tr("The box is revoked; its bundles are refused from now on."),
                           "");
  });
  app.route("POST", "/district/schools/{device}/grade", kAdmin, [](Ctx& ctx) {
    std::string mark = field(ctx, "mark", 8);
    if (mark.empty()) return district_school(ctx, "", ctx.tr("Enter a mark."), 422);
    if (!sync::district_set_grade(node(ctx), ctx.req.params.at("device"), field(ctx, "rid", 300),
                                  mark))
      throw http::NotFound();
    return district_school(ctx, ctx.tr("The correction goes to the school with its next bundle."),
                           "");
  });
  app.route("POST", "/district/announce", kAdmin, [](Ctx& ctx) {
    std::string title = field(ctx, "title", 200), body = field(ctx, "body", 4000);
    if (title.empty()) return district_page(ctx, "", ctx.tr("The title is empty."), 422);
    sync::district_announce(node(ctx), "", title, body);
    return district_page(ctx, ctx.tr("The announcement goes to every school with its next bundle."),
                         "");
  });
  app.route("POST", "/district/usb/import", kAdmin, [](Ctx& ctx) {
    if (!stick_present(ctx))
      return district_page(ctx, "", ctx.tr("No USB stick is plugged in (or it is read-only)."),
                           409);
    auto r = sync::stick_import(node(ctx), ctx.settings->usb_dir);
    if (r.results.empty()) return district_page(ctx, ctx.tr("No bundles on the stick."), "");
    bool ok = true;
    std::string text = import_lines(ctx, r.results, &ok);
    return ok ? district_page(ctx, text, "") : district_page(ctx, "", text, 422);
  });
  app.route("POST", "/district/usb/export", kAdmin, [](Ctx& ctx) {
    if (!stick_present(ctx))
      return district_page(ctx, "", ctx.tr("No USB stick is plugged in (or it is read-only)."),
                           409);
    auto r = sync::stick_export(node(ctx), ctx.settings->usb_dir);
    std::string text = ctx.tr(domain::Message{
        "Return bundles for {n} schools written and checked. The stick can be removed.",
        {{"n", std::to_string(r.bundles.size())}}});
    if (r.no_room.empty()) return district_page(ctx, text, "");
    for (const auto& s : r.no_room) text += " " + ctx.tr(no_room_for_school(ctx.lang, s));
    return district_page(ctx, "", text, 507);
  });
  app.route("POST", "/district/alarms/{id}/resolve", kAdmin, [](Ctx& ctx) {
    sync::resolve_alarm(ctx.db, ctx.req.id("id"));
    return http::Response::redirect("/district");
  });

  // What the boxes' network client speaks.
  app.route("GET", "/sync/v1/upload/{bundle}", kDevice, [](Ctx& ctx) {
    auto& n = node(ctx);
    std::uint64_t offset = 0, length = 0;
    auto peer = device_peer(ctx, &offset, &length);
    std::string b = ctx.req.params.at("bundle");
    if (!valid_bundle_id(b)) throw http::NotFound();
    fs::path dir = incoming_dir(n, peer.device_id);
    std::lock_guard<std::mutex> lock(lock_for(peer.device_id + "/" + b));
    fs::create_directories(dir);
    FileLock across(dir / (b + ".lock"));
    return upload_state(ctx, dir / (b + ".part"), dir / (b + ".result"));
  });
  app.route("POST", "/sync/v1/upload/{bundle}", kDevice, [](Ctx& ctx) {
    auto& n = node(ctx);
    std::uint64_t offset = 0, length = 0;
    auto peer = device_peer(ctx, &offset, &length);
    std::string b = ctx.req.params.at("bundle");
    if (!valid_bundle_id(b)) throw http::NotFound();
    if (length > kMaxBundle)
      throw http::HttpError(413, "The bundle is larger than this box accepts.");
    fs::path dir = incoming_dir(n, peer.device_id);
    fs::create_directories(dir);
    fs::path part = dir / (b + ".part"), result = dir / (b + ".result");
    std::lock_guard<std::mutex> lock(lock_for(peer.device_id + "/" + b));
    FileLock across(dir / (b + ".lock"));
    std::error_code ec;
    if (fs::exists(result, ec)) return upload_state(ctx, part, result);
    std::uint64_t have = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
    if (offset != have) {
      nlohmann::json j = {{"offset", have}, {"complete", false}};
      return http::Response::json(j.dump(), 409);
    }
    // The hub's card keeps its reserve like every other writer: the rest of the bundle must fit
    // above it before a byte is written, and it is checked again as the bytes arrive.
    std::uint64_t reserve = ctx.settings ? ctx.settings->disk_reserve : 0;
    auto room = [&](std::uint64_t bytes) {
      std::uint64_t free = content::free_space(dir.string());
      return free >= reserve && free - reserve >= bytes;
    };
    auto no_room = [&](std::uint64_t offset) {
      nlohmann::json j = {{"offset", offset},
                          {"complete", false},
                          {"error", ctx.tr(http::InsufficientStorage().msgid())}};
      return http::Response::json(j.dump(), 507);
    };
    if (!room(length - have)) return no_room(have);
    int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot write " + part.string());
    // Durable as it arrives: what a drop leaves behind is fsynced, and the next attempt asks for
    // exactly that offset.
    std::vector<char> buf(64 * 1024);
    std::uint64_t pos = have, checked = have;
    bool disk_full = false;
    while (pos < length && ctx.req.body_reader) {
      if (pos - checked >= 4 * 1024 * 1024) {
        checked = pos;
        if ((disk_full = !room(0))) break;
      }
      long got = ctx.req.body_reader(
          buf.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - pos)));
      if (got <= 0) break;
      if (::write(fd, buf.data(), static_cast<std::size_t>(got)) != got) break;
      pos += static_cast<std::uint64_t>(got);
      ::fsync(fd);
    }
    ::fsync(fd);
    ::close(fd);
    if (disk_full) return no_room(pos);
    if (pos < length) {
      nlohmann::json j = {{"offset", pos}, {"complete", false}};
      return http::Response::json(j.dump(), 200);
    }
    fs::path full = dir / (b + ".ptb");
    fs::rename(part, full);
    sync::ImportResult r;
    const auto since = std::chrono::system_clock::now();
    try {
      r = sync::import_bundle(n, full.string(), "network");
    } catch (...) {
      // Nothing was applied (one transaction); keep the bytes so the retry sends none again.
      fs::rename(full, part, ec);
      throw;
    }
    {
      // When, for the hub's admin (how long imports take) and the tests (imports of different
      // schools side by side).
      auto ms = [](std::chrono::system_clock::time_point t) {
        return std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
      };
      const auto until = std::chrono::system_clock::now();
      log::info("sync: bundle " + b + " from " + peer.device_id + " imported (" +
                (r.ok ? std::string(r.already ? "already" : "ok") : r.code) + ") from " +
                ms(since) + " to " + ms(until) + " ms");
    }
    nlohmann::json j = {{"offset", length},
                        {"complete", true},
                        {"import", r.ok ? (r.already ? "already" : "ok") : r.code},
                        {"message", ctx.tr(r.reason)}};
    sync::write_file_durably(result.string(), j.dump());
    fs::remove(full, ec);
    return http::Response::json(j.dump());
  });
  app.route("GET", "/sync/v1/return/{device}", kDevice, [](Ctx& ctx) {
    auto& n = node(ctx);
    std::uint64_t offset = 0, length = 0;
    auto peer = device_peer(ctx, &offset, &length);
    if (peer.device_id != ctx.req.params.at("device")) throw http::Forbidden();
    fs::path dir = sync::return_bundle_dir(n, peer.device_id);
    std::lock_guard<std::mutex> lock(lock_for(peer.device_id + "/return"));
    fs::create_directories(dir);
    FileLock across(dir.string() + ".lock");
    // Made once and kept while nothing changes (the engine removes it when something does), so
    // a resumed download gets the same bytes; its name, the bundle id, tells the box whether
    // the part it holds is of this bundle.
    std::error_code ec;
    fs::path file;
    if (fs::is_directory(dir, ec))
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".ptb") file = e.path();
    if (file.empty())
      file = sync::export_bundle(n, peer.device_id, dir.string(), {n.net_part_bytes}).path;
    auto r = http::Response::file(file.string(), "application/octet-stream", "return.ptb", false);
    r.header("X-Parta-Bundle", file.stem().string());
    return r;
  });
}

}  // namespace parta::web
