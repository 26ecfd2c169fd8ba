#include "app/admin_commands.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "app/credentials_table.hpp"
#include "app/usb_exchange.hpp"
#include "content/durable.hpp"
#include "domain/demo.hpp"
#include "domain/library.hpp"
#include "domain/roster_import.hpp"
#include "domain/school.hpp"
#include "storage/migrations.hpp"
#include "sync/net_client.hpp"
#include "sync/records.hpp"
#include "sync/stick.hpp"
#include "web/stick_messages.hpp"

namespace parta::app {

namespace fs = std::filesystem;

namespace {

// A command line taken apart: the words after the command and the --flags, each with where it
// stood in args (the CLI passes descriptors for some of them).
struct Parsed {
  std::string cmd;
  std::vector<std::string> words;
  std::vector<std::size_t> word_at;
  std::map<std::string, std::string> flags;
  std::map<std::string, std::size_t> flag_at;
  std::string error;
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string flag(const std::string& f) const {
    auto it = flags.find(f);
    return it == flags.end() ? std::string() : it->second;
  }
};

// Flags that take no value.
const std::set<std::string> kSwitches = {"pin", "unsigned"};

Parsed parse(const std::vector<std::string>& args) {
  Parsed p;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string key(a.begin() + 2, a.end());
      if (kSwitches.count(key)) {
        p.flags.insert_or_assign(key, std::string(1, '1'));
        continue;
      }
      if (i + 1 >= args.size()) {
        p.error = a + " needs a value";
        return p;
      }
      p.flags[key] = args[++i];
      p.flag_at[key] = i;
    } else if (p.cmd.empty()) {
      p.cmd = a;
    } else {
      p.words.push_back(a);
      p.word_at.push_back(i);
    }
  }
  return p;
}

std::string tr(const CommandIo& io, const domain::Message& m) {
  return web::Catalogue::instance().format(io.lang, m);
}

int usage(CommandIo& io, const char* text) {
  io.err << text;
  return 2;
}

void print_credentials(CommandIo& io, const std::vector<domain::Credential>& creds) {
  io.out << credentials_table(creds);
}

int cmd_init(Box& b, Parsed&, CommandIo& io) {
  io.out << "data folder " << b.dir.root << " ready, schema version " << b.db->schema_version()
         << "\n";
  return 0;
}

int cmd_demo(Box& b, Parsed&, CommandIo& io) {
  auto c = b.db->acquire();
  auto creds = domain::fill_demo(*c, *b.clock);
  if (creds.empty()) {
    io.err << "the database already has a school; nothing changed\n";
    return 1;
  }
  print_credentials(io, creds);
  return 0;
}

int cmd_roster(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.size() != 2 || p.words[0] != "import")
    return usage(io, "usage: parta roster import FILE\n");
  std::ifstream in(p.words[1], std::ios::binary);
  if (!in) {
    io.err << "cannot read " << p.words[1] << "\n";
    return 1;
  }
  std::string bytes(domain::kMaxRosterBytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > domain::kMaxRosterBytes) {
    io.err << tr(io, {"The file is too large.", {}}) << "\n";
    return 1;
  }
  auto c = b.db->acquire();
  auto report = domain::import_roster(*c, *b.clock, domain::parse_roster_csv(bytes));
  if (!report.ok()) {
    io.err << tr(io, {"Nothing was imported. Fix the file and try again:", {}}) << "\n";
    for (const auto& e : report.errors) io.err << "  " << tr(io, e) << "\n";
    return 1;
  }
  io.out << tr(io, {"Imported: {created} new students, {updated} updated, {parents} new parents, "
                    "{classes} new classes.",
                    {{"created", std::to_string(report.created)},
                     {"updated", std::to_string(report.updated)},
                     {"parents", std::to_string(report.parents_created)},
                     {"classes", std::to_string(report.classes_created)}}})
         << "\n";
  if (report.ids_generated)
    io.out << tr(io, {"The file has no student IDs for {count} students: they got IDs made from "
                      "the class, the name and the date of birth, the same at every import of "
                      "this list.",
                      {{"count", std::to_string(report.ids_generated)}}})
           << "\n";
  if (!report.unused_columns.empty()) {
    std::string unused;
    for (const auto& col : report.unused_columns)
      unused += (unused.empty() ? "«" : ", «") + col + "»";
    io.out << tr(io, {"These columns were not used: {columns}.", {{"columns", unused}}}) << "\n";
  }
  print_credentials(io, report.credentials);
  return 0;
}

int cmd_db(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.size() != 1 || p.words[0] != "check") return usage(io, "usage: parta db check\n");
  auto result = b.db->integrity_check();
  for (const auto& line : result) io.out << line << "\n";
  io.out << "schema version " << b.db->schema_version() << " (this parta knows up to "
         << storage::kSchemaVersion << ")\n";
  return result.size() == 1 && result[0] == "ok" ? 0 : 1;
}

int cmd_user(Box& b, Parsed& p, CommandIo& io) {
  auto c = b.db->acquire();
  if (p.words.size() == 2 && p.words[0] == "reset") {
    auto u = domain::find_user_by_login(*c, p.words[1]);
    if (!u) {
      io.err << "no user with login " << p.words[1] << "\n";
      return 1;
    }
    bool pin = p.has("pin");
    std::string s = domain::reset_secret(
        *c, u->id, pin ? domain::SecretKind::pin : domain::SecretKind::password);
    domain::forget_first_admin_password(*u, b.dir.first_admin_password_path());
    print_credentials(io, {{u->full_name(), "", u->role, u->login, s, pin}});
    return 0;
  }
  if (p.words.size() == 1 && p.words[0] == "add") {
    auto role = domain::parse_role(p.flag("role"));
    std::string login = p.flag("login");
    std::istringstream name(p.flag("name"));
    std::vector<std::string> parts;
    for (std::string w; name >> w;) parts.push_back(w);
    if (!role || (*role != domain::Role::admin && *role != domain::Role::teacher) ||
        !domain::valid_login(login) || parts.size() < 2 || parts.size() > 3)
      return usage(io,
                   "usage: parta user add --role admin|teacher --login LOGIN "
                   "--name \"Фамилия Имя [Отчество]\"\n");
    if (domain::find_user_by_login(*c, login)) {
      io.err << "login " << login << " is taken\n";
      return 1;
    }
    std::string pw = domain::generate_password();
    domain::create_user(*c, *b.clock,
                        {login, parts[0], parts[1], parts.size() > 2 ? parts[2] : "", *role,
                         domain::SecretKind::password, ""},
                        pw);
    print_credentials(io, {{p.flag("name"), "", *role, login, pw, false}});
    return 0;
  }
  return usage(io, "usage: parta user reset LOGIN [--pin] | parta user add ...\n");
}

int cmd_content(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.size() == 2 && p.words[0] == "import") {
    std::uint64_t reserve = b.cfg.disk_reserve_mb << 20;
    if (p.has("reserve-mb")) reserve = std::stoull(p.flag("reserve-mb")) << 20;
    domain::PackTrust trust{sync::read_district_key(b.dir.root), p.has("unsigned")};
    auto c = b.db->acquire();
    auto r = domain::import_pack_file(*c, *b.clock, *b.blobs, p.words[1], 0, reserve, trust);
    if (r.problem) {
      io.err << tr(io, {"The pack was not imported: {why}", {{"why", tr(io, *r.problem)}}}) << "\n";
      return 1;
    }
    io.out << tr(io, domain::import_summary(r)) << "\n";
    return 0;
  }
  if (p.words.size() == 1 && p.words[0] == "gc") {
    auto c = b.db->acquire();
    auto r = domain::collect_garbage(*c, *b.blobs, 3600);
    io.out << "removed " << r.files << " unreferenced files (" << r.bytes << " bytes)\n";
    return 0;
  }
  return usage(io,
               "usage: parta content import PACK [--unsigned] [--reserve-mb MB] | "
               "parta content gc\n");
}

int cmd_token(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.size() != 2 || p.words[0] != "create")
    return usage(io, "usage: parta token create LOGIN [--label TEXT]\n");
  auto c = b.db->acquire();
  auto u = domain::find_user_by_login(*c, p.words[1]);
  if (!u) {
    io.err << "no user with login " << p.words[1] << "\n";
    return 1;
  }
  io.out << domain::create_api_token(*c, *b.clock, u->id, p.flag("label")) << "\n";
  return 0;
}

// First boot of a box: the school's admin account `admin` with a random password, left in
// <data>/first-admin-password (0600) for the admin page to show until it is changed; and the
// device's sync keys (made when the box was opened). Does nothing that is already done, so
// running it again is harmless.
int cmd_firstboot(Box& b, Parsed&, CommandIo& io) {
  io.out << "device " << b.identity.device_id << ", fingerprint " << b.identity.fingerprint()
         << "\n";
  auto c = b.db->acquire();
  if (c->scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND secret_hash != '!'")
          .value_or(0) > 0) {
    io.out << "an admin account exists; nothing to do\n";
    return 0;
  }
  if (domain::find_user_by_login(*c, domain::kFirstAdminLogin)) {
    io.err << "login " << domain::kFirstAdminLogin << " is taken by someone who is not an admin\n";
    return 1;
  }
  std::string pw = domain::generate_password();
  // The file first: a power cut before the account exists leaves a file the next run replaces;
  // the other way round would leave an admin whose password nobody knows.
  content::write_file_durably(b.dir.first_admin_password_path(), pw + "\n", 0600);
  domain::create_user(*c, *b.clock,
                      {domain::kFirstAdminLogin, "Администратор", "Школы", "", domain::Role::admin,
                       domain::SecretKind::password, ""},
                      pw);
  io.out << "admin account '" << domain::kFirstAdminLogin << "' created; its password is in "
         << b.dir.first_admin_password_path() << " and on the admin's start page\n";
  return 0;
}

// --- sync: a school box and the district hub ------------------------------------------------

int print_import(CommandIo& io, const std::string& name, const sync::ImportResult& r) {
  if (r.ok) {
    io.out << name << ": " << tr(io, r.reason) << "\n";
    return 0;
  }
  io.err << name << ": " << tr(io, r.reason) << " (" << r.code << ")\n";
  return 1;
}

void print_export(CommandIo& io, const sync::ExportResult& r) {
  io.out << r.path << "\n"
         << tr(io, {"Written and checked: {records} records, {files} files, {bytes} bytes. The "
                    "stick can be removed.",
                    {{"records", std::to_string(r.records)},
                     {"files", std::to_string(r.blobs)},
                     {"bytes", std::to_string(r.bytes)}}})
         << "\n";
  if (r.more > 0) io.out << tr(io, web::more_for_next_stick(r.more)) << "\n";
}

void print_export(CommandIo& io, const sync::StickExport& x) {
  for (const auto& r : x.bundles) print_export(io, r);
  for (const auto& s : x.no_room) io.err << tr(io, web::no_room_for_school(io.lang, s)) << "\n";
}

int sync_status(Box& b, CommandIo& io) {
  auto& n = *b.node;
  auto c = b.db->acquire();
  io.out << "device " << n.id.device_id << "\nfingerprint " << n.id.fingerprint() << "\nrole "
         << sync::role_name(n.role) << "\n";
  auto q = c->query("SELECT epoch FROM sync_self");
  if (q.next()) io.out << "epoch " << q.text(0) << "\n";
  io.out << "last sequence " << sync::last_seq(*c) << "\n";
  for (const auto& peer : sync::list_peers(*c)) {
    std::string lane = n.role == sync::Role::school ? "" : peer.device_id;
    io.out << "peer " << peer.device_id << " " << peer.role << " \"" << peer.name << "\""
           << (peer.revoked ? " REVOKED" : "") << " backlog " << sync::outbox_backlog(*c, lane)
           << "\n";
  }
  for (const auto& al : sync::open_alarms(*c))
    io.out << "ALARM " << al.peer << " " << al.kind << ": " << al.detail << "\n";
  return 0;
}

int sync_dump(Box& b, CommandIo& io, const std::string& school) {
  // The records as they travel: the photos' travel copies still missing are made first, as an
  // export would.
  if (b.node->role == sync::Role::school && b.node->before_export) b.node->before_export();
  auto c = b.db->acquire();
  auto lines =
      b.node->role == sync::Role::school ? sync::school_dump(*c) : sync::district_dump(*c, school);
  for (const auto& l : lines) io.out << l << "\n";
  return 0;
}

int import_from(Box& b, CommandIo& io, const std::string& what) {
  if (fs::is_directory(what)) {
    auto r = sync::stick_import(*b.node, what);
    int rc = 0;
    for (const auto& [name, res] : r.results) rc |= print_import(io, name, res);
    if (r.results.empty() && b.node->role == sync::Role::school)
      io.out << tr(io, {"No bundles for this box on the stick.", {}}) << "\n";
    return rc;
  }
  return print_import(io, what, sync::import_bundle(*b.node, what, "file"));
}

const char* kSyncUsage =
    "usage: parta sync status | export --to DIR | import FILE|DIR | request --to DIR "
    "[--school NAME] | accept FILE|DIR | district-key HEX | push --url URL [--rate-kbit N] "
    "[--part-mb N] | "
    "dump\n";

bool is_role(Box& b, sync::Role role, CommandIo& io) {
  if (b.node->role == role) return true;
  io.err << (role == sync::Role::school
                 ? "this is a district hub (role = district): use parta district ...\n"
                 : "this is a school box: parta district ... runs on the district hub "
                   "(role = district)\n");
  return false;
}

int cmd_sync(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.empty()) return usage(io, kSyncUsage);
  const std::string& w = p.words[0];
  if (w == "status") return sync_status(b, io);
  if (!is_role(b, sync::Role::school, io)) return 2;
  if (w == "district-key" && p.words.size() == 2) {
    if (!sync::write_district_key(b.dir.root, p.words[1])) {
      io.err << "not a district key (64 hex digits)\n";
      return 1;
    }
    b.node->district_key = sync::read_district_key(b.dir.root);
    io.out << "district key stored\n";
    return 0;
  }
  if (w == "dump") return sync_dump(b, io, "");
  if (w == "export" && p.has("to")) {
    try {
      print_export(io, sync::stick_export(*b.node, p.flag("to")));
    } catch (const sync::PartTooBig& e) {
      io.err << tr(io, web::stick_too_small(io.lang, e)) << "\n";
      return 1;
    }
    return 0;
  }
  if (w == "import" && p.words.size() == 2) return import_from(b, io, p.words[1]);
  if (w == "request" && p.has("to")) {
    std::string school = p.flag("school");
    if (school.empty()) {
      auto c = b.db->acquire();
      school = domain::school_info(*c).name;
    }
    io.out << sync::stick_write_request(*b.node, p.flag("to"), school) << "\nfingerprint "
           << b.node->id.fingerprint() << "\n";
    return 0;
  }
  if (w == "accept" && p.words.size() == 2) {
    std::optional<domain::Message> problem;
    if (fs::is_directory(p.words[1])) {
      bool found = false;
      problem = sync::stick_accept_certificate(*b.node, p.words[1], &found);
      if (!found) {
        io.err << tr(io, {"There is no certificate for this box on the stick.", {}}) << "\n";
        return 1;
      }
    } else {
      problem = sync::accept_certificate(*b.node, sync::read_file(p.words[1]));
    }
    if (problem) {
      io.err << tr(io, *problem) << "\n";
      return 1;
    }
    io.out << tr(io, {"Enrolled with the district.", {}}) << "\n";
    return 0;
  }
  if (w == "push" && p.has("url")) {
    sync::NetOptions opt;
    opt.url = p.flag("url");
    if (p.has("rate-kbit")) opt.rate_bytes_per_s = std::stoull(p.flag("rate-kbit")) * 125;
    if (p.has("attempts")) opt.max_attempts = std::stoi(p.flag("attempts"));
    if (p.has("part-mb")) {
      auto mb = std::stoull(p.flag("part-mb"));
      if (mb < 1 || mb > (sync::kMaxPartBytes >> 20)) return usage(io, kSyncUsage);
      b.node->net_part_bytes = mb << 20;
    }
    int parts = 0;
    auto r = sync::sync_all_parts(*b.node, opt, 1000, &parts);
    io.out << "uploaded " << r.uploaded << " bytes (" << r.resent
           << " sent again after drops), downloaded " << r.downloaded << ", " << r.attempts
           << " attempts, " << parts << " parts\n";
    if (!r.ok) {
      io.err << r.error << "\n";
      return 1;
    }
    if (r.imported) print_import(io, "district", *r.imported);
    return 0;
  }
  return usage(io, kSyncUsage);
}

const char* kDistrictUsage =
    "usage: parta district status | key | enroll REQUEST --fingerprint FP [--out FILE] | "
    "revoke DEVICE | export --to DIR | import FILE|DIR | announce --title T [--body B] | "
    "send-pack FILE [--to DEVICE] | send-roster FILE --to DEVICE | sign-pack FILE --out FILE | "
    "grade DEVICE RID MARK | dump DEVICE | queued DEVICE | withdraw DEVICE EPOCH:SEQ\n";

int cmd_district(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.empty()) return usage(io, kDistrictUsage);
  const std::string& w = p.words[0];
  if (w == "status") return sync_status(b, io);
  if (!is_role(b, sync::Role::district, io)) return 2;
  auto& n = *b.node;
  if (w == "key") {
    io.out << content::bundle::to_hex(n.id.sign.pk) << "\n";
    return 0;
  }
  if (w == "dump" && p.words.size() == 2) return sync_dump(b, io, p.words[1]);
  if (w == "enroll" && p.words.size() == 2 && p.has("fingerprint") &&
      (p.has("out") || p.has("out-dir"))) {
    domain::Message problem;
    auto e = sync::enroll_school(n, sync::read_file(p.words[1]), p.flag("fingerprint"), &problem);
    if (!e) {
      io.err << tr(io, problem) << "\n";
      return 1;
    }
    // By default beside the request, named as the school box looks for it.
    std::string out =
        p.has("out") ? p.flag("out") : p.flag("out-dir") + "/" + e->device_id + ".certificate";
    content::write_file_durably(out, e->certificate);
    io.out << out << "\nenrolled " << e->school << " (" << e->device_id << ")\n";
    return 0;
  }
  if (w == "revoke" && p.words.size() == 2) {
    if (!sync::revoke_school(n, p.words[1])) {
      io.err << "no enrolled school " << p.words[1] << "\n";
      return 1;
    }
    io.out << "revoked " << p.words[1] << "; the other schools learn it with their next bundle\n";
    return 0;
  }
  if (w == "export" && p.has("to")) {
    auto x = sync::stick_export(n, p.flag("to"));
    print_export(io, x);
    return x.no_room.empty() ? 0 : 1;
  }
  if (w == "import" && p.words.size() == 2) return import_from(b, io, p.words[1]);
  if (w == "announce" && p.has("title")) {
    sync::district_announce(n, p.flag("to"), p.flag("title"), p.flag("body"));
    io.out << "queued for the next return bundles\n";
    return 0;
  }
  if ((w == "send-pack" || w == "send-roster") && p.words.size() == 2) {
    if (w == "send-roster" && !p.has("to")) return usage(io, kDistrictUsage);
    auto caller = io.caller_paths.find(p.words[1]);
    std::string name =
        std::filesystem::path(caller != io.caller_paths.end() ? caller->second : p.words[1])
            .filename()
            .string();
    if (auto problem = sync::district_send_file(
            n, p.flag("to"), w == "send-pack" ? "pack" : "roster", p.words[1], name)) {
      io.err << tr(io, *problem) << "\n";
      return 1;
    }
    io.out << "queued for the next return bundles\n";
    return 0;
  }
  if (w == "sign-pack" && p.words.size() == 2 && p.has("out")) {
    content::Problem problem;
    if (!content::sign_pack(p.words[1], p.flag("out"), n.id.sign, &problem)) {
      io.err << tr(io, domain::to_message(problem)) << "\n";
      return 1;
    }
    io.out << p.flag("out") << "\n"
           << tr(io, {"Signed with this district's key: every box enrolled here imports it from "
                      "a USB stick.",
                      {}})
           << "\n";
    return 0;
  }
  if (w == "queued" && p.words.size() == 2) {
    // What waits for the school, and what it refused: the places to withdraw.
    auto c = n.db.acquire();
    for (const auto& q : sync::queued_for(*c, p.words[1], 200))
      io.out << "waiting  " << q.epoch << ":" << q.seq << "  " << q.kind << "  " << q.rid
             << (q.withdrawn ? "  (withdrawn)" : "") << "\n";
    for (const auto& r : sync::refusals(*c, "there", p.words[1], 200))
      io.out << "refused  " << r.epoch << ":" << r.seq << "  " << r.kind << "  " << r.rid << "  "
             << tr(io, {r.reason, {}}) << (r.withdrawn_at ? "  (withdrawn)" : "") << "\n";
    return 0;
  }
  if (w == "withdraw" && p.words.size() == 3) {
    const std::string& place = p.words[2];
    auto colon = place.rfind(':');
    std::int64_t seq = 0;
    if (colon == std::string::npos ||
        std::from_chars(place.data() + colon + 1, place.data() + place.size(), seq).ptr !=
            place.data() + place.size() ||
        seq <= 0)
      return usage(io, kDistrictUsage);
    if (auto problem = sync::district_withdraw(n, p.words[1], place.substr(0, colon), seq)) {
      io.err << tr(io, *problem) << "\n";
      return 1;
    }
    io.out << tr(io,
                 {"Withdrawn: the school learns it with its next bundle from the district.", {}})
           << "\n";
    return 0;
  }
  if (w == "grade" && p.words.size() == 4) {
    auto v = sync::district_set_grade(n, p.words[1], p.words[2], p.words[3]);
    if (!v) {
      io.err << "no such grade\n";
      return 1;
    }
    io.out << "grade " << p.words[2] << " set to " << p.words[3] << " (version " << *v << ")\n";
    return 0;
  }
  return usage(io, kDistrictUsage);
}

int cmd_usb(Box& b, Parsed& p, CommandIo& io) {
  if (p.words.size() == 2 && p.words[0] == "report" && p.words[1] == "error") {
    // parta-usb could not mount the stick: the admin page says so.
    UsbResult r;
    write_usb_status(b, "error", r, p.flag("label") + " (" + p.flag("why") + ")");
    return 0;
  }
  if (p.words.size() == 2 && p.words[0] == "report" &&
      (p.words[1] == "unmounted" || p.words[1] == "not-unmounted")) {
    // parta-usb synced the stick and unmounted it (or could not): now it may be pulled out.
    finish_usb_status(b, p.words[1] == "unmounted");
    return 0;
  }
  if (p.words.size() != 2 || p.words[0] != "exchange")
    return usage(io,
                 "usage: parta usb exchange DIR [--label NAME] | usb report error ... | usb "
                 "report unmounted|not-unmounted\n");
  auto r = exchange_with_stick(b, p.words[1], p.flag("label"));
  io.out << tr(io,
               {"Stick done: {imported} imported, {refused} refused.",
                {{"imported", std::to_string(r.imported)}, {"refused", std::to_string(r.refused)}}})
         << "\n";
  for (const auto& problem : r.problems) io.err << tr(io, problem) << "\n";
  return r.refused ? 1 : 0;
}

struct Command {
  const char* name;
  const char* usage;
  const char* help;
  std::function<int(Box&, Parsed&, CommandIo&)> run;
};

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"init", "init", "create the data folder and database (or migrate an existing one)",
       cmd_init},
      {"demo", "demo", "fill an empty database with the demo school; print its logins", cmd_demo},
      {"roster", "roster import FILE",
       "import students (and parents) from a CSV roster; all or nothing", cmd_roster},
      {"db", "db check", "run SQLite's integrity check on the database", cmd_db},
      {"user", "user reset LOGIN [--pin] | user add --role R --login L --name N",
       "reset a password (or a student's PIN) and print it; add an admin or teacher", cmd_user},
      {"token", "token create LOGIN [--label TEXT]", "create an API token for /api/v1/", cmd_token},
      {"content", "content import PACK [--unsigned] | content gc",
       "import a content pack (all or nothing; one the district did not sign only with "
       "--unsigned); remove files nothing refers to",
       cmd_content},
      {"firstboot", "firstboot",
       "first boot: device keys, and the admin account 'admin' with a random password shown on "
       "its start page until changed (idempotent)",
       cmd_firstboot},
      {"sync", "sync status|export --to DIR|import FILE|request --to DIR|accept FILE|push ...",
       "a school box's sync with the district: enrollment, bundles on a stick, the network",
       cmd_sync},
      {"district", "district status|key|enroll REQ --fingerprint FP|revoke ID|export|import ...",
       "the district hub: enroll and revoke boxes, exchange bundles, send packs and notices",
       cmd_district},
      {"usb",
       "usb exchange DIR [--label NAME] | usb report error --label NAME --why TEXT | usb report "
       "unmounted|not-unmounted",
       "everything a USB stick brings or takes (what parta-usb asks for when a stick is "
       "plugged in)",
       cmd_usb},
  };
  return kCommands;
}

const Command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

void print_admin_usage(std::ostream& out) {
  out << "Usage: parta [--data DIR] [--config FILE] [--lang ru|en] COMMAND ...\n"
         "Parta's admin command line. While partad runs, it asks partad to do the work (partad\n"
         "is the only writer of its data folder); otherwise it works on the folder itself.\n\n";
  for (const auto& c : commands()) {
    std::string u = c.usage;
    u.resize(std::max<std::size_t>(u.size(), 62), ' ');
    out << "  " << u << " " << c.help << "\n";
  }
}

bool known_admin_command(const std::string& name) { return find_command(name) != nullptr; }

int run_admin_command(Box& box, const std::vector<std::string>& args, CommandIo& io) {
  Parsed p = parse(args);
  if (!p.error.empty()) {
    io.err << p.error << "\n";
    return 2;
  }
  const Command* cmd = find_command(p.cmd);
  if (!cmd) {
    io.err << "unknown command " << p.cmd << "\n\n";
    print_admin_usage(io.err);
    return 2;
  }
  return cmd->run(box, p, io);
}

std::vector<PathArg> path_arguments(const std::vector<std::string>& args) {
  Parsed p = parse(args);
  std::vector<PathArg> out;
  std::string w = p.words.empty() ? "" : p.words[0];
  auto word = [&](std::size_t i, PathArg::Kind k) {
    if (i < p.word_at.size()) out.push_back({p.word_at[i], k});
  };
  auto flag = [&](const char* f, PathArg::Kind k) {
    if (p.flag_at.count(f)) out.push_back({p.flag_at.at(f), k});
  };
  if (p.cmd == "roster" && w == "import") word(1, PathArg::existing);
  if (p.cmd == "content" && w == "import") word(1, PathArg::existing);
  if (p.cmd == "usb" && w == "exchange") word(1, PathArg::dir);
  if (p.cmd == "sync" || p.cmd == "district") {
    if (w == "import" || w == "accept") word(1, PathArg::existing);  // a file or a folder
    if (w == "export" || w == "request") flag("to", PathArg::dir);
    if (p.cmd == "district" &&
        (w == "enroll" || w == "send-pack" || w == "send-roster" || w == "sign-pack")) {
      word(1, PathArg::existing);
      flag("out", PathArg::out_file);
      flag("out-dir", PathArg::dir);
    }
  }
  return out;
}

std::vector<std::string> complete_arguments(const std::vector<std::string>& args) {
  Parsed p = parse(args);
  std::vector<std::string> out = args;
  if (p.cmd == "district" && !p.words.empty() && p.words[0] == "enroll" && p.words.size() == 2 &&
      !p.has("out")) {
    std::string dir = fs::path(p.words[1]).parent_path().string();
    out.push_back("--out-dir");
    out.push_back(dir.empty() ? "." : dir);
  }
  return out;
}

}  // namespace parta::app
