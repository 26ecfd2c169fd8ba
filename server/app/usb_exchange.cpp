#include "app/usb_exchange.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "app/log.hpp"
#include "content/durable.hpp"
#include "domain/library.hpp"
#include "domain/school.hpp"
#include "sync/stick.hpp"
#include "web/i18n.hpp"
#include "web/stick_messages.hpp"

namespace parta::app {

namespace fs = std::filesystem;

namespace {

// Only plain files are ever opened from a stick: a FIFO would hang the reader, a symlink could
// point anywhere on the box.
bool plain_file(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::regular;
}

bool plain_dir(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::directory;
}

std::string utc_stamp(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string tr_ru(const domain::Message& m) {
  return web::Catalogue::instance().format(web::Lang::ru, m);
}

// The note for a person at a Windows computer: Russian then English, CRLF, UTF-8 with a BOM.
std::string admin_note(const Config& cfg, const std::string& password) {
  std::string ssid = read_box_setting(cfg.box_conf, "ssid", "Parta");
  std::string url = "http://" + read_box_setting(cfg.box_conf, "portal_host", "parta.school") + "/";
  bool open = read_box_setting(cfg.box_conf, "passphrase", "").empty();
  std::string join_ru = open ? "" : " (пароль сети задан в parta-box.conf)";
  std::string join_en = open ? "" : " (with the network password set in parta-box.conf)";
  const std::string lines[] = {
      "Parta: пароль первого администратора",
      "",
      "1. Подключитесь к Wi-Fi «" + ssid + "»" + join_ru + ".",
      "2. Откройте в браузере " + url,
      "3. Войдите: логин admin, пароль " + password,
      "4. Смените пароль в разделе «Профиль».",
      "Этот файл записан на одну флешку, один раз: удалите его, когда смените пароль.",
      "",
      "Parta: the first administrator's password",
      "",
      "1. Join the Wi-Fi \"" + ssid + "\"" + join_en + ".",
      "2. Open " + url + " in a browser.",
      "3. Sign in: login admin, password " + password,
      "4. Change the password under \"Профиль\" (Profile).",
      "This file was written to one stick, once: delete it once the password is changed.",
  };
  std::string out = "\xef\xbb\xbf";
  for (const auto& l : lines) out += l + "\r\n";
  return out;
}

// The first admin's password goes to a stick only while nobody can have changed it yet and
// someone is at the box: the first stick plugged in within kFirstAdminWindow of the first boot
// (when `parta firstboot` wrote the password), once. Who got it is recorded for the admin page.
std::string first_admin_password(Box& box, const fs::path& stick, const std::string& label) {
  fs::path note = stick / "PARTA-ADMIN-PASSWORD.txt";
  std::string password;
  {
    std::ifstream in(box.dir.first_admin_password_path());
    std::getline(in, password);
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty() || password.size() > 64) {
    // Changed already: no stick may carry the old one around.
    if (!plain_file(note)) return "";
    std::error_code ec;
    return fs::remove(note, ec) ? "admin-password-deleted" : "admin-password-not-deleted";
  }
  if (first_admin_delivery(box.dir.first_admin_delivery_path())) return "admin-password-not-given";
  std::error_code ec;
  auto written = fs::last_write_time(box.dir.first_admin_password_path(), ec);
  auto age = fs::file_time_type::clock::now() - written;
  if (ec || age > kFirstAdminWindow || age < -kFirstAdminWindow) return "admin-password-not-given";
  try {
    content::write_file_durably(note.string(), admin_note(box.cfg, password), 0600);
  } catch (const std::exception& e) {
    log::warning(std::string("usb: the admin's password was not written: ") + e.what());
    return "admin-password-not-written";
  }
  content::write_file_durably(box.dir.first_admin_delivery_path(),
                              std::to_string(box.clock->now()) + "\t" + one_line(label) + "\n",
                              0600);
  log::info("usb: the first admin's password was written to the stick \"" + label + "\"");
  return "admin-password-written";
}

// Copies a pack nobody trusted signed into the waiting folder (temp, fsync, rename), if the card
// has room for it beside the reserve.
bool keep_for_admin(Box& box, const fs::path& pack) {
  std::error_code ec;
  auto size = fs::file_size(pack, ec);
  if (ec || size + (box.cfg.disk_reserve_mb << 20) > content::free_space(box.dir.root))
    return false;
  fs::path dir = packs_waiting_dir(box);
  fs::create_directories(dir, ec);
  fs::path tmp = fs::path(box.scratch) / ("waiting-" + pack.filename().string());
  if (!fs::copy_file(pack, tmp, fs::copy_options::overwrite_existing, ec)) return false;
  try {
    content::fsync_file(tmp.string());
    fs::rename(tmp, dir / pack.filename());
    content::fsync_dir(dir.string());
  } catch (const std::exception&) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

void import_packs(Box& box, const fs::path& stick, UsbResult* r) {
  fs::path dir = stick / "parta" / "packs";
  if (!plain_dir(dir)) return;
  std::vector<fs::path> packs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool pack_name = name.ends_with(".tar.gz") || name.ends_with(".tar.zst") ||
                     name.ends_with(".tar") || name.ends_with(".parta-pack");
    if (pack_name && plain_file(e.path())) packs.push_back(e.path());
    // A reference archive (ZIM) waits for the admin, who adds it on the archives page, where it
    // is checked whole (minutes for a Wikipedia: not while the stick is in).
    if (name.ends_with(".zim") && plain_file(e.path()) && keep_for_admin(box, e.path()))
      ++r->archives;
  }
  std::sort(packs.begin(), packs.end());
  domain::PackTrust trust{sync::read_district_key(box.dir.root), false, false};
  for (const auto& p : packs) {
    auto c = box.db->acquire();
    auto res = domain::import_pack_file(*c, *box.clock, *box.blobs, p.string(), 0,
                                        box.cfg.disk_reserve_mb << 20, trust);
    if (res.needs_admin && keep_for_admin(box, p)) {
      // The admin decides on the library page (from a phone: the stick is gone by then).
      ++r->waiting;
    } else if (res.problem) {
      ++r->refused;
      r->problems.push_back(
          {"{file}: {why}", {{"file", p.filename().string()}, {"why", tr_ru(*res.problem)}}});
    } else {
      ++r->imported;
    }
  }
}

void count(UsbResult* r, const std::string& name, const sync::ImportResult& res) {
  if (res.ok) {
    ++r->imported;
  } else {
    ++r->refused;
    r->problems.push_back({"{file}: {why}", {{"file", name}, {"why", tr_ru(res.reason)}}});
  }
}

// A stick nobody has put anything on: nothing at its top but what systems leave on every stick
// (Windows' "System Volume Information" and recycle bin, a phone's LOST.DIR, dot folders of
// macOS and Linux desktops).
bool unused_stick(const fs::path& stick) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(stick, ec)) {
    std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || name == "System Volume Information" ||
        name == "$RECYCLE.BIN" || name == "RECYCLER" || name == "LOST.DIR")
      continue;
    return false;
  }
  return !ec;
}

// fresh: the stick was unused when it was plugged in. A box not enrolled yet leaves its request
// on it (in parta/enroll/) as on a stick the district prepared; a stick with anything else on it
// and no parta/ folder is not written to.
void exchange_bundles(Box& box, const fs::path& stick, bool fresh, UsbResult* r) {
  const bool prepared = plain_dir(stick / "parta");
  if (!prepared && !fresh) return;
  auto& n = *box.node;
  try {
    if (n.role == sync::Role::district) {
      if (!prepared) return;
      for (const auto& [name, res] : sync::stick_import(n, stick.string()).results)
        count(r, name, res);
      auto x = sync::stick_export(n, stick.string());
      ++r->imported;
      for (const auto& s : x.no_room) {
        ++r->refused;
        r->problems.push_back(web::no_room_for_school(web::Lang::ru, s));
      }
      return;
    }
    bool enrolled = false;
    {
      auto c = box.db->acquire();
      enrolled = sync::district_peer(*c).has_value();
    }
    if (enrolled) {
      if (!prepared) return;
      for (const auto& [name, res] : sync::stick_import(n, stick.string()).results)
        count(r, name, res);
      for (const auto& b : sync::stick_export(n, stick.string()).bundles) r->more += b.more;
      ++r->imported;
    } else if (fresh || plain_dir(sync::stick_enroll_dir(stick.string()))) {
      // Not enrolled yet: take the certificate if the district left one, else leave the request.
      bool found = false;
      auto problem = sync::stick_accept_certificate(n, stick.string(), &found);
      if (found && !problem) {
        ++r->imported;
      } else {
        if (problem) {
          ++r->refused;
          r->problems.push_back(*problem);
        }
        std::string school;
        {
          auto c = box.db->acquire();
          school = domain::school_info(*c).name;
        }
        sync::stick_write_request(n, stick.string(), school);
        ++r->imported;
      }
    }
  } catch (const std::exception& e) {
    ++r->refused;
    log::warning(std::string("usb: ") + e.what());
    r->problems.push_back(stick_trouble(e));
  }
}

}  // namespace

domain::Message stick_trouble(const std::exception& e, web::Lang lang) {
  // The stick's file operations (std::filesystem, the bundle writer, durable writes) throw
  // std::system_error with the errno.
  if (const auto* big = dynamic_cast<const sync::PartTooBig*>(&e))
    return web::stick_too_small(lang, *big);
  int code = 0;
  if (const auto* se = dynamic_cast<const std::system_error*>(&e)) code = se->code().value();
  auto says = [&](int c) { return code == c; };
  if (says(ENOSPC) || says(EFBIG) || says(EDQUOT))
    return {
        "The stick is full: free some space on it (or take a bigger one) and plug it in "
        "again.",
        {}};
  if (says(EROFS) || says(EACCES) || says(EPERM))
    return {"The stick is write-protected: move its lock switch or take another one.", {}};
  return {
      "The stick could not be read or written: it may be damaged or was pulled out. Try "
      "another one.",
      {}};
}

std::string packs_waiting_dir(const std::string& data_dir) { return data_dir + "/packs-waiting"; }
std::string packs_waiting_dir(const Box& box) { return packs_waiting_dir(box.dir.root); }

std::vector<std::string> packs_waiting(const std::string& data_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(packs_waiting_dir(data_dir), ec))
    if (plain_file(e.path())) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<FirstAdminDelivery> first_admin_delivery(const std::string& given_file) {
  std::ifstream in(given_file);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  FirstAdminDelivery d;
  auto tab = line.find('\t');
  try {
    d.at = std::stoll(line.substr(0, tab));
  } catch (const std::exception&) {
    d.at = 0;
  }
  if (tab != std::string::npos) d.stick = line.substr(tab + 1);
  return d;
}

void write_usb_status(const Box& box, const std::string& state, const UsbResult& r,
                      const std::string& details) {
  std::string line = utc_stamp(box.clock->now()) + "\t" + state + "\t" +
                     std::to_string(r.imported) + "\t" + std::to_string(r.refused) + "\t" +
                     one_line(details) + "\t" + r.note + "\n";
  try {
    content::write_file_durably(box.dir.usb_status_path(), line, 0640);
  } catch (const std::exception& e) {
    log::warning(std::string("usb: the status line was not written: ") + e.what());
  }
}

UsbResult exchange_with_stick(Box& box, const std::string& stick_root, const std::string& label) {
  UsbResult r;
  fs::path stick(stick_root);
  write_usb_status(box, "working", r, label);
  const bool fresh = unused_stick(stick);  // before the first admin's password goes on it
  r.note = first_admin_password(box, stick, label.empty() ? "?" : label);
  import_packs(box, stick, &r);
  exchange_bundles(box, stick, fresh, &r);
  std::string details;
  if (r.waiting)
    details += tr_ru({"{count} packs not signed by the district wait for the administrator on "
                      "the library page.",
                      {{"count", std::to_string(r.waiting)}}}) +
               " ";
  if (r.archives)
    details += tr_ru({"{count} reference archives wait for the administrator on the archives "
                      "page.",
                      {{"count", std::to_string(r.archives)}}}) +
               " ";
  if (r.more) details += tr_ru(web::more_for_next_stick(r.more)) + " ";
  for (const auto& p : r.problems) details += tr_ru(p) + "; ";
  // Not "done" yet: what was written may still be in the kernel's cache, and a FAT stick pulled
  // now keeps a file of size 0. parta-usb says done once the stick is synced and unmounted.
  write_usb_status(box, "syncing", r, details);
  return r;
}

bool finish_usb_status(const Box& box, bool unmounted) {
  std::ifstream in(box.dir.usb_status_path());
  std::string line;
  if (!std::getline(in, line)) return false;
  auto tab = line.find('\t');
  auto tab2 = tab == std::string::npos ? tab : line.find('\t', tab + 1);
  if (tab2 == std::string::npos || line.substr(tab + 1, tab2 - tab - 1) != "syncing") return false;
  std::string rest = line.substr(tab2);
  if (!unmounted) {
    // The details say why, in Russian like the rest of the line.
    auto d = rest.find('\t', rest.find('\t', 1) + 1);  // before the details
    if (d != std::string::npos)
      rest.insert(d + 1, tr_ru({"The stick could not be unmounted: wait a minute before pulling "
                                "it out.",
                                {}}) +
                             " ");
  }
  try {
    content::write_file_durably(box.dir.usb_status_path(),
                                utc_stamp(box.clock->now()) + "\tdone" + rest + "\n", 0640);
  } catch (const std::exception& e) {
    log::warning(std::string("usb: the status line was not written: ") + e.what());
    return false;
  }
  return true;
}

}  // namespace parta::app
