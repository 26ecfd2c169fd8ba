#pragma once
// The data folder: the database, the blob store, the sync keys, and tmp/ for files being written.
#include <memory>
#include <string>

#include "storage/database.hpp"

namespace parta::app {

struct DataDir {
  std::string root;
  std::string db_path() const { return root + "/parta.db"; }
  std::string tmp_dir() const { return root + "/tmp"; }
  // The reference library's ZIM archives, <uuid>.zim (large: kept out of the blob store).
  std::string zim_dir() const { return root + "/zim"; }
  // The first admin's password, left by `parta firstboot` for the admin page until it is changed.
  std::string first_admin_password_path() const { return root + "/first-admin-password"; }
  // When and where that password was handed out (the one USB stick that got it).
  std::string first_admin_delivery_path() const { return root + "/first-admin-password.given"; }
  std::string usb_status_path() const { return root + "/usb-status"; }
  // A district hub on PostgreSQL: this file holds the database's libpq URI (written by partad
  // --district-db), read by partad and by the admin CLI alike. Absent: the folder's own SQLite.
  std::string hub_database_path() const { return root + "/hub-database"; }
  // The database this folder's box uses: the PostgreSQL URI above, or db_path().
  std::string database() const;
  bool postgres() const;
};

// Creates the folders if needed. Throws std::runtime_error with a clear message.
DataDir open_data_dir(const std::string& root);
// Empties tmp/: what a power cut or a killed process left half-written. Only the holder of the
// data folder's lock may call it (partad at start), so no one's live files are in there.
void clean_tmp(const DataDir& dir);
std::unique_ptr<storage::Database> open_database(const DataDir& dir);

}  // namespace parta::app
