#pragma once
// Versioned schema: migration N takes the database from user_version N-1 to N. A database newer
// than kSchemaVersion is refused (an older partad must not write into a newer schema).
#include "storage/database.hpp"

namespace parta::storage {

inline constexpr int kSchemaVersion = 27;

// Applies the pending migrations up to `target` (tests stop earlier to make an older database),
// one transaction each. Throws DbError if the file's version is newer than this program's.
void migrate(Connection& c, int target = kSchemaVersion);

}  // namespace parta::storage
