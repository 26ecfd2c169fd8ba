#include "app/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "http/front.hpp"

namespace parta::app {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::optional<std::string> set(Config* cfg, const std::string& key, const std::string& value) {
  try {
    if (key == "data") {
      cfg->data_dir = value;
    } else if (key == "listen") {
      cfg->listen = value;
    } else if (key == "threads") {
      int n = std::stoi(value);
      if (n < 2 || n > 1024) return "threads must be between 2 and 1024";
      cfg->threads = n;
    } else if (key == "max_form") {
      long long n = std::stoll(value);
      if (n < 1024 || n > (64LL << 20)) return "max_form must be between 1024 and 67108864";
      cfg->max_form = static_cast<std::size_t>(n);
    } else if (key == "max_upload_mb") {
      long long n = std::stoll(value);
      if (n < 1 || n > 4096) return "max_upload_mb must be between 1 and 4096";
      cfg->max_upload_mb = static_cast<std::uint64_t>(n);
    } else if (key == "usb_dir") {
      cfg->usb_dir = value;
    } else if (key == "box_conf") {
      cfg->box_conf = value;
    } else if (key == "disk_reserve_mb") {
      long long n = std::stoll(value);
      if (n < 0 || n > 1000000) return "disk_reserve_mb must be between 0 and 1000000";
      cfg->disk_reserve_mb = static_cast<std::uint64_t>(n);
    } else if (key == "portal_host") {
      // A port only where the portal is not on port 80 (the demo's front on 127.0.0.1:8080).
      auto colon = value.find(':');
      bool port_ok = colon == std::string::npos ||
                     (colon + 1 < value.size() && colon + 6 >= value.size() &&
                      value.find_first_not_of("0123456789", colon + 1) == std::string::npos);
      if (value.find_first_of(" /\"<>") != std::string::npos || value.size() > 253 || !port_ok)
        return "portal_host must be a host name like parta.school";
      cfg->portal_host = value;
    } else if (key == "trusted_front") {
      std::vector<std::string> addresses;
      std::istringstream in(value);
      for (std::string a; std::getline(in, a, ',');) {
        a = trim(a);
        if (a.empty()) continue;
        if (!http::is_ip_address(a))
          return "trusted_front must be the front's IP addresses, like 127.0.0.1";
        addresses.push_back(a);
      }
      cfg->trusted_front = addresses;
    } else if (key == "accel_prefix") {
      // A path of the front's own (an internal location), never one of partad's routes.
      bool ok =
          value.empty() ||
          (value.size() >= 3 && value.front() == '/' && value.back() == '/' &&
           value.find("..") == std::string::npos && value.find("//") == std::string::npos &&
           value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-/") == std::string::npos);
      if (!ok)
        return "accel_prefix must look like /_accel/blobs/ (lower-case, starts and ends with /)";
      cfg->accel_prefix = value;
    } else if (key == "decode_threads") {
      int n = std::stoi(value);
      if (n < 0 || n > 64) return "decode_threads must be between 0 and 64";
      cfg->decode_threads = n;
    } else if (key == "paper_helper") {
      cfg->paper_helper = value;
    } else if (key == "paper_memory_mb") {
      long long n = std::stoll(value);
      if (n < 64 || n > 65536) return "paper_memory_mb must be between 64 and 65536";
      cfg->paper_memory_mb = static_cast<std::uint64_t>(n);
    } else if (key == "paper_timeout_s") {
      int n = std::stoi(value);
      if (n < 1 || n > 3600) return "paper_timeout_s must be between 1 and 3600";
      cfg->paper_timeout_s = n;
    } else if (key == "travel_long_side") {
      int n = std::stoi(value);
      if (n != 0 && (n < 400 || n > 8000))
        return "travel_long_side must be 0 (originals travel) or between 400 and 8000";
      cfg->travel_long_side = n;
    } else if (key == "travel_quality") {
      int n = std::stoi(value);
      if (n < 20 || n > 95) return "travel_quality must be between 20 and 95";
      cfg->travel_quality = n;
    } else if (key == "hash_slots") {
      int n = std::stoi(value);
      if (n < 0 || n > 64) return "hash_slots must be between 0 and 64";
      cfg->hash_slots = n;
    } else if (key == "hash_wait_ms") {
      int n = std::stoi(value);
      if (n < 1 || n > 60000) return "hash_wait_ms must be between 1 and 60000";
      cfg->hash_wait_ms = n;
    } else if (key == "zim_wait_ms") {
      int n = std::stoi(value);
      if (n < 0 || n > 600000) return "zim_wait_ms must be between 0 and 600000";
      cfg->zim_wait_ms = n;
    } else if (key == "hand_in_quota_mb") {
      long long n = std::stoll(value);
      if (n < 1 || n > 1000000) return "hand_in_quota_mb must be between 1 and 1000000";
      cfg->hand_in_quota_mb = static_cast<std::uint64_t>(n);
    } else if (key == "role") {
      if (value != "school" && value != "district") return "role must be school or district";
      cfg->role = value;
    } else if (key == "district_url") {
      if (!value.empty() && value.rfind("http://", 0) != 0)
        return "district_url must look like http://host:port";
      cfg->district_url = value;
    } else if (key == "district_key") {
      if (value.size() != 64 ||
          value.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        return "district_key must be the district's key: 64 hex digits";
      cfg->district_key = value;
    } else if (key == "district_db") {
      if (!value.empty() && value.rfind("postgresql://", 0) != 0 &&
          value.rfind("postgres://", 0) != 0)
        return "district_db must be a PostgreSQL URI: postgresql://user@host/database";
      cfg->district_db = value;
    } else if (key == "sync_interval_min") {
      int n = std::stoi(value);
      if (n < 1 || n > 10080) return "sync_interval_min must be between 1 and 10080";
      cfg->sync_interval_min = n;
    } else if (key == "sync_rate_kbit") {
      long long n = std::stoll(value);
      if (n < 0 || n > 10000000) return "sync_rate_kbit must be between 0 and 10000000";
      cfg->sync_rate_kbit = static_cast<std::uint64_t>(n);
    } else if (key == "sync_part_mb") {
      long long n = std::stoll(value);
      if (n < 1 || n > 4000) return "sync_part_mb must be between 1 and 4000";
      cfg->sync_part_mb = static_cast<std::uint64_t>(n);
    } else if (key == "count_statements") {
      if (value != "on" && value != "off") return "count_statements must be on or off";
      cfg->count_statements = value == "on";
    } else if (key == "log_level") {
      if (value != "error" && value != "warning" && value != "info" && value != "debug")
        return "log_level must be error, warning, info or debug";
      cfg->log_level = value;
    } else {
      return "unknown setting '" + key + "'";
    }
  } catch (const std::exception&) {
    return "'" + value + "' is not a number for " + key;
  }
  return std::nullopt;
}

}  // namespace

const char* partad_usage() {
  return "Usage: partad [options]\n"
         "Parta's daemon: serves the school portal over HTTP.\n\n"
         "  --data DIR          data folder (database, files); created on first start [data]\n"
         "  --listen ADDR:PORT  where to listen [127.0.0.1:8080]\n"
         "  --config FILE       read settings from FILE (key = value: data, listen, threads,\n"
         "                      max_form, max_upload_mb, log_level, usb_dir, disk_reserve_mb,\n"
         "                      portal_host, decode_threads, paper_helper, paper_memory_mb,\n"
         "                      paper_timeout_s, travel_long_side, travel_quality, hash_slots,\n"
         "                      hash_wait_ms, hand_in_quota_mb, role,\n"
         "                      district_url, district_key, sync_interval_min, sync_rate_kbit,\n"
         "                      sync_part_mb, district_db,\n"
         "                      trusted_front, accel_prefix, box_conf, count_statements,\n"
         "                      zim_wait_ms); later\n"
         "                      options override it\n"
         "  --threads N         worker threads, one per open connection [64]\n"
         "  --max-form BYTES    largest form (not upload) accepted [1048576]\n"
         "  --max-upload-mb MB  largest upload accepted, e.g. a recording [200]\n"
         "  --log-level LEVEL   error, warning, info or debug [info]\n"
         "  --usb-dir DIR       where a USB stick with content packs is mounted "
         "[/media/parta-usb]\n"
         "  --disk-reserve-mb MB  free space imports never use [500]\n"
         "  --paper-helper PATH the parta-paper helper [beside partad, or ../lib/parta/]\n"
         "  --role ROLE         school (a school's box) or district (the hub schools sync with)\n"
         "  --district-url URL  school: the district hub, http://host:port (else USB only)\n"
         "  --district-key HEX  school: the district's public key, for enrollment\n"
         "  --district-db URI   district: keep the hub's data in PostgreSQL\n"
         "                      (postgresql://user@host/db), remembered in DATA/hub-database;\n"
         "                      several hub processes may then share one data folder\n"
         "  --trusted-front ADDR[,ADDR]  behind the box's nginx front, which connects from ADDR:\n"
         "                      the visitor's address is the front's X-Real-IP\n"
         "  --accel-prefix PATH the front's internal location for stored files "
         "(X-Accel-Redirect);\n"
         "                      partad also leaves its static files in DATA/static/ for it\n"
         "  --demo              fill an empty database with a demo school and print its logins\n"
         "  --count-statements  tests: say on every response how many SQL statements it ran\n"
         "                      (header X-Parta-Statements)\n"
         "  --list-routes       print every route with the roles allowed, then exit\n"
         "  --help              this text\n";
}

std::string read_box_setting(const std::string& file, const std::string& key,
                             const std::string& fallback) {
  std::ifstream in(file);
  std::string line, value;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq != std::string::npos && trim(line.substr(0, eq)) == key)
      value = trim(line.substr(eq + 1));
  }
  return value.empty() ? fallback : value;
}

std::optional<std::string> read_config_file(const std::string& path, Config* cfg) {
  std::ifstream in(path);
  if (!in) return "cannot read config file " + path;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) return path + ":" + std::to_string(n) + ": expected key = value";
    if (auto err = set(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))))
      return path + ":" + std::to_string(n) + ": " + *err;
  }
  return std::nullopt;
}

std::optional<std::string> parse_args(const std::vector<std::string>& args, Config* cfg) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      cfg->help = true;
    } else if (a == "--demo") {
      cfg->demo = true;
    } else if (a == "--list-routes") {
      cfg->list_routes = true;
    } else if (a == "--count-statements") {
      cfg->count_statements = true;
    } else if (a == "--config" || a == "--data" || a == "--listen" || a == "--threads" ||
               a == "--max-form" || a == "--max-upload-mb" || a == "--log-level" ||
               a == "--usb-dir" || a == "--disk-reserve-mb" || a == "--role" ||
               a == "--district-url" || a == "--district-key" || a == "--trusted-front" ||
               a == "--accel-prefix" || a == "--paper-helper" || a == "--district-db") {
      auto v = value();
      if (!v) return a + " needs a value";
      if (a == "--config") {
        if (auto err = read_config_file(*v, cfg)) return err;
        continue;
      }
      std::string key = a.substr(2);
      for (char& c : key)
        if (c == '-') c = '_';
      if (auto err = set(cfg, key, *v)) return err;
    } else {
      return "unknown option " + a + " (see --help)";
    }
  }
  return std::nullopt;
}

unsigned default_decode_threads(unsigned cores, std::uint64_t ram_bytes) {
  std::uint64_t by_ram = ram_bytes / (512ull * 1024 * 1024);
  return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(cores, by_ram)));
}

namespace {
std::uint64_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<std::uint64_t>(pages) * size : 0;
}
}  // namespace

unsigned default_decode_threads() {
  std::uint64_t ram = physical_memory();
  // Unknown memory: one per core, as before.
  return ram ? default_decode_threads(std::thread::hardware_concurrency(), ram)
             : std::max(1u, std::thread::hardware_concurrency());
}

unsigned default_hash_slots(unsigned cores, std::uint64_t ram_bytes) {
  std::uint64_t by_ram = ram_bytes / (128ull * 1024 * 1024);
  return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(cores, by_ram)));
}

unsigned default_hash_slots() {
  std::uint64_t ram = physical_memory();
  // Unknown memory: one per core, which is what the CPU could run anyway.
  return ram ? default_hash_slots(std::thread::hardware_concurrency(), ram)
             : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace parta::app
