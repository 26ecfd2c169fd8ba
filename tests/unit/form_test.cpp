#include <gtest/gtest.h>

#include <filesystem>

#include "content/utf8.hpp"
#include "http/form.hpp"
#include "http/response.hpp"
#include "test_db.hpp"

namespace parta::http {
namespace {

TEST(Form, UrlEncodedDecodesPlusAndPercent) {
  auto r = parse_urlencoded("login=ivanov&name=%D0%98%D0%B2%D0%B0%D0%BD+%D0%98.&empty=&flag");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.form.value("login"), "ivanov");
  EXPECT_EQ(r.form.value("name"), "Иван И.");
  EXPECT_TRUE(r.form.has("empty"));
  EXPECT_EQ(r.form.value("flag"), "");
  EXPECT_FALSE(r.form.has("missing"));
}

TEST(Form, RejectsBrokenEscapesUtf8AndControls) {
  EXPECT_FALSE(parse_urlencoded("a=%zz").ok());
  EXPECT_FALSE(parse_urlencoded("a=%4").ok());
  EXPECT_EQ(parse_urlencoded("a=%C3%28").error, "The form contains text that is not valid UTF-8.");
  EXPECT_EQ(parse_urlencoded("a=%ED%A0%80").error,
            "The form contains text that is not valid UTF-8.");  // surrogate
  EXPECT_EQ(parse_urlencoded("a=%C0%AF").error,
            "The form contains text that is not valid UTF-8.");  // overlong '/'
  EXPECT_EQ(parse_urlencoded("a=x%00y").error, "The form contains control characters.");
  EXPECT_TRUE(parse_urlencoded("a=line1%0D%0Aline2%09tab").ok());
}

TEST(Form, TooManyFields) {
  std::string body;
  for (std::size_t i = 0; i <= kMaxFormFields; ++i) body += "a=1&";
  EXPECT_EQ(parse_urlencoded(body).error, "The form has too many fields.");
}

TEST(Form, MultipartWithFileAndFields) {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n"
      "Content-Type: text/csv\r\n\r\nКласс;Фамилия\r\n5А;Иванов\r\n--XyZ--\r\n";
  auto r = parse_multipart(body, "multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.form.value("csrf"), "tok");
  const UploadedFile* f = r.form.file("file");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->filename, "../../etc/passwd");  // kept only as a label, never as a path
  EXPECT_EQ(f->content_type, "text/csv");
  EXPECT_EQ(f->data, "Класс;Фамилия\r\n5А;Иванов");
}

TEST(Form, MultipartQuotedBoundaryAndTruncation) {
  std::string body = "--a;b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--a;b--";
  auto r = parse_multipart(body, "multipart/form-data; boundary=\"a;b\"");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.form.value("x"), "1");
  auto cut = parse_multipart(body.substr(0, body.find("\r\n\r\n") + 5),
                             "multipart/form-data; boundary=\"a;b\"");
  EXPECT_EQ(cut.error, "The upload was cut off. Please send it again.");
  EXPECT_FALSE(parse_multipart(body, "multipart/form-data").ok());
}

// Issue 14's bounds on multipart bodies: read over `body` with the given limits.
FormParse read_with(const std::string& body, const MultipartLimits& limits) {
  std::size_t pos = 0;
  auto read = [&](char* buf, std::size_t cap) -> long {
    std::size_t n = std::min<std::size_t>({cap, body.size() - pos, 1000});
    std::copy_n(body.data() + pos, n, buf);
    pos += n;
    return static_cast<long>(n);
  };
  return read_multipart(read, "multipart/form-data; boundary=B", limits);
}
std::string text_part(const std::string& name, const std::string& value) {
  return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
}
std::string file_part(const std::string& name, const std::string& data) {
  return "--B\r\nContent-Disposition: form-data; name=\"" + name +
         "\"; filename=\"f.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + data + "\r\n";
}
std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(Form, MultipartTextFieldsTogetherAreBoundedByMaxForm) {
  MultipartLimits limits;
  limits.max_total = 100 * 1024 * 1024;
  limits.max_field = 1024 * 1024;
  limits.max_text = 64 * 1024;  // the server's max_form
  std::string body;
  // 150 fields of 1 KB each fit; 150 fields under max_field but over max_text together do not.
  for (int i = 0; i < 50; ++i) body += text_part("f" + std::to_string(i), std::string(1000, 'x'));
  EXPECT_TRUE(read_with(body + "--B--\r\n", limits).ok());
  for (int i = 0; i < 100; ++i) body += text_part("g" + std::to_string(i), std::string(1000, 'x'));
  auto r = read_with(body + "--B--\r\n", limits);
  EXPECT_EQ(r.problem, FormProblem::too_large);
  EXPECT_EQ(r.error, "The file or form is too large.");
  // Files do not count against the text bound.
  EXPECT_TRUE(
      read_with(text_part("a", "1") + file_part("file", std::string(200000, 'p')) + "--B--\r\n",
                limits)
          .ok());
}

TEST(Form, CsrfFirstRefusesAFormBeforeItsFilesAreStored) {
  testing::TempDir dir;
  MultipartLimits limits;
  limits.temp_dir = dir.path();
  limits.max_total = 10 * 1024 * 1024;
  limits.csrf_first = [](std::string_view v) { return v == "good-token"; };
  std::string file = file_part("files", std::string(300000, 'p'));
  // The token first: accepted, the file streamed to the temp folder.
  auto ok = read_with(text_part("csrf", "good-token") + file + "--B--\r\n", limits);
  ASSERT_TRUE(ok.ok()) << ok.error;
  ASSERT_EQ(ok.form.files.size(), 1u);
  EXPECT_FALSE(ok.form.files[0].temp_path.empty());
  ok.form.files.clear();
  EXPECT_EQ(files_in(dir.path()), 0u);
  // A wrong token, the token after a file, another field first, a file first, no parts at all:
  // refused as "expired", and not a byte of the file was kept.
  for (const std::string& body : {text_part("csrf", "stale") + file,
                                  text_part("title", "x") + text_part("csrf", "good-token") + file,
                                  file + text_part("csrf", "good-token"), std::string()}) {
    auto r = read_with(body + "--B--\r\n", limits);
    EXPECT_EQ(r.problem, FormProblem::csrf) << body.substr(0, 80);
    EXPECT_EQ(r.error, "This form has expired. Go back, reload the page and try again.");
    EXPECT_TRUE(r.form.files.empty());
    EXPECT_EQ(files_in(dir.path()), 0u);
  }
}

TEST(Form, UploadsKeepTheDiskReserveBeforeAndWhileWriting) {
  testing::TempDir dir;
  MultipartLimits limits;
  limits.temp_dir = dir.path();
  limits.max_total = 100 * 1024 * 1024;
  limits.disk_reserve = 10'000'000;
  std::uint64_t free = 12'000'000;
  limits.free_space = [&] { return free; };
  std::string body =
      text_part("csrf", "t") + file_part("files", std::string(3'000'000, 'p')) + "--B--\r\n";
  // Declared too large for what is left above the reserve: refused before a file is made.
  limits.expected = body.size();
  auto before = read_with(body, limits);
  EXPECT_EQ(before.problem, FormProblem::disk_full);
  EXPECT_EQ(files_in(dir.path()), 0u);
  // Fits when it starts, but the disk fills while it streams (another upload): stopped, removed.
  limits.expected = 0;
  int calls = 0;
  limits.free_space = [&] { return ++calls == 1 ? free : limits.disk_reserve - 1; };
  auto during = read_with(body, limits);
  EXPECT_EQ(during.problem, FormProblem::disk_full);
  EXPECT_GE(calls, 2);
  EXPECT_TRUE(during.form.files.empty());
  EXPECT_EQ(files_in(dir.path()), 0u);
  // Room enough: kept.
  limits.free_space = [] { return std::uint64_t{1} << 40; };
  auto fine = read_with(body, limits);
  EXPECT_TRUE(fine.ok()) << fine.error;
}

TEST(Form, FilesBeyondTheQuotasRoomAreRefused) {
  MultipartLimits limits;
  limits.max_total = 100 * 1024 * 1024;
  limits.max_files = 100000;  // what is left of a student's quota
  auto over = read_with(text_part("text", "answer") + file_part("files", std::string(60000, 'p')) +
                            file_part("files", std::string(60000, 'q')) + "--B--\r\n",
                        limits);
  EXPECT_EQ(over.problem, FormProblem::over_quota);
  EXPECT_TRUE(over.form.files.empty());
  EXPECT_TRUE(read_with(text_part("text", "answer") + file_part("files", std::string(60000, 'p')) +
                            "--B--\r\n",
                        limits)
                  .ok());
  limits.max_files = 0;  // full: an answer in words still goes
  EXPECT_TRUE(read_with(text_part("text", "answer") + "--B--\r\n", limits).ok());
}

TEST(Response, HeadersRefuseCrLf) {
  Response r;
  EXPECT_THROW(r.header("Location", "/\r\nSet-Cookie: parta_session=x"), std::invalid_argument);
  EXPECT_THROW(r.header("X-A\nB", "1"), std::invalid_argument);
  EXPECT_TRUE(r.headers.empty());
  r.header("Retry-After", "5");
  EXPECT_EQ(r.headers.size(), 1u);
}

TEST(Form, Cookies) {
  auto c = parse_cookies("a=1; parta_session=abc-_; junk; b=\"q\"");
  EXPECT_EQ(c["a"], "1");
  EXPECT_EQ(c["parta_session"], "abc-_");
  EXPECT_EQ(c["b"], "q");
  EXPECT_EQ(c.count("junk"), 0u);
}

TEST(Form, Utf8Validation) {
  EXPECT_TRUE(text::is_valid_utf8("Ёжик 🦔"));
  EXPECT_FALSE(text::is_valid_utf8("\xff"));
  EXPECT_FALSE(text::is_valid_utf8("\xe2\x82"));
  EXPECT_FALSE(text::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace parta::http
