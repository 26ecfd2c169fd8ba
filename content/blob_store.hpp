#pragma once
// Content-addressed blob store on the data partition: every file is named by its SHA-256 and
// stored once, however many submissions or assignments use it. A file becomes a blob by
// temp → fsync → rename → fsync(dir); only then may the database record it, so a power cut never
// leaves a record pointing at half a file.
#include <cstdint>
#include <string>
#include <string_view>

namespace parta::content {

struct BlobInfo {
  std::string sha256;  // 64 lower-case hex digits
  std::uint64_t size = 0;
};

class BlobStore {
 public:
  // root/blobs/ab/abcdef… holds the blobs; files being written go to `scratch` (root/tmp by
  // default), which must be on the same filesystem. Each process has a scratch folder of its own.
  explicit BlobStore(std::string root, std::string scratch = "");

  // Takes a finished temp file (on the same filesystem): hashes it, makes it durable and moves it
  // to its hash name, or removes it when that blob already exists. Throws std::runtime_error.
  BlobInfo adopt(const std::string& temp_path);
  // Writes bytes as a blob (temp file, then adopt).
  BlobInfo put(std::string_view bytes);

  static bool valid_hash(std::string_view sha256);
  // The blob's path; throws std::invalid_argument for anything but a valid hash.
  std::string path_of(std::string_view sha256) const;
  bool has(std::string_view sha256) const;
  // A gzip copy beside the blob ("<hash>.gz") for text that phones fetch compressed; written like
  // a blob (temp, fsync, rename), and only when every byte was read and written. Returns its
  // path; throws std::runtime_error (nothing is left behind then).
  std::string ensure_gzip(std::string_view sha256);
  std::string gzip_path_of(std::string_view sha256) const { return path_of(sha256) + ".gz"; }
  const std::string& tmp_dir() const { return tmp_; }
  const std::string& blob_dir() const { return blobs_; }  // root/blobs
  // A fresh, unused name in the scratch folder for a file a library writes itself: random, so
  // threads never collide; partad empties tmp/ at start, so nothing half-written stays.
  std::string temp_name(std::string_view prefix, std::string_view ext) const;

 private:
  std::string root_, blobs_, tmp_;
};

// SHA-256 of a file, streamed (hex).
std::string sha256_file(const std::string& path, std::uint64_t* size);

}  // namespace parta::content
