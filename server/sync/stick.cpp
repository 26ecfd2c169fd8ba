#include "sync/stick.hpp"

#include <algorithm>
#include <filesystem>

namespace parta::sync {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> bundles_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  // Plain files only (never a symlink or a FIFO someone left on the stick).
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.symlink_status(ec).type() == fs::file_type::regular && e.path().extension() == ".ptb")
      out.push_back(e.path());
  // Oldest first: each import is idempotent, and the newest carries everything anyway.
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) {
    std::error_code e1, e2;
    return fs::last_write_time(a, e1) < fs::last_write_time(b, e2);
  });
  return out;
}

// Removes the older bundles in a folder once a newer one is on the stick and verified.
void drop_older(const fs::path& dir, const std::string& keep) {
  for (const auto& p : bundles_in(dir))
    if (p.filename().string() != keep) {
      std::error_code ec;
      fs::remove(p, ec);
    }
}

std::string district_id(Node& n) {
  if (n.role == Role::district) return n.id.device_id;
  auto c = n.db.acquire();
  auto d = district_peer(*c);
  if (!d) throw std::runtime_error("this box is not enrolled with a district yet");
  return d->device_id;
}

}  // namespace

std::string stick_enroll_dir(const std::string& stick_root) { return stick_root + "/parta/enroll"; }

StickExport stick_export(Node& n, const std::string& stick_root) {
  StickExport out;
  fs::path base = fs::path(stick_root) / "parta" / district_id(n);
  if (n.role == Role::school) {
    fs::path dir = base / "to-district" / n.id.device_id;
    auto r = export_bundle(n, "", dir.string());
    drop_older(dir, fs::path(r.path).filename().string());
    out.bundles.push_back(r);
    return out;
  }
  std::vector<PeerInfo> schools;
  {
    auto c = n.db.acquire();
    for (auto& p : list_peers(*c))
      if (p.role == "school" && !p.revoked) schools.push_back(p);
  }
  for (const auto& s : schools) {
    fs::path dir = base / "to-school" / s.device_id;
    auto r = export_bundle(n, s.device_id, dir.string());
    drop_older(dir, fs::path(r.path).filename().string());
    out.bundles.push_back(r);
  }
  return out;
}

StickImport stick_import(Node& n, const std::string& stick_root) {
  StickImport out;
  fs::path base = fs::path(stick_root) / "parta";
  std::error_code ec;
  if (n.role == Role::school) {
    fs::path dir = base / district_id(n) / "to-school" / n.id.device_id;
    for (const auto& p : bundles_in(dir))
      out.results.emplace_back(p.filename().string(), import_bundle(n, p.string(), "usb"));
    return out;
  }
  fs::path dir = base / n.id.device_id / "to-district";
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& school : fs::directory_iterator(dir, ec)) {
    if (school.symlink_status(ec).type() != fs::file_type::directory) continue;
    for (const auto& p : bundles_in(school.path()))
      out.results.emplace_back(school.path().filename().string() + "/" + p.filename().string(),
                               import_bundle(n, p.string(), "usb"));
  }
  return out;
}

std::string stick_write_request(Node& n, const std::string& stick_root, const std::string& school) {
  fs::create_directories(stick_enroll_dir(stick_root));
  std::string path = stick_enroll_dir(stick_root) + "/" + n.id.device_id + ".request";
  write_file_durably(path, make_enroll_request(n.id, school));
  std::string why;
  if (!parse_enroll_request(read_file(path), &why))
    throw std::runtime_error("the request did not read back correctly: the stick may be failing");
  return path;
}

std::optional<domain::Message> stick_accept_certificate(Node& n, const std::string& stick_root,
                                                        bool* found) {
  std::string path = stick_enroll_dir(stick_root) + "/" + n.id.device_id + ".certificate";
  std::error_code ec;
  *found = fs::symlink_status(path, ec).type() == fs::file_type::regular;
  if (!*found) return std::nullopt;
  return accept_certificate(n, read_file(path));
}

}  // namespace parta::sync
