#pragma once
// The data folder: the database and (later) files. Created on first start; temp files a power cut
// left behind are removed at every start.
#include <memory>
#include <string>

#include "storage/database.hpp"

namespace parta::app {

struct DataDir {
  std::string root;
  std::string db_path() const { return root + "/parta.db"; }
  std::string tmp_dir() const { return root + "/tmp"; }
  // The first admin's password, left by `parta firstboot` for the admin page until it is changed.
  std::string first_admin_password_path() const { return root + "/first-admin-password"; }
};

// Creates the folders if needed and cleans tmp/. Throws std::runtime_error with a clear message.
DataDir open_data_dir(const std::string& root);
std::unique_ptr<storage::Database> open_database(const DataDir& dir);

}  // namespace parta::app
