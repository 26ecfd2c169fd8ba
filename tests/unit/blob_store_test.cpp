#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>

#include "content/blob_store.hpp"
#include "http/multipart.hpp"
#include "test_db.hpp"

namespace parta::content {
namespace {

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST(BlobStore, StoresOnceByHashAndCleansTemp) {
  ASSERT_GE(sodium_init(), 0);
  testing::TempDir dir;
  BlobStore store(dir.path());
  BlobInfo a = store.put("hello");
  EXPECT_EQ(a.sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(a.size, 5u);
  EXPECT_TRUE(store.has(a.sha256));
  std::string tmp = store.tmp_dir() + "/upload-test";
  std::ofstream(tmp) << "hello";
  BlobInfo b = store.adopt(tmp);  // the same content again
  EXPECT_EQ(b.sha256, a.sha256);
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_EQ(files_in(dir.path() + "/blobs"), 1u);
  std::ifstream in(store.path_of(a.sha256));
  std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, "hello");
}

TEST(BlobStore, PathsOnlyFromValidHashes) {
  testing::TempDir dir;
  BlobStore store(dir.path());
  EXPECT_THROW(store.path_of("../../etc/passwd"), std::invalid_argument);
  EXPECT_THROW(store.path_of(std::string(64, 'G')), std::invalid_argument);
  EXPECT_FALSE(store.has("../x"));
  EXPECT_TRUE(BlobStore::valid_hash(std::string(64, 'f')));
}

// A sink that records what the parser found.
struct Recorder : http::MultipartSink {
  std::string log;
  bool begin_part(const http::PartHeaders& h) override {
    log += "[" + h.name + (h.filename ? ":" + *h.filename : "") + "]";
    return true;
  }
  bool data(std::string_view b) override {
    log.append(b);
    return true;
  }
  bool end_part() override {
    log += "|";
    return true;
  }
};

TEST(MultipartStream, SameResultForEveryChunkSize) {
  const std::string body =
      "preamble\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n-B\r\n-- B\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.txt\"\r\n\r\n\r\n--\r\n--B--"
      "\r\nepilogue";
  std::string expected;
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    Recorder r;
    http::MultipartParser p("B", r);
    for (std::size_t i = 0; i < body.size(); i += chunk)
      ASSERT_TRUE(p.feed(std::string_view(body).substr(i, chunk))) << chunk;
    ASSERT_TRUE(p.finish()) << chunk;
    if (expected.empty()) expected = r.log;
    EXPECT_EQ(r.log, expected) << "chunk " << chunk;
  }
  EXPECT_EQ(expected, "[a]x\r\n-B\r\n-- B|[f:f.txt]\r\n--|");
}

}  // namespace
}  // namespace parta::content
