#include <gtest/gtest.h>

#include "content/utf8.hpp"
#include "http/form.hpp"

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
