#pragma once
// The district hub on PostgreSQL: the one SQL the code writes (SQLite's dialect, as the school box
// runs it) said the way PostgreSQL 15 takes it, and the hub's schema made from the school's own
// migrations, so the two never drift apart. School boxes stay on SQLite; only a hub whose data
// folder names a PostgreSQL database (app/data_dir.hpp) uses this.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parta::storage::pg {

// A database address is PostgreSQL's when it is a libpq URI.
bool is_postgres_uri(std::string_view path);

// What the translation needs to know about a table: its columns in the primary key (for INSERT OR
// REPLACE) and its identity column ("" none: for the id an INSERT made).
struct TableInfo {
  std::vector<std::string> key;
  std::string identity;
  std::vector<std::string> columns;  // all of them (for an upsert's bare column names)
};
using TableLookup = std::function<TableInfo(const std::string& table)>;

// One statement (or a few, for exec) in SQLite's dialect, said for PostgreSQL:
//  - ?N and ? become $N;
//  - INSERT OR IGNORE becomes INSERT ... ON CONFLICT DO NOTHING, INSERT OR REPLACE an upsert on
//    the table's primary key;
//  - `a IS b` / `a IS NOT b` (SQLite's NULL-safe comparison) become IS [NOT] DISTINCT FROM;
//  - json_object( becomes json_build_object(, LIMIT -1 becomes LIMIT ALL;
//  - in an upsert's DO UPDATE SET, a bare column on the right is the table's (SQLite's reading);
//  - an INSERT into a table with an identity column gets RETURNING that column (when it returns
//    nothing else), and `returns_id` says so: the caller reads the id from it.
// The functions SQLite has and PostgreSQL lacks (scalar max/min, ifnull, instr, hex, randomblob,
// group_concat, json_extract, json_each, strftime) are created in the database (compat_sql()).
struct Translated {
  std::string sql;
  bool returns_id = false;
};
Translated translate(std::string_view sqlite_sql, const TableLookup& tables);

// The functions above, as SQL run once when the hub's database is created.
const std::string& compat_sql();

// A SQLite schema object (from sqlite_master) said for PostgreSQL: a table, an index, or a trigger
// (a plpgsql function and the trigger that calls it). Empty for SQLite's own objects.
std::vector<std::string> schema_object(std::string_view type, std::string_view name,
                                       std::string_view sql);

}  // namespace parta::storage::pg
