#pragma once
// partad's settings: command line over an optional config file (`key = value` lines).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parta::app {

// The paper helper's address-space limit (RLIMIT_AS) by default: sized for a 512 MB Pi, where
// one helper runs at a time beside partad. Measured (x86_64, tests/bench/RESULTS.md): reading a
// 40-megapixel photo of noise, the largest page it decodes, peaks at 165 MiB resident and fails
// under 256 MiB of address space but not under 320; a 12 MP photo needs 124 MiB resident.
inline constexpr std::uint64_t kDefaultPaperMemoryMb = 384;

struct Config {
  std::string data_dir = "data";
  std::string listen = "127.0.0.1:8080";
  int threads = 64;
  std::size_t max_form = 1024 * 1024;  // URL-encoded forms
  std::uint64_t max_upload_mb = 200;   // one multipart upload (recordings are large)
  std::string log_level = "info";
  std::string usb_dir = "/media/parta-usb";
  std::string box_conf = "/etc/parta/box.conf";  // the box's Wi-Fi and portal name (firmware/)
  std::uint64_t disk_reserve_mb = 500;
  std::string portal_host;  // the name phones are sent to by captive-portal probes ("" = as asked)
  // Behind the box's nginx front: the addresses it connects from (its X-Real-IP is believed from
  // them only), and its internal location for stored files ("" = partad sends files itself).
  std::vector<std::string> trusted_front;
  std::string accel_prefix;
  int decode_threads = 0;  // paper helpers at once for a scan batch (0 = default_decode_threads())
  std::string paper_helper;  // the parta-paper binary ("" = find_paper_helper())
  std::uint64_t paper_memory_mb = kDefaultPaperMemoryMb;  // its address-space limit
  int paper_timeout_s = 60;  // its wall-clock limit for one page, one packet or one CUPS call
  // School: the travel copies of photos handed in (what goes to the district in their place):
  // the long side in pixels (0: originals travel) and the JPEG quality.
  int travel_long_side = 1400;
  int travel_quality = 50;
  int hash_slots = 0;       // argon2id hashes at once (0 = default_hash_slots())
  int hash_wait_ms = 3000;  // how long a sign-in waits for a slot before "try again"
  int zim_wait_ms = 3000;   // how long the admin waits on an archive's check before "checking…"
  std::uint64_t hand_in_quota_mb = 300;  // what one student's hand-ins may take on the card
  std::string role = "school";           // or "district": the hub schools sync with
  std::string district_url;          // school: http://host:port of the district hub ("" = USB only)
  std::string district_key;          // school: the district's public key (hex), for enrollment
  int sync_interval_min = 30;        // school: how often to try the network
  std::uint64_t sync_rate_kbit = 0;  // school: cap on the upload rate (0 = none)
  std::uint64_t sync_part_mb = 64;   // a bundle over the network carries about this much at most
  std::string district_db;           // district: the hub's PostgreSQL URI ("" = as the folder says)
  bool count_statements = false;     // tests: X-Parta-Statements on every response
  bool demo = false;
  bool list_routes = false;
  bool help = false;
};

// Parses argv (and --config FILE, read where it appears). Returns an error message on bad input.
std::optional<std::string> parse_args(const std::vector<std::string>& args, Config* cfg);
// Applies one `key = value` config file. Returns an error message naming the line.
std::optional<std::string> read_config_file(const std::string& path, Config* cfg);
const char* partad_usage();
// The value of the last `key = value` line of box.conf (firmware/config/box.conf.example), or
// `fallback` when the file or the key is missing or empty.
std::string read_box_setting(const std::string& file, const std::string& key,
                             const std::string& fallback);

// Scan decoding threads when the settings leave it to the box: one per core, but no more than one
// per 512 MiB of RAM (a noisy page's decoding takes about 130 MiB per thread: a Pi Zero 2 W with
// 512 MB gets one), and at least one.
unsigned default_decode_threads(unsigned cores, std::uint64_t ram_bytes);
// The same for this machine (its cores and physical memory).
unsigned default_decode_threads();
// argon2id hashes at once when the settings leave it to the box: one per core, but no more than
// one per 128 MiB of RAM (each takes 19 MiB, and the portal needs the rest), at least one.
unsigned default_hash_slots(unsigned cores, std::uint64_t ram_bytes);
unsigned default_hash_slots();

}  // namespace parta::app
