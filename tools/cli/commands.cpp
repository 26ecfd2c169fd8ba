#include "cli/commands.hpp"

#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "app/credentials_table.hpp"
#include "app/data_dir.hpp"
#include "cli/sync_commands.hpp"
#include "content/durable.hpp"
#include "domain/demo.hpp"
#include "domain/library.hpp"
#include "domain/roster_import.hpp"
#include "storage/migrations.hpp"
#include "sync/identity.hpp"
#include "web/i18n.hpp"

namespace parta::cli {

namespace {

struct Options {
  std::string data = "data";
  web::Lang lang = web::Lang::ru;
  std::vector<std::string> words;  // positional arguments after the command
  std::map<std::string, std::string> flags;
};

struct Command {
  const char* name;
  const char* usage;
  const char* help;
  std::function<int(Options&)> run;
};

std::string tr(const Options& o, const domain::Message& m) {
  return web::Catalogue::instance().format(o.lang, m);
}

std::unique_ptr<storage::Database> open_db(const Options& o) {
  return app::open_database(app::open_data_dir(o.data));
}

void print_credentials(const std::vector<domain::Credential>& creds) {
  std::fputs(app::credentials_table(creds).c_str(), stdout);
}

int cmd_init(Options& o) {
  auto db = open_db(o);
  std::printf("data folder %s ready, schema version %d\n", o.data.c_str(), db->schema_version());
  return 0;
}

int cmd_demo(Options& o) {
  auto db = open_db(o);
  domain::SystemClock clock;
  auto c = db->acquire();
  auto creds = domain::fill_demo(*c, clock);
  if (creds.empty()) {
    std::fprintf(stderr, "the database already has a school; nothing changed\n");
    return 1;
  }
  print_credentials(creds);
  return 0;
}

int cmd_roster(Options& o) {
  if (o.words.size() != 2 || o.words[0] != "import") {
    std::fprintf(stderr, "usage: parta roster import FILE\n");
    return 2;
  }
  std::ifstream in(o.words[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", o.words[1].c_str());
    return 1;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string bytes = buf.str();
  if (bytes.size() > domain::kMaxRosterBytes) {
    std::cerr << tr(o, {"The file is too large.", {}}) << "\n";
    return 1;
  }
  auto db = open_db(o);
  domain::SystemClock clock;
  auto c = db->acquire();
  auto report = domain::import_roster(*c, clock, domain::parse_roster_csv(bytes));
  if (!report.ok()) {
    std::cerr << tr(o, {"Nothing was imported. Fix the file and try again:", {}}) << "\n";
    for (const auto& e : report.errors) std::cerr << "  " << tr(o, e) << "\n";
    return 1;
  }
  std::cout << tr(o, {"Imported: {created} new students, {updated} updated, {parents} new parents, "
                      "{classes} new classes.",
                      {{"created", std::to_string(report.created)},
                       {"updated", std::to_string(report.updated)},
                       {"parents", std::to_string(report.parents_created)},
                       {"classes", std::to_string(report.classes_created)}}})
            << "\n";
  print_credentials(report.credentials);
  return 0;
}

int cmd_db(Options& o) {
  if (o.words.size() != 1 || o.words[0] != "check") {
    std::fprintf(stderr, "usage: parta db check\n");
    return 2;
  }
  auto db = open_db(o);
  auto result = db->integrity_check();
  for (const auto& line : result) std::printf("%s\n", line.c_str());
  std::printf("schema version %d (this parta knows up to %d)\n", db->schema_version(),
              storage::kSchemaVersion);
  return result.size() == 1 && result[0] == "ok" ? 0 : 1;
}

int cmd_user(Options& o) {
  auto db = open_db(o);
  auto c = db->acquire();
  domain::SystemClock clock;
  if (o.words.size() == 2 && o.words[0] == "reset") {
    auto u = domain::find_user_by_login(*c, o.words[1]);
    if (!u) {
      std::fprintf(stderr, "no user with login %s\n", o.words[1].c_str());
      return 1;
    }
    bool pin = o.flags.count("pin") > 0;
    std::string s = domain::reset_secret(
        *c, u->id, pin ? domain::SecretKind::pin : domain::SecretKind::password);
    domain::forget_first_admin_password(*u, app::DataDir{o.data}.first_admin_password_path());
    print_credentials({{u->full_name(), "", u->role, u->login, s, pin}});
    return 0;
  }
  if (o.words.size() == 1 && o.words[0] == "add") {
    auto role = domain::parse_role(o.flags["role"]);
    std::string login = o.flags["login"];
    std::istringstream name(o.flags["name"]);
    std::vector<std::string> parts;
    for (std::string w; name >> w;) parts.push_back(w);
    if (!role || (*role != domain::Role::admin && *role != domain::Role::teacher) ||
        !domain::valid_login(login) || parts.size() < 2 || parts.size() > 3) {
      std::fprintf(stderr,
                   "usage: parta user add --role admin|teacher --login LOGIN "
                   "--name \"Фамилия Имя [Отчество]\"\n");
      return 2;
    }
    if (domain::find_user_by_login(*c, login)) {
      std::fprintf(stderr, "login %s is taken\n", login.c_str());
      return 1;
    }
    std::string pw = domain::generate_password();
    domain::create_user(*c, clock,
                        {login, parts[0], parts[1], parts.size() > 2 ? parts[2] : "", *role,
                         domain::SecretKind::password, ""},
                        pw);
    print_credentials({{o.flags["name"], "", *role, login, pw, false}});
    return 0;
  }
  std::fprintf(stderr, "usage: parta user reset LOGIN [--pin] | parta user add ...\n");
  return 2;
}

int cmd_content(Options& o) {
  auto dir = app::open_data_dir(o.data);
  auto db = app::open_database(dir);
  content::BlobStore blobs(dir.root);
  auto c = db->acquire();
  domain::SystemClock clock;
  if (o.words.size() == 2 && o.words[0] == "import") {
    std::uint64_t reserve = 500ull << 20;
    if (o.flags.count("reserve-mb")) reserve = std::stoull(o.flags["reserve-mb"]) << 20;
    auto r = domain::import_pack_file(*c, clock, blobs, o.words[1], 0, reserve);
    if (r.problem) {
      std::cerr << tr(o, {"The pack was not imported: {why}", {{"why", tr(o, *r.problem)}}})
                << "\n";
      return 1;
    }
    std::cout << tr(o, domain::import_summary(r)) << "\n";
    return 0;
  }
  if (o.words.size() == 1 && o.words[0] == "gc") {
    std::size_t n = domain::collect_garbage(*c, blobs, 3600);
    std::printf("removed %zu unreferenced files\n", n);
    return 0;
  }
  std::fprintf(stderr, "usage: parta content import PACK [--reserve-mb MB] | parta content gc\n");
  return 2;
}

int cmd_token(Options& o) {
  if (o.words.size() != 2 || o.words[0] != "create") {
    std::fprintf(stderr, "usage: parta token create LOGIN [--label TEXT]\n");
    return 2;
  }
  auto db = open_db(o);
  auto c = db->acquire();
  auto u = domain::find_user_by_login(*c, o.words[1]);
  if (!u) {
    std::fprintf(stderr, "no user with login %s\n", o.words[1].c_str());
    return 1;
  }
  domain::SystemClock clock;
  std::printf("%s\n", domain::create_api_token(*c, clock, u->id, o.flags["label"]).c_str());
  return 0;
}

// First boot of a box: the school's admin account `admin` with a random password, left in
// <data>/first-admin-password (0600) for the admin page to show until it is changed; and the
// device's sync keys. Does nothing that is already done, so running it again is harmless.
int cmd_firstboot(Options& o) {
  auto dir = app::open_data_dir(o.data);
  auto db = app::open_database(dir);
  auto id = sync::load_or_create_identity(dir.root);
  std::printf("device %s, fingerprint %s\n", id.device_id.c_str(), id.fingerprint().c_str());
  auto c = db->acquire();
  if (c->scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'").value_or(0) > 0) {
    std::printf("an admin account exists; nothing to do\n");
    return 0;
  }
  if (domain::find_user_by_login(*c, domain::kFirstAdminLogin)) {
    std::fprintf(stderr, "login %s is taken by someone who is not an admin\n",
                 domain::kFirstAdminLogin);
    return 1;
  }
  std::string pw = domain::generate_password();
  // The file first: a power cut before the account exists leaves a file the next run replaces;
  // the other way round would leave an admin whose password nobody knows.
  content::write_file_durably(dir.first_admin_password_path(), pw + "\n", 0600);
  domain::SystemClock clock;
  domain::create_user(*c, clock,
                      {domain::kFirstAdminLogin, "Администратор", "Школы", "", domain::Role::admin,
                       domain::SecretKind::password, ""},
                      pw);
  std::printf("admin account '%s' created; its password is in %s and on the admin's start page\n",
              domain::kFirstAdminLogin, dir.first_admin_password_path().c_str());
  return 0;
}

int cmd_sync(Options& o) {
  SyncArgs a{o.data, o.lang, o.words, o.flags};
  return run_sync(a);
}

int cmd_district(Options& o) {
  SyncArgs a{o.data, o.lang, o.words, o.flags};
  return run_district(a);
}

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
      {"content", "content import PACK | content gc",
       "import a content pack (all or nothing); remove files nothing refers to", cmd_content},
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
  };
  return kCommands;
}

void usage() {
  std::printf(
      "Usage: parta [--data DIR] [--lang ru|en] COMMAND ...\n"
      "Parta's admin command line. Works on the data folder directly (default ./data).\n\n");
  for (const auto& c : commands()) std::printf("  %-62s %s\n", c.usage, c.help);
}

}  // namespace

int run(const std::vector<std::string>& args) {
  if (sodium_init() < 0) return 1;
  Options o;
  const Command* cmd = nullptr;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h" || a == "help") {
      usage();
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      std::string key = a.substr(2);
      bool takes_value = key != "pin";
      std::string value;
      if (takes_value) {
        if (i + 1 >= args.size()) {
          std::fprintf(stderr, "%s needs a value\n", a.c_str());
          return 2;
        }
        value = args[++i];
      }
      if (key == "data") {
        o.data = value;
      } else if (key == "lang") {
        o.lang = web::parse_lang(value);
      } else {
        o.flags[key] = value;
      }
    } else if (!cmd) {
      for (const auto& c : commands())
        if (a == c.name) cmd = &c;
      if (!cmd) {
        std::fprintf(stderr, "unknown command %s\n\n", a.c_str());
        usage();
        return 2;
      }
    } else {
      o.words.push_back(a);
    }
  }
  if (!cmd) {
    usage();
    return 2;
  }
  try {
    return cmd->run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parta: %s\n", e.what());
    return 1;
  }
}

}  // namespace parta::cli
