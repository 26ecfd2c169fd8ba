#pragma once
// The materials library: items from district content packs and teachers' own uploads, all stored
// as blobs; packs imported all-or-nothing and idempotently; a newer pack version replaces the
// older one's listing while links from assignments keep working.
#include <cstdint>
#include <optional>
#include <set>
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
  std::string signer;  // the district's key, or "" for a pack an admin imported unsigned
  std::int64_t version = 0, items = 0, bytes = 0, imported_at = 0;
};

enum class PackOutcome { imported, updated, unchanged, older };

// Whose packs this box takes. A pack id belongs to its signer: the district's packs (signed with
// the key the box was given, or carried in a bundle the district signed) can only be replaced by
// the district; an unsigned pack is imported only when an administrator chooses to, and never
// over the district's id.
struct PackTrust {
  std::string district_key;     // hex Ed25519 key the district signs with ("" = none known)
  bool allow_unsigned = false;  // an administrator chose to import a pack nobody trusted signed
  bool from_district = false;   // it came inside a bundle the district signed
};
struct PackImport {
  PackOutcome outcome = PackOutcome::imported;
  std::optional<Message> problem;  // refused: nothing written
  bool needs_admin = false;        // refused only because nobody this box trusts signed it
  std::int64_t previous_version = 0;
  std::size_t items = 0;
};

// A pack read, verified and stored as blobs, not yet recorded.
struct StagedPack {
  content::PackManifest manifest;
  std::string owner;  // the district's key (hex) for the district's packs, "" for local ones
  std::vector<std::pair<content::PackItem, content::BlobInfo>> items;
  // manifest.json and manifest.sig as read ("" unsigned, or staged from the store), for the hub
  // that sends the pack on as its manifest and items.
  std::string manifest_text, signature_text;
};
// The slow half of an import, outside any transaction: reads and verifies the archive, checks
// who signed it, and stores every item durably (with gzip copies of text). Nothing is recorded:
// a refused or crashed import leaves only blobs nothing refers to (gc takes them). `reserve`
// bytes of the card are never used.
// `gzip_text`: text items also get the gzip copy phones are served (not on the hub).
std::optional<StagedPack> stage_pack_file(storage::Connection& c, content::BlobStore& blobs,
                                          const std::string& pack_path, std::uint64_t reserve,
                                          const PackTrust& trust, PackImport* result,
                                          bool gzip_text = true);
// The same for a pack that came from the district as its manifest and items, each a file of its
// own in the blob store (`manifest_blob`: {"manifest": manifest.json's text, "signature":
// manifest.sig's text or ""}): only the items that changed travel. An item not in the store (or
// of another size) refuses the pack, which then waits for the file to come again.
std::optional<StagedPack> stage_pack_from_store(storage::Connection& c, content::BlobStore& blobs,
                                                const std::string& manifest_blob,
                                                const PackTrust& trust, PackImport* result,
                                                std::vector<std::string>* missing = nullptr);
// The quick half: one short transaction that checks the version and owner again and lists the
// items. Also used inside a sync import's transaction.
PackImport record_pack(storage::Connection& c, const Clock& clock, const StagedPack& pack,
                       std::int64_t imported_by);
// Both halves.
PackImport import_pack_file(storage::Connection& c, const Clock& clock, content::BlobStore& blobs,
                            const std::string& pack_path, std::int64_t imported_by,
                            std::uint64_t reserve, const PackTrust& trust);
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

// Every column that names a blob. `json` columns hold records whose text names blobs anywhere
// (the district's copies of what schools sent, and the outbox). A test checks the schema against
// this list, so a new column cannot be forgotten.
struct BlobColumn {
  const char* table;
  const char* column;
  bool json;
};
const std::vector<BlobColumn>& blob_columns();
// Every blob some row refers to.
std::set<std::string> referenced_blobs(storage::Connection& c);

struct Garbage {
  std::size_t files = 0;
  std::uint64_t bytes = 0;
};
enum class Sweep {
  unreferenced,  // `parta content gc`: every blob no row refers to (its blobs row too)
  // partad's start, before it serves: only files no blobs row names either, what a power cut
  // leaves between a blob's rename and its row's commit (no file can be on its way to a row then)
  unrecorded,
};
// Removes blob files (and their .gz) that are older than `min_age` seconds (a file being recorded
// right now is never touched), or of any age, even dated in the future, when min_age < 0: their
// rows first, in one transaction, then the files.
Garbage collect_garbage(storage::Connection& c, content::BlobStore& blobs, std::int64_t min_age,
                        Sweep what = Sweep::unreferenced);

// Case-insensitive for Russian and English: "Глагол" finds "глаголы".
std::string fold_case(std::string_view s);

}  // namespace parta::domain
