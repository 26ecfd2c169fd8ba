#include "sync/stick.hpp"

#include <algorithm>
#include <filesystem>

#include "content/durable.hpp"

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

void drop_bundles(const fs::path& dir) {
  std::error_code ec;
  for (const auto& p : bundles_in(dir)) fs::remove(p, ec);
}

// Writes the next part for `peer` into `dir`, as big as the stick has room for: its free space
// once the bundles the part replaces are gone (each starts where the peer's acknowledgement left
// off, so the new one carries at least as much, and what they carried is still in this box's
// outbox), less a margin for the filesystem's own writes (FAT's clusters, directory entries),
// and never more than FAT32's largest file.
ExportResult write_part(Node& n, const std::string& peer, const fs::path& dir) {
  fs::create_directories(dir);
  drop_bundles(dir);
  const std::uint64_t free = content::free_space(dir.string());
  const std::uint64_t margin = (1u << 20) + free / 64;
  PartBound bound;
  bound.room = std::min(free > margin ? free - margin : 0, kMaxPartBytes);
  return export_bundle(n, peer, dir.string(), bound);
}

// Imports a bundle from the stick; one that is here now (imported, or held already) leaves the
// stick: its room is the next part's or the answer's (a school's part may fill the stick). A
// refused one stays for the admin to see.
ImportResult take(Node& n, const fs::path& p) {
  auto r = import_bundle(n, p.string(), "usb");
  if (r.ok) {
    std::error_code ec;
    fs::remove(p, ec);
  }
  return r;
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
    out.bundles.push_back(write_part(n, "", base / "to-district" / n.id.device_id));
    return out;
  }
  std::vector<PeerInfo> schools;
  {
    auto c = n.db.acquire();
    for (auto& p : list_peers(*c))
      if (p.role == "school" && !p.revoked) schools.push_back(p);
  }
  // A school whose next record does not fit in what is left of the stick gets nothing this
  // time; the other schools still get theirs.
  for (const auto& s : schools) {
    try {
      out.bundles.push_back(write_part(n, s.device_id, base / "to-school" / s.device_id));
    } catch (const PartTooBig& e) {
      out.no_room.push_back({s.device_id, e.needed, e.room});
    }
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
      out.results.emplace_back(p.filename().string(), take(n, p));
    return out;
  }
  fs::path dir = base / n.id.device_id / "to-district";
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& school : fs::directory_iterator(dir, ec)) {
    if (school.symlink_status(ec).type() != fs::file_type::directory) continue;
    for (const auto& p : bundles_in(school.path()))
      out.results.emplace_back(school.path().filename().string() + "/" + p.filename().string(),
                               take(n, p));
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
