#pragma once
// Who works on a data folder right now: one writer at a time. partad holds DATA/partad.lock for
// its whole life; the admin CLI holds it only while it works on the folder directly (partad
// stopped) and otherwise asks partad over the control socket. The file names its holder, so a
// refusal can say who is in the way.
#include <chrono>
#include <optional>
#include <string>

namespace parta::app {

class DataLock {
 public:
  // Takes the lock, waiting up to `wait` for another holder to finish; nullopt if it still holds
  // it then. `who` is written into the lock file ("partad", "parta content import", ...).
  // Throws std::runtime_error when the lock file cannot be opened at all.
  // shared: a district hub process on PostgreSQL, which shares the folder with the hub's other
  // processes (their database is PostgreSQL's, each writes its temp files in a folder of its
  // own); it still keeps an admin command working on the folder directly out.
  static std::optional<DataLock> take(const std::string& data_dir, const std::string& who,
                                      std::chrono::milliseconds wait, bool shared = false);
  // What the lock file says about its holder ("partad pid 123"), or "" when nobody holds it.
  static std::string holder(const std::string& data_dir);

  DataLock(DataLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataLock& operator=(DataLock&& other) noexcept;
  DataLock(const DataLock&) = delete;
  DataLock& operator=(const DataLock&) = delete;
  ~DataLock();

 private:
  explicit DataLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace parta::app
