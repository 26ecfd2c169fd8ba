#pragma once
// The materials library: items from district content packs and teachers' own uploads, all stored
// as blobs; packs imported all-or-nothing and idempotently; a newer pack version replaces the
// older one's listing while links from assignments keep working.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "content/blob_store.hpp"
#include "content/pack.hpp"
#include "domain/coursework.hpp"

namespace parta::domain {

struct LibraryItem {
  std::int64_t id = 0;
  std::string pack_id, title, type, subject, sha256;
  std::int64_t pack_version = 0;
  std::uint64_t size = 0;
  std::optional<int> grade;
  bool listed = true;
  std::int64_t created_at = 0;
};

struct PackInfo {
  std::string id, title;
  std::int64_t version = 0, items = 0, bytes = 0, imported_at = 0;
};

enum class PackOutcome { imported, updated, unchanged, older };
struct PackImport {
  PackOutcome outcome = PackOutcome::imported;
  std::optional<Message> problem;  // refused: nothing written
  std::int64_t previous_version = 0;
  std::size_t items = 0;
};

// Reads, verifies and imports a pack file. `reserve` bytes of the card are never used.
PackImport import_pack_file(storage::Connection& c, const Clock& clock, content::BlobStore& blobs,
                            const std::string& pack_path, std::int64_t imported_by,
                            std::uint64_t reserve);
Message to_message(const content::Problem& p);
// What to tell the admin about a successful import (imported, updated, unchanged, older).
Message import_summary(const PackImport& r);

std::vector<PackInfo> list_packs(storage::Connection& c);
// Listed items, filtered by subject ("" = all), grade (0 = all) and words of the title.
std::vector<LibraryItem> search_library(storage::Connection& c, const std::string& subject,
                                        int grade, const std::string& query);
std::optional<LibraryItem> find_item(storage::Connection& c, std::int64_t id);
std::vector<std::string> library_subjects(storage::Connection& c);
std::int64_t add_own_item(storage::Connection& c, const Clock& clock, const FileRef& file,
                          const std::string& title, const std::string& subject,
                          std::optional<int> grade, std::int64_t user_id);
void link_material(storage::Connection& c, std::int64_t assignment_id, std::int64_t item_id);
std::vector<LibraryItem> materials_of(storage::Connection& c, std::int64_t assignment_id);

// Removes blob files that nothing refers to (and that are older than `min_age` seconds, so a file
// being recorded right now is never touched). Returns the number removed.
std::size_t collect_garbage(storage::Connection& c, content::BlobStore& blobs,
                            std::int64_t min_age);

// Case-insensitive for Russian and English: "Глагол" finds "глаголы".
std::string fold_case(std::string_view s);

}  // namespace parta::domain
