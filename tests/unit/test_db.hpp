#pragma once
// A database in a fresh temp folder, removed after the test.
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/database.hpp"

namespace parta::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("parta-test-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct TestDb {
  TempDir dir;
  std::unique_ptr<storage::Database> db = std::make_unique<storage::Database>(dir.file("t.db"));
};

}  // namespace parta::testing
