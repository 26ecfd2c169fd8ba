// Sync bundles: round trips, and every way a bundle must be refused whole. Hostile bundles are
// built here by hand from the format in content/README.md (not with the Writer), so the reader is
// checked against the written description as well as against our own writer.
#include <gtest/gtest.h>
#include <sodium.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>

#include "content/bundle.hpp"

namespace parta::content::bundle {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("parta-bundle-test-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string dir(const std::string& name) const {
    fs::create_directories(path_ / name);
    return file(name);
  }

 private:
  fs::path path_;
};

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Bytes32 sha256_of(std::string_view bytes) {
  Bytes32 h;
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return h;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// The same fixed keys as tests/fuzz/bundle_fuzz.cpp: the checked-in seeds are made with them.
SigningKey fixed_sign_key() {
  Bytes32 seed;
  seed.fill('S');
  return SigningKey::from_seed(seed);
}
BoxKey fixed_box_key() {
  Bytes32 seed;
  seed.fill('B');
  return BoxKey::from_seed(seed);
}

Header test_header(std::string recipient = "hub") {
  Header h;
  h.sender = "box-17";
  h.sender_epoch = "e-2026-01";
  h.recipient = std::move(recipient);
  h.ranges = {{"box-17", "e-2026-01", 1, 42}, {"teacher-phone-3", "e7", 5, 5}};
  h.acks = {{"hub", "h1", 1000}};
  h.meta = {{"school", "Школа №3"}, {"reason", "usb"}};
  return h;
}

// ---- frames and hand-made bundles, straight from the format description ----------------------

std::string le(std::uint64_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>(v >> (8 * i));
  return s;
}
std::string record_frame(std::string_view text) {
  return std::string(1, '\x01') + le(text.size(), 4) + std::string(text);
}
std::string blob_frame(std::string_view bytes) {
  Bytes32 h = sha256_of(bytes);
  return std::string(1, '\x02') + std::string(h.begin(), h.end()) + le(bytes.size(), 8) +
         std::string(bytes);
}
std::string end_frame(std::uint64_t records, std::uint64_t blobs) {
  return std::string(1, '\0') + le(records, 8) + le(blobs, 8);
}

std::string zstd19(std::string_view plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 19);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

struct ForgeOptions {
  bool final_tag = true;    // tag the last chunk TAG_FINAL
  std::string after_final;  // a further (valid) chunk's plaintext after the final one
  std::uint32_t version = 1;
  Bytes32 recipient_pk{};              // zero: the fixed box key
  const SigningKey* signer = nullptr;  // null: the fixed signing key
  std::string recipient = "fuzz-hub";
};

// Encrypts `payload` (already compressed) for the recipient and signs a header over it.
std::string forge(std::string_view payload, ForgeOptions o = {}) {
  static const Bytes32 kZero{};
  BoxKey box = fixed_box_key();
  SigningKey sign = fixed_sign_key();
  const Bytes32& rpk = o.recipient_pk == kZero ? box.pk : o.recipient_pk;
  Bytes32 eph_pk, eph_sk;
  crypto_box_keypair(eph_pk.data(), eph_sk.data());
  unsigned char shared[32], key[32];
  EXPECT_EQ(crypto_scalarmult(shared, eph_sk.data(), rpk.data()), 0);
  std::string kin(reinterpret_cast<char*>(shared), 32);
  kin += std::string(eph_pk.begin(), eph_pk.end()) + std::string(rpk.begin(), rpk.end());
  crypto_generichash(key, 32, reinterpret_cast<const unsigned char*>(kin.data()), kin.size(),
                     nullptr, 0);
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned char ss_header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&st, ss_header, key);
  std::string body(reinterpret_cast<char*>(ss_header), sizeof ss_header);
  auto push = [&](std::string_view m, unsigned char tag) {
    std::string c(m.size() + crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &st, reinterpret_cast<unsigned char*>(c.data()), &clen,
        reinterpret_cast<const unsigned char*>(m.data()), m.size(), nullptr, 0, tag);
    body += le(clen, 4) + c;
  };
  const std::size_t kChunk = 64 * 1024;
  std::size_t pos = 0;
  do {
    std::string_view piece = payload.substr(pos, kChunk);
    pos += piece.size();
    bool last = pos >= payload.size();
    push(piece, last && o.final_tag ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  } while (pos < payload.size());
  if (!o.after_final.empty())
    push(o.after_final, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  unsigned char h[32];
  crypto_generichash(h, 32, reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                     nullptr, 0);
  json header = {{"version", o.version},           {"bundle_id", std::string(32, 'a')},
                 {"sender", "fuzz-box"},           {"sender_epoch", "e1"},
                 {"recipient", o.recipient},       {"ranges", json::array()},
                 {"acks", json::array()},          {"meta", json::object()},
                 {"ephemeral_pk", to_hex(eph_pk)}, {"body_size", body.size()},
                 {"body_hash", to_hex(h, 32)},     {"compression", "zstd"}};
  std::string text = header.dump();
  std::string out = "PARTABN1" + le(text.size(), 4) + text;
  unsigned char sig[64];
  const SigningKey& k = o.signer ? *o.signer : sign;
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(out.data()), out.size(),
                       k.sk.data());
  return out + std::string(reinterpret_cast<char*>(sig), 64) + body;
}

// Re-signs a bundle's header text after `edit` changed it (the body stays).
std::string resign(const std::string& file, const std::function<void(std::string&)>& edit,
                   const SigningKey& key) {
  std::uint32_t len = 0;
  for (int i = 3; i >= 0; --i) len = len << 8 | static_cast<unsigned char>(file[8 + i]);
  std::string text = file.substr(12, len);
  std::string body = file.substr(12 + len + 64);
  edit(text);
  std::string out = "PARTABN1" + le(text.size(), 4) + text;
  unsigned char sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(out.data()), out.size(),
                       key.sk.data());
  return out + std::string(reinterpret_cast<char*>(sig), 64) + body;
}

// ---- a realistic bundle written with the Writer ----------------------------------------------

struct Written {
  std::string path;
  Header header;
  std::uint64_t size = 0;
  std::vector<std::string> records;
  std::vector<std::string> blobs;  // contents, in order
};

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }

  Written write(const std::vector<std::string>& records, const std::vector<std::string>& blobs,
                const std::string& recipient = "hub", int level = 19) {
    Written w;
    w.path = dir_.file("out/b" + std::to_string(counter_++) + ".parta-bundle");
    fs::create_directories(dir_.file("out"));
    Writer writer(w.path, test_header(recipient), sender_, box_.pk, level);
    for (const auto& r : records) writer.add_record(r);
    for (std::size_t i = 0; i < blobs.size(); ++i) {
      std::string src = dir_.file("src" + std::to_string(counter_) + "-" + std::to_string(i));
      write_file(src, blobs[i]);
      if (i % 2)
        writer.add_blob(sha256_of(blobs[i]), src);
      else
        writer.add_blob_hex(to_hex(sha256_of(blobs[i])), src);
    }
    w.header = writer.finish(&w.size);
    w.records = records;
    w.blobs = blobs;
    return w;
  }

  Written small() {
    return write({R"({"t":"grade","v":5})", "{}", R"({"name":"Пётр"})"},
                 {"hello", "", random_bytes(3000, 1), std::string(20000, 'x')});
  }

  // Open + verify with the real keys; the refusal code (kNone when both pass).
  Refusal open_and_verify(std::string_view bytes, Problem* p = nullptr) {
    Problem local;
    Problem& pr = p ? *p : local;
    auto o = open_memory(bytes, &pr);
    if (!o) return pr.code;
    if (!verify(*o, sender_.pk, "hub", &pr)) return pr.code;
    return Refusal::kNone;
  }

  TempDir dir_;
  SigningKey sender_ = SigningKey::generate();
  BoxKey box_ = BoxKey::generate();
  int counter_ = 0;
};

// ---- helpers: hex, fingerprints, names -------------------------------------------------------

TEST(BundleHex, RoundTripAndStrictness) {
  unsigned char in[3] = {0x00, 0xab, 0xff}, out[3];
  EXPECT_EQ(to_hex(in, 3), "00abff");
  EXPECT_TRUE(from_hex("00ABff", out, 3));
  EXPECT_EQ(std::memcmp(in, out, 3), 0);
  EXPECT_FALSE(from_hex("00abf", out, 3));
  EXPECT_FALSE(from_hex("00abff00", out, 3));
  EXPECT_FALSE(from_hex("00abfg", out, 3));
  EXPECT_FALSE(from_hex(" 0abff", out, 3));
  std::array<unsigned char, 2> a{0x12, 0x34};
  EXPECT_EQ(to_hex(a), "1234");
}

TEST(BundleFingerprint, ShapeStabilityAndDifference) {
  ASSERT_GE(sodium_init(), 0);
  SigningKey s = fixed_sign_key();
  BoxKey b = fixed_box_key();
  std::string f = fingerprint(s.pk, b.pk);
  EXPECT_TRUE(std::regex_match(f, std::regex("([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}")))
      << f;
  EXPECT_EQ(f, fingerprint(s.pk, b.pk));
  EXPECT_NE(f, fingerprint(s.pk, BoxKey::generate().pk));
  EXPECT_NE(f, fingerprint(b.pk, s.pk));
  // The first 10 bytes of BLAKE2b-256(sign_pk || box_pk), 5 bits at a time.
  unsigned char both[64], h[32];
  std::memcpy(both, s.pk.data(), 32);
  std::memcpy(both + 32, b.pk.data(), 32);
  crypto_generichash(h, 32, both, 64, nullptr, 0);
  const char* alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  EXPECT_EQ(f[0], alphabet[h[0] >> 3]);
  EXPECT_EQ(f[18], alphabet[h[9] & 31]);
}

TEST(BundleRefusal, StableNames) {
  EXPECT_STREQ(refusal_name(Refusal::kNone), "none");
  EXPECT_STREQ(refusal_name(Refusal::kNotABundle), "not_a_bundle");
  EXPECT_STREQ(refusal_name(Refusal::kTruncated), "truncated");
  EXPECT_STREQ(refusal_name(Refusal::kUnknownVersion), "unknown_version");
  EXPECT_STREQ(refusal_name(Refusal::kBadHeader), "bad_header");
  EXPECT_STREQ(refusal_name(Refusal::kBadSignature), "bad_signature");
  EXPECT_STREQ(refusal_name(Refusal::kWrongRecipient), "wrong_recipient");
  EXPECT_STREQ(refusal_name(Refusal::kModified), "modified");
  EXPECT_STREQ(refusal_name(Refusal::kCannotDecrypt), "cannot_decrypt");
  EXPECT_STREQ(refusal_name(Refusal::kCorrupt), "corrupt");
  EXPECT_STREQ(refusal_name(Refusal::kTooLarge), "too_large");
  EXPECT_STREQ(refusal_name(Refusal::kIo), "io");
}

// ---- round trip ------------------------------------------------------------------------------

TEST_F(BundleTest, RoundTripRecordsAndBlobs) {
  std::vector<std::string> records = {R"({"op":"insert","table":"grades","mark":5})", "{}",
                                      R"({"text":"Домашнее задание: §12, упр. 3"})",
                                      std::string(100000, 'r')};
  std::vector<std::string> blobs = {"", random_bytes(1 << 20, 7), "hello", std::string(200000, 'z'),
                                    "hello"};
  Written w = write(records, blobs);
  EXPECT_EQ(w.size, fs::file_size(w.path));
  EXPECT_EQ(files_in(dir_.file("out")), 1u) << "no temp files beside the bundle";
  EXPECT_EQ(w.header.version, kCurrentVersion);
  EXPECT_EQ(w.header.bundle_id.size(), 32u);
  EXPECT_EQ(w.header.ephemeral_pk.size(), 64u);
  EXPECT_EQ(w.header.body_hash.size(), 64u);

  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o) << p.detail;
  EXPECT_EQ(o->path, w.path);
  EXPECT_EQ(o->body_offset + o->header.body_size, w.size);
  EXPECT_EQ(read_file(w.path).substr(0, o->header_bytes_signed.size()), o->header_bytes_signed);
  EXPECT_EQ(o->header.bundle_id, w.header.bundle_id);
  EXPECT_EQ(o->header.sender, "box-17");
  EXPECT_EQ(o->header.sender_epoch, "e-2026-01");
  EXPECT_EQ(o->header.recipient, "hub");
  ASSERT_EQ(o->header.ranges.size(), 2u);
  EXPECT_EQ(o->header.ranges[1].device, "teacher-phone-3");
  EXPECT_EQ(o->header.ranges[0].last, 42);
  ASSERT_EQ(o->header.acks.size(), 1u);
  EXPECT_EQ(o->header.acks[0].upto, 1000);
  EXPECT_EQ(o->header.meta["school"], "Школа №3");
  EXPECT_EQ(o->header.compression, "zstd");

  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p)) << p.detail;
  std::string staging = dir_.dir("staging");
  auto c = read_body(*o, box_, staging, &p);
  ASSERT_TRUE(c) << refusal_name(p.code) << ": " << p.detail;
  EXPECT_EQ(c->records, records);
  ASSERT_EQ(c->blobs.size(), blobs.size());
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    EXPECT_EQ(c->blobs[i].sha256, to_hex(sha256_of(blobs[i])));
    EXPECT_EQ(c->blobs[i].size, blobs[i].size());
    EXPECT_EQ(fs::path(c->blobs[i].temp_path).parent_path(), fs::path(staging));
    EXPECT_EQ(read_file(c->blobs[i].temp_path), blobs[i]) << i;
  }
  EXPECT_EQ(files_in(staging), blobs.size());
}

// Files compressed already travel in stored frames of their own (zstd's fastest level), the
// rest at the bundle's level; the reader takes the frames as one stream.
TEST(BundleCompressedAlready, KnownByTheirFirstBytes) {
  auto is = [](std::string_view first) {
    return compressed_already(reinterpret_cast<const unsigned char*>(first.data()), first.size());
  };
  using namespace std::string_view_literals;
  EXPECT_TRUE(
      is("\xFF\xD8\xFF\xE1\x12\x34"
         "Exif\0\0"sv));                               // a phone's JPEG
  EXPECT_TRUE(is("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"sv));  // PNG
  EXPECT_TRUE(
      is("\0\0\0\x18"
         "ftypheic\0\0\0\0"sv));  // an iPhone's HEIC
  EXPECT_TRUE(
      is("\0\0\0\x20"
         "ftypisom\0\0\x02\0"sv));                             // MP4 video
  EXPECT_TRUE(is("RIFF\x24\x10\0\0WEBPVP8 "sv));               // WebP
  EXPECT_TRUE(is("PK\x03\x04\x14\0\x06\0"sv));                 // DOCX, XLSX
  EXPECT_TRUE(is("\x1F\x8B\x08\0"sv));                         // gzip
  EXPECT_TRUE(is("\xFF\xFB\x90\x64"sv));                       // MP3 frame
  EXPECT_FALSE(is("%PDF-1.7\n%\xE2\xE3"sv));                   // PDF: often text inside
  EXPECT_FALSE(is("\xEF\xBB\xBF\xD0\xA4\xD0\xB0\xD0\xBC"sv));  // UTF-8 text (CSV)
  EXPECT_FALSE(is("\xFF\xFE\x24\x04"sv));                      // UTF-16 text
  EXPECT_FALSE(is("RIFF\x24\x10\0\0WAVEfmt "sv));              // WAV: raw sound
  EXPECT_FALSE(is(""sv));
  EXPECT_FALSE(is("\xFF"sv));
}

TEST_F(BundleTest, CompressedFilesStoredTheRestCompressedOneStream) {
  // A "photo" that zstd could shrink (a JPEG header before repeated bytes) is stored, a text file
  // of the same bytes is compressed: the frames switch with each file, and back for the records.
  std::string text;
  for (int i = 0; text.size() < 300000; ++i)
    text += "Иванов Пётр, 5А: " + std::to_string(i % 97) + " баллов\n";
  std::string photo = "\xFF\xD8\xFF\xE0" + text;
  std::vector<std::string> records = {R"({"kind":"submission","n":1})",
                                      R"({"kind":"grade","mark":"5"})"};
  Written w = write(records, {photo, photo, text, random_bytes(50000, 3)});
  EXPECT_GT(w.size, 2 * photo.size() * 9 / 10) << "the photos stored as they are";
  EXPECT_LT(w.size, 2 * photo.size() + 50000 + 20000) << "the text file compressed";
  // Records after a stored file go back to the bundle's level.
  Written all = write({}, {photo});
  std::string staging = dir_.dir("staging");
  for (const Written* x : {&w, &all}) {
    Problem p;
    auto o = open(x->path, &p);
    ASSERT_TRUE(o) << p.detail;
    ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p)) << p.detail;
    auto c = read_body(*o, box_, staging, &p);
    ASSERT_TRUE(c) << refusal_name(p.code) << ": " << p.detail;
    EXPECT_EQ(c->records, x->records);
    ASSERT_EQ(c->blobs.size(), x->blobs.size());
    for (std::size_t i = 0; i < x->blobs.size(); ++i)
      EXPECT_EQ(read_file(c->blobs[i].temp_path), x->blobs[i]) << i;
    for (const auto& b : c->blobs) fs::remove(b.temp_path);
  }
}

// Files for many recipients are compressed once (write_blob_frame: a content pack's items in one
// frame) and put into each bundle as they are, between records and other files; every bundle
// reads the same as one that compressed the files itself. A frame changed on disk is refused
// before anything is added.
TEST_F(BundleTest, AFrameCompressedOnceGoesIntoEveryBundle) {
  std::vector<std::string> items;
  for (int k = 0; k < 3; ++k) {
    std::string item;
    for (int i = 0; item.size() < 200000; ++i)
      item += "<p>Параграф " + std::to_string(k * 1000 + i % 313) + ": текст учебника.</p>\n";
    items.push_back(item);
  }
  std::string photo = "\xFF\xD8\xFF\xE0" + random_bytes(200000, 7);
  std::vector<std::pair<Bytes32, std::string>> pack;
  for (std::size_t k = 0; k < items.size(); ++k) {
    std::string f = dir_.file("item" + std::to_string(k) + ".html");
    write_file(f, items[k]);
    pack.emplace_back(sha256_of(items[k]), f);
  }
  const std::string photo_file = dir_.file("photo.jpg");
  write_file(photo_file, photo);
  fs::create_directories(dir_.file("frames"));
  BlobFrame frame = write_blob_frame(pack, dir_.file("frames/pack.zst"));
  BlobFrame stored = write_blob_frame({{sha256_of(photo), photo_file}}, dir_.file("frames/ph.zst"));
  EXPECT_EQ(frame.plain, items[0].size() + items[1].size() + items[2].size());
  EXPECT_EQ(frame.count, 3u);
  EXPECT_LT(frame.bytes, frame.plain / 10) << "compressed at the bundle's level";
  EXPECT_EQ(frame.bytes, fs::file_size(dir_.file("frames/pack.zst")));
  EXPECT_EQ(stored.count, 1u);
  EXPECT_GE(stored.bytes, photo.size()) << "random bytes do not shrink";
  EXPECT_EQ(files_in(dir_.file("frames")), 2u) << "no temp file left";
  const std::vector<std::string> records = {R"({"kind":"pack","n":1})", R"({"kind":"x"})"};
  for (int school = 0; school < 3; ++school) {
    std::string path = dir_.file("out/s" + std::to_string(school) + ".ptb");
    fs::create_directories(dir_.file("out"));
    Writer w(path, test_header(), sender_, box_.pk);
    w.add_record(records[0]);
    w.add_blob_frame(dir_.file("frames/pack.zst"), frame);
    w.add_record(records[1]);
    std::string small = dir_.file("small.txt");
    write_file(small, "ученик " + std::to_string(school));
    w.add_blob(sha256_of("ученик " + std::to_string(school)), small);
    w.add_blob_frame(dir_.file("frames/ph.zst"), stored);
    std::uint64_t size = 0;
    w.finish(&size);
    EXPECT_LT(size, frame.bytes + stored.bytes + 4096);
    Problem p;
    auto o = open(path, &p);
    ASSERT_TRUE(o) << p.detail;
    ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p)) << p.detail;
    auto c = read_body(*o, box_, dir_.dir("staging"), &p);
    ASSERT_TRUE(c) << refusal_name(p.code) << ": " << p.detail;
    EXPECT_EQ(c->records, records);
    ASSERT_EQ(c->blobs.size(), 5u);
    for (std::size_t k = 0; k < items.size(); ++k)
      EXPECT_EQ(read_file(c->blobs[k].temp_path), items[k]) << k;
    EXPECT_EQ(read_file(c->blobs[3].temp_path), "ученик " + std::to_string(school));
    EXPECT_EQ(read_file(c->blobs[4].temp_path), photo);
    for (const auto& b : c->blobs) fs::remove(b.temp_path);
  }
  // A frame changed on disk, or another frame's numbers: refused, nothing added, the writer
  // still writes a whole bundle.
  std::string frame_bytes = read_file(dir_.file("frames/pack.zst"));
  frame_bytes[frame_bytes.size() / 2] ^= 0x20;
  write_file(dir_.file("frames/bad.zst"), frame_bytes);
  std::string path = dir_.file("out/after-bad.ptb");
  Writer w(path, test_header(), sender_, box_.pk);
  EXPECT_THROW(w.add_blob_frame(dir_.file("frames/bad.zst"), frame), std::runtime_error);
  EXPECT_THROW(w.add_blob_frame(dir_.file("frames/pack.zst"), stored), std::runtime_error);
  EXPECT_THROW(w.add_blob_frame(dir_.file("frames/missing.zst"), frame), std::runtime_error);
  w.add_blob(pack[0].first, pack[0].second);
  w.finish();
  Problem p;
  auto o = open(path, &p);
  ASSERT_TRUE(o && verify(*o, sender_.pk, "hub", &p)) << p.detail;
  auto c = read_body(*o, box_, dir_.dir("staging"), &p);
  ASSERT_TRUE(c) << p.detail;
  ASSERT_EQ(c->blobs.size(), 1u);
  EXPECT_EQ(read_file(c->blobs[0].temp_path), items[0]);
  // A file that is not what its hash says makes no frame (and leaves no temp file).
  EXPECT_THROW(write_blob_frame({{sha256_of("other"), pack[0].second}}, dir_.file("frames/no.zst")),
               std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_.file("frames/no.zst")));
  EXPECT_EQ(files_in(dir_.file("frames")), 3u);
}

TEST_F(BundleTest, MemoryAndFileReadTheSame) {
  Written w = small();
  std::string bytes = read_file(w.path);
  Problem p;
  auto o = open_memory(bytes, &p);
  ASSERT_TRUE(o) << p.detail;
  EXPECT_TRUE(o->path.empty());
  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p)) << p.detail;
  auto c = read_body(*o, box_, dir_.dir("staging"), &p);
  ASSERT_TRUE(c) << p.detail;
  EXPECT_EQ(c->records, w.records);
  ASSERT_EQ(c->blobs.size(), w.blobs.size());
  for (std::size_t i = 0; i < w.blobs.size(); ++i)
    EXPECT_EQ(read_file(c->blobs[i].temp_path), w.blobs[i]);
}

TEST_F(BundleTest, EmptyBundle) {
  Written w = write({}, {});
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o) << p.detail;
  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p)) << p.detail;
  auto c = read_body(*o, box_, dir_.dir("staging"), &p);
  ASSERT_TRUE(c) << p.detail;
  EXPECT_TRUE(c->records.empty());
  EXPECT_TRUE(c->blobs.empty());
}

TEST_F(BundleTest, IndependentlyBuiltBundleReads) {
  // Built from the format description alone: the reader agrees with the README.
  std::string plain = record_frame("{\"a\":1}") + blob_frame("data") + end_frame(1, 1);
  std::string file = forge(zstd19(plain));
  Problem p;
  auto o = open_memory(file, &p);
  ASSERT_TRUE(o) << p.detail;
  ASSERT_TRUE(verify(*o, fixed_sign_key().pk, "fuzz-hub", &p)) << p.detail;
  auto c = read_body(*o, fixed_box_key(), dir_.dir("staging"), &p);
  ASSERT_TRUE(c) << p.detail;
  EXPECT_EQ(c->records, std::vector<std::string>{"{\"a\":1}"});
  ASSERT_EQ(c->blobs.size(), 1u);
  EXPECT_EQ(read_file(c->blobs[0].temp_path), "data");
}

// ---- trust: signature, recipient, body hash --------------------------------------------------

TEST_F(BundleTest, WrongRecipient) {
  Written w = small();
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  EXPECT_FALSE(verify(*o, sender_.pk, "another-hub", &p));
  EXPECT_EQ(p.code, Refusal::kWrongRecipient);
  EXPECT_NE(p.detail.find("another-hub"), std::string::npos);
}

TEST_F(BundleTest, OtherSigningKey) {
  Written w = small();
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  EXPECT_FALSE(verify(*o, SigningKey::generate().pk, "hub", &p));
  EXPECT_EQ(p.code, Refusal::kBadSignature);
}

TEST_F(BundleTest, HeaderResignedByAttacker) {
  Written w = small();
  SigningKey attacker = SigningKey::generate();
  std::string forged = resign(
      read_file(w.path),
      [](std::string& text) {
        std::size_t at = text.find("\"last\":42");
        ASSERT_NE(at, std::string::npos);
        text.replace(at, 9, "\"last\":99");
      },
      attacker);
  Problem p;
  auto o = open_memory(forged, &p);
  ASSERT_TRUE(o) << p.detail;  // well-formed: only the signature can tell
  EXPECT_EQ(o->header.ranges[0].last, 99);
  EXPECT_FALSE(verify(*o, sender_.pk, "hub", &p));
  EXPECT_EQ(p.code, Refusal::kBadSignature);
  EXPECT_TRUE(verify(*o, attacker.pk, "hub", &p)) << "the attacker's own key does match";
}

TEST_F(BundleTest, FlippedBytesRefusedAtOpenOrVerify) {
  Written w = small();
  const std::string good = read_file(w.path);
  Problem p;
  auto o = open_memory(good, &p);
  ASSERT_TRUE(o);
  const std::size_t header_end = o->header_bytes_signed.size(), body = o->body_offset;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < 12; ++i) positions.push_back(i);  // magic, length
  for (std::size_t i = 12; i < header_end; i += (header_end - 12) / 80 + 1) positions.push_back(i);
  for (std::size_t i = header_end; i < body; i += 3) positions.push_back(i);  // signature
  for (std::size_t i = body; i < good.size(); i += (good.size() - body) / 100 + 1)
    positions.push_back(i);
  positions.push_back(good.size() - 1);
  ASSERT_GE(positions.size(), 190u);
  int at_open = 0, at_verify = 0;
  std::string staging = dir_.dir("staging");
  for (std::size_t k = 0; k < positions.size(); ++k) {
    std::string bad = good;
    bad[positions[k]] = static_cast<char>(bad[positions[k]] ^ (k % 2 ? 0x01 : 0x80));
    auto ob = open_memory(bad, &p);
    if (!ob) {
      ++at_open;
      EXPECT_NE(p.code, Refusal::kNone);
      continue;
    }
    if (verify(*ob, sender_.pk, "hub", &p)) {
      ADD_FAILURE() << "a flip at " << positions[k] << " passed verify";
      EXPECT_FALSE(read_body(*ob, box_, staging, &p));
      continue;
    }
    ++at_verify;
    EXPECT_TRUE(p.code == Refusal::kBadSignature || p.code == Refusal::kModified)
        << positions[k] << ": " << refusal_name(p.code);
  }
  EXPECT_GT(at_open, 0);
  EXPECT_GT(at_verify, 100);
  EXPECT_EQ(files_in(staging), 0u);
  std::cout << "flips: " << positions.size() << " positions, " << at_open << " refused at open, "
            << at_verify << " at verify\n";
}

TEST_F(BundleTest, TruncationRefusedAtOpen) {
  Written w = small();
  const std::string good = read_file(w.path);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n < 80; ++n) lengths.push_back(n);
  for (std::size_t n = 80; n < good.size(); n += good.size() / 120 + 1) lengths.push_back(n);
  for (std::size_t n = good.size() - 20; n < good.size(); ++n) lengths.push_back(n);
  for (std::size_t n : lengths) {
    Problem p;
    EXPECT_FALSE(open_memory(std::string_view(good).substr(0, n), &p)) << n;
    EXPECT_EQ(p.code, Refusal::kTruncated) << n << ": " << p.detail;
  }
  // A file on disk the same way.
  write_file(w.path, good.substr(0, good.size() - 1));
  Problem p;
  EXPECT_FALSE(open(w.path, &p));
  EXPECT_EQ(p.code, Refusal::kTruncated);
}

TEST_F(BundleTest, AppendedBytesRefused) {
  Written w = small();
  const std::string good = read_file(w.path);
  for (std::string tail : {std::string(1, '\0'), std::string(1000, 'A')}) {
    Problem p;
    EXPECT_FALSE(open_memory(good + tail, &p));
    EXPECT_EQ(p.code, Refusal::kModified);
  }
}

TEST_F(BundleTest, FileChangedAfterOpenOrVerify) {
  Written w = small();
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p));
  std::string bytes = read_file(w.path);
  bytes[bytes.size() - 100] ^= 1;
  write_file(w.path, bytes);
  std::string staging = dir_.dir("staging");
  EXPECT_FALSE(read_body(*o, box_, staging, &p));
  EXPECT_TRUE(p.code == Refusal::kCannotDecrypt || p.code == Refusal::kModified) << p.detail;
  EXPECT_FALSE(verify(*o, sender_.pk, "hub", &p));
  EXPECT_EQ(p.code, Refusal::kModified);
  write_file(w.path, bytes + "x");
  EXPECT_FALSE(read_body(*o, box_, staging, &p));
  EXPECT_EQ(p.code, Refusal::kModified);
  EXPECT_EQ(files_in(staging), 0u);
}

TEST_F(BundleTest, WrongBoxKeyCannotDecrypt) {
  Written w = small();
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p));
  std::string staging = dir_.dir("staging");
  EXPECT_FALSE(read_body(*o, BoxKey::generate(), staging, &p));
  EXPECT_EQ(p.code, Refusal::kCannotDecrypt);
  EXPECT_EQ(files_in(staging), 0u);
}

TEST_F(BundleTest, MissingFilesAndFolders) {
  Problem p;
  EXPECT_FALSE(open(dir_.file("nothing-here"), &p));
  EXPECT_EQ(p.code, Refusal::kIo);
  EXPECT_FALSE(open(dir_.path(), &p));
  EXPECT_EQ(p.code, Refusal::kIo);
  Written w = small();
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  EXPECT_FALSE(read_body(*o, box_, dir_.file("no-such-staging"), &p));
  EXPECT_EQ(p.code, Refusal::kIo);
  fs::remove(w.path);
  EXPECT_FALSE(verify(*o, sender_.pk, "hub", &p));
  EXPECT_EQ(p.code, Refusal::kIo);
}

// ---- the header: magic, version, strict fields -----------------------------------------------

TEST_F(BundleTest, UnknownVersionsRefusedFirst) {
  std::string plain = end_frame(0, 0);
  for (std::uint32_t v : {0u, 2u, 99u}) {
    ForgeOptions o;
    o.version = v;
    std::string file = forge(zstd19(plain), o);
    Problem p;
    EXPECT_FALSE(open_memory(file, &p)) << v;
    EXPECT_EQ(p.code, Refusal::kUnknownVersion) << v;
    EXPECT_NE(p.detail.find(std::to_string(v)), std::string::npos) << p.detail;
  }
  // A newer version with fields this reader does not know is still "unknown version".
  std::string file = resign(
      forge(zstd19(plain)),
      [](std::string& t) { t.replace(t.find("\"version\":1"), 11, "\"version\":99,\"x\":[]"); },
      fixed_sign_key());
  Problem p;
  EXPECT_FALSE(open_memory(file, &p));
  EXPECT_EQ(p.code, Refusal::kUnknownVersion);
}

TEST_F(BundleTest, StrictHeader) {
  const std::string good = forge(zstd19(end_frame(0, 0)));
  Problem p;
  ASSERT_TRUE(open_memory(good, &p)) << p.detail;
  struct Case {
    const char* what;
    std::function<void(std::string&)> edit;
  };
  auto replace = [](std::string from, std::string to) {
    return [from, to](std::string& t) {
      std::size_t at = t.find(from);
      ASSERT_NE(at, std::string::npos) << from;
      t.replace(at, from.size(), to);
    };
  };
  std::vector<Case> cases = {
      {"unknown field", replace("\"acks\":", "\"extra\":1,\"acks\":")},
      {"missing field", replace("\"acks\":[],", "")},
      {"duplicate key", replace("\"acks\":[],", "\"acks\":[],\"acks\":[],")},
      {"version as string", replace("\"version\":1", "\"version\":\"1\"")},
      {"version as float", replace("\"version\":1", "\"version\":1.0")},
      {"sender a number", replace("\"sender\":\"fuzz-box\"", "\"sender\":7")},
      {"empty sender", replace("\"sender\":\"fuzz-box\"", "\"sender\":\"\"")},
      {"control char in id", replace("\"sender\":\"fuzz-box\"", "\"sender\":\"a\\nb\"")},
      {"ranges not array", replace("\"ranges\":[]", "\"ranges\":{}")},
      {"range first as string",
       replace("\"ranges\":[]", R"("ranges":[{"device":"a","epoch":"b","first":"1","last":2}])")},
      {"range first > last",
       replace("\"ranges\":[]", R"("ranges":[{"device":"a","epoch":"b","first":3,"last":2}])")},
      {"range over int64",
       replace("\"ranges\":[]", R"("ranges":[{"device":"a","epoch":"b","first":1,)"
                                R"("last":9223372036854775808}])")},
      {"range extra field",
       replace("\"ranges\":[]",
               R"("ranges":[{"device":"a","epoch":"b","first":1,"last":2,"x":0}])")},
      {"ack negative", replace("\"acks\":[]", R"("acks":[{"device":"a","epoch":"b","upto":-1}])")},
      {"ack missing upto", replace("\"acks\":[]", R"("acks":[{"device":"a","epoch":"b"}])")},
      {"meta not object", replace("\"meta\":{}", "\"meta\":[]")},
      {"meta too deep", replace("\"meta\":{}", "\"meta\":{\"a\":" + std::string(100, '[') +
                                                   std::string(100, ']') + "}")},
      {"bundle_id short", replace(std::string(32, 'a'), std::string(31, 'a'))},
      {"bundle_id upper", replace(std::string(32, 'a'), std::string(32, 'A'))},
      {"compression", replace("\"zstd\"", "\"gzip\"")},
      {"body_size negative",
       [](std::string& t) {
         std::size_t at = t.find("\"body_size\":") + 12;
         t.insert(at, "-");
       }},
      {"body_size float",
       [](std::string& t) {
         std::size_t at = t.find(",", t.find("\"body_size\":"));
         t.insert(at, ".5");
       }},
      {"ephemeral_pk not hex",
       [](std::string& t) {
         std::size_t at = t.find("\"ephemeral_pk\":\"") + 16;
         t[at] = 'g';
       }},
      {"not an object", [](std::string& t) { t = "[" + t + "]"; }},
      {"not JSON", [](std::string& t) { t.pop_back(); }},
      {"trailing garbage", [](std::string& t) { t += "x"; }},
      {"not UTF-8", replace("\"fuzz-box\"", "\"fuzz-\xff\"")},
  };
  for (const auto& c : cases) {
    std::string file = resign(good, c.edit, fixed_sign_key());
    EXPECT_FALSE(open_memory(file, &p)) << c.what;
    EXPECT_EQ(p.code, Refusal::kBadHeader)
        << c.what << ": " << refusal_name(p.code) << " " << p.detail;
    EXPECT_FALSE(p.detail.empty());
  }
}

TEST_F(BundleTest, MagicAndHeaderLength) {
  const std::string good = forge(zstd19(end_frame(0, 0)));
  Problem p;
  EXPECT_FALSE(open_memory("PK\x03\x04 a zip file, not a bundle", &p));
  EXPECT_EQ(p.code, Refusal::kNotABundle);
  EXPECT_FALSE(open_memory("PARTABN2" + good.substr(8), &p));
  EXPECT_EQ(p.code, Refusal::kNotABundle);
  EXPECT_FALSE(open_memory("PARTA", &p));
  EXPECT_EQ(p.code, Refusal::kTruncated);
  EXPECT_FALSE(open_memory("PARTABN1" + le(0, 4) + good.substr(12), &p));
  EXPECT_EQ(p.code, Refusal::kBadHeader);
  EXPECT_FALSE(open_memory("PARTABN1" + le(0xffffffff, 4) + good.substr(12), &p));
  EXPECT_EQ(p.code, Refusal::kTooLarge);
  EXPECT_FALSE(open_memory("PARTABN1" + le(64 * 1024 + 1, 4) + std::string(70000, ' '), &p));
  EXPECT_EQ(p.code, Refusal::kTooLarge);
  Limits tight;
  tight.max_header = 100;
  EXPECT_FALSE(open_memory(good, &p, tight));
  EXPECT_EQ(p.code, Refusal::kTooLarge);
}

// ---- the body: hand-made bodies the Writer would never produce --------------------------------

TEST_F(BundleTest, HostileBodiesRefusedAndStagingEmptied) {
  const std::string good_blob = std::string(5000, 'g');
  struct Case {
    const char* what;
    std::string payload;  // what gets encrypted
    ForgeOptions options;
    Refusal want;
    Limits limits;
  };
  std::string frames = record_frame("{}") + blob_frame(good_blob) + blob_frame("second");
  std::string bad_sha = blob_frame("third");
  bad_sha[5] ^= 1;
  std::string bomb = std::string(1, '\x01') + le(16u << 20, 4) + std::string(16u << 20, ' ');
  std::vector<Case> cases;
  cases.push_back({"no final tag", zstd19(frames + end_frame(1, 2)), {}, Refusal::kTruncated, {}});
  cases.back().options.final_tag = false;
  cases.push_back(
      {"chunk after final", zstd19(frames + end_frame(1, 2)), {}, Refusal::kCorrupt, {}});
  cases.back().options.after_final = "more";
  cases.push_back({"not zstd", frames + end_frame(1, 2), {}, Refusal::kCorrupt, {}});
  cases.push_back({"zstd cut short",
                   zstd19(frames + end_frame(1, 2)).substr(0, 40),
                   {},
                   Refusal::kCorrupt,
                   {}});
  cases.push_back({"counts mismatch", zstd19(frames + end_frame(1, 3)), {}, Refusal::kCorrupt, {}});
  cases.push_back({"missing end", zstd19(frames), {}, Refusal::kCorrupt, {}});
  cases.push_back(
      {"data after end", zstd19(frames + end_frame(1, 2) + "\x01"), {}, Refusal::kCorrupt, {}});
  cases.push_back({"blob hash mismatch after good blobs",
                   zstd19(frames + bad_sha + end_frame(1, 3)),
                   {},
                   Refusal::kCorrupt,
                   {}});
  cases.push_back({"blob cut short",
                   zstd19(frames + blob_frame("abcdef").substr(0, 40)),
                   {},
                   Refusal::kCorrupt,
                   {}});
  cases.push_back({"unknown frame", zstd19(frames + "\x07"), {}, Refusal::kCorrupt, {}});
  cases.push_back(
      {"decompression bomb", zstd19(frames + bomb + end_frame(2, 2)), {}, Refusal::kTooLarge, {}});
  cases.back().limits.max_plain = 1 << 20;
  cases.push_back(
      {"too many entries", zstd19(frames + end_frame(1, 2)), {}, Refusal::kTooLarge, {}});
  cases.back().limits.max_records = 2;
  cases.push_back(
      {"record over the limit", zstd19(frames + end_frame(1, 2)), {}, Refusal::kTooLarge, {}});
  cases.back().limits.max_record = 1;
  cases.push_back({"records over the total",
                   zstd19(frames + record_frame("[1]") + end_frame(2, 2)),
                   {},
                   Refusal::kTooLarge,
                   {}});
  cases.back().limits.max_record_total = 4;
  cases.push_back({"zstd window over 8 MiB", {}, {}, Refusal::kTooLarge, {}});
  {
    // A frame that asks for a 128 MiB window: refused before zstd allocates it. Streamed, so that
    // zstd does not know the size and shrink the window to fit.
    std::string big = frames + end_frame(1, 2);
    ZSTD_CCtx* z = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(z, ZSTD_c_windowLog, 27);
    ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3);
    std::string out(ZSTD_compressBound(big.size()) + 1024, '\0');
    ZSTD_inBuffer in{big.data(), big.size(), 0};
    ZSTD_outBuffer ob{out.data(), out.size(), 0};
    ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(z, &ob, &in, ZSTD_e_continue)));
    ZSTD_inBuffer none{nullptr, 0, 0};
    ASSERT_EQ(ZSTD_compressStream2(z, &ob, &none, ZSTD_e_end), 0u);
    ZSTD_freeCCtx(z);
    out.resize(ob.pos);
    cases.back().payload = out;
  }
  std::string staging = dir_.dir("staging");
  for (const auto& c : cases) {
    std::string file = forge(c.payload, c.options);
    Problem p;
    auto o = open_memory(file, &p);
    ASSERT_TRUE(o) << c.what << ": " << p.detail;
    ASSERT_TRUE(verify(*o, fixed_sign_key().pk, "fuzz-hub", &p)) << c.what << ": " << p.detail;
    EXPECT_FALSE(read_body(*o, fixed_box_key(), staging, &p, c.limits)) << c.what;
    EXPECT_EQ(p.code, c.want) << c.what << ": " << refusal_name(p.code) << " " << p.detail;
    EXPECT_EQ(files_in(staging), 0u) << c.what << ": staged blobs left behind";
  }
}

TEST_F(BundleTest, LimitsOnAWrittenBundleRemoveStagedBlobs) {
  Written w = small();
  Problem p;
  auto o = open(w.path, &p);
  ASSERT_TRUE(o);
  std::string staging = dir_.dir("staging");
  Limits limits;
  limits.max_records = 5;  // 3 records + 4 blobs: refused at the sixth, after two staged blobs
  EXPECT_FALSE(read_body(*o, box_, staging, &p, limits));
  EXPECT_EQ(p.code, Refusal::kTooLarge);
  EXPECT_EQ(files_in(staging), 0u);
  limits = {};
  limits.max_plain = 10000;  // the 20000-byte blob is too much
  EXPECT_FALSE(read_body(*o, box_, staging, &p, limits));
  EXPECT_EQ(p.code, Refusal::kTooLarge);
  EXPECT_EQ(files_in(staging), 0u);
}

// ---- plain frames (what the fuzzer feeds) ----------------------------------------------------

TEST(BundlePlainFrames, ParsesAndRefuses) {
  ASSERT_GE(sodium_init(), 0);
  std::string good = record_frame("{\"a\":1}") + record_frame("") + blob_frame("") +
                     blob_frame("bytes") + end_frame(2, 2);
  Problem p;
  auto c = parse_plain_frames(good, &p);
  ASSERT_TRUE(c) << p.detail;
  EXPECT_EQ(c->records, (std::vector<std::string>{"{\"a\":1}", ""}));
  ASSERT_EQ(c->blobs.size(), 2u);
  EXPECT_EQ(c->blobs[1].sha256, to_hex(sha256_of("bytes")));
  EXPECT_EQ(c->blobs[1].size, 5u);
  EXPECT_TRUE(c->blobs[1].temp_path.empty());

  struct Case {
    const char* what;
    std::string plain;
    Refusal want;
    Limits limits;
  };
  std::string bad_sha = blob_frame("bytes");
  bad_sha[1] ^= 1;
  std::vector<Case> cases = {
      {"empty", "", Refusal::kCorrupt, {}},
      {"missing end", record_frame("{}"), Refusal::kCorrupt, {}},
      {"trailing data", good + "\x01", Refusal::kCorrupt, {}},
      {"trailing zero", good + std::string(1, '\0'), Refusal::kCorrupt, {}},
      {"two ends", good + end_frame(2, 2), Refusal::kCorrupt, {}},
      {"record count mismatch", record_frame("{}") + end_frame(2, 0), Refusal::kCorrupt, {}},
      {"blob count mismatch", blob_frame("x") + end_frame(0, 0), Refusal::kCorrupt, {}},
      {"oversize record length",
       std::string(1, '\x01') + le(0xffffffff, 4) + "{}",
       Refusal::kTooLarge,
       {}},
      {"record cut short", std::string(1, '\x01') + le(10, 4) + "{}", Refusal::kCorrupt, {}},
      {"huge blob size",
       std::string(1, '\x02') + std::string(32, 'h') + le(~0ull, 8),
       Refusal::kTooLarge,
       {}},
      {"blob cut short", blob_frame("abcdef").substr(0, 43), Refusal::kCorrupt, {}},
      {"blob hash mismatch", bad_sha + end_frame(0, 1), Refusal::kCorrupt, {}},
      {"unknown frame type", std::string(1, '\x03'), Refusal::kCorrupt, {}},
      {"end cut short", end_frame(0, 0).substr(0, 9), Refusal::kCorrupt, {}},
      {"over max_plain", good, Refusal::kTooLarge, {}},
      {"over max_records", good, Refusal::kTooLarge, {}},
  };
  cases[cases.size() - 2].limits.max_plain = good.size() - 1;
  cases[cases.size() - 1].limits.max_records = 3;
  for (const auto& k : cases) {
    EXPECT_FALSE(parse_plain_frames(k.plain, &p, k.limits)) << k.what;
    EXPECT_EQ(p.code, k.want) << k.what << ": " << p.detail;
  }
}

// ---- the writer ------------------------------------------------------------------------------

TEST_F(BundleTest, WriterRefusesWhatTheReaderWouldRefuse) {
  std::string path = dir_.file("x.parta-bundle");
  Header h = test_header();
  h.sender.clear();
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::invalid_argument);
  h = test_header();
  h.ranges[0].first = 50;
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::invalid_argument);
  h = test_header();
  h.bundle_id = "not hex";
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::invalid_argument);
  h = test_header();
  h.meta = json::array();
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::invalid_argument);
  h = test_header();
  h.meta = {{"bad", "\xff"}};
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::invalid_argument);
  EXPECT_THROW(Writer(path, test_header(), sender_, box_.pk, 0), std::invalid_argument);
  EXPECT_THROW(Writer(path, test_header(), sender_, Bytes32{}), std::invalid_argument);
  h = test_header();
  h.meta = {{"long", std::string(70000, 'm')}};
  EXPECT_THROW(Writer(path, h, sender_, box_.pk), std::length_error);
  EXPECT_EQ(files_in(dir_.path()), 0u);
}

TEST_F(BundleTest, WriterLeavesNothingUnfinished) {
  std::string out = dir_.dir("out");
  {
    Writer w(out + "/a.parta-bundle", test_header(), sender_, box_.pk);
    w.add_record("{}");
    EXPECT_EQ(files_in(out), 1u);  // the body's temp file
  }
  EXPECT_EQ(files_in(out), 0u);
  // A blob whose bytes are not its hash (a damaged store) abandons the bundle.
  write_file(dir_.file("blob"), "contents");
  {
    Writer w(out + "/b.parta-bundle", test_header(), sender_, box_.pk);
    w.add_record("{}");
    EXPECT_THROW(w.add_blob(sha256_of("other"), dir_.file("blob")), std::runtime_error);
    EXPECT_EQ(files_in(out), 0u);
    EXPECT_THROW(w.add_record("{}"), std::logic_error);
    EXPECT_THROW(w.finish(), std::logic_error);
  }
  {
    Writer w(out + "/c.parta-bundle", test_header(), sender_, box_.pk);
    EXPECT_THROW(w.add_blob_hex(to_hex(sha256_of("x")), dir_.file("missing")), std::runtime_error);
    EXPECT_THROW(w.add_blob_hex("zz", dir_.file("blob")), std::invalid_argument);
  }
  EXPECT_EQ(files_in(out), 0u);
  // Past the reader's limits: refused before anything is written, the bundle goes on.
  {
    Writer w(out + "/d.parta-bundle", test_header(), sender_, box_.pk, 3);
    EXPECT_THROW(w.add_record(std::string((16u << 20) + 1, ' ')), std::length_error);
    w.add_record("{}");
    EXPECT_EQ(files_in(out), 1u);  // written once, in place: no second copy at the end
    std::uint64_t size = 0;
    w.finish(&size);
    EXPECT_EQ(size, fs::file_size(out + "/d.parta-bundle"));
    EXPECT_THROW(w.add_record("{}"), std::logic_error);
    EXPECT_THROW(w.finish(), std::logic_error);
  }
  EXPECT_EQ(files_in(out), 1u);
  Problem p;
  auto o = open(out + "/d.parta-bundle", &p);
  ASSERT_TRUE(o);
  ASSERT_TRUE(verify(*o, sender_.pk, "hub", &p));
  auto c = read_body(*o, box_, dir_.dir("staging"), &p);
  ASSERT_TRUE(c) << p.detail;
  EXPECT_EQ(c->records, std::vector<std::string>{"{}"});
}

TEST_F(BundleTest, WriterIntoAMissingFolderThrows) {
  EXPECT_THROW(Writer(dir_.file("no/such/dir/x.parta-bundle"), test_header(), sender_, box_.pk),
               std::runtime_error);
}

TEST_F(BundleTest, EachBundleHasItsOwnIdAndKey) {
  Written a = small(), b = small();
  EXPECT_NE(a.header.bundle_id, b.header.bundle_id);
  EXPECT_NE(a.header.ephemeral_pk, b.header.ephemeral_pk);
  std::string bytes = read_file(a.path);
  EXPECT_EQ(bytes.find("hello"), std::string::npos) << "a blob's bytes in the clear";
  EXPECT_EQ(bytes.find("grade"), std::string::npos) << "a record in the clear";
}

// ---- size: about what zstd -19 makes of the same frames --------------------------------------

TEST_F(BundleTest, CompressesLikeZstd19) {
  std::mt19937 rng(5);
  const char* names[] = {"Иванов Пётр",   "Смирнова Анна", "Кузнецов Илья", "Попова Мария",
                         "Васильев Олег", "Петрова Дарья", "Соколов Антон", "Михайлова Ева"};
  const char* subjects[] = {"Математика", "Русский язык", "Коми язык", "История", "Физика"};
  const char* words[] = {"хорошо",  "повторить", "параграф", "упражнение", "задача",
                         "молодец", "исправить", "ошибки",   "тетрадь",    "контрольная"};
  std::vector<std::string> records;
  std::size_t total = 0;
  while (total < (2u << 20)) {
    std::string comment;
    for (int k = 0, n = 3 + static_cast<int>(rng() % 8); k < n; ++k)
      comment += std::string(k ? " " : "") + words[rng() % 10];
    json r = {{"op", "upsert"},
              {"table", "grades"},
              {"id", 100000 + records.size()},
              {"student", names[rng() % 8]},
              {"subject", subjects[rng() % 5]},
              {"mark", 2 + rng() % 4},
              {"day", "2026-0" + std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 10)},
              {"comment", comment}};
    records.push_back(r.dump());
    total += records.back().size();
  }
  Written w = write(records, {});
  std::string plain;
  for (const auto& r : records) plain += record_frame(r);
  plain += end_frame(records.size(), 0);
  std::size_t reference = zstd19(plain).size();
  double ratio = static_cast<double>(w.size) / static_cast<double>(reference);
  std::cout << "plain " << plain.size() << " bytes; bundle " << w.size << " bytes; zstd -19 "
            << reference << " bytes; bundle / zstd -19 = " << ratio << "\n";
  RecordProperty("bundle_over_zstd19", std::to_string(ratio));
  EXPECT_LT(ratio, 1.1);
  EXPECT_GT(ratio, 0.9);
}

// ---- the fuzz corpus: checked-in seeds still read; PARTA_WRITE_BUNDLE_CORPUS=1 remakes them ----

TEST_F(BundleTest, FuzzSeedsAreCurrent) {
  const std::string corpus = std::string(PARTA_SOURCE_DIR) + "/tests/fuzz/corpus/bundle";
  std::string plain = record_frame(R"({"t":"grade","v":5})") + record_frame("{}") +
                      blob_frame("hello") + blob_frame("") + end_frame(2, 2);
  if (std::getenv("PARTA_WRITE_BUNDLE_CORPUS")) {
    fs::create_directories(corpus);
    write_file(corpus + "/plain_frames", plain);
    write_file(corpus + "/plain_frames.zst", zstd19(plain));
    Header h;
    h.sender = "fuzz-box";
    h.sender_epoch = "e1";
    h.recipient = "fuzz-hub";
    h.ranges = {{"fuzz-box", "e1", 1, 2}};
    h.acks = {{"fuzz-hub", "h1", 7}};
    h.meta = {{"note", "fuzz seed"}};
    std::string hello = dir_.file("hello"), empty = dir_.file("empty");
    write_file(hello, "hello");
    write_file(empty, "");
    Writer w(corpus + "/small.parta-bundle", h, fixed_sign_key(), fixed_box_key().pk);
    w.add_record(R"({"t":"grade","v":5})");
    w.add_record("{}");
    w.add_blob(sha256_of("hello"), hello);
    w.add_blob(sha256_of(""), empty);
    w.finish();
  }
  Problem p;
  auto c = parse_plain_frames(read_file(corpus + "/plain_frames"), &p);
  ASSERT_TRUE(c) << "run with PARTA_WRITE_BUNDLE_CORPUS=1 to remake the seeds: " << p.detail;
  EXPECT_EQ(c->records.size(), 2u);
  std::string zst = read_file(corpus + "/plain_frames.zst");
  std::string back(plain.size(), '\0');
  EXPECT_EQ(ZSTD_decompress(back.data(), back.size(), zst.data(), zst.size()), plain.size());
  EXPECT_EQ(back, plain);
  std::string bundle = read_file(corpus + "/small.parta-bundle");
  auto o = open_memory(bundle, &p);
  ASSERT_TRUE(o) << "run with PARTA_WRITE_BUNDLE_CORPUS=1 to remake the seeds: " << p.detail;
  ASSERT_TRUE(verify(*o, fixed_sign_key().pk, "fuzz-hub", &p)) << p.detail;
  auto body = read_body(*o, fixed_box_key(), dir_.dir("staging"), &p);
  ASSERT_TRUE(body) << p.detail;
  EXPECT_EQ(body->records, c->records);
  EXPECT_EQ(body->blobs.size(), 2u);
}

}  // namespace
}  // namespace parta::content::bundle
