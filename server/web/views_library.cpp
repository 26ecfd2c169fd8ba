// The materials library: browse by subject and class, search, preview and play in the browser,
// download (Range, ETag, gzip for text); teachers add their own files and attach items to
// assignments; the admin imports district content packs by upload or from a USB stick.
#include <algorithm>
#include <filesystem>
#include <limits>

#include "content/durable.hpp"
#include "domain/library.hpp"
#include "web/app.hpp"
#include "web/time_format.hpp"
#include "web/uploads.hpp"

namespace parta::web {

namespace {

using domain::Role;

// How an item is shown. Only passive types open in the page; anything that can carry script
// (HTML, SVG, XML) is a download whatever a pack says it is.
std::string kind_of(const std::string& type) {
  if (type == "image/svg+xml") return "file";
  if (type.rfind("image/", 0) == 0) return "image";
  if (type.rfind("audio/", 0) == 0) return "audio";
  if (type.rfind("video/", 0) == 0) return "video";
  if (type == "application/pdf") return "pdf";
  if (type == "text/plain" || type == "text/markdown" || type == "text/csv") return "text";
  return "file";
}

mstch::map item_data(Ctx& ctx, const domain::LibraryItem& i) {
  mstch::map m{{"id", std::to_string(i.id)},
               {"title", i.title},
               {"subject", i.subject},
               {"grade", i.grade ? std::to_string(*i.grade) : std::string()},
               {"size", format_size(ctx.lang, i.size)},
               {"type", i.type},
               {"url", "/library/" + std::to_string(i.id) + "/file"},
               {"listed", i.listed},
               {"from_pack", !i.pack_id.empty()}};
  m["is_" + kind_of(i.type)] = true;
  return m;
}

std::optional<int> parse_grade(const std::string& v) {
  if (v.empty() || v.size() > 2 || v.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  int g = std::stoi(v);
  if (g < 1 || g > 11) return std::nullopt;
  return g;
}

std::vector<std::string> waiting_packs(const Settings& s) { return waiting_files(s, false); }

http::Response packs_page(Ctx& ctx, const std::string& error, const std::string& notice,
                          int status = 200) {
  mstch::array packs, usb;
  for (const auto& p : domain::list_packs(ctx.db))
    packs.push_back(mstch::map{{"id", p.id},
                               {"title", p.title},
                               {"version", std::to_string(p.version)},
                               {"items", std::to_string(p.items)},
                               {"size", format_size(ctx.lang, static_cast<std::uint64_t>(p.bytes))},
                               {"when", format_datetime(p.imported_at)},
                               {"signed", !p.signer.empty()}});
  for (const auto& f : waiting_packs(*ctx.settings)) usb.push_back(mstch::map{{"name", f}});
  mstch::map data{{"packs", packs},
                  {"has_packs", !packs.empty()},
                  {"usb", usb},
                  {"has_usb", !usb.empty()},
                  {"free", format_size(ctx.lang, content::free_space(ctx.blobs->tmp_dir()))}};
  if (!error.empty()) data["error"] = error;
  if (!notice.empty()) data["notice"] = notice;
  return page(ctx, "admin_packs", std::move(data), "Content packs", status);
}

http::Response import_result(Ctx& ctx, const std::string& path, bool chosen_unsigned) {
  // A pack the district did not sign only when the admin chose it (the upload form's box, or
  // "Import anyway" on a pack a stick left waiting): a stick anyone plugged in cannot fill the
  // library.
  domain::PackTrust trust{ctx.settings->sync ? ctx.settings->sync->district_key : "",
                          chosen_unsigned, false};
  auto r = domain::import_pack_file(ctx.db, ctx.clock, *ctx.blobs, path, ctx.me().id,
                                    ctx.settings->disk_reserve, trust);
  if (r.problem)
    return packs_page(
        ctx,
        ctx.tr(domain::Message{"The pack was not imported: {why}", {{"why", ctx.tr(*r.problem)}}}),
        "", 422);
  return packs_page(ctx, "", ctx.tr(domain::import_summary(r)));
}

}  // namespace

// Files a USB stick brought for the administrator (parta-usb left them: packs nobody this box
// trusts signed, and reference archives): plain files only, by their own names.
std::vector<std::string> waiting_files(const Settings& s, bool archives) {
  std::vector<std::string> out;
  std::error_code ec;
  if (s.packs_waiting_dir.empty()) return out;
  for (const auto& e : std::filesystem::directory_iterator(s.packs_waiting_dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.symlink_status(ec).type() == std::filesystem::file_type::regular &&
        name.ends_with(".zim") == archives)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void register_library_views(App& app) {
  app.route("GET", "/library", kSignedIn, [](Ctx& ctx) {
    std::string subject = ctx.req.query("subject").value_or("");
    std::string q = ctx.req.query("q").value_or("");
    if (q.size() > 200 || subject.size() > 200)
      throw http::BadRequest("A field in the form is too long.");
    int grade = parse_grade(ctx.req.query("grade").value_or("")).value_or(0);
    auto items = domain::search_library(ctx.db, subject, grade, q);
    mstch::array list, subjects, grades;
    for (std::size_t i = 0; i < items.size() && i < 200; ++i)
      list.push_back(item_data(ctx, items[i]));
    for (const auto& s : domain::library_subjects(ctx.db))
      subjects.push_back(mstch::map{{"name", s}, {"selected", s == subject}});
    for (int g = 1; g <= 11; ++g)
      grades.push_back(mstch::map{{"g", std::to_string(g)}, {"selected", g == grade}});
    mstch::map data{{"items", list},
                    {"has_items", !list.empty()},
                    {"more", items.size() > 200},
                    {"count", std::to_string(items.size())},
                    {"subjects", subjects},
                    {"grades", grades},
                    {"q", q},
                    {"can_add", ctx.me().role == Role::teacher || ctx.me().role == Role::admin},
                    {"is_admin", ctx.me().role == Role::admin}};
    add_zim_data(ctx, q, 8, data);
    return page(ctx, "library", std::move(data), "Library");
  });

  app.route("GET", "/library/add", kStaff,
            [](Ctx& ctx) { return page(ctx, "library_add", {}, "Library"); });
  app.route("GET", "/library/{id}", kSignedIn, [](Ctx& ctx) {
    auto item = domain::find_item(ctx.db, ctx.req.id("id"));
    if (!item) throw http::NotFound();
    mstch::map data{{"item", item_data(ctx, *item)}};
    if (ctx.me().role == Role::teacher) {
      mstch::array mine;
      // Only what is not due yet: a bounded range of the teacher's assignments.
      for (const auto& a : domain::assignments_of_teacher(
               ctx.db, ctx.me().id,
               {ctx.clock.now() + 1, std::numeric_limits<std::int64_t>::max()}))
        mine.push_back(mstch::map{{"id", std::to_string(a.id)},
                                  {"title", a.title + " (" + a.class_name + ")"}});
      data["assignments"] = mine;
      data["has_assignments"] = !mine.empty();
    }
    return page(ctx, "library_item", std::move(data), "Library");
  });

  app.route("GET", "/library/{id}/file", kSignedIn, [](Ctx& ctx) {
    auto item = domain::find_item(ctx.db, ctx.req.id("id"));
    if (!item) throw http::NotFound();
    std::string kind = kind_of(item->type);
    bool view = kind != "file";
    std::string path = ctx.blobs->path_of(item->sha256);
    std::string gz = ctx.blobs->gzip_path_of(item->sha256);
    std::error_code ec;
    if (ctx.req.accepts_gzip() && std::filesystem::exists(gz, ec)) {
      auto r = http::Response::file(gz, item->type, item->title, view, http::Caching::shared);
      r.header("Content-Encoding", "gzip");
      r.header("Vary", "Accept-Encoding");
      return r;
    }
    return http::Response::file(path, item->type, item->title, view, http::Caching::shared);
  });

  app.route("POST", "/library", kStaff, [](Ctx& ctx) {
    const auto& f = ctx.req.form();
    std::string title = f.value("title");
    std::string subject = f.value("subject");
    if (title.size() > 200 || subject.size() > 100)
      throw http::BadRequest("A field in the form is too long.");
    std::optional<int> grade = parse_grade(f.value("grade"));
    std::string error;
    if (content::free_space(ctx.blobs->tmp_dir()) < ctx.settings->disk_reserve)
      error = ctx.tr("The box's card is nearly full: the file was not added.");
    std::vector<domain::FileRef> files;
    if (error.empty()) files = take_uploads(ctx, "file", &error);
    if (error.empty() && files.size() != 1) error = ctx.tr("Choose one file to add.");
    if (error.empty() && title.empty()) title = files[0].filename;
    if (!error.empty()) {
      mstch::map data{{"error", error}};
      return page(ctx, "library_add", std::move(data), "Library", 422);
    }
    std::int64_t id =
        domain::add_own_item(ctx.db, ctx.clock, files[0], title, subject, grade, ctx.me().id);
    return http::Response::redirect("/library/" + std::to_string(id));
  });

  // A teacher attaches a library item to one of their assignments.
  app.route("POST", "/assignments/{id}/materials", kTeacher, [](Ctx& ctx) {
    auto a = domain::find_assignment(ctx.db, ctx.req.id("id"));
    if (!a) throw http::NotFound();
    if (!domain::teaches(ctx.db, ctx.me(), a->class_id, a->subject_id)) throw http::Forbidden();
    const std::string v = ctx.req.form().value("item_id");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos ||
        !domain::find_item(ctx.db, std::stoll(v)))
      throw http::BadRequest("The form refers to something that does not exist.");
    domain::link_material(ctx.db, a->id, std::stoll(v));
    return http::Response::redirect("/assignments/" + std::to_string(a->id));
  });

  // ---- content packs (admin) ----
  app.route("GET", "/admin/packs", kAdmin, [](Ctx& ctx) { return packs_page(ctx, "", ""); });
  app.route("POST", "/admin/packs", kAdmin, [](Ctx& ctx) {
    auto& form = const_cast<http::Form&>(ctx.req.form());
    http::UploadedFile* f = nullptr;
    for (auto& x : form.files)
      if (x.field == "pack") f = &x;
    if (!f || f->size == 0) return packs_page(ctx, ctx.tr("Choose a pack file."), "", 422);
    std::string path = f->temp_path;
    if (path.empty()) {  // small upload kept in memory: give the reader a file
      path = ctx.blobs->tmp_dir() + "/pack-upload-" + domain::random_token().substr(0, 12);
      std::FILE* fp = std::fopen(path.c_str(), "wb");
      if (!fp) throw std::runtime_error("cannot write " + path);
      std::fwrite(f->data.data(), 1, f->data.size(), fp);
      std::fclose(fp);
      auto resp = import_result(ctx, path, ctx.req.form().value("unsigned") == "1");
      std::filesystem::remove(path);
      return resp;
    }
    // The temp upload is removed with the request.
    return import_result(ctx, path, ctx.req.form().value("unsigned") == "1");
  });
  // A pack a stick left waiting: import it anyway (the admin's choice), or delete it.
  app.route("POST", "/admin/packs/usb", kAdmin, [](Ctx& ctx) {
    std::string name = ctx.req.form().value("name");
    auto files = waiting_packs(*ctx.settings);
    // Only a name from the listing: never a path the browser made up.
    if (std::find(files.begin(), files.end(), name) == files.end())
      return packs_page(ctx, ctx.tr("That pack is not waiting any more."), "", 422);
    std::string path = ctx.settings->packs_waiting_dir + "/" + name;
    if (ctx.req.form().value("action") == "delete") {
      std::filesystem::remove(path);
      return packs_page(ctx, "", ctx.tr("The pack was deleted without importing it."));
    }
    auto resp = import_result(ctx, path, true);
    if (resp.status < 400) std::filesystem::remove(path);
    return resp;
  });
}

}  // namespace parta::web
