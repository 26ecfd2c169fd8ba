#pragma once
// Content packs: versioned archives of learning materials from the district (format in README.md).
// A pack is read in one pass and verified whole — paths, entry types, sizes, hashes, entry count,
// total size and compression ratio — into a staging folder; a pack with any problem is refused
// whole and its staging folder removed, so nothing of it is ever visible.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bundle.hpp"

namespace parta::content {

inline constexpr int kPackFormatVersion = 1;  // what this reader writes and reads
inline constexpr int kOldestPackFormat = 1;

// A problem for the user: an English msgid with {placeholders} and their values.
struct Problem {
  std::string msgid;
  std::vector<std::pair<std::string, std::string>> args;
};

struct PackItem {
  std::string path;  // inside the archive, e.g. "items/math/lesson1.pdf"
  std::string title, type, subject, sha256;
  std::uint64_t size = 0;
  std::optional<int> grade;
};

struct PackManifest {
  int format_version = kPackFormatVersion;
  std::string id;  // stable across versions, e.g. "komi-math-5"
  int version = 1;
  std::string title;
  std::vector<std::string> subjects;
  std::vector<int> grades;
  std::vector<PackItem> items;
};

struct PackLimits {
  std::uint64_t max_total = 8ull << 30;  // unpacked bytes
  std::size_t max_entries = 20000;
  double max_ratio = 100.0;  // unpacked / compressed, once past 1 MB unpacked
  std::size_t max_manifest = 4u << 20;
  // The disk: a pack whose items do not fit in free_space - reserve is refused before unpacking.
  std::uint64_t free_space = UINT64_MAX;
  std::uint64_t reserve = 0;
};

struct StagedItem {
  PackItem item;
  std::string staged_path;  // inside the staging folder; the caller adopts it into the store
};

struct PackRead {
  std::optional<Problem> problem;  // set: refused, nothing staged
  PackManifest manifest;
  // Who signed the manifest (hex Ed25519 public key), "" for an unsigned pack. A pack whose
  // signature does not hold is refused whole; whether the signer is trusted is the caller's call.
  std::string signer;
  // manifest.json and manifest.sig exactly as read ("" when unsigned): a pack travels to schools
  // as these two and its items, each a file of its own (sync), so the signature still holds.
  std::string manifest_text, signature_text;
  std::vector<StagedItem> staged;
  std::uint64_t compressed_bytes = 0, unpacked_bytes = 0;
  bool ok() const { return !problem.has_value(); }
};

// Parses and checks manifest.json (untrusted: fuzzed).
std::optional<PackManifest> parse_manifest(std::string_view json, Problem* problem);
std::string manifest_to_json(const PackManifest& m);
// A path as it may appear in a pack: relative, no "..", no empty or dot segments, no backslashes or
// control characters, at most 255 bytes.
bool safe_pack_path(std::string_view path);

// A signature as it travels in a pack, as `manifest.sig` right after manifest.json: the signer's
// key and an Ed25519 signature over manifest.json's exact bytes (which list every item's size and
// SHA-256, so it covers the whole pack).
std::string signature_json(std::string_view manifest, const bundle::SigningKey& key);
// Checks one against the manifest's bytes; the signer's key (hex) or nullopt + *problem.
std::optional<std::string> check_signature(std::string_view signature, std::string_view manifest,
                                           Problem* problem);
// Reads the pack at `in` (checked whole first, so nothing broken gets signed) and writes it to
// `out` (a .tar.gz, durably) with the signature of `key` added. False + *problem when refused.
bool sign_pack(const std::string& in, const std::string& out, const bundle::SigningKey& key,
               Problem* problem);

// Reads the pack file (tar, optionally gzip- or zstd-compressed) into staging_dir, which must not
// exist yet. On failure the staging folder is removed and `problem` says why.
PackRead read_pack(const std::string& pack_path, const std::string& staging_dir,
                   const PackLimits& limits = {});
// The same from an open file descriptor's bytes (uploads), for the fuzz target: memory input.
PackRead read_pack_memory(std::string_view bytes, const std::string& staging_dir,
                          const PackLimits& limits = {});

}  // namespace parta::content
