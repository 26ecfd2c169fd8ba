// Fuzzes the sync-bundle reader three ways with every input: as a whole bundle file (open_memory,
// then verify with the fixed seed key and read_body when that passes), as a decrypted plaintext
// frame stream (parse_plain_frames), and as the compressed payload of a bundle encrypted and
// signed here with the fixed keys — mutations never get past the signature, so this is how
// decryption, decompression and staging are reached. Anything inconsistent aborts.
// Seeds: tests/fuzz/corpus/bundle, remade by PARTA_WRITE_BUNDLE_CORPUS=1 parta_content_tests.
#include <sodium.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "content/bundle.hpp"

namespace {

namespace fs = std::filesystem;
namespace b = parta::content::bundle;

const char kMe[] = "fuzz-hub";

// The same fixed keys as tests/unit/bundle_test.cpp, which makes the seeds.
const b::SigningKey& sign_key() {
  static const b::SigningKey k = [] {
    b::Bytes32 seed;
    seed.fill('S');
    return b::SigningKey::from_seed(seed);
  }();
  return k;
}
const b::BoxKey& box_key() {
  static const b::BoxKey k = [] {
    b::Bytes32 seed;
    seed.fill('B');
    return b::BoxKey::from_seed(seed);
  }();
  return k;
}

b::Limits limits() {
  b::Limits l;
  l.max_plain = 8u << 20;  // small enough to keep each run fast
  l.max_record = 1u << 20;
  l.max_records = 10000;
  return l;
}

const std::string& staging() {
  static const std::string dir = [] {
    auto d = fs::temp_directory_path() / ("parta-bundle-fuzz-" + std::to_string(getpid()));
    fs::create_directories(d);
    return d.string();
  }();
  return dir;
}

void check(bool ok) {
  if (!ok) std::abort();
}

bool staging_empty() { return fs::is_empty(staging()); }

void remove_staged(const b::Contents& c) {
  for (const auto& blob : c.blobs) fs::remove(blob.temp_path);
  check(staging_empty());
}

std::string le(std::uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i));
  return s;
}

bool lower_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// A successful parse must account for every byte: the frames and the end frame's counts.
void check_parsed(std::string_view in, const b::Contents& c) {
  std::uint64_t bytes = 1 + 16;
  for (const auto& r : c.records) bytes += 1 + 4 + r.size();
  for (const auto& blob : c.blobs) {
    check(lower_hex64(blob.sha256));
    bytes += 1 + 32 + 8 + blob.size;
  }
  check(bytes == in.size());
  std::string_view end = in.substr(in.size() - 17);
  check(end[0] == '\0');
  check(end.substr(1, 8) == le(c.records.size(), 8));
  check(end.substr(9, 8) == le(c.blobs.size(), 8));
}

void as_file(std::string_view in) {
  b::Problem p;
  auto o = b::open_memory(in, &p, limits());
  if (!o) {
    check(p.code != b::Refusal::kNone && !p.detail.empty());
    return;
  }
  check(p.code == b::Refusal::kNone);
  check(o->header.version >= b::kOldestSupportedVersion && o->header.version <= b::kCurrentVersion);
  check(o->body_offset + o->header.body_size == in.size());
  check(o->body_offset == o->header_bytes_signed.size() + 64);
  check(in.substr(0, o->header_bytes_signed.size()) == o->header_bytes_signed);
  check(std::memcmp(in.data() + o->header_bytes_signed.size(), o->signature.data(), 64) == 0);
  if (!b::verify(*o, sign_key().pk, kMe, &p)) {
    check(p.code == b::Refusal::kBadSignature || p.code == b::Refusal::kWrongRecipient ||
          p.code == b::Refusal::kModified);
    return;
  }
  auto c = b::read_body(*o, box_key(), staging(), &p, limits());
  if (!c) {
    check(p.code != b::Refusal::kNone);
    check(staging_empty());
    return;
  }
  for (const auto& blob : c->blobs) check(fs::file_size(blob.temp_path) == blob.size);
  remove_staged(*c);
}

std::optional<b::Contents> as_frames(std::string_view in) {
  b::Problem p;
  auto c = b::parse_plain_frames(in, &p, limits());
  if (!c) {
    check(p.code == b::Refusal::kCorrupt || p.code == b::Refusal::kTooLarge);
    check(!p.detail.empty());
    return std::nullopt;
  }
  check_parsed(in, *c);
  for (const auto& blob : c->blobs) check(blob.temp_path.empty());
  return c;
}

// Encrypts `payload` for the fixed box key and signs a header over it, by the format's rules.
std::string wrap(std::string_view payload) {
  const b::Bytes32& rpk = box_key().pk;
  b::Bytes32 eph_pk, eph_sk;
  crypto_box_keypair(eph_pk.data(), eph_sk.data());
  unsigned char kin[96], key[32];
  check(crypto_scalarmult(kin, eph_sk.data(), rpk.data()) == 0);
  std::memcpy(kin + 32, eph_pk.data(), 32);
  std::memcpy(kin + 64, rpk.data(), 32);
  crypto_generichash(key, sizeof key, kin, sizeof kin, nullptr, 0);
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char ss_header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&st, ss_header, key);
  std::string body(reinterpret_cast<char*>(ss_header), sizeof ss_header);
  std::size_t pos = 0;
  do {
    std::string_view piece = payload.substr(pos, 64 * 1024);
    pos += piece.size();
    std::string c(piece.size() + crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &st, reinterpret_cast<unsigned char*>(c.data()), &clen,
        reinterpret_cast<const unsigned char*>(piece.data()), piece.size(), nullptr, 0,
        pos >= payload.size() ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                              : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    body += le(clen, 4) + c;
  } while (pos < payload.size());
  unsigned char h[32];
  crypto_generichash(h, 32, reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                     nullptr, 0);
  nlohmann::json header = {{"version", b::kCurrentVersion},
                           {"bundle_id", std::string(32, '0')},
                           {"sender", "fuzz-box"},
                           {"sender_epoch", "e1"},
                           {"recipient", kMe},
                           {"ranges", nlohmann::json::array()},
                           {"acks", nlohmann::json::array()},
                           {"meta", nlohmann::json::object()},
                           {"ephemeral_pk", b::to_hex(eph_pk)},
                           {"body_size", body.size()},
                           {"body_hash", b::to_hex(h, 32)},
                           {"compression", "zstd"}};
  std::string text = header.dump();
  std::string out = "PARTABN1" + le(text.size(), 4) + text;
  unsigned char sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(out.data()), out.size(),
                       sign_key().sk.data());
  return out + std::string(reinterpret_cast<char*>(sig), 64) + body;
}

// The input decompressed by zstd directly, up to max bytes; nullopt when zstd refuses it.
std::optional<std::string> decompress(std::string_view in, std::size_t max) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  std::string out;
  std::string buf(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::size_t last = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    last = ZSTD_decompressStream(d.get(), &o, &input);
    if (ZSTD_isError(last)) return std::nullopt;
    out.append(buf.data(), o.pos);
    if (out.size() > max) return std::nullopt;
  }
  if (last != 0) return std::nullopt;
  return out;
}

void as_payload(std::string_view in) {
  std::string file = wrap(in);
  b::Problem p;
  auto o = b::open_memory(file, &p, limits());
  check(o.has_value());  // a bundle made by the rules opens and verifies
  check(b::verify(*o, sign_key().pk, kMe, &p));
  auto c = b::read_body(*o, box_key(), staging(), &p, limits());
  if (!c) {
    check(p.code == b::Refusal::kCorrupt || p.code == b::Refusal::kTooLarge);
    check(staging_empty());
    return;
  }
  // What was read must be what zstd and the plain-frame parser make of the same bytes.
  auto plain = decompress(in, limits().max_plain);
  check(plain.has_value());
  auto again = as_frames(*plain);
  check(again.has_value());
  check(again->records == c->records);
  check(again->blobs.size() == c->blobs.size());
  for (std::size_t i = 0; i < c->blobs.size(); ++i) {
    check(again->blobs[i].sha256 == c->blobs[i].sha256);
    check(again->blobs[i].size == c->blobs[i].size);
    check(fs::file_size(c->blobs[i].temp_path) == c->blobs[i].size);
  }
  remove_staged(*c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The staging folder goes at exit; registered after it exists, so it runs before the string
  // naming it is destroyed.
  static bool init = sodium_init() >= 0 && !staging().empty() && std::atexit([] {
                                                                   std::error_code ec;
                                                                   fs::remove_all(staging(), ec);
                                                                 }) == 0;
  check(init);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  as_file(in);
  as_frames(in);
  as_payload(in);
  return 0;
}
