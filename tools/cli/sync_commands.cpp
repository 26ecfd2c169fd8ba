#include "cli/sync_commands.hpp"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "app/data_dir.hpp"
#include "domain/school.hpp"
#include "sync/engine.hpp"
#include "sync/net_client.hpp"
#include "sync/records.hpp"
#include "sync/stick.hpp"

namespace parta::cli {

namespace fs = std::filesystem;

namespace {

// Everything a sync command needs, opened once: data folder, database, blobs, identity.
struct Box {
  app::DataDir dir;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<content::BlobStore> blobs;
  domain::SystemClock clock;
  std::unique_ptr<sync::Node> node;

  Box(const std::string& data, sync::Role role) {
    dir = app::open_data_dir(data);
    db = app::open_database(dir);
    blobs = std::make_unique<content::BlobStore>(dir.root);
    auto id = sync::load_or_create_identity(dir.root);
    {
      auto c = db->acquire();
      sync::ensure_epoch(*c, clock, dir.root, id, role);
    }
    node.reset(new sync::Node{*db, clock, *blobs, id, role, dir.root,
                              sync::read_district_key(dir.root), 500ull << 20});
  }
};

std::string tr(const SyncArgs& a, const domain::Message& m) {
  return web::Catalogue::instance().format(a.lang, m);
}

int print_import(const SyncArgs& a, const std::string& name, const sync::ImportResult& r) {
  if (r.ok) {
    std::printf("%s: %s\n", name.c_str(), tr(a, r.reason).c_str());
    return 0;
  }
  std::fprintf(stderr, "%s: %s (%s)\n", name.c_str(), tr(a, r.reason).c_str(), r.code.c_str());
  return 1;
}

void print_export(const SyncArgs& a, const sync::ExportResult& r) {
  std::printf("%s\n", r.path.c_str());
  std::printf("%s\n", tr(a, {"Written and checked: {records} records, {files} files, {bytes} "
                             "bytes. The stick can be removed.",
                             {{"records", std::to_string(r.records)},
                              {"files", std::to_string(r.blobs)},
                              {"bytes", std::to_string(r.bytes)}}})
                          .c_str());
}

int status(Box& b) {
  auto c = b.db->acquire();
  std::printf("device %s\nfingerprint %s\nrole %s\n", b.node->id.device_id.c_str(),
              b.node->id.fingerprint().c_str(), sync::role_name(b.node->role));
  auto q = c->query("SELECT epoch FROM sync_self");
  if (q.next()) std::printf("epoch %s\n", q.text(0).c_str());
  std::printf("last sequence %lld\n", static_cast<long long>(sync::last_seq(*c)));
  for (const auto& p : sync::list_peers(*c)) {
    std::string lane = b.node->role == sync::Role::school ? "" : p.device_id;
    std::printf("peer %s %s \"%s\"%s backlog %lld\n", p.device_id.c_str(), p.role.c_str(),
                p.name.c_str(), p.revoked ? " REVOKED" : "",
                static_cast<long long>(sync::outbox_backlog(*c, lane)));
  }
  for (const auto& al : sync::open_alarms(*c))
    std::printf("ALARM %s %s: %s\n", al.peer.c_str(), al.kind.c_str(), al.detail.c_str());
  return 0;
}

int dump(Box& b, const std::string& school) {
  auto c = b.db->acquire();
  auto lines =
      b.node->role == sync::Role::school ? sync::school_dump(*c) : sync::district_dump(*c, school);
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
  return 0;
}

// Prints a command's usage line; its exit status.
int usage(const char* text) {
  std::fputs(text, stderr);
  return 2;
}

const char* kSyncUsage =
    "usage: parta sync status | export --to DIR | import FILE|DIR | request --to DIR "
    "[--school NAME] | accept FILE|DIR | district-key HEX | push --url URL [--rate-kbit N] | "
    "dump\n";

}  // namespace

int run_sync(SyncArgs& a) {
  if (a.words.empty()) return usage(kSyncUsage);
  const std::string& w = a.words[0];
  if (w == "district-key" && a.words.size() == 2) {
    app::open_data_dir(a.data);
    if (!sync::write_district_key(a.data, a.words[1])) {
      std::fprintf(stderr, "not a district key (64 hex digits)\n");
      return 1;
    }
    std::printf("district key stored\n");
    return 0;
  }
  Box b(a.data, sync::Role::school);
  if (w == "status") return status(b);
  if (w == "dump") return dump(b, "");
  if (w == "export" && a.flags.count("to")) {
    auto r = sync::stick_export(*b.node, a.flags["to"]);
    for (const auto& x : r.bundles) print_export(a, x);
    return 0;
  }
  if (w == "import" && a.words.size() == 2) {
    if (fs::is_directory(a.words[1])) {
      auto r = sync::stick_import(*b.node, a.words[1]);
      int rc = 0;
      for (const auto& [name, res] : r.results) rc |= print_import(a, name, res);
      if (r.results.empty())
        std::printf("%s\n", tr(a, {"No bundles for this box on the stick.", {}}).c_str());
      return rc;
    }
    return print_import(a, a.words[1], sync::import_bundle(*b.node, a.words[1], "file"));
  }
  if (w == "request" && a.flags.count("to")) {
    std::string school = a.flags.count("school") ? a.flags["school"] : "";
    if (school.empty()) {
      auto c = b.db->acquire();
      school = domain::school_info(*c).name;
    }
    std::printf("%s\nfingerprint %s\n",
                sync::stick_write_request(*b.node, a.flags["to"], school).c_str(),
                b.node->id.fingerprint().c_str());
    return 0;
  }
  if (w == "accept" && a.words.size() == 2) {
    std::optional<domain::Message> problem;
    if (fs::is_directory(a.words[1])) {
      bool found = false;
      problem = sync::stick_accept_certificate(*b.node, a.words[1], &found);
      if (!found) {
        std::fprintf(stderr, "%s\n",
                     tr(a, {"There is no certificate for this box on the stick.", {}}).c_str());
        return 1;
      }
    } else {
      problem = sync::accept_certificate(*b.node, sync::read_file(a.words[1]));
    }
    if (problem) {
      std::fprintf(stderr, "%s\n", tr(a, *problem).c_str());
      return 1;
    }
    std::printf("%s\n", tr(a, {"Enrolled with the district.", {}}).c_str());
    return 0;
  }
  if (w == "push" && a.flags.count("url")) {
    sync::NetOptions opt;
    opt.url = a.flags["url"];
    if (a.flags.count("rate-kbit")) opt.rate_bytes_per_s = std::stoull(a.flags["rate-kbit"]) * 125;
    if (a.flags.count("attempts")) opt.max_attempts = std::stoi(a.flags["attempts"]);
    auto r = sync::sync_over_network(*b.node, opt);
    std::printf(
        "uploaded %llu bytes (%llu sent again after drops), downloaded %llu, %d "
        "attempts\n",
        static_cast<unsigned long long>(r.uploaded), static_cast<unsigned long long>(r.resent),
        static_cast<unsigned long long>(r.downloaded), r.attempts);
    if (!r.ok) {
      std::fprintf(stderr, "%s\n", r.error.c_str());
      return 1;
    }
    if (r.imported) print_import(a, "district", *r.imported);
    return 0;
  }
  return usage(kSyncUsage);
}

namespace {

const char* kDistrictUsage =
    "usage: parta district status | key | enroll REQUEST --fingerprint FP [--out FILE] | "
    "revoke DEVICE | export --to DIR | import FILE|DIR | announce --title T [--body B] | "
    "send-pack FILE [--to DEVICE] | send-roster FILE --to DEVICE | grade DEVICE RID MARK | "
    "dump DEVICE\n";

}  // namespace

int run_district(SyncArgs& a) {
  if (a.words.empty()) return usage(kDistrictUsage);
  Box b(a.data, sync::Role::district);
  const std::string& w = a.words[0];
  if (w == "status") return status(b);
  if (w == "key") {
    std::printf("%s\n", content::bundle::to_hex(b.node->id.sign.pk).c_str());
    return 0;
  }
  if (w == "dump" && a.words.size() == 2) return dump(b, a.words[1]);
  if (w == "enroll" && a.words.size() == 2 && a.flags.count("fingerprint")) {
    domain::Message problem;
    std::string req_path = a.words[1];
    auto e =
        sync::enroll_school(*b.node, sync::read_file(req_path), a.flags["fingerprint"], &problem);
    if (!e) {
      std::fprintf(stderr, "%s\n", tr(a, problem).c_str());
      return 1;
    }
    std::string out =
        a.flags.count("out")
            ? a.flags["out"]
            : (fs::path(req_path).parent_path() / (e->device_id + ".certificate")).string();
    sync::write_file_durably(out, e->certificate);
    std::printf("%s\nenrolled %s (%s)\n", out.c_str(), e->school.c_str(), e->device_id.c_str());
    return 0;
  }
  if (w == "revoke" && a.words.size() == 2) {
    if (!sync::revoke_school(*b.node, a.words[1])) {
      std::fprintf(stderr, "no enrolled school %s\n", a.words[1].c_str());
      return 1;
    }
    std::printf("revoked %s; the other schools learn it with their next bundle\n",
                a.words[1].c_str());
    return 0;
  }
  if (w == "export" && a.flags.count("to")) {
    auto r = sync::stick_export(*b.node, a.flags["to"]);
    for (const auto& x : r.bundles) print_export(a, x);
    return 0;
  }
  if (w == "import" && a.words.size() == 2) {
    if (fs::is_directory(a.words[1])) {
      int rc = 0;
      for (const auto& [name, res] : sync::stick_import(*b.node, a.words[1]).results)
        rc |= print_import(a, name, res);
      return rc;
    }
    return print_import(a, a.words[1], sync::import_bundle(*b.node, a.words[1], "file"));
  }
  if (w == "announce" && a.flags.count("title")) {
    sync::district_announce(*b.node, a.flags["to"], a.flags["title"], a.flags["body"]);
    std::printf("queued for the next return bundles\n");
    return 0;
  }
  if ((w == "send-pack" || w == "send-roster") && a.words.size() == 2) {
    if (w == "send-roster" && !a.flags.count("to")) {
      return usage(kDistrictUsage);
    }
    sync::district_send_file(*b.node, a.flags["to"], w == "send-pack" ? "pack" : "roster",
                             a.words[1]);
    std::printf("queued for the next return bundles\n");
    return 0;
  }
  if (w == "grade" && a.words.size() == 4) {
    auto v = sync::district_set_grade(*b.node, a.words[1], a.words[2], a.words[3]);
    if (!v) {
      std::fprintf(stderr, "no such grade\n");
      return 1;
    }
    std::printf("grade %s set to %s (version %lld)\n", a.words[2].c_str(), a.words[3].c_str(),
                static_cast<long long>(*v));
    return 0;
  }
  return usage(kDistrictUsage);
}

}  // namespace parta::cli
