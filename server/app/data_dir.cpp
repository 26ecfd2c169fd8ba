#include "app/data_dir.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "app/log.hpp"
#include "storage/postgres.hpp"

namespace parta::app {

namespace fs = std::filesystem;

std::string DataDir::database() const {
  std::ifstream in(hub_database_path());
  std::string uri;
  if (in && std::getline(in, uri)) {
    while (!uri.empty() && (uri.back() == '\r' || uri.back() == ' ')) uri.pop_back();
    if (storage::pg::is_postgres_uri(uri)) return uri;
  }
  return db_path();
}

bool DataDir::postgres() const { return storage::pg::is_postgres_uri(database()); }

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
  return std::make_unique<storage::Database>(dir.database());
}

}  // namespace parta::app
