#include "app/data_dir.hpp"

#include <filesystem>
#include <stdexcept>

#include "app/log.hpp"

namespace parta::app {

namespace fs = std::filesystem;

DataDir open_data_dir(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw std::runtime_error("cannot create data folder " + root + ": " + ec.message());
  DataDir d{root};
  fs::create_directories(d.tmp_dir(), ec);
  if (ec) throw std::runtime_error("cannot create " + d.tmp_dir() + ": " + ec.message());
  return d;
}

void clean_tmp(const DataDir& d) {
  std::error_code ec;
  int removed = 0;
  for (const auto& e : fs::directory_iterator(d.tmp_dir(), ec)) {
    fs::remove_all(e.path(), ec);
    ++removed;
  }
  if (removed) log::info("removed " + std::to_string(removed) + " unfinished temp files");
}

std::unique_ptr<storage::Database> open_database(const DataDir& dir) {
  return std::make_unique<storage::Database>(dir.db_path());
}

}  // namespace parta::app
