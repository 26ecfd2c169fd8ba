#include "bundle.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "durable.hpp"
#include "utf8.hpp"

namespace parta::content::bundle {

namespace {

using json = nlohmann::json;

constexpr char kMagic[8] = {'P', 'A', 'R', 'T', 'A', 'B', 'N', '1'};
constexpr std::size_t kPrefixSize = sizeof kMagic + 4;  // magic | u32 header_len
constexpr std::size_t kSignatureSize = crypto_sign_BYTES;
constexpr std::size_t kChunkPlain = 64 * 1024;
constexpr std::size_t kChunkOverhead = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t kStreamHeader = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
// The smallest body that can be whole: the stream header and one (final) chunk.
constexpr std::uint64_t kMinBody = kStreamHeader + 4 + kChunkOverhead;
// 8 MiB: what level 19 uses anyway, and what a Pi can afford to decompress with.
constexpr int kZstdWindowLog = 23;
constexpr int kZstdTableLog = 20;  // 1 Mi entries of 4 bytes per table
constexpr std::size_t kMaxIdBytes = 256;
constexpr int kMaxJsonDepth = 64;
constexpr unsigned char kFrameEnd = 0, kFrameRecord = 1, kFrameBlob = 2;
constexpr std::size_t kBlobHead = 32 + 8, kEndBody = 8 + 8;

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

void put_u32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put_u64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint32_t get_u32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t get_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

bool lower_hex(std::string_view s, std::size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool id_ok(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdBytes || !text::is_valid_utf8(s)) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// What is wrong with a header's values (empty: nothing). The writer checks the same rules before
// writing, so it cannot make a bundle the reader refuses.
std::string header_value_problem(const Header& h, bool body_fields) {
  if (!lower_hex(h.bundle_id, 32)) return "bundle_id is not 32 lower-case hex digits";
  if (!id_ok(h.sender)) return "sender is not a valid device id";
  if (!id_ok(h.sender_epoch)) return "sender_epoch is not a valid epoch";
  if (!id_ok(h.recipient)) return "recipient is not a valid device id";
  for (const auto& r : h.ranges) {
    if (!id_ok(r.device) || !id_ok(r.epoch)) return "a range has an invalid device or epoch";
    if (r.first < 0 || r.first > r.last) return "a range does not have 0 <= first <= last";
  }
  for (const auto& a : h.acks) {
    if (!id_ok(a.device) || !id_ok(a.epoch)) return "an ack has an invalid device or epoch";
    if (a.upto < 0) return "an ack has a negative upto";
  }
  if (!h.meta.is_object()) return "meta is not an object";
  if (h.compression != "zstd") return "compression is not zstd";
  if (body_fields) {
    if (!lower_hex(h.ephemeral_pk, 64)) return "ephemeral_pk is not 64 lower-case hex digits";
    if (!lower_hex(h.body_hash, 64)) return "body_hash is not 64 lower-case hex digits";
    if (h.body_size < kMinBody) return "body_size is too small for an encrypted body";
  }
  return {};
}

json header_to_json(const Header& h) {
  json ranges = json::array(), acks = json::array();
  for (const auto& r : h.ranges)
    ranges.push_back(
        {{"device", r.device}, {"epoch", r.epoch}, {"first", r.first}, {"last", r.last}});
  for (const auto& a : h.acks)
    acks.push_back({{"device", a.device}, {"epoch", a.epoch}, {"upto", a.upto}});
  return json{{"version", h.version},
              {"bundle_id", h.bundle_id},
              {"sender", h.sender},
              {"sender_epoch", h.sender_epoch},
              {"recipient", h.recipient},
              {"ranges", std::move(ranges)},
              {"acks", std::move(acks)},
              {"meta", h.meta},
              {"ephemeral_pk", h.ephemeral_pk},
              {"body_size", h.body_size},
              {"body_hash", h.body_hash},
              {"compression", h.compression}};
}

bool get_i64(const json& v, std::int64_t* out) {
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    *out = static_cast<std::int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    *out = v.get<std::int64_t>();
    return true;
  }
  return false;
}

bool get_u64(const json& v, std::uint64_t* out) {
  std::int64_t i = 0;
  if (v.is_number_unsigned()) {
    *out = v.get<std::uint64_t>();
    return true;
  }
  if (!get_i64(v, &i) || i < 0) return false;
  *out = static_cast<std::uint64_t>(i);
  return true;
}

// An object with exactly these members (each present once; the parser refused duplicates).
bool exact_members(const json& o, std::initializer_list<const char*> names, std::string* why,
                   const std::string& where) {
  if (!o.is_object()) {
    *why = where + " is not an object";
    return false;
  }
  for (const char* n : names)
    if (!o.contains(n)) {
      *why = where + " is missing \"" + n + "\"";
      return false;
    }
  if (o.size() != names.size()) {
    for (const auto& [k, v] : o.items()) {
      bool known = false;
      for (const char* n : names) known = known || k == n;
      if (!known) {
        *why = where + " has an unknown field \"" + k + "\"";
        return false;
      }
    }
  }
  return true;
}

bool get_string(const json& o, const char* name, std::string* out, std::string* why,
                const std::string& where) {
  const json& v = o.at(name);
  if (!v.is_string()) {
    *why = where + "." + name + " is not a string";
    return false;
  }
  *out = v.get<std::string>();
  return true;
}

// Parses the header JSON strictly: no duplicate keys, bounded nesting, exact types, no unknown or
// missing fields, and the version checked first (a newer writer may have other fields).
std::optional<Header> parse_header(std::string_view text, Problem* problem) {
  auto refuse = [&](Refusal code, std::string detail) -> std::optional<Header> {
    *problem = {code, std::move(detail)};
    return std::nullopt;
  };
  if (!text::is_valid_utf8(text)) return refuse(Refusal::kBadHeader, "header is not UTF-8");
  std::vector<std::set<std::string>> keys;
  bool duplicate = false, too_deep = false;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    switch (ev) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
          duplicate = true;
        break;
      default:
        break;
    }
    if (depth > kMaxJsonDepth) too_deep = true;
    // Do not even build what is too deep (the refused value is dropped, not recursed into later).
    return depth <= kMaxJsonDepth;
  };
  json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded() && !too_deep) return refuse(Refusal::kBadHeader, "header is not JSON");
  if (too_deep) return refuse(Refusal::kBadHeader, "header is nested too deeply");
  if (duplicate) return refuse(Refusal::kBadHeader, "header has a duplicate key");
  if (!j.is_object()) return refuse(Refusal::kBadHeader, "header is not a JSON object");
  if (!j.contains("version")) return refuse(Refusal::kBadHeader, "header has no version");
  std::int64_t version = 0;
  if (!get_i64(j["version"], &version))
    return refuse(Refusal::kBadHeader, "version is not an integer");
  if (version < kOldestSupportedVersion || version > kCurrentVersion)
    return refuse(Refusal::kUnknownVersion, "bundle format version " + std::to_string(version) +
                                                " (this reader knows " +
                                                std::to_string(kOldestSupportedVersion) + ".." +
                                                std::to_string(kCurrentVersion) + ")");
  std::string why;
  auto bad = [&]() { return refuse(Refusal::kBadHeader, why); };
  if (!exact_members(j,
                     {"version", "bundle_id", "sender", "sender_epoch", "recipient", "ranges",
                      "acks", "meta", "ephemeral_pk", "body_size", "body_hash", "compression"},
                     &why, "header"))
    return bad();
  Header h;
  h.version = static_cast<std::uint32_t>(version);
  if (!get_string(j, "bundle_id", &h.bundle_id, &why, "header") ||
      !get_string(j, "sender", &h.sender, &why, "header") ||
      !get_string(j, "sender_epoch", &h.sender_epoch, &why, "header") ||
      !get_string(j, "recipient", &h.recipient, &why, "header") ||
      !get_string(j, "ephemeral_pk", &h.ephemeral_pk, &why, "header") ||
      !get_string(j, "body_hash", &h.body_hash, &why, "header") ||
      !get_string(j, "compression", &h.compression, &why, "header"))
    return bad();
  if (!get_u64(j["body_size"], &h.body_size))
    return refuse(Refusal::kBadHeader, "body_size is not a non-negative integer");
  if (!j["ranges"].is_array()) return refuse(Refusal::kBadHeader, "ranges is not an array");
  for (const auto& r : j["ranges"]) {
    StreamRange s;
    if (!exact_members(r, {"device", "epoch", "first", "last"}, &why, "a range") ||
        !get_string(r, "device", &s.device, &why, "range") ||
        !get_string(r, "epoch", &s.epoch, &why, "range"))
      return bad();
    if (!get_i64(r["first"], &s.first) || !get_i64(r["last"], &s.last))
      return refuse(Refusal::kBadHeader, "a range's first or last is not a 64-bit integer");
    h.ranges.push_back(std::move(s));
  }
  if (!j["acks"].is_array()) return refuse(Refusal::kBadHeader, "acks is not an array");
  for (const auto& a : j["acks"]) {
    StreamAck s;
    if (!exact_members(a, {"device", "epoch", "upto"}, &why, "an ack") ||
        !get_string(a, "device", &s.device, &why, "ack") ||
        !get_string(a, "epoch", &s.epoch, &why, "ack"))
      return bad();
    if (!get_i64(a["upto"], &s.upto))
      return refuse(Refusal::kBadHeader, "an ack's upto is not a 64-bit integer");
    h.acks.push_back(std::move(s));
  }
  h.meta = std::move(j["meta"]);
  why = header_value_problem(h, true);
  if (!why.empty()) return bad();
  return h;
}

// Where a bundle's bytes come from: a file (read with pread, never all at once) or memory.
class Source {
 public:
  virtual ~Source() = default;
  virtual std::uint64_t size() const = 0;
  // Reads up to n bytes at `offset`; the count read (short only at the end), or -1 with errno.
  virtual long long read_at(std::uint64_t offset, unsigned char* out, std::size_t n) = 0;
};

class MemorySource : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  long long read_at(std::uint64_t offset, unsigned char* out, std::size_t n) override {
    if (offset >= bytes_.size()) return 0;
    std::size_t take = std::min<std::uint64_t>(n, bytes_.size() - offset);
    std::memcpy(out, bytes_.data() + offset, take);
    return static_cast<long long>(take);
  }

 private:
  std::string_view bytes_;
};

class FileSource : public Source {
 public:
  // Sets *problem (kIo) and leaves ok() false when the file cannot be opened.
  FileSource(const std::string& path, Problem* problem) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      *problem = {Refusal::kIo, errno_text("open " + path)};
      return;
    }
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
      *problem = {Refusal::kIo, errno_text("stat " + path)};
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      *problem = {Refusal::kIo, path + " is not a regular file"};
      return;
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    ok_ = true;
  }
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  bool ok() const { return ok_; }
  std::uint64_t size() const override { return size_; }
  long long read_at(std::uint64_t offset, unsigned char* out, std::size_t n) override {
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return -1;
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return static_cast<long long>(got);
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::uint64_t size_ = 0;
};

// Reads exactly n bytes; a short read is kTruncated (the file shrank or ends early).
bool read_exact(Source& src, std::uint64_t offset, unsigned char* out, std::size_t n,
                Problem* problem, const char* what) {
  long long got = src.read_at(offset, out, n);
  if (got < 0) {
    *problem = {Refusal::kIo, errno_text(std::string("read ") + what)};
    return false;
  }
  if (static_cast<std::size_t>(got) != n) {
    *problem = {Refusal::kTruncated, std::string("file ends inside ") + what};
    return false;
  }
  return true;
}

bool length_matches(std::uint64_t actual, std::uint64_t expected, Problem* problem) {
  if (actual < expected) {
    *problem = {Refusal::kTruncated, "file is " + std::to_string(actual) + " bytes, header says " +
                                         std::to_string(expected)};
    return false;
  }
  if (actual > expected) {
    *problem = {Refusal::kModified, "file is " + std::to_string(actual) + " bytes, header says " +
                                        std::to_string(expected) + " (bytes appended)"};
    return false;
  }
  return true;
}

std::optional<Opened> open_source(Source& src, Problem* problem, const Limits& limits) {
  auto refuse = [&](Refusal code, std::string detail) -> std::optional<Opened> {
    *problem = {code, std::move(detail)};
    return std::nullopt;
  };
  const std::uint64_t size = src.size();
  unsigned char prefix[kPrefixSize];
  std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(size, kPrefixSize));
  long long got = src.read_at(0, prefix, have);
  if (got < 0) return refuse(Refusal::kIo, errno_text("read"));
  have = static_cast<std::size_t>(got);
  std::size_t magic_have = std::min(have, sizeof kMagic);
  if (std::memcmp(prefix, kMagic, magic_have) != 0)
    return refuse(Refusal::kNotABundle, "no PARTABN1 magic at the start");
  if (have < kPrefixSize)
    return refuse(Refusal::kTruncated,
                  "file ends before the header (" + std::to_string(have) + " bytes)");
  const std::uint32_t header_len = get_u32(prefix + sizeof kMagic);
  if (header_len == 0) return refuse(Refusal::kBadHeader, "header length is 0");
  if (header_len > limits.max_header)
    return refuse(Refusal::kTooLarge, "header length " + std::to_string(header_len) +
                                          " is over the limit of " +
                                          std::to_string(limits.max_header));
  if (size < kPrefixSize + std::uint64_t{header_len})
    return refuse(Refusal::kTruncated, "file ends inside the header");
  Opened o;
  o.header_bytes_signed.resize(kPrefixSize + header_len);
  std::memcpy(o.header_bytes_signed.data(), prefix, kPrefixSize);
  if (!read_exact(src, kPrefixSize,
                  reinterpret_cast<unsigned char*>(o.header_bytes_signed.data()) + kPrefixSize,
                  header_len, problem, "the header"))
    return std::nullopt;
  auto header = parse_header(std::string_view(o.header_bytes_signed).substr(kPrefixSize), problem);
  if (!header) return std::nullopt;
  o.header = std::move(*header);
  if (!read_exact(src, kPrefixSize + header_len, o.signature.data(), kSignatureSize, problem,
                  "the signature"))
    return std::nullopt;
  o.body_offset = kPrefixSize + std::uint64_t{header_len} + kSignatureSize;
  if (o.header.body_size > std::numeric_limits<std::uint64_t>::max() - o.body_offset)
    return refuse(Refusal::kBadHeader, "body_size is impossibly large");
  if (!length_matches(size, o.body_offset + o.header.body_size, problem)) return std::nullopt;
  return o;
}

// Hashes the body while it is read, sequentially, from body_offset to its end.
class BodyReader {
 public:
  BodyReader(Source& src, const Opened& b)
      : src_(src), offset_(b.body_offset), remaining_(b.header.body_size) {
    crypto_generichash_init(&hash_, nullptr, 0, crypto_generichash_BYTES);
  }
  std::uint64_t remaining() const { return remaining_; }
  bool read(unsigned char* out, std::size_t n, Problem* problem, const char* what) {
    if (n > remaining_) {
      *problem = {Refusal::kTruncated, std::string("body ends inside ") + what};
      return false;
    }
    if (!read_exact(src_, offset_, out, n, problem, what)) return false;
    crypto_generichash_update(&hash_, out, n);
    offset_ += n;
    remaining_ -= n;
    return true;
  }
  // Whether everything read hashes to the header's body_hash.
  bool matches(const std::string& body_hash_hex) {
    unsigned char got[crypto_generichash_BYTES], want[crypto_generichash_BYTES];
    crypto_generichash_final(&hash_, got, sizeof got);
    return from_hex(body_hash_hex, want, sizeof want) && sodium_memcmp(got, want, sizeof got) == 0;
  }

 private:
  Source& src_;
  std::uint64_t offset_, remaining_;
  crypto_generichash_state hash_;
};

bool verify_source(const Opened& b, Source& src, const Bytes32& trusted_pk,
                   std::string_view my_device_id, Problem* problem) {
  if (crypto_sign_verify_detached(
          b.signature.data(), reinterpret_cast<const unsigned char*>(b.header_bytes_signed.data()),
          b.header_bytes_signed.size(), trusted_pk.data()) != 0) {
    *problem = {Refusal::kBadSignature, "header signature does not match the sender's key"};
    return false;
  }
  if (b.header.recipient != my_device_id) {
    *problem = {Refusal::kWrongRecipient,
                "bundle is for " + b.header.recipient + ", not for " + std::string(my_device_id)};
    return false;
  }
  if (!length_matches(src.size(), b.body_offset + b.header.body_size, problem)) return false;
  BodyReader reader(src, b);
  std::vector<unsigned char> buf(kChunkPlain);  // on the heap: server threads have small stacks
  while (reader.remaining() > 0) {
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), reader.remaining()));
    if (!reader.read(buf.data(), n, problem, "the body")) return false;
  }
  if (!reader.matches(b.header.body_hash)) {
    *problem = {Refusal::kModified, "body does not match the signed body_hash"};
    return false;
  }
  return true;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> r(bytes);
  randombytes_buf(r.data(), r.size());
  return to_hex(r.data(), r.size());
}

// Parses the plaintext frame stream as it arrives in pieces, streaming each blob to a staged file
// (or only hashing it when there is no staging folder). Staged files are removed unless taken.
class FrameParser {
 public:
  FrameParser(const Limits& limits, std::string staging_dir)
      : limits_(limits), staging_(std::move(staging_dir)) {}
  ~FrameParser() {
    close_blob_file();
    if (!taken_) remove_staged();
  }
  FrameParser(const FrameParser&) = delete;
  FrameParser& operator=(const FrameParser&) = delete;

  bool feed(const unsigned char* p, std::size_t n, Problem* problem) {
    if (failed_) return false;
    if (n > limits_.max_plain - std::min(plain_, limits_.max_plain))
      return fail(problem, Refusal::kTooLarge,
                  "content unpacks to more than " + std::to_string(limits_.max_plain) + " bytes");
    plain_ += n;
    while (n > 0) {
      switch (state_) {
        case State::kDone:
          return fail(problem, Refusal::kCorrupt, "data after the end frame");
        case State::kTag: {
          unsigned char tag = *p++;
          --n;
          if (tag == kFrameEnd) {
            expect(State::kEndHead, kEndBody);
          } else if (tag == kFrameRecord || tag == kFrameBlob) {
            if (contents_.records.size() + contents_.blobs.size() >= limits_.max_records)
              return fail(problem, Refusal::kTooLarge,
                          "more than " + std::to_string(limits_.max_records) + " entries");
            if (tag == kFrameRecord)
              expect(State::kRecordHead, 4);
            else
              expect(State::kBlobHead, kBlobHead);
          } else {
            return fail(problem, Refusal::kCorrupt, "unknown frame type " + std::to_string(tag));
          }
          break;
        }
        case State::kRecordHead:
        case State::kBlobHead:
        case State::kEndHead: {
          std::size_t take = std::min(n, need_ - have_);
          std::memcpy(head_ + have_, p, take);
          have_ += take;
          p += take;
          n -= take;
          if (have_ == need_ && !head_complete(problem)) return false;
          break;
        }
        case State::kRecord: {
          std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
          record_.append(reinterpret_cast<const char*>(p), take);
          p += take;
          n -= take;
          left_ -= take;
          if (left_ == 0) finish_record();
          break;
        }
        case State::kBlob: {
          std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
          crypto_hash_sha256_update(&sha_, p, take);
          if (blob_fd_ >= 0 && !write_all(blob_fd_, p, take))
            return fail(problem, Refusal::kIo, errno_text("write a staged blob"));
          p += take;
          n -= take;
          left_ -= take;
          if (left_ == 0 && !finish_blob(problem)) return false;
          break;
        }
      }
    }
    return true;
  }

  bool finish(Problem* problem) {
    if (failed_) return false;
    if (state_ == State::kDone) return true;
    if (state_ == State::kTag) return fail(problem, Refusal::kCorrupt, "the end frame is missing");
    return fail(problem, Refusal::kCorrupt, "content ends inside a frame");
  }

  Contents take() {
    taken_ = true;
    return std::move(contents_);
  }

 private:
  enum class State { kTag, kRecordHead, kRecord, kBlobHead, kBlob, kEndHead, kDone };

  bool fail(Problem* problem, Refusal code, std::string detail) {
    failed_ = true;
    *problem = {code, std::move(detail)};
    close_blob_file();
    remove_staged();
    return false;
  }
  void expect(State s, std::size_t need) {
    state_ = s;
    need_ = need;
    have_ = 0;
  }

  bool head_complete(Problem* problem) {
    switch (state_) {
      case State::kRecordHead: {
        left_ = get_u32(head_);
        if (left_ > limits_.max_record)
          return fail(problem, Refusal::kTooLarge,
                      "a record of " + std::to_string(left_) + " bytes is over the limit of " +
                          std::to_string(limits_.max_record));
        if (left_ > limits_.max_record_total - std::min(record_total_, limits_.max_record_total))
          return fail(
              problem, Refusal::kTooLarge,
              "records total more than " + std::to_string(limits_.max_record_total) + " bytes");
        record_total_ += left_;
        record_.clear();
        state_ = State::kRecord;
        if (left_ == 0) finish_record();
        return true;
      }
      case State::kBlobHead: {
        std::memcpy(blob_sha_, head_, 32);
        left_ = blob_size_ = get_u64(head_ + 32);
        if (blob_size_ > limits_.max_plain)
          return fail(problem, Refusal::kTooLarge,
                      "a blob of " + std::to_string(blob_size_) + " bytes is over the limit");
        crypto_hash_sha256_init(&sha_);
        if (!staging_.empty()) {
          std::string path = staging_ + "/bundle-" + random_hex(8) + ".blob";
          blob_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
          if (blob_fd_ < 0)
            return fail(problem, Refusal::kIo, errno_text("create a staged blob in " + staging_));
          contents_.blobs.push_back({to_hex(blob_sha_, 32), std::move(path), blob_size_});
        }
        state_ = State::kBlob;
        if (left_ == 0) return finish_blob(problem);
        return true;
      }
      case State::kEndHead: {
        std::uint64_t records = get_u64(head_), blobs = get_u64(head_ + 8);
        if (records != contents_.records.size() || blobs != contents_.blobs.size())
          return fail(problem, Refusal::kCorrupt,
                      "the end frame counts " + std::to_string(records) + " records and " +
                          std::to_string(blobs) + " blobs, the bundle has " +
                          std::to_string(contents_.records.size()) + " and " +
                          std::to_string(contents_.blobs.size()));
        state_ = State::kDone;
        return true;
      }
      default:
        return true;
    }
  }

  void finish_record() {
    contents_.records.push_back(std::move(record_));
    record_.clear();
    state_ = State::kTag;
  }

  bool finish_blob(Problem* problem) {
    unsigned char got[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha_, got);
    if (sodium_memcmp(got, blob_sha_, sizeof got) != 0)
      return fail(problem, Refusal::kCorrupt,
                  "blob " + to_hex(blob_sha_, 32) + " does not match its SHA-256");
    if (blob_fd_ >= 0) {
      int fd = std::exchange(blob_fd_, -1);
      if (::close(fd) != 0) return fail(problem, Refusal::kIo, errno_text("close a staged blob"));
    } else {
      contents_.blobs.push_back({to_hex(blob_sha_, 32), std::string(), blob_size_});
    }
    state_ = State::kTag;
    return true;
  }

  void close_blob_file() {
    if (blob_fd_ >= 0) ::close(std::exchange(blob_fd_, -1));
  }
  void remove_staged() {
    for (const auto& b : contents_.blobs)
      if (!b.temp_path.empty()) ::unlink(b.temp_path.c_str());
    contents_.blobs.clear();
    contents_.records.clear();
  }

  Limits limits_;
  std::string staging_;
  State state_ = State::kTag;
  unsigned char head_[kBlobHead] = {};
  std::size_t need_ = 0, have_ = 0;
  std::uint64_t left_ = 0, plain_ = 0, record_total_ = 0, blob_size_ = 0;
  std::string record_;
  unsigned char blob_sha_[32] = {};
  crypto_hash_sha256_state sha_;
  int blob_fd_ = -1;
  Contents contents_;
  bool failed_ = false, taken_ = false;
};

// key = BLAKE2b-256(X25519(sk, pk) || ephemeral_pk || recipient_pk): both sides hash the same
// bytes, so the key is bound to this ephemeral key and this recipient.
bool derive_key(const unsigned char* my_sk, const unsigned char* their_pk,
                const unsigned char* ephemeral_pk, const unsigned char* recipient_pk,
                unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES]) {
  unsigned char shared[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(shared, my_sk, their_pk) != 0) return false;  // a low-order point
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, crypto_secretstream_xchacha20poly1305_KEYBYTES);
  crypto_generichash_update(&st, shared, sizeof shared);
  crypto_generichash_update(&st, ephemeral_pk, crypto_box_PUBLICKEYBYTES);
  crypto_generichash_update(&st, recipient_pk, crypto_box_PUBLICKEYBYTES);
  crypto_generichash_final(&st, key, crypto_secretstream_xchacha20poly1305_KEYBYTES);
  sodium_memzero(shared, sizeof shared);
  return true;
}

struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

std::optional<Contents> read_source(const Opened& b, Source& src, const BoxKey& my_key,
                                    const std::string& staging_dir, Problem* problem,
                                    const Limits& limits) {
  auto refuse = [&](Refusal code, std::string detail) -> std::optional<Contents> {
    *problem = {code, std::move(detail)};
    return std::nullopt;
  };
  if (staging_dir.empty()) return refuse(Refusal::kIo, "no staging folder");
  if (!length_matches(src.size(), b.body_offset + b.header.body_size, problem)) return std::nullopt;
  Bytes32 eph;
  if (!from_hex(b.header.ephemeral_pk, eph.data(), eph.size()))
    return refuse(Refusal::kBadHeader, "ephemeral_pk is not hex");
  unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  if (!derive_key(my_key.sk.data(), eph.data(), eph.data(), my_key.pk.data(), key))
    return refuse(Refusal::kCannotDecrypt, "ephemeral_pk is not a usable key");
  BodyReader reader(src, b);
  unsigned char ss_header[kStreamHeader];
  if (!reader.read(ss_header, sizeof ss_header, problem, "the encryption header"))
    return std::nullopt;
  crypto_secretstream_xchacha20poly1305_state ss;
  int init = crypto_secretstream_xchacha20poly1305_init_pull(&ss, ss_header, key);
  sodium_memzero(key, sizeof key);
  if (init != 0) return refuse(Refusal::kCannotDecrypt, "bad encryption header");

  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(ZSTD_createDCtx());
  if (!dctx) return refuse(Refusal::kIo, "out of memory for zstd");
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kZstdWindowLog);
  FrameParser parser(limits, staging_dir);
  std::vector<unsigned char> cipher(kChunkPlain + kChunkOverhead), plain(kChunkPlain);
  std::vector<unsigned char> out(ZSTD_DStreamOutSize());
  std::size_t zstd_left = 1;  // what ZSTD_decompressStream last said: 0 once a frame is complete

  // Decompresses one piece and hands the output to the frame parser. zstd flushes a frame's
  // output before it consumes the frame's last byte, so draining each piece is enough; a call
  // with no input would only report the next frame's header size.
  auto pump = [&](const unsigned char* p, std::size_t n) {
    if (n == 0) return true;
    ZSTD_inBuffer in{p, n, 0};
    while (true) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      std::size_t r = ZSTD_decompressStream(dctx.get(), &o, &in);
      if (ZSTD_isError(r)) {
        bool window = ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge;
        *problem = {window ? Refusal::kTooLarge : Refusal::kCorrupt,
                    std::string("zstd: ") + ZSTD_getErrorName(r)};
        return false;
      }
      zstd_left = r;
      if (o.pos > 0 && !parser.feed(out.data(), o.pos, problem)) return false;
      if (in.pos == in.size && o.pos < o.size) return true;
    }
  };

  bool final = false;
  while (!final) {
    if (reader.remaining() == 0)
      return refuse(Refusal::kTruncated, "body ends without its final chunk");
    unsigned char len_bytes[4];
    if (!reader.read(len_bytes, 4, problem, "a chunk length")) return std::nullopt;
    std::uint32_t len = get_u32(len_bytes);
    if (len < kChunkOverhead || len > cipher.size())
      return refuse(Refusal::kCorrupt, "chunk length " + std::to_string(len) + " out of range");
    if (!reader.read(cipher.data(), len, problem, "a chunk")) return std::nullopt;
    unsigned long long plain_len = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&ss, plain.data(), &plain_len, &tag,
                                                   cipher.data(), len, nullptr, 0) != 0)
      return refuse(Refusal::kCannotDecrypt, "a chunk does not decrypt with this box's key");
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
      final = true;
    else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
      return refuse(Refusal::kCorrupt, "unexpected chunk tag " + std::to_string(tag));
    if (!pump(plain.data(), static_cast<std::size_t>(plain_len))) return std::nullopt;
  }
  if (reader.remaining() != 0) return refuse(Refusal::kCorrupt, "data after the final chunk");
  if (zstd_left != 0) return refuse(Refusal::kCorrupt, "the compressed stream ends early");
  if (!parser.finish(problem)) return std::nullopt;
  // The file may have changed since verify() (a stick still being written): the bytes just
  // decrypted must be the ones that were signed.
  if (!reader.matches(b.header.body_hash))
    return refuse(Refusal::kModified, "body changed after it was verified");
  return parser.take();
}

template <class F>
auto no_throw(Problem* problem, F f) -> decltype(f(problem)) {
  Problem local;
  Problem* p = problem ? problem : &local;
  *p = {};
  try {
    if (!sodium_ready()) {
      *p = {Refusal::kIo, "libsodium cannot start"};
      return {};
    }
    return f(p);
  } catch (const std::exception& e) {
    *p = {Refusal::kIo, e.what()};
  } catch (...) {
    *p = {Refusal::kIo, "unknown error"};
  }
  return {};
}

// A system error with its errno, so a caller can tell a full disk from a read-only one.
[[noreturn]] void io_fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void fsync_fd(int fd, const std::string& what) {
  if (::fsync(fd) != 0) io_fail("fsync " + what);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys, hex, fingerprints

SigningKey SigningKey::generate() {
  if (!sodium_ready()) throw std::runtime_error("libsodium cannot start");
  SigningKey k;
  crypto_sign_keypair(k.pk.data(), k.sk.data());
  return k;
}

SigningKey SigningKey::from_seed(const Bytes32& seed) {
  if (!sodium_ready()) throw std::runtime_error("libsodium cannot start");
  SigningKey k;
  crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
  return k;
}

BoxKey BoxKey::generate() {
  if (!sodium_ready()) throw std::runtime_error("libsodium cannot start");
  BoxKey k;
  crypto_box_keypair(k.pk.data(), k.sk.data());
  return k;
}

BoxKey BoxKey::from_seed(const Bytes32& seed) {
  if (!sodium_ready()) throw std::runtime_error("libsodium cannot start");
  BoxKey k;
  crypto_box_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
  return k;
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

bool from_hex(std::string_view hex, unsigned char* out, std::size_t n) {
  if (hex.size() != 2 * n) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < n; ++i) {
    int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return true;
}

std::string fingerprint(const Bytes32& sign_pk, const Bytes32& box_pk) {
  // Crockford's alphabet: no I, L, O or U to misread when comparing by eye or over the phone.
  static const char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  unsigned char both[64], h[crypto_generichash_BYTES];
  std::memcpy(both, sign_pk.data(), 32);
  std::memcpy(both + 32, box_pk.data(), 32);
  crypto_generichash(h, sizeof h, both, sizeof both, nullptr, 0);
  std::string out;
  for (int i = 0; i < 16; ++i) {  // 16 groups of 5 bits = the first 10 bytes
    int bit = i * 5, v = 0;
    for (int k = 0; k < 5; ++k, ++bit) v = v << 1 | ((h[bit / 8] >> (7 - bit % 8)) & 1);
    if (i > 0 && i % 4 == 0) out += '-';
    out += kAlphabet[v];
  }
  return out;
}

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::kNone:
      return "none";
    case Refusal::kNotABundle:
      return "not_a_bundle";
    case Refusal::kTruncated:
      return "truncated";
    case Refusal::kUnknownVersion:
      return "unknown_version";
    case Refusal::kBadHeader:
      return "bad_header";
    case Refusal::kBadSignature:
      return "bad_signature";
    case Refusal::kWrongRecipient:
      return "wrong_recipient";
    case Refusal::kModified:
      return "modified";
    case Refusal::kCannotDecrypt:
      return "cannot_decrypt";
    case Refusal::kCorrupt:
      return "corrupt";
    case Refusal::kTooLarge:
      return "too_large";
    case Refusal::kIo:
      return "io";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Writer

bool compressed_already(const unsigned char* p, std::size_t n) {
  using namespace std::string_view_literals;
  struct Magic {
    std::size_t at;
    std::string_view bytes;
  };
  static constexpr Magic kMagics[] = {
      {0, "\xFF\xD8\xFF"sv},              // JPEG: phone photos, scans
      {0, "\x89PNG\r\n\x1A\n"sv},         // PNG
      {0, "GIF8"sv},                      // GIF
      {8, "WEBP"sv},                      // WebP (RIFF)
      {8, "AVI "sv},                      // AVI (RIFF)
      {4, "ftyp"sv},                      // MP4, MOV, 3GP, HEIC, AVIF, M4A
      {0, "\x1A\x45\xDF\xA3"sv},          // WebM, MKV
      {0, "OggS"sv},                      // Ogg
      {0, "ID3"sv},                       // MP3 with tags
      {0, "fLaC"sv},                      // FLAC
      {0, "PK\x03\x04"sv},                // ZIP: DOCX, XLSX, ODT, EPUB, APK
      {0, "\x1F\x8B"sv},                  // gzip
      {0, "\x28\xB5\x2F\xFD"sv},          // zstd
      {0, "\xFD\x37\x7A\x58\x5A\x00"sv},  // xz
      {0, "BZh"sv},                       // bzip2
      {0, "7z\xBC\xAF\x27\x1C"sv},        // 7-Zip
      {0, "Rar!"sv},                      // RAR
  };
  for (const auto& m : kMagics)
    if (n >= m.at + m.bytes.size() && std::memcmp(p + m.at, m.bytes.data(), m.bytes.size()) == 0)
      return true;
  // MP3 and AAC frames without tags (FF FB …), not UTF-16 text (FF FE).
  return n >= 2 && p[0] == 0xFF &&
         (p[1] == 0xFB || p[1] == 0xF3 || p[1] == 0xF2 || p[1] == 0xF1 || p[1] == 0xF9);
}

namespace {

// The match finder's tables bounded (level 19 alone would take 64 MiB of chain and 16 MiB of hash
// table, for records that are a few MB of text): an export fits a 512 MB box beside partad.
void set_zstd_params(ZSTD_CCtx* cctx, int lvl, bool long_distance) {
  for (auto [param, value] :
       {std::pair{ZSTD_c_compressionLevel, lvl}, std::pair{ZSTD_c_windowLog, kZstdWindowLog},
        std::pair{ZSTD_c_chainLog, kZstdTableLog}, std::pair{ZSTD_c_hashLog, kZstdTableLog},
        std::pair{ZSTD_c_enableLongDistanceMatching, long_distance ? 1 : 0}}) {
    std::size_t r = ZSTD_CCtx_setParameter(cctx, param, value);
    if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
  }
}

// Reads a regular file from its start in 64 KiB pieces, each given to `f`, and checks that it
// holds exactly `size` bytes; throws std::runtime_error otherwise.
template <class F>
void read_file_pieces(int fd, const std::string& path, std::uint64_t size, F f) {
  std::vector<unsigned char> buf(kChunkPlain);
  std::uint64_t left = size;
  while (true) {
    // One byte more than is left: a file that grew since fstat is noticed.
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left + 1));
    ssize_t n = ::read(fd, buf.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_fail("read " + path);
    if (n == 0) break;
    if (static_cast<std::uint64_t>(n) > left)
      throw std::runtime_error(path + " grew while it was being read");
    f(buf.data(), static_cast<std::size_t>(n));
    left -= static_cast<std::uint64_t>(n);
  }
  if (left != 0) throw std::runtime_error(path + " shrank while it was being read");
}

struct OpenFile {
  int fd = -1;
  std::uint64_t size = 0;
  OpenFile(const std::string& path) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) io_fail("open " + path);
    struct stat st;
    if (::fstat(fd, &st) != 0) io_fail("stat " + path);
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + " is not a regular file");
    size = static_cast<std::uint64_t>(st.st_size);
  }
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
};

}  // namespace

struct Writer::Impl {
  std::string final_path, dir, body_tmp, out_tmp;
  int body_fd = -1, out_fd = -1;
  Header header;
  Bytes64 sign_sk{};
  crypto_secretstream_xchacha20poly1305_state ss;
  crypto_generichash_state body_hash;
  ZSTD_CCtx* cctx = nullptr;
  std::vector<unsigned char> chunk, zout, sealed;
  std::uint64_t body_size = 0, records = 0, blobs = 0, plain = 0, record_total = 0;
  // The file starts with room for the signed header (as long as it can get: the body's size and
  // hash are known only at the end), written over it then: the bundle is written once, in place,
  // and a stick needs its size, not twice.
  std::size_t header_room = 0;
  bool finished = false, failed = false;
  int level = 19;           // for the records and the files that shrink
  bool stored = false;      // the frame open now is for files compressed already
  bool frame_empty = true;  // nothing given to the frame open now
  const Limits limits{};    // the reader's defaults: whatever is written can be read

  ~Impl() {
    if (!finished) abandon();
    ZSTD_freeCCtx(cctx);
    sodium_memzero(sign_sk.data(), sign_sk.size());
    sodium_memzero(&ss, sizeof ss);
  }

  void abandon() {
    failed = true;
    if (body_fd >= 0) ::close(std::exchange(body_fd, -1));
    if (out_fd >= 0) ::close(std::exchange(out_fd, -1));
    if (!body_tmp.empty()) ::unlink(body_tmp.c_str());
    if (!out_tmp.empty()) ::unlink(out_tmp.c_str());
  }

  void usable() const {
    if (finished) throw std::logic_error("bundle writer: already finished");
    if (failed) throw std::logic_error("bundle writer: an earlier error abandoned this bundle");
  }

  std::string make_temp(const char* kind, int* fd) {
    std::string base = std::filesystem::path(final_path).filename().string();
    std::string templ = dir + "/." + base + "." + kind + "-XXXXXX";
    *fd = ::mkstemp(templ.data());
    if (*fd < 0) io_fail("create a temp file in " + dir);
    return templ;
  }

  void write_body(const unsigned char* p, std::size_t n) {
    if (!write_all(body_fd, p, n)) io_fail("write " + body_tmp);
    crypto_generichash_update(&body_hash, p, n);
    body_size += n;
  }

  // Encrypts the buffered plaintext chunk as `u32 length | ciphertext`.
  void seal(unsigned char tag) {
    sealed.resize(4 + chunk.size() + kChunkOverhead);
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&ss, sealed.data() + 4, &clen, chunk.data(),
                                               chunk.size(), nullptr, 0, tag);
    put_u32(sealed.data(), static_cast<std::uint32_t>(clen));
    write_body(sealed.data(), 4 + static_cast<std::size_t>(clen));
    chunk.clear();
  }

  // Compressed bytes into 64 KiB chunks; a full chunk is sealed only when more follows, so the
  // final chunk is never empty.
  void push_compressed(const unsigned char* p, std::size_t n) {
    while (n > 0) {
      if (chunk.size() == kChunkPlain) seal(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
      std::size_t take = std::min(n, kChunkPlain - chunk.size());
      chunk.insert(chunk.end(), p, p + take);
      p += take;
      n -= take;
    }
  }

  void compress(const unsigned char* p, std::size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{p, n, 0};
    while (true) {
      ZSTD_outBuffer out{zout.data(), zout.size(), 0};
      std::size_t r = ZSTD_compressStream2(cctx, &out, &in, mode);
      if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      push_compressed(zout.data(), out.pos);
      if (mode == ZSTD_e_end ? r == 0 : in.pos == in.size) break;
    }
  }

  void plain_bytes(const void* p, std::size_t n) {
    compress(static_cast<const unsigned char*>(p), n, ZSTD_e_continue);
    if (n) frame_empty = false;
  }

  void set_params(int lvl, bool long_distance) { set_zstd_params(cctx, lvl, long_distance); }

  // Files compressed already (photos, video, archives) go in zstd frames of their own at its
  // fastest setting, which hardly looks for matches and stores the bytes: the level of the
  // records over a JPEG took as long as the rest of an export and gained nothing. A reader takes
  // the frames one after another as one stream (as `zstd -d` does).
  void use_stored(bool want) {
    if (want == stored) return;
    if (!frame_empty) compress(nullptr, 0, ZSTD_e_end);
    set_params(want ? ZSTD_minCLevel() : level, !want);
    stored = want;
    frame_empty = true;
  }

  // The reader's limits, checked before anything is written so that a refusal leaves the writer
  // usable.
  void check_entry(std::uint64_t frame_bytes) const {
    if (records + blobs + 1 > limits.max_records)
      throw std::length_error("bundle writer: more entries than a reader accepts");
    if (frame_bytes > limits.max_plain - plain - 1 - kEndBody)
      throw std::length_error("bundle writer: content larger than a reader accepts");
  }

  // Runs f; any exception abandons the bundle (temp files removed) and is passed on.
  template <class F>
  void guarded(F f) {
    try {
      f();
    } catch (...) {
      abandon();
      throw;
    }
  }
};

Writer::Writer(std::string final_path, Header header, const SigningKey& sender,
               const Bytes32& recipient_box_pk, int zstd_level)
    : impl_(std::make_unique<Impl>()) {
  if (!sodium_ready()) throw std::runtime_error("libsodium cannot start");
  Impl& w = *impl_;
  if (zstd_level < 1 || zstd_level > ZSTD_maxCLevel())
    throw std::invalid_argument("bundle writer: zstd level out of range");
  w.final_path = std::move(final_path);
  std::filesystem::path parent = std::filesystem::path(w.final_path).parent_path();
  w.dir = parent.empty() ? "." : parent.string();
  header.version = kCurrentVersion;
  header.compression = "zstd";
  if (header.bundle_id.empty()) header.bundle_id = random_hex(16);
  std::string why = header_value_problem(header, false);
  if (!why.empty()) throw std::invalid_argument("bundle writer: " + why);
  // All but the body fields are known now: with the longest of those the header must still fit
  // the reader's limit, checked before any work is done.
  header.ephemeral_pk = std::string(64, '0');
  header.body_hash = std::string(64, '0');
  header.body_size = std::numeric_limits<std::uint64_t>::max();
  std::string text;
  try {
    text = header_to_json(header).dump();
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("bundle writer: header is not valid UTF-8: ") +
                                e.what());
  }
  if (text.size() > w.limits.max_header)
    throw std::length_error("bundle writer: header larger than a reader accepts");
  w.header_room = text.size();

  Bytes32 eph_pk, eph_sk;
  crypto_box_keypair(eph_pk.data(), eph_sk.data());
  struct Key {
    unsigned char bytes[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    ~Key() { sodium_memzero(bytes, sizeof bytes); }
  } key;
  bool keyed = derive_key(eph_sk.data(), recipient_box_pk.data(), eph_pk.data(),
                          recipient_box_pk.data(), key.bytes);
  sodium_memzero(eph_sk.data(), eph_sk.size());
  if (!keyed) throw std::invalid_argument("bundle writer: the recipient's box key is not usable");
  header.ephemeral_pk = to_hex(eph_pk);
  header.body_hash.clear();
  header.body_size = 0;
  w.header = std::move(header);
  w.sign_sk = sender.sk;

  w.cctx = ZSTD_createCCtx();
  if (!w.cctx) throw std::runtime_error("bundle writer: out of memory for zstd");
  w.level = zstd_level;
  w.set_params(zstd_level, true);
  w.zout.resize(ZSTD_CStreamOutSize());
  w.chunk.reserve(kChunkPlain);
  crypto_generichash_init(&w.body_hash, nullptr, 0, crypto_generichash_BYTES);

  w.guarded([&] {
    w.body_tmp = w.make_temp("body", &w.body_fd);
    const std::vector<unsigned char> room(kPrefixSize + w.header_room + kSignatureSize, 0);
    if (!write_all(w.body_fd, room.data(), room.size())) io_fail("write " + w.body_tmp);
    unsigned char ss_header[kStreamHeader];
    crypto_secretstream_xchacha20poly1305_init_push(&w.ss, ss_header, key.bytes);
    w.write_body(ss_header, sizeof ss_header);
  });
}

Writer::~Writer() = default;
Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;

void Writer::add_record(std::string_view json_text) {
  if (!impl_) throw std::logic_error("bundle writer: moved from");
  Impl& w = *impl_;
  w.usable();
  if (json_text.size() > w.limits.max_record)
    throw std::length_error("bundle writer: record larger than a reader accepts");
  if (json_text.size() > w.limits.max_record_total - w.record_total)
    throw std::length_error("bundle writer: records larger in total than a reader accepts");
  w.check_entry(5 + json_text.size());
  w.guarded([&] {
    w.use_stored(false);
    unsigned char head[5] = {kFrameRecord};
    put_u32(head + 1, static_cast<std::uint32_t>(json_text.size()));
    w.plain_bytes(head, sizeof head);
    w.plain_bytes(json_text.data(), json_text.size());
  });
  w.records++;
  w.record_total += json_text.size();
  w.plain += 5 + json_text.size();
}

void Writer::add_blob(const Bytes32& sha256, const std::string& file_path) {
  if (!impl_) throw std::logic_error("bundle writer: moved from");
  Impl& w = *impl_;
  w.usable();
  std::optional<OpenFile> file;
  w.guarded([&] { file.emplace(file_path); });
  const int fd = file->fd;
  const std::uint64_t size = file->size;
  if (size > w.limits.max_plain) throw std::length_error("blob larger than a reader accepts");
  w.check_entry(1 + kBlobHead + size);
  w.guarded([&] {
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    // The file's first bytes say whether it is compressed already.
    unsigned char first[16];
    std::size_t sniffed = 0;
    while (sniffed < sizeof first && sniffed < size) {
      ssize_t n = ::pread(fd, first + sniffed, sizeof first - sniffed, static_cast<off_t>(sniffed));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      sniffed += static_cast<std::size_t>(n);
    }
    w.use_stored(compressed_already(first, sniffed));
    unsigned char head[1 + kBlobHead] = {kFrameBlob};
    std::memcpy(head + 1, sha256.data(), 32);
    put_u64(head + 33, size);
    w.plain_bytes(head, sizeof head);
    read_file_pieces(fd, file_path, size, [&](const unsigned char* p, std::size_t n) {
      crypto_hash_sha256_update(&sha, p, n);
      w.plain_bytes(p, n);
    });
    unsigned char got[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, got);
    if (sodium_memcmp(got, sha256.data(), sizeof got) != 0)
      throw std::runtime_error(file_path + " does not match its SHA-256 " + to_hex(sha256));
  });
  w.blobs++;
  w.plain += 1 + kBlobHead + size;
}

void Writer::add_blob_frame(const std::string& frame_path, const BlobFrame& frame) {
  if (!impl_) throw std::logic_error("bundle writer: moved from");
  Impl& w = *impl_;
  w.usable();
  if (frame.count == 0 || frame.plain > w.limits.max_plain ||
      frame.count > w.limits.max_records - w.records - w.blobs)
    throw std::length_error("bundle writer: a frame larger than a reader accepts");
  const std::uint64_t entries = frame.count * (1 + kBlobHead) + frame.plain;
  if (entries > w.limits.max_plain - w.plain - 1 - kEndBody)
    throw std::length_error("bundle writer: content larger than a reader accepts");
  OpenFile file(frame_path);
  if (file.size != frame.bytes) throw std::runtime_error(frame_path + " is not the frame made");
  // Checked whole before any of it goes in: a frame changed on disk must not spoil the bundle.
  crypto_generichash_state h;
  crypto_generichash_init(&h, nullptr, 0, crypto_generichash_BYTES);
  read_file_pieces(file.fd, frame_path, file.size, [&](const unsigned char* p, std::size_t n) {
    crypto_generichash_update(&h, p, n);
  });
  unsigned char got[crypto_generichash_BYTES];
  crypto_generichash_final(&h, got, sizeof got);
  if (to_hex(got, sizeof got) != frame.hash)
    throw std::runtime_error(frame_path + " is not the frame made (its hash differs)");
  if (::lseek(file.fd, 0, SEEK_SET) != 0) io_fail("seek " + frame_path);
  w.guarded([&] {
    // The frame open now ends; the made one follows it as it is (a reader takes the frames one
    // after another as one stream), and the next entry opens a frame of its own.
    if (!w.frame_empty) w.compress(nullptr, 0, ZSTD_e_end);
    w.frame_empty = true;
    read_file_pieces(file.fd, frame_path, file.size,
                     [&](const unsigned char* p, std::size_t n) { w.push_compressed(p, n); });
  });
  w.blobs += frame.count;
  w.plain += entries;
}

BlobFrame write_blob_frame(const std::vector<std::pair<Bytes32, std::string>>& files,
                           const std::string& out_path, int zstd_level) {
  if (zstd_level < 1 || zstd_level > ZSTD_maxCLevel())
    throw std::invalid_argument("blob frame: zstd level out of range");
  if (files.empty()) throw std::invalid_argument("blob frame: no files");
  std::filesystem::path parent = std::filesystem::path(out_path).parent_path();
  std::string dir = parent.empty() ? "." : parent.string();
  std::string tmp =
      dir + "/." + std::filesystem::path(out_path).filename().string() + ".tmp-XXXXXX";
  int out_fd = ::mkstemp(tmp.data());
  if (out_fd < 0) io_fail("create a temp file in " + dir);
  struct Cleanup {
    int& fd;
    std::string& path;
    bool keep = false;
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ~Cleanup() {
      if (fd >= 0) ::close(fd);
      if (!keep) ::unlink(path.c_str());
      ZSTD_freeCCtx(cctx);
    }
  } cleanup{out_fd, tmp};
  if (!cleanup.cctx) throw std::runtime_error("blob frame: out of memory for zstd");
  // Made once for many bundles: every file at the bundle's level (the writer stores a photo in a
  // frame of its own to save time per bundle; here the time is spent once).
  set_zstd_params(cleanup.cctx, zstd_level, true);
  BlobFrame made;
  crypto_generichash_state h;
  crypto_generichash_init(&h, nullptr, 0, crypto_generichash_BYTES);
  std::vector<unsigned char> zout(ZSTD_CStreamOutSize());
  auto compress = [&](const unsigned char* p, std::size_t n, ZSTD_EndDirective mode) {
    ZSTD_inBuffer zin{p, n, 0};
    while (true) {
      ZSTD_outBuffer zo{zout.data(), zout.size(), 0};
      std::size_t r = ZSTD_compressStream2(cleanup.cctx, &zo, &zin, mode);
      if (ZSTD_isError(r)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(r));
      if (!write_all(out_fd, zout.data(), zo.pos)) io_fail("write " + tmp);
      crypto_generichash_update(&h, zout.data(), zo.pos);
      made.bytes += zo.pos;
      if (mode == ZSTD_e_end ? r == 0 : zin.pos == zin.size) break;
    }
  };
  for (const auto& [sha256, file_path] : files) {
    OpenFile in(file_path);
    if (in.size > Limits{}.max_plain - made.plain)
      throw std::length_error("blob frame: larger than a reader accepts");
    unsigned char head[1 + kBlobHead] = {kFrameBlob};
    std::memcpy(head + 1, sha256.data(), 32);
    put_u64(head + 33, in.size);
    compress(head, sizeof head, ZSTD_e_continue);
    crypto_hash_sha256_state sha;
    crypto_hash_sha256_init(&sha);
    read_file_pieces(in.fd, file_path, in.size, [&](const unsigned char* p, std::size_t n) {
      crypto_hash_sha256_update(&sha, p, n);
      compress(p, n, ZSTD_e_continue);
    });
    unsigned char got[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, got);
    if (sodium_memcmp(got, sha256.data(), sizeof got) != 0)
      throw std::runtime_error(file_path + " does not match its SHA-256 " + to_hex(sha256));
    made.plain += in.size;
    made.count++;
  }
  compress(nullptr, 0, ZSTD_e_end);
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash_final(&h, hash, sizeof hash);
  made.hash = to_hex(hash, sizeof hash);
  if (::fsync(out_fd) != 0) io_fail("fsync " + tmp);
  ::close(std::exchange(out_fd, -1));
  if (::rename(tmp.c_str(), out_path.c_str()) != 0) io_fail("rename " + tmp);
  cleanup.keep = true;
  fsync_dir(dir);
  return made;
}

void Writer::add_blob_hex(std::string_view sha256_hex, const std::string& file_path) {
  Bytes32 sha;
  if (!from_hex(sha256_hex, sha.data(), sha.size()))
    throw std::invalid_argument("bundle writer: not a SHA-256: " + std::string(sha256_hex));
  add_blob(sha, file_path);
}

Header Writer::finish(std::uint64_t* file_size) {
  if (!impl_) throw std::logic_error("bundle writer: moved from");
  Impl& w = *impl_;
  w.usable();
  w.guarded([&] {
    unsigned char end[1 + kEndBody] = {kFrameEnd};
    put_u64(end + 1, w.records);
    put_u64(end + 9, w.blobs);
    w.plain_bytes(end, sizeof end);
    w.compress(nullptr, 0, ZSTD_e_end);
    w.seal(crypto_secretstream_xchacha20poly1305_TAG_FINAL);

    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash_final(&w.body_hash, hash, sizeof hash);
    w.header.body_hash = to_hex(hash, sizeof hash);
    w.header.body_size = w.body_size;
    std::string text = header_to_json(w.header).dump();
    // Over the room left at the start; the header's text padded to it with spaces (JSON allows
    // them; the signature covers them).
    if (text.size() > w.header_room)
      throw std::logic_error("bundle writer: the header outgrew the room kept for it");
    text.append(w.header_room - text.size(), ' ');
    std::string signed_bytes(kMagic, sizeof kMagic);
    unsigned char len[4];
    put_u32(len, static_cast<std::uint32_t>(text.size()));
    signed_bytes.append(reinterpret_cast<const char*>(len), 4);
    signed_bytes += text;
    unsigned char sig[kSignatureSize];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(signed_bytes.data()),
                         signed_bytes.size(), w.sign_sk.data());
    signed_bytes.append(reinterpret_cast<const char*>(sig), sizeof sig);
    std::size_t done = 0;
    while (done < signed_bytes.size()) {
      ssize_t n = ::pwrite(w.body_fd, signed_bytes.data() + done, signed_bytes.size() - done,
                           static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) io_fail("write " + w.body_tmp);
      done += static_cast<std::size_t>(n);
    }
    fsync_fd(w.body_fd, w.body_tmp);
    if (::close(std::exchange(w.body_fd, -1)) != 0) io_fail("close " + w.body_tmp);
    if (::rename(w.body_tmp.c_str(), w.final_path.c_str()) != 0)
      io_fail("rename to " + w.final_path);
    w.body_tmp.clear();  // it is the bundle now
    try {
      fsync_dir(w.dir);
    } catch (...) {
      // Not durable is not complete: no file under the final name.
      ::unlink(w.final_path.c_str());
      throw;
    }
    if (file_size) *file_size = signed_bytes.size() + w.body_size;
  });
  w.finished = true;
  return w.header;
}

// ---------------------------------------------------------------------------------------------
// Reader

std::optional<Opened> open(const std::string& path, Problem* problem, const Limits& limits) {
  return no_throw(problem, [&](Problem* p) -> std::optional<Opened> {
    FileSource src(path, p);
    if (!src.ok()) return std::nullopt;
    auto o = open_source(src, p, limits);
    if (o) o->path = path;
    return o;
  });
}

std::optional<Opened> open_memory(std::string_view bytes, Problem* problem, const Limits& limits) {
  return no_throw(problem, [&](Problem* p) -> std::optional<Opened> {
    MemorySource src(bytes);
    auto o = open_source(src, p, limits);
    if (o) o->memory = bytes;
    return o;
  });
}

bool verify(const Opened& b, const Bytes32& trusted_sender_sign_pk, std::string_view my_device_id,
            Problem* problem) {
  return no_throw(problem, [&](Problem* p) -> bool {
    if (b.path.empty()) {
      MemorySource src(b.memory);
      return verify_source(b, src, trusted_sender_sign_pk, my_device_id, p);
    }
    FileSource src(b.path, p);
    return src.ok() && verify_source(b, src, trusted_sender_sign_pk, my_device_id, p);
  });
}

std::optional<Contents> read_body(const Opened& b, const BoxKey& my_box_key,
                                  const std::string& staging_dir, Problem* problem,
                                  const Limits& limits) {
  return no_throw(problem, [&](Problem* p) -> std::optional<Contents> {
    if (b.path.empty()) {
      MemorySource src(b.memory);
      return read_source(b, src, my_box_key, staging_dir, p, limits);
    }
    FileSource src(b.path, p);
    if (!src.ok()) return std::nullopt;
    return read_source(b, src, my_box_key, staging_dir, p, limits);
  });
}

std::optional<Contents> parse_plain_frames(std::string_view plain, Problem* problem,
                                           const Limits& limits) {
  return no_throw(problem, [&](Problem* p) -> std::optional<Contents> {
    FrameParser parser(limits, std::string());
    if (!parser.feed(reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), p) ||
        !parser.finish(p))
      return std::nullopt;
    return parser.take();
  });
}

}  // namespace parta::content::bundle
