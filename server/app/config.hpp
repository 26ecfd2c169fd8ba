#pragma once
// partad's settings: command line over an optional config file (`key = value` lines).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parta::app {

struct Config {
  std::string data_dir = "data";
  std::string listen = "127.0.0.1:8080";
  int threads = 64;
  std::size_t max_form = 1024 * 1024;  // URL-encoded forms
  std::uint64_t max_upload_mb = 200;   // one multipart upload (recordings are large)
  std::string log_level = "info";
  std::string usb_dir = "/media/parta-usb";
  std::uint64_t disk_reserve_mb = 500;
  std::string portal_host;  // the name phones are sent to by captive-portal probes ("" = as asked)
  int decode_threads = 0;   // scan decoding threads (0 = default_decode_threads())
  std::string role = "school";       // or "district": the hub schools sync with
  std::string district_url;          // school: http://host:port of the district hub ("" = USB only)
  std::string district_key;          // school: the district's public key (hex), for enrollment
  int sync_interval_min = 30;        // school: how often to try the network
  std::uint64_t sync_rate_kbit = 0;  // school: cap on the upload rate (0 = none)
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

// Scan decoding threads when the settings leave it to the box: one per core, but no more than one
// per 512 MiB of RAM (a noisy page's decoding takes about 130 MiB per thread: a Pi Zero 2 W with
// 512 MB gets one), and at least one.
unsigned default_decode_threads(unsigned cores, std::uint64_t ram_bytes);
// The same for this machine (its cores and physical memory).
unsigned default_decode_threads();

}  // namespace parta::app
