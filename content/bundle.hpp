#pragma once
// Sync bundles: one file carrying changes between a school box and the district hub, by USB stick
// or network (format in README.md). A lost stick leaks nothing (the body is encrypted to the
// recipient), and a wrong file is refused whole — by its signed header and the hash of its body —
// before anything in it is decrypted or decompressed.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parta::content::bundle {

constexpr std::uint32_t kOldestSupportedVersion = 1;
constexpr std::uint32_t kCurrentVersion = 1;

using Bytes32 = std::array<unsigned char, 32>;
using Bytes64 = std::array<unsigned char, 64>;

// Ed25519: who made a bundle.
struct SigningKey {
  Bytes32 pk;
  Bytes64 sk;
  static SigningKey generate();
  // The same key every time from the same seed (test fixtures, fuzz seeds).
  static SigningKey from_seed(const Bytes32& seed);
};
// X25519: who can read a bundle.
struct BoxKey {
  Bytes32 pk;
  Bytes32 sk;
  static BoxKey generate();
  static BoxKey from_seed(const Bytes32& seed);
};

std::string to_hex(const unsigned char* p, std::size_t n);
template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& a) {
  return to_hex(a.data(), N);
}
// Exactly 2n hex digits, lower or upper case; false (out unspecified) otherwise.
bool from_hex(std::string_view hex, unsigned char* out, std::size_t n);
// Short human fingerprint of a public key set, e.g. "K7QM-2XPA-9D4F-HT3W": Crockford base32 of the
// first 10 bytes of BLAKE2b-256 over sign_pk || box_pk, for an admin to compare by eye.
std::string fingerprint(const Bytes32& sign_pk, const Bytes32& box_pk);

struct StreamRange {
  std::string device, epoch;
  std::int64_t first = 0, last = 0;  // 0 <= first <= last
};
struct StreamAck {
  std::string device, epoch;
  std::int64_t upto = 0;  // >= 0
};
struct Header {
  std::uint32_t version = kCurrentVersion;
  // Device ids and epochs: 1..256 bytes of UTF-8 without control characters.
  std::string bundle_id, sender, sender_epoch, recipient;
  std::vector<StreamRange> ranges;
  std::vector<StreamAck> acks;
  nlohmann::json meta = nlohmann::json::object();
  // Set by the writer, checked by the reader:
  std::string ephemeral_pk, body_hash, compression = "zstd";
  std::uint64_t body_size = 0;
};

// Why a bundle was refused. `code` is stable (the server maps it to a Russian message); `detail` is
// English for logs.
enum class Refusal {
  kNone,
  kNotABundle,
  kTruncated,
  kUnknownVersion,
  kBadHeader,
  kBadSignature,
  kWrongRecipient,
  kModified,
  kCannotDecrypt,
  kCorrupt,
  kTooLarge,
  kIo
};
struct Problem {
  Refusal code = Refusal::kNone;
  std::string detail;
};
const char* refusal_name(Refusal r);  // "bad_signature" etc.

struct Limits {
  std::uint64_t max_header = 64 * 1024;
  std::uint64_t max_record = 16u << 20;
  std::uint64_t max_plain = 4ull << 30;    // decompressed bytes (decompression bombs)
  std::uint64_t max_records = 10'000'000;  // entries: records and blobs together
  // Records are returned in memory: their total size (a blob is streamed to disk and not counted).
  std::uint64_t max_record_total = 1ull << 30;
};

// Files as one zstd frame of their own — each a body blob entry, `u8 2 | sha256 | u64 size |
// bytes`, compressed with the writer's settings (level, window) — for Writer::add_blob_frame: the
// files a hub sends to many schools (a content pack's items) compressed once. Each file's SHA-256
// is checked while it is read (a mismatch throws std::runtime_error). Written to out_path durably
// (a temp file beside it, fsync, rename, fsync of the folder).
struct BlobFrame {
  std::uint64_t bytes = 0;  // the frame's size on disk
  std::uint64_t plain = 0;  // the files' sizes added up
  std::uint64_t count = 0;  // files in it
  std::string hash;         // BLAKE2b-256 of the frame, hex
};
BlobFrame write_blob_frame(const std::vector<std::pair<Bytes32, std::string>>& files,
                           const std::string& out_path, int zstd_level = 19);

// Writes a bundle: the body goes to a temp file beside `final_path`, then header + signature + body
// to a second temp file, fsync, rename to final_path, fsync the directory. Nothing is left under a
// final name unless complete. Throws std::runtime_error on I/O errors (removing the temp files),
// std::invalid_argument for a header the reader would refuse, std::length_error past the default
// Limits (so every bundle written can be read), std::logic_error for calls after finish() or after
// an error. zstd_level 1..22.
// Whether a file whose first bytes (up to 16) are these is compressed already (photos, video,
// audio, ZIP-based documents, compressed archives): the writer stores those instead of spending
// its level on them.
bool compressed_already(const unsigned char* first, std::size_t n);

class Writer {
 public:
  Writer(std::string final_path, Header header, const SigningKey& sender,
         const Bytes32& recipient_box_pk, int zstd_level = 19);
  ~Writer();  // removes temp files if finish() was not called
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;

  void add_record(std::string_view json_text);
  // Streams the file; its size is taken from the file and its SHA-256 checked while reading
  // (a mismatch throws std::runtime_error: the blob store has a damaged file).
  void add_blob(const Bytes32& sha256, const std::string& file_path);
  void add_blob_hex(std::string_view sha256_hex, const std::string& file_path);
  // Files compressed beforehand by write_blob_frame, put in as they are (only encrypted): what
  // goes to many recipients is compressed once. The frame is read and checked against
  // `frame` first; one that is not as it was made throws std::runtime_error with nothing added
  // (the writer stays usable: the caller adds the blob itself instead).
  void add_blob_frame(const std::string& frame_path, const BlobFrame& frame);
  // Returns the final header (with body fields filled) and the file's total size.
  Header finish(std::uint64_t* file_size = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Step 1 (no trust needed): parse magic, version range, header JSON, and that the file's length is
// exactly what the header says. Does NOT check the signature.
struct Opened {
  Header header;
  std::string header_bytes_signed;  // magic | u32 | header JSON, exactly as stored
  Bytes64 signature;
  std::uint64_t body_offset = 0;
  std::string path;  // empty when opened from memory
  // open_memory(): the caller's bytes, which must outlive this Opened (no copy of a large upload).
  std::string_view memory;
};
std::optional<Opened> open(const std::string& path, Problem* problem, const Limits& limits = {});
// Same from memory (for fuzzing and network uploads held in memory); verify() and read_body() then
// read the body from `bytes`.
std::optional<Opened> open_memory(std::string_view bytes, Problem* problem,
                                  const Limits& limits = {});
// Step 2: signature by the sender's trusted key, recipient == my_device_id, and BLAKE2b of the
// ciphertext == header.body_hash (streamed over the file). Nothing is decrypted or decompressed
// before this passes.
bool verify(const Opened& b, const Bytes32& trusted_sender_sign_pk, std::string_view my_device_id,
            Problem* problem);
// Step 3: decrypt + decompress + parse frames. Records are returned in memory; blobs are written to
// new files in `staging_dir` (which must exist; names are ours, never from the bundle), each
// checked against its sha256 (mismatch → kCorrupt); on any failure all staged files are removed
// and nothing is returned. The body is hashed again while read, so a file changed after verify()
// is refused (kModified). The caller then adopts blobs and applies records in one DB transaction.
struct StagedBlob {
  std::string sha256;  // 64 lower-case hex digits
  std::string temp_path;
  std::uint64_t size = 0;
};
struct Contents {
  std::vector<std::string> records;
  std::vector<StagedBlob> blobs;
};
std::optional<Contents> read_body(const Opened& b, const BoxKey& my_box_key,
                                  const std::string& staging_dir, Problem* problem,
                                  const Limits& limits = {});
// For the fuzzer: parse an already-decrypted, decompressed plaintext frame stream from memory
// (blobs counted and hashed but not written; their temp_path is empty).
std::optional<Contents> parse_plain_frames(std::string_view plain, Problem* problem,
                                           const Limits& limits = {});

}  // namespace parta::content::bundle
