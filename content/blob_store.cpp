#include "blob_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "durable.hpp"

namespace parta::content {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open " + path);
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync " + path);
  }
  ::close(fd);
}

}  // namespace

std::string sha256_file(const std::string& path, std::uint64_t* size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open " + path);
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  std::vector<unsigned char> buf(65536);
  std::uint64_t total = 0;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("read " + path);
    }
    if (n == 0) break;
    crypto_hash_sha256_update(&st, buf.data(), static_cast<unsigned long long>(n));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&st, h);
  char hex[sizeof h * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  if (size) *size = total;
  return hex;
}

BlobStore::BlobStore(std::string root, std::string scratch)
    : root_(std::move(root)),
      blobs_(root_ + "/blobs"),
      tmp_(scratch.empty() ? root_ + "/tmp" : std::move(scratch)) {
  fs::create_directories(blobs_);
  fs::create_directories(tmp_);
}

bool BlobStore::valid_hash(std::string_view h) {
  if (h.size() != 64) return false;
  for (char c : h)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string BlobStore::temp_name(std::string_view prefix, std::string_view ext) const {
  unsigned char r[8];
  randombytes_buf(r, sizeof r);
  static const char kHex[] = "0123456789abcdef";
  std::string name = tmp_ + "/" + std::string(prefix) + "-";
  for (unsigned char b : r) {
    name += kHex[b >> 4];
    name += kHex[b & 15];
  }
  return name + std::string(ext);
}

std::string BlobStore::path_of(std::string_view h) const {
  if (!valid_hash(h)) throw std::invalid_argument("not a blob hash");
  return blobs_ + "/" + std::string(h.substr(0, 2)) + "/" + std::string(h);
}

bool BlobStore::has(std::string_view h) const {
  if (!valid_hash(h)) return false;
  struct stat st;
  return ::stat(path_of(h).c_str(), &st) == 0;
}

BlobInfo BlobStore::adopt(const std::string& temp_path) {
  BlobInfo info;
  info.sha256 = sha256_file(temp_path, &info.size);
  std::string dest = path_of(info.sha256);
  std::string dir = dest.substr(0, dest.rfind('/'));
  if (has(info.sha256)) {
    ::unlink(temp_path.c_str());  // stored once
    return info;
  }
  fsync_path(temp_path, O_RDONLY);
  fs::create_directories(dir);
  ::chmod(temp_path.c_str(), 0640);
  if (::rename(temp_path.c_str(), dest.c_str()) != 0) fail("rename to " + dest);
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
  return info;
}

std::string BlobStore::ensure_gzip(std::string_view h) {
  std::string gz = gzip_path_of(h);
  struct stat st;
  if (::stat(gz.c_str(), &st) == 0) return gz;
  std::string templ = tmp_ + "/gz-XXXXXX";
  int fd = ::mkstemp(templ.data());
  if (fd < 0) fail("mkstemp in " + tmp_);
  int in = ::open(path_of(h).c_str(), O_RDONLY | O_CLOEXEC);
  gzFile out = in >= 0 ? gzdopen(fd, "wb9") : nullptr;
  if (!out) {
    int e = errno;
    ::close(fd);  // gzdopen did not take it
    if (in >= 0) ::close(in);
    ::unlink(templ.c_str());
    errno = e;
    fail("gzip " + std::string(h));
  }
  // A short copy would be served for ever in place of the file: any error drops it.
  bool ok = true;
  std::vector<char> buf(65536);
  while (ok) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    ok = gzwrite(out, buf.data(), static_cast<unsigned>(n)) == static_cast<int>(n);
  }
  ::close(in);
  ok = gzclose(out) == Z_OK && ok;
  if (!ok) {
    ::unlink(templ.c_str());
    throw std::runtime_error("gzip " + std::string(h) + ": read or write failed");
  }
  fsync_path(templ, O_RDONLY);
  ::chmod(templ.c_str(), 0640);
  if (::rename(templ.c_str(), gz.c_str()) != 0) {
    ::unlink(templ.c_str());
    fail("rename to " + gz);
  }
  return gz;
}

BlobInfo BlobStore::put(std::string_view bytes) {
  std::string templ = tmp_ + "/put-XXXXXX";
  int fd = ::mkstemp(templ.data());
  if (fd < 0) fail("mkstemp in " + tmp_);
  if (!write_all(fd, bytes.data(), bytes.size())) {
    ::close(fd);
    ::unlink(templ.c_str());
    fail("write " + templ);
  }
  ::close(fd);
  return adopt(templ);
}

}  // namespace parta::content
