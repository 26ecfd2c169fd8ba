#include "app/data_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace parta::app {

namespace {
std::string lock_path(const std::string& data_dir) { return data_dir + "/partad.lock"; }
}  // namespace

std::optional<DataLock> DataLock::take(const std::string& data_dir, const std::string& who,
                                       std::chrono::milliseconds wait, bool shared) {
  std::string path = lock_path(data_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      ::close(fd);
      throw std::runtime_error("cannot lock " + path + ": " + std::strerror(e));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string text = who + " pid " + std::to_string(::getpid()) + "\n";
  if (!shared && ::ftruncate(fd, 0) == 0) {
    ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
    (void)n;  // the holder's name is for messages only
  }
  return DataLock(fd);
}

std::string DataLock::holder(const std::string& data_dir) {
  int fd = ::open(lock_path(data_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string who;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[256];
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) who.assign(buf, static_cast<std::size_t>(n));
    while (!who.empty() && (who.back() == '\n' || who.back() == '\r')) who.pop_back();
    if (who.empty()) who = "?";
  }
  ::close(fd);
  return who;
}

DataLock& DataLock::operator=(DataLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DataLock::~DataLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace parta::app
