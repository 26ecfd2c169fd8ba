#include "pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "blob_store.hpp"
#include "durable.hpp"
#include "utf8.hpp"

namespace parta::content {

namespace fs = std::filesystem;

namespace {

Problem problem(std::string msgid, std::vector<std::pair<std::string, std::string>> args = {}) {
  return Problem{std::move(msgid), std::move(args)};
}

using text::is_valid_utf8;

bool text_ok(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max || !is_valid_utf8(s)) return false;
  for (char ch : s)
    if (static_cast<unsigned char>(ch) < 0x20) return false;
  return true;
}

bool id_ok(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace

bool safe_pack_path(std::string_view p) {
  if (p.empty() || p.size() > 255 || p.front() == '/') return false;
  if (!is_valid_utf8(p)) return false;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view seg = p.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = slash + 1;
    if (slash == p.size()) break;
  }
  for (char ch : p) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') return false;
  }
  return true;
}

std::optional<PackManifest> parse_manifest(std::string_view text, Problem* out) {
  auto fail = [&](Problem p) -> std::optional<PackManifest> {
    if (out) *out = std::move(p);
    return std::nullopt;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    return fail(problem("The pack's manifest is not valid JSON."));
  }
  try {
    if (!j.is_object() || j.value("format", "") != "parta-pack")
      return fail(problem("This file is not a Parta content pack."));
    PackManifest m;
    if (!j.contains("format_version") || !j["format_version"].is_number_integer())
      return fail(problem("The pack's manifest has no format version."));
    m.format_version = j["format_version"].get<int>();
    if (m.format_version > kPackFormatVersion || m.format_version < kOldestPackFormat)
      return fail(
          problem("The pack has format version {found}; this Parta reads {from} to {to}. "
                  "Update Parta or ask the district for an older pack.",
                  {{"found", std::to_string(m.format_version)},
                   {"from", std::to_string(kOldestPackFormat)},
                   {"to", std::to_string(kPackFormatVersion)}}));
    m.id = j.value("id", "");
    if (!id_ok(m.id)) return fail(problem("The pack's id is missing or not valid."));
    if (!j.contains("version") || !j["version"].is_number_integer() ||
        j["version"].get<long>() < 1 || j["version"].get<long>() > 1000000)
      return fail(problem("The pack's version must be a whole number from 1."));
    m.version = j["version"].get<int>();
    m.title = j.value("title", "");
    if (!text_ok(m.title, 200)) return fail(problem("The pack has no title."));
    if (j.contains("subjects")) {
      for (const auto& s : j.at("subjects")) {
        std::string v = s.get<std::string>();
        if (!text_ok(v, 100))
          return fail(problem("A subject in the pack's manifest is not valid."));
        m.subjects.push_back(v);
      }
    }
    if (j.contains("grades")) {
      for (const auto& g : j.at("grades")) {
        int v = g.get<int>();
        if (v < 1 || v > 11) return fail(problem("A grade in the pack's manifest is not 1 to 11."));
        m.grades.push_back(v);
      }
    }
    if (!j.contains("items") || !j["items"].is_array() || j["items"].empty())
      return fail(problem("The pack lists no items."));
    if (j["items"].size() > 20000) return fail(problem("The pack has too many items."));
    std::set<std::string> paths;
    for (const auto& it : j["items"]) {
      PackItem item;
      item.path = it.value("path", "");
      std::string shown = item.path.substr(0, 80);
      if (!safe_pack_path(item.path) || item.path.rfind("items/", 0) != 0)
        return fail(problem("The pack's item path \"{path}\" is not allowed.", {{"path", shown}}));
      if (!paths.insert(item.path).second)
        return fail(problem("The pack lists \"{path}\" twice.", {{"path", shown}}));
      item.title = it.value("title", "");
      item.type = it.value("type", "");
      item.subject = it.value("subject", "");
      item.sha256 = it.value("sha256", "");
      if (!text_ok(item.title, 200) || !text_ok(item.type, 100) ||
          item.type.find('/') == std::string::npos ||
          (!item.subject.empty() && !text_ok(item.subject, 100)))
        return fail(
            problem("The pack's item \"{path}\" has no valid title or type.", {{"path", shown}}));
      if (!BlobStore::valid_hash(item.sha256))
        return fail(problem("The pack's item \"{path}\" has no valid SHA-256.", {{"path", shown}}));
      if (!it.contains("size") || !it["size"].is_number_unsigned())
        return fail(problem("The pack's item \"{path}\" has no size.", {{"path", shown}}));
      item.size = it["size"].get<std::uint64_t>();
      if (it.contains("grade") && !it["grade"].is_null()) {
        int g = it["grade"].get<int>();
        if (g < 1 || g > 11) return fail(problem("A grade in the pack's manifest is not 1 to 11."));
        item.grade = g;
      }
      m.items.push_back(std::move(item));
    }
    return m;
  } catch (const std::exception&) {
    return fail(problem("The pack's manifest has a field of the wrong kind."));
  }
}

std::string manifest_to_json(const PackManifest& m) {
  nlohmann::json j{{"format", "parta-pack"},
                   {"format_version", m.format_version},
                   {"id", m.id},
                   {"version", m.version},
                   {"title", m.title},
                   {"subjects", m.subjects},
                   {"grades", m.grades},
                   {"items", nlohmann::json::array()}};
  for (const auto& i : m.items) {
    nlohmann::json it{{"path", i.path},
                      {"title", i.title},
                      {"type", i.type},
                      {"size", i.size},
                      {"sha256", i.sha256}};
    if (!i.subject.empty()) it["subject"] = i.subject;
    if (i.grade) it["grade"] = *i.grade;
    j["items"].push_back(it);
  }
  return j.dump(2);
}

std::string signature_json(std::string_view manifest, const bundle::SigningKey& key) {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(manifest.data()),
                       manifest.size(), key.sk.data());
  return nlohmann::json{{"format", "parta-pack-signature"},
                        {"key", bundle::to_hex(key.pk)},
                        {"signature", bundle::to_hex(sig, sizeof sig)}}
             .dump(2) +
         "\n";
}

std::optional<std::string> check_signature(std::string_view text, std::string_view manifest,
                                           Problem* out) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "parta-pack-signature" ||
      !j.contains("key") || !j["key"].is_string() || !j.contains("signature") ||
      !j["signature"].is_string() ||
      !bundle::from_hex(j["key"].get<std::string>(), pk, sizeof pk) ||
      !bundle::from_hex(j["signature"].get<std::string>(), sig, sizeof sig)) {
    *out = problem("The pack's signature file is not valid.");
    return std::nullopt;
  }
  if (crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(manifest.data()),
                                  manifest.size(), pk) != 0) {
    *out = problem(
        "The pack's signature does not match its contents: it was changed after it was signed.");
    return std::nullopt;
  }
  return bundle::to_hex(pk, sizeof pk);
}

namespace {

// Reads the rest of the current entry into `text`, up to `max` bytes; false when it is longer or
// the archive is damaged (*why says which).
bool read_small_entry(archive* a, std::vector<char>& block, std::size_t max, std::string* text,
                      Problem* why, const char* too_large) {
  while (true) {
    la_ssize_t n = archive_read_data(a, block.data(), block.size());
    if (n < 0) {
      *why = problem("The pack file is damaged or cut short ({detail}).",
                     {{"detail", archive_error_string(a) ? archive_error_string(a) : "?"}});
      return false;
    }
    if (n == 0) return true;
    text->append(block.data(), static_cast<std::size_t>(n));
    if (text->size() > max) {
      *why = problem(too_large);
      return false;
    }
  }
}

PackRead read_archive(archive* a, const std::string& staging, const PackLimits& limits) {
  PackRead r;
  auto refuse = [&](Problem p) {
    r.problem = std::move(p);
    r.staged.clear();
    return r;
  };
  std::error_code ec;
  if (!fs::create_directory(staging, ec))
    return refuse(problem("The server could not prepare the import. Please try again."));
  std::map<std::string, const PackItem*> wanted;
  std::set<std::string> seen;
  bool have_manifest = false;
  std::string manifest_text;
  std::size_t entries = 0;
  std::vector<char> block(1 << 16);
  while (true) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      return refuse(problem("The pack file is damaged or cut short ({detail}).",
                            {{"detail", archive_error_string(a) ? archive_error_string(a) : "?"}}));
    if (++entries > limits.max_entries) return refuse(problem("The pack has too many entries."));
    const char* raw = archive_entry_pathname_utf8(e);
    if (!raw) raw = archive_entry_pathname(e);
    std::string path = raw ? raw : "";
    std::string shown = path.substr(0, 80);
    auto type = archive_entry_filetype(e);
    if (type == AE_IFDIR) {
      if (!path.empty() && path.back() == '/') path.pop_back();
      if (!safe_pack_path(path))
        return refuse(problem("The pack contains an unsafe path \"{path}\".", {{"path", shown}}));
      continue;
    }
    if (archive_entry_hardlink(e))
      return refuse(
          problem("The pack contains a link (\"{path}\"); packs may only hold plain files.",
                  {{"path", shown}}));
    if (type != AE_IFREG)
      return refuse(
          problem("The pack contains \"{path}\", which is not a plain file.", {{"path", shown}}));
    if (!safe_pack_path(path))
      return refuse(problem("The pack contains an unsafe path \"{path}\".", {{"path", shown}}));

    if (!have_manifest) {
      if (path != "manifest.json")
        return refuse(problem("The pack must start with manifest.json."));
      std::string& text = manifest_text;
      Problem p;
      if (!read_small_entry(a, block, limits.max_manifest, &text, &p,
                            "The pack's manifest is too large."))
        return refuse(p);
      auto m = parse_manifest(text, &p);
      if (!m) return refuse(p);
      std::uint64_t declared = 0;
      for (const auto& i : m->items) declared += i.size;
      if (declared > limits.max_total) return refuse(problem("The pack is larger than allowed."));
      if (limits.free_space < limits.reserve || declared > limits.free_space - limits.reserve)
        return refuse(problem(
            "Not enough free space on the box: {free} MB are free and {reserve} MB are kept in "
            "reserve. Remove old materials or use a larger card.",
            {{"free", std::to_string(limits.free_space >> 20)},
             {"reserve", std::to_string(limits.reserve >> 20)}}));
      r.manifest = std::move(*m);
      for (const auto& i : r.manifest.items) wanted[i.path] = &i;
      have_manifest = true;
      continue;
    }
    if (path == "manifest.sig" && seen.empty() && r.signer.empty()) {
      std::string sig;
      Problem p;
      if (!read_small_entry(a, block, 4096, &sig, &p, "The pack's signature file is not valid."))
        return refuse(p);
      auto signer = check_signature(sig, manifest_text, &p);
      if (!signer) return refuse(p);
      r.signer = *signer;
      r.signature_text = sig;
      continue;
    }
    auto it = wanted.find(path);
    if (it == wanted.end())
      return refuse(problem("The pack contains \"{path}\", which its manifest does not list.",
                            {{"path", shown}}));
    if (!seen.insert(path).second)
      return refuse(problem("The pack contains \"{path}\" twice.", {{"path", shown}}));
    const PackItem& item = *it->second;
    std::string staged = staging + "/" + std::to_string(seen.size());
    int fd = ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      return refuse(problem("The server could not prepare the import. Please try again."));
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    std::uint64_t size = 0;
    bool bad = false;
    Problem why;
    while (true) {
      la_ssize_t n = archive_read_data(a, block.data(), block.size());
      if (n < 0) {
        bad = true;
        why = problem("The pack file is damaged or cut short ({detail}).",
                      {{"detail", archive_error_string(a) ? archive_error_string(a) : "?"}});
        break;
      }
      if (n == 0) break;
      size += static_cast<std::uint64_t>(n);
      r.unpacked_bytes += static_cast<std::uint64_t>(n);
      if (size > item.size) {
        bad = true;
        why = problem("The pack's item \"{path}\" is larger than its manifest says.",
                      {{"path", shown}});
        break;
      }
      if (r.unpacked_bytes > limits.max_total) {
        bad = true;
        why = problem("The pack is larger than allowed.");
        break;
      }
      std::uint64_t packed = static_cast<std::uint64_t>(archive_filter_bytes(a, -1));
      if (r.unpacked_bytes > (1u << 20) && static_cast<double>(r.unpacked_bytes) >
                                               limits.max_ratio * static_cast<double>(packed + 1)) {
        bad = true;
        why = problem(
            "The pack unpacks to far more than its size: it looks like a decompression bomb.");
        break;
      }
      crypto_hash_sha256_update(&sha, reinterpret_cast<const unsigned char*>(block.data()),
                                static_cast<unsigned long long>(n));
      const char* p = block.data();
      std::size_t left = static_cast<std::size_t>(n);
      while (left) {
        ssize_t w = ::write(fd, p, left);
        if (w <= 0) {
          bad = true;
          why = problem("The server could not store the pack (is the disk full?).");
          break;
        }
        p += w;
        left -= static_cast<std::size_t>(w);
      }
      if (bad) break;
    }
    ::close(fd);
    if (bad) return refuse(why);
    if (size != item.size)
      return refuse(problem("The pack's item \"{path}\" is smaller than its manifest says.",
                            {{"path", shown}}));
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, h);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    if (item.sha256 != hex)
      return refuse(
          problem("The pack's item \"{path}\" does not match its SHA-256: the pack is damaged.",
                  {{"path", shown}}));
    r.staged.push_back({item, staged});
  }
  if (!have_manifest) return refuse(problem("This file is not a Parta content pack."));
  r.manifest_text = manifest_text;
  if (seen.size() != r.manifest.items.size()) {
    for (const auto& i : r.manifest.items)
      if (!seen.count(i.path))
        return refuse(problem("The pack's item \"{path}\" is missing from the archive.",
                              {{"path", i.path.substr(0, 80)}}));
  }
  r.compressed_bytes = static_cast<std::uint64_t>(archive_filter_bytes(a, -1));
  return r;
}

PackRead read_with(archive* a, int open_rc, const std::string& staging, const PackLimits& limits) {
  PackRead r;
  if (open_rc != ARCHIVE_OK) {
    // A recognised but broken file (a cut-off gzip) is damaged; anything else is not a pack.
    const char* why = archive_error_string(a);
    if (!why || std::string_view(why).find("Unrecognized archive format") != std::string_view::npos)
      r.problem = problem("This file is not a Parta content pack.");
    else
      r.problem = problem("The pack file is damaged or cut short ({detail}).",
                          {{"detail", archive_error_string(a) ? archive_error_string(a) : "?"}});
  } else {
    r = read_archive(a, staging, limits);
  }
  archive_read_free(a);
  if (!r.ok()) {
    std::error_code ec;
    fs::remove_all(staging, ec);  // nothing of a refused pack stays
  }
  return r;
}

archive* new_reader() {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_none(a);
  archive_read_support_format_tar(a);
  return a;
}

}  // namespace

PackRead read_pack(const std::string& pack_path, const std::string& staging_dir,
                   const PackLimits& limits) {
  archive* a = new_reader();
  int rc = archive_read_open_filename(a, pack_path.c_str(), 1 << 16);
  return read_with(a, rc, staging_dir, limits);
}

PackRead read_pack_memory(std::string_view bytes, const std::string& staging_dir,
                          const PackLimits& limits) {
  archive* a = new_reader();
  int rc = archive_read_open_memory(a, bytes.data(), bytes.size());
  return read_with(a, rc, staging_dir, limits);
}

bool sign_pack(const std::string& in, const std::string& out, const bundle::SigningKey& key,
               Problem* why) {
  // Checked whole first: staged into a folder beside the output, then written from there, so
  // the signed pack holds exactly the bytes that were checked.
  std::string staging = out + ".staging";
  std::error_code ec;
  fs::remove_all(staging, ec);
  PackRead r = read_pack(in, staging, {});
  if (!r.ok()) {
    *why = *r.problem;
    return false;
  }
  std::string manifest = manifest_to_json(r.manifest);
  std::string tmp = out + ".tmp";
  archive* w = archive_write_new();
  archive_write_add_filter_gzip(w);
  archive_write_set_format_pax_restricted(w);
  // Names are written as the bytes they are (UTF-8 already): no conversion through the process's
  // locale, which in a "C" locale crashes libarchive 3.6 on Cyrillic names.
  archive_write_set_format_option(w, "pax", "hdrcharset", "BINARY");
  bool ok = archive_write_open_filename(w, tmp.c_str()) == ARCHIVE_OK;
  auto add = [&](const std::string& path, const std::string* bytes, const std::string* file,
                 std::uint64_t size) {
    if (!ok) return;
    archive_entry* e = archive_entry_new();
    archive_entry_copy_pathname(e, path.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    ok = archive_write_header(w, e) == ARCHIVE_OK;
    archive_entry_free(e);
    if (!ok) return;
    if (bytes) {
      ok = archive_write_data(w, bytes->data(), bytes->size()) ==
           static_cast<la_ssize_t>(bytes->size());
      return;
    }
    int fd = ::open(file->c_str(), O_RDONLY | O_CLOEXEC);
    ok = fd >= 0;
    std::vector<char> buf(1 << 16);
    while (ok) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n <= 0) {
        ok = n == 0;
        break;
      }
      ok = archive_write_data(w, buf.data(), static_cast<std::size_t>(n)) == n;
    }
    if (fd >= 0) ::close(fd);
  };
  std::string sig = signature_json(manifest, key);
  add("manifest.json", &manifest, nullptr, manifest.size());
  add("manifest.sig", &sig, nullptr, sig.size());
  for (const auto& s : r.staged) add(s.item.path, nullptr, &s.staged_path, s.item.size);
  ok = archive_write_close(w) == ARCHIVE_OK && ok;
  archive_write_free(w);
  fs::remove_all(staging, ec);
  if (ok) {
    // Made durable and renamed into place only when whole.
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    ok = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    ok = ok && ::rename(tmp.c_str(), out.c_str()) == 0;
    if (ok)
      fsync_dir(fs::path(out).parent_path().empty() ? "." : fs::path(out).parent_path().string());
  }
  if (!ok) {
    fs::remove(tmp, ec);
    *why = problem("The signed pack could not be written (is the disk full?).");
  }
  return ok;
}

}  // namespace parta::content
