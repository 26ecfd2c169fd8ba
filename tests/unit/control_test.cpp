// The control socket partad answers the admin CLI on, and the data folder's lock.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "app/control.hpp"
#include "app/data_lock.hpp"
#include "app/usb_exchange.hpp"
#include "test_db.hpp"

namespace parta::app {
namespace {

TEST(Control, RequestsCarryDescriptorsTheServerCanRead) {
  testing::TempDir dir;
  std::string file = dir.file("pack.tar.gz");
  std::ofstream(file) << "the caller opened this";
  control::Server server(control::socket_path(dir.path()),
                         [](const control::Request& req, const std::vector<int>& fds) {
                           std::ifstream in("/proc/self/fd/" + std::to_string(fds.at(0)));
                           std::stringstream got;
                           got << in.rdbuf();
                           return control::Reply{7, req.args.at(0) + ":" + got.str(), req.lang};
                         });
  server.start();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  control::Request req{{"content", "import", file}, "en", {2}};
  control::Reply reply;
  std::string error;
  ASSERT_EQ(control::call(control::socket_path(dir.path()), req, {fd}, &reply, &error),
            control::CallStatus::ok)
      << error;
  ::close(fd);
  EXPECT_EQ(reply.rc, 7);
  EXPECT_EQ(reply.out, "content:the caller opened this");
  EXPECT_EQ(reply.err, "en");
  server.stop();
  EXPECT_EQ(control::call(control::socket_path(dir.path()), req, {}, &reply, &error),
            control::CallStatus::no_server);
}

TEST(Control, MalformedRequestsAreRefused) {
  std::string why;
  EXPECT_FALSE(control::parse_request("{\"v\":2,\"args\":[]}", 0, &why));
  EXPECT_NE(why.find("version"), std::string::npos);
  EXPECT_FALSE(control::parse_request("{\"v\":1,\"args\":[\"a\"],\"fd_args\":[3]}", 1, &why));
  EXPECT_FALSE(control::parse_request("{\"v\":1,\"args\":[\"a\"],\"fd_args\":[0]}", 0, &why));
  EXPECT_FALSE(control::parse_request("not json", 0, &why));
  auto ok = control::parse_request("{\"v\":1,\"args\":[\"a\",\"b\"],\"fd_args\":[1]}", 1, &why);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->fd_args, std::vector<std::size_t>{1});
}

TEST(DataLock, OneHolderAtATimeAndItsNameIsKnown) {
  testing::TempDir dir;
  auto first = DataLock::take(dir.path(), "partad", std::chrono::milliseconds(0));
  ASSERT_TRUE(first);
  EXPECT_NE(DataLock::holder(dir.path()).find("partad pid"), std::string::npos);
  EXPECT_FALSE(DataLock::take(dir.path(), "parta demo", std::chrono::milliseconds(200)));
  first.reset();
  EXPECT_EQ(DataLock::holder(dir.path()), "");
  EXPECT_TRUE(DataLock::take(dir.path(), "parta demo", std::chrono::milliseconds(0)));
}

// A stick that fails says why in words an admin acts on, without the stick's paths or the
// system's English (issue 17).
TEST(Usb, StickTroubleIsSaidWithoutPaths) {
  namespace fs = std::filesystem;
  auto said = [](const std::exception& e) { return stick_trouble(e).msgid; };
  const std::string path = "/run/parta-usb/sda1/parta/d/to-district/box/.b.body-Xa1";
  EXPECT_NE(said(fs::filesystem_error("cannot create directories", path,
                                      std::make_error_code(std::errc::no_space_on_device)))
                .find("is full"),
            std::string::npos);
  EXPECT_NE(said(std::system_error(ENOSPC, std::generic_category(), "write " + path)).find("full"),
            std::string::npos);
  EXPECT_NE(said(fs::filesystem_error("open", path,
                                      std::make_error_code(std::errc::read_only_file_system)))
                .find("write-protected"),
            std::string::npos);
  std::string other = said(std::system_error(EIO, std::generic_category(), "fsync " + path));
  EXPECT_NE(other.find("could not be read or written"), std::string::npos);
  for (const std::string& m : {other, said(std::runtime_error(path))})
    EXPECT_EQ(m.find("/run/"), std::string::npos);
}

}  // namespace
}  // namespace parta::app
