#pragma once
// The USB stick as a carrier. One stick serves a district and several schools:
//   <stick>/parta/<district id>/to-district/<school id>/<bundle>.ptb   written by a school
//   <stick>/parta/<district id>/to-school/<school id>/<bundle>.ptb     written by the district
//   <stick>/parta/enroll/<school id>.request                           enrollment requests
//   <stick>/parta/enroll/<school id>.certificate                       the district's answers
// A bundle is the next part of its sender's backlog (from what the peer acknowledged, as much as
// the stick has room for), so a newer bundle replaces the older ones in its folder; a bundle
// imported leaves the stick.
#include <string>
#include <vector>

#include "sync/engine.hpp"

namespace parta::sync {

struct StickExport {
  std::vector<ExportResult> bundles;
  // District: schools whose next record did not fit in what was left of the stick.
  struct NoRoom {
    std::string school;
    std::uint64_t needed = 0, room = 0;
  };
  std::vector<NoRoom> no_room;
};
// School: its bundle for the district. District: a return bundle for every enrolled school.
StickExport stick_export(Node& n, const std::string& stick_root);

struct StickImport {
  std::vector<std::pair<std::string, ImportResult>> results;  // file name → result
};
// School: the district's bundles for this box. District: every school's bundles on the stick.
StickImport stick_import(Node& n, const std::string& stick_root);

// School: writes its enrollment request; returns its path. District: answers every request on
// the stick whose fingerprint it has been told (by enroll_school) — see parta district enroll.
std::string stick_write_request(Node& n, const std::string& stick_root, const std::string& school);
// School: reads this box's certificate from the stick, if the district left one.
std::optional<domain::Message> stick_accept_certificate(Node& n, const std::string& stick_root,
                                                        bool* found);

std::string stick_enroll_dir(const std::string& stick_root);

}  // namespace parta::sync
