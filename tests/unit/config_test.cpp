#include <gtest/gtest.h>

#include <fstream>

#include "app/config.hpp"
#include "app/credentials_table.hpp"
#include "test_db.hpp"

namespace parta::app {
namespace {

TEST(Config, DefaultsAndOptions) {
  Config c;
  ASSERT_FALSE(parse_args({}, &c));
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.data_dir, "data");
  ASSERT_FALSE(parse_args({"--data", "/srv/parta", "--listen", "0.0.0.0:80", "--demo"}, &c));
  EXPECT_EQ(c.data_dir, "/srv/parta");
  EXPECT_EQ(c.listen, "0.0.0.0:80");
  EXPECT_TRUE(c.demo);
}

TEST(Config, FileThenCommandLineOverrides) {
  testing::TempDir dir;
  std::ofstream(dir.file("partad.conf")) << "# Parta\n"
                                            "data = /var/lib/parta\n"
                                            "listen = 10.0.0.1:80\n"
                                            "threads = 32\n"
                                            "log_level = debug\n";
  Config c;
  ASSERT_FALSE(parse_args({"--config", dir.file("partad.conf"), "--listen", "127.0.0.1:9000"}, &c));
  EXPECT_EQ(c.data_dir, "/var/lib/parta");
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.threads, 32);
  EXPECT_EQ(c.log_level, "debug");
}

TEST(Config, ErrorsNameTheProblem) {
  testing::TempDir dir;
  std::ofstream(dir.file("bad.conf")) << "data = x\nthreads = many\n";
  Config c;
  auto err = parse_args({"--config", dir.file("bad.conf")}, &c);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("bad.conf:2"), std::string::npos) << *err;
  EXPECT_TRUE(parse_args({"--threads", "1"}, &c));
  EXPECT_TRUE(parse_args({"--listen"}, &c));
  EXPECT_TRUE(parse_args({"--frobnicate"}, &c));
  EXPECT_TRUE(parse_args({"--config", dir.file("missing.conf")}, &c));
  std::ofstream(dir.file("unknown.conf")) << "colour = blue\n";
  EXPECT_NE(parse_args({"--config", dir.file("unknown.conf")}, &c)->find("unknown setting"),
            std::string::npos);
}

TEST(Config, DecodeThreadsFollowCoresAndMemory) {
  constexpr std::uint64_t MiB = 1024 * 1024;
  // A Pi Zero 2 W: 4 cores, 512 MB (the kernel reports about 430 MiB).
  EXPECT_EQ(default_decode_threads(4, 430 * MiB), 1u);
  // A Pi 3 / Pi 4 with 1 GB; a Pi 4 with 2 GB; with 4 GB one per core.
  EXPECT_EQ(default_decode_threads(4, 906 * MiB), 1u);
  EXPECT_EQ(default_decode_threads(4, 1848 * MiB), 3u);
  EXPECT_EQ(default_decode_threads(4, 3792 * MiB), 4u);
  // This machine's shape (2 cores, 24 GiB), and a machine that reports no cores.
  EXPECT_EQ(default_decode_threads(2, 24576 * MiB), 2u);
  EXPECT_EQ(default_decode_threads(0, 24576 * MiB), 1u);
  EXPECT_GE(default_decode_threads(), 1u);
}

TEST(Config, BehindTheFront) {
  testing::TempDir dir;
  std::ofstream(dir.file("partad.conf")) << "listen = 127.0.0.1:8081\n"
                                            "trusted_front = 127.0.0.1, ::1\n"
                                            "accel_prefix = /_accel/blobs/\n"
                                            "portal_host = 127.0.0.1:8080\n";
  Config c;
  ASSERT_FALSE(parse_args({"--config", dir.file("partad.conf")}, &c));
  EXPECT_EQ(c.trusted_front, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.accel_prefix, "/_accel/blobs/");
  EXPECT_EQ(c.portal_host, "127.0.0.1:8080");
  EXPECT_TRUE(parse_args({"--trusted-front", "localhost"}, &c));
  EXPECT_TRUE(parse_args({"--trusted-front", "127.0.0.1,10.0.0.300"}, &c));
  for (const char* bad : {"/blobs", "blobs/", "/../blobs/", "/a b/", "/Blobs/", "//"})
    EXPECT_TRUE(parse_args({"--accel-prefix", bad}, &c)) << bad;
  for (const char* bad : {"parta.school:", "parta.school:80a", "parta.school:1234567", "a/b"}) {
    std::ofstream(dir.file("host.conf")) << "portal_host = " << bad << "\n";
    EXPECT_TRUE(parse_args({"--config", dir.file("host.conf")}, &c)) << bad;
  }
  // Empty: partad sends files itself and believes no one's X-Real-IP.
  ASSERT_FALSE(parse_args({"--trusted-front", "", "--accel-prefix", ""}, &c));
  EXPECT_TRUE(c.trusted_front.empty());
  EXPECT_TRUE(c.accel_prefix.empty());
}

TEST(CredentialsTable, AlignsCyrillicByLetters) {
  std::string t =
      credentials_table({{"Ёлкина Вера", "5А", domain::Role::student, "elkina.v", "123456", true},
                         {"Ли Ан", "", domain::Role::parent, "li.a", "abcd", false}});
  EXPECT_EQ(t,
            "role     name         class  login     secret\n"
            "student  Ёлкина Вера  5А     elkina.v  123456\n"
            "parent   Ли Ан               li.a      abcd\n");
}

}  // namespace
}  // namespace parta::app
