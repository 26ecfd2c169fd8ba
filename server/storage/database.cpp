// The pre-update hook sees every row change, WITHOUT ROWID tables' too (Debian builds SQLite
// with it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "storage/database.hpp"

#include <libpq-fe.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "storage/migrations.hpp"
#include "storage/postgres.hpp"

namespace parta::storage {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw DbError(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}
}  // namespace

Query::Query(sqlite3_stmt* stmt, bool owned, bool* in_use, Connection* conn)
    : stmt_(stmt), owned_(owned), in_use_(in_use), conn_(conn) {}

Query::Query(Connection* conn, PgStatement* pg) : conn_(conn), pg_sql_(pg) {}

Query::Query(Query&& o) noexcept
    : stmt_(o.stmt_),
      owned_(o.owned_),
      in_use_(o.in_use_),
      conn_(o.conn_),
      done_(o.done_),
      pg_sql_(o.pg_sql_),
      pg_ran_(o.pg_ran_),
      pg_params_(std::move(o.pg_params_)),
      pg_res_(o.pg_res_),
      pg_row_(o.pg_row_),
      pg_rows_(o.pg_rows_) {
  o.stmt_ = nullptr;
  o.pg_res_ = nullptr;
  o.pg_sql_ = nullptr;
}

Query::~Query() {
  if (pg_res_) PQclear(pg_res_);
  if (!stmt_) return;
  if (conn_)
    conn_->steps_ +=
        static_cast<std::uint64_t>(sqlite3_stmt_status(stmt_, SQLITE_STMTSTATUS_VM_STEP, 1));
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  }
  // A statement left before its end (a write returning rows) commits as it is reset.
  if (conn_) conn_->settle();
}

namespace {
void pg_set(std::vector<std::optional<std::string>>& params, int i, std::optional<std::string> v) {
  if (i < 1) throw DbError(SQLITE_RANGE, "bind: no parameter " + std::to_string(i));
  if (params.size() < static_cast<std::size_t>(i)) params.resize(static_cast<std::size_t>(i));
  params[static_cast<std::size_t>(i - 1)] = std::move(v);
}
}  // namespace

Query& Query::bind(int i, std::int64_t v) {
  if (pg_sql_) {
    pg_set(pg_params_, i, std::to_string(v));
    return *this;
  }
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, double v) {
  if (pg_sql_) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    pg_set(pg_params_, i, std::string(buf));
    return *this;
  }
  int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, std::string_view v) {
  if (pg_sql_) {
    pg_set(pg_params_, i, std::string(v));
    return *this;
  }
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, std::nullptr_t) {
  if (pg_sql_) {
    pg_set(pg_params_, i, std::nullopt);
    return *this;
  }
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}

void Query::pg_run() {
  pg_ran_ = true;
  std::vector<const char*> values;
  values.reserve(pg_params_.size());
  for (const auto& p : pg_params_) values.push_back(p ? p->c_str() : nullptr);
  ++conn_->statements_;
  PgStatement& st = *pg_sql_;
  if (st.name.empty()) {
    std::string name = "parta_" + std::to_string(++conn_->pg_prepared_);
    PGresult* p = PQprepare(conn_->pg_, name.c_str(), st.sql.c_str(), 0, nullptr);
    conn_->pg_check(p, st.sql);
    PQclear(p);
    st.name = std::move(name);
  }
  PGresult* r = PQexecPrepared(conn_->pg_, st.name.c_str(), static_cast<int>(values.size()),
                               values.data(), nullptr, nullptr, 0);
  conn_->pg_check(r, st.sql);
  pg_res_ = r;
  pg_rows_ = PQntuples(pg_res_);
  // Rows written: INSERT, UPDATE and DELETE count (PQcmdTuples also counts a SELECT's rows).
  const std::string_view tag = PQcmdStatus(pg_res_);
  const char* changed = PQcmdTuples(pg_res_);
  const bool write =
      tag.starts_with("INSERT") || tag.starts_with("UPDATE") || tag.starts_with("DELETE");
  conn_->pg_changes_ = write && changed && *changed ? std::atoi(changed) : 0;
  conn_->pg_total_ += conn_->pg_changes_;
  if (conn_->pg_changes_ > 0) conn_->generation_->fetch_add(1, std::memory_order_release);
  if (st.returns_id) {
    // The RETURNING the translation added for the new row's id: not the caller's rows.
    if (pg_rows_ > 0) conn_->pg_last_id_ = std::strtoll(PQgetvalue(pg_res_, 0, 0), nullptr, 10);
    pg_rows_ = 0;
  }
}

const char* Query::pg_value(int c) const {
  if (!pg_res_ || pg_row_ < 0 || pg_row_ >= pg_rows_ || c < 0 || c >= PQnfields(pg_res_))
    return nullptr;
  if (PQgetisnull(pg_res_, pg_row_, c)) return nullptr;
  return PQgetvalue(pg_res_, pg_row_, c);
}

bool Query::next() {
  if (pg_sql_) {
    if (done_) return false;
    if (!pg_ran_) pg_run();
    if (++pg_row_ < pg_rows_) return true;
    done_ = true;
    return false;
  }
  if (done_) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  done_ = true;
  if (conn_) conn_->settle();
  if (rc == SQLITE_DONE) return false;
  fail(sqlite3_db_handle(stmt_), rc, "step");
}

void Query::run() {
  while (next()) {
  }
}

bool Query::is_null(int c) const {
  if (pg_sql_) return pg_value(c) == nullptr;
  return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
std::int64_t Query::integer(int c) const {
  if (pg_sql_) {
    const char* v = pg_value(c);
    if (!v) return 0;
    if (v[0] == 't' && v[1] == 0) return 1;  // a boolean, as SQLite's 1 and 0
    if (v[0] == 'f' && v[1] == 0) return 0;
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (end && *end == '.') return static_cast<std::int64_t>(std::strtod(v, nullptr));
    return n;
  }
  return sqlite3_column_int64(stmt_, c);
}
double Query::real(int c) const {
  if (pg_sql_) {
    const char* v = pg_value(c);
    return v ? std::strtod(v, nullptr) : 0.0;
  }
  return sqlite3_column_double(stmt_, c);
}
std::string Query::text(int c) const {
  if (pg_sql_) {
    const char* v = pg_value(c);
    return v ? std::string(v, static_cast<std::size_t>(PQgetlength(pg_res_, pg_row_, c)))
             : std::string();
  }
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}
std::optional<std::int64_t> Query::opt_integer(int c) const {
  if (is_null(c)) return std::nullopt;
  return integer(c);
}

Connection::Connection(const std::string& path, int cache_kib) {
  if (pg::is_postgres_uri(path)) {
    pg_ = PQconnectdb(path.c_str());
    if (!pg_ || PQstatus(pg_) != CONNECTION_OK) {
      std::string msg = std::string("cannot open the hub's PostgreSQL database: ") +
                        (pg_ ? PQerrorMessage(pg_) : "out of memory");
      if (pg_) PQfinish(pg_);
      pg_ = nullptr;
      throw DbError(SQLITE_CANTOPEN, msg);
    }
    // Which process holds what, for pg_stat_activity (and the tests' kill of a hub process).
    exec("SET client_min_messages = warning; SET application_name = '" +
         std::string(program_invocation_short_name) + " " + std::to_string(::getpid()) + "'");
    return;
  }
  // SQLite counts the memory it allocates under one global mutex unless told not to: with many
  // request threads every allocation of every query waited for it. Set before SQLite starts
  // (the first open); later it is refused, harmlessly.
  static const bool memstatus_off = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)memstatus_off;
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path + ": " + sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw DbError(rc, msg);
  }
  sqlite3_busy_handler(db_, &Connection::on_busy, this);
  // WAL survives power loss with synchronous=NORMAL losing at most the last transactions, never
  // corrupting; FULL makes every commit durable, which is what a teacher expects after "Saved".
  exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-" +
      std::to_string(cache_kib) + ";");
  sqlite3_trace_v2(db_, SQLITE_TRACE_STMT, &Connection::on_trace, this);
  sqlite3_preupdate_hook(db_, &Connection::on_update, this);
  sqlite3_commit_hook(db_, &Connection::on_commit, this);
  sqlite3_rollback_hook(db_, &Connection::on_rollback, this);
}

namespace {
// Written by signing in and opening pages, shown by no cached page: a write to these alone
// leaves the content generation where it is (issue 22: a class signing in at once must not
// throw away every student's start page).
bool bookkeeping(const char* table) {
  static constexpr const char* kTables[] = {"sessions", "visits", "sync_outbox",
                                            "sync_outbox_counts", "class_changes"};
  for (const char* t : kTables)
    if (std::strcmp(table, t) == 0) return true;
  return false;
}
}  // namespace

void Connection::on_update(void* self, sqlite3*, int, const char*, const char* table, sqlite3_int64,
                           sqlite3_int64) {
  if (!bookkeeping(table)) static_cast<Connection*>(self)->content_rows_ = true;
}

int Connection::on_busy(void* self, int count) {
  auto* c = static_cast<Connection*>(self);
  auto now = std::chrono::steady_clock::now();
  if (count == 0) c->busy_since_ = now;
  if (now - c->busy_since_ >= std::chrono::milliseconds(c->busy_limit_ms_)) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(count < 20 ? 250 : 1000));
  return 1;
}

int Connection::on_commit(void* self) {
  // SQLite calls this for every transaction that took the write lock, also when its statements
  // matched nothing (the expired sessions' sweep at each sign-in): only rows count. With the
  // pre-update hook set SQLite reports every row, it never empties a table at once unseen.
  auto* c = static_cast<Connection*>(self);
  if (c->content_rows_) c->committed_content_ = true;
  c->content_rows_ = false;
  return 0;
}

void Connection::on_rollback(void* self) { static_cast<Connection*>(self)->content_rows_ = false; }

int Connection::on_trace(unsigned, void* self, void*, void* sql) {
  // A trigger's statements arrive as "-- TRIGGER name": they belong to the statement that fired
  // them, so they are not counted again.
  const char* text = static_cast<const char*>(sql);
  if (!text || std::strncmp(text, "--", 2) != 0) ++static_cast<Connection*>(self)->statements_;
  return 0;
}

Connection::~Connection() {
  if (pg_) {
    PQfinish(pg_);
    return;
  }
  for (auto& [sql, c] : cache_) sqlite3_finalize(c->stmt);
  sqlite3_close_v2(db_);
}

void Connection::pg_check(pg_result* r, std::string_view what) {
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  int rc = SQLITE_ERROR;
  if (code.starts_with("23")) rc = SQLITE_CONSTRAINT;
  if (code == "40001" || code == "40P01" || code == "55P03") rc = SQLITE_BUSY;
  if (code == "53100") rc = SQLITE_FULL;
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(pg_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (r) PQclear(r);
  throw DbError(rc, msg + " [" + code + "] in: " + std::string(what.substr(0, 400)));
}

PgStatement& Connection::pg_statement(std::string_view sql) {
  std::string key(sql);
  auto it = pg_cache_.find(key);
  if (it != pg_cache_.end()) return it->second;
  pg::TableLookup tables = [this](const std::string& table) {
    pg::TableInfo info;
    // Straight through libpq: this must not come back here. Every column, with its place in
    // the primary key (NULL: not in it) and whether it is the identity.
    const char* v[1] = {table.c_str()};
    PGresult* r = PQexecParams(
        pg_,
        "SELECT a.attname, a.attidentity <> '', array_position(i.indkey::int2[], a.attnum) FROM "
        "pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary WHERE "
        "a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        1, nullptr, v, nullptr, nullptr, 0);
    pg_check(r, "columns of " + table);
    std::vector<std::pair<int, std::string>> key;
    for (int row = 0; row < PQntuples(r); ++row) {
      std::string name = PQgetvalue(r, row, 0);
      if (PQgetvalue(r, row, 1)[0] == 't') info.identity = name;
      if (!PQgetisnull(r, row, 2)) key.emplace_back(std::atoi(PQgetvalue(r, row, 2)), name);
      info.columns.push_back(std::move(name));
    }
    PQclear(r);
    std::sort(key.begin(), key.end());
    for (auto& [place, name] : key) info.key.push_back(std::move(name));
    return info;
  };
  pg::Translated t = pg::translate(sql, tables);
  return pg_cache_.emplace(std::move(key), PgStatement{std::move(t.sql), t.returns_id, ""})
      .first->second;
}

bool Connection::in_transaction() const {
  if (pg_) return PQtransactionStatus(pg_) != PQTRANS_IDLE;
  return sqlite3_get_autocommit(db_) == 0;
}

std::int64_t Connection::sequence_value(const std::string& table, const std::string& column) {
  if (!pg_) return scalar("SELECT seq FROM sqlite_sequence WHERE name = ?1", table).value_or(0);
  auto name = query("SELECT pg_get_serial_sequence(?1, ?2)", table, column);
  if (!name.next() || name.is_null(0)) return 0;
  const std::string seq = name.text(0);
  return scalar("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM " + seq).value_or(0);
}

Query Connection::prepare(std::string_view sql) {
  if (pg_) return Query(this, &pg_statement(sql));
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return Query(it->second->stmt, false, &it->second->in_use, this);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare " + key);
  if (it != cache_.end()) return Query(stmt, true, nullptr, this);  // nested use of the same SQL
  auto c = std::make_unique<Cached>();
  c->stmt = stmt;
  c->in_use = true;
  bool* flag = &c->in_use;
  cache_.emplace(std::move(key), std::move(c));
  return Query(stmt, false, flag, this);
}

void Connection::exec_native(const std::string& sql) {
  if (!pg_) return exec(sql);
  ++statements_;
  PGresult* r = PQexec(pg_, sql.c_str());
  pg_check(r, sql);
  PQclear(r);
}

void Connection::exec(const std::string& sql) {
  if (pg_) {
    const PgStatement& st = pg_statement(sql);
    ++statements_;
    PGresult* r = PQexec(pg_, st.sql.c_str());
    pg_check(r, st.sql);
    PQclear(r);
    return;
  }
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  settle();
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw DbError(rc, msg);
  }
}

std::int64_t Connection::last_insert_id() const {
  return pg_ ? pg_last_id_ : sqlite3_last_insert_rowid(db_);
}
int Connection::changes() const { return pg_ ? pg_changes_ : sqlite3_changes(db_); }

std::int64_t Connection::total_changes() const {
  return pg_ ? pg_total_ : sqlite3_total_changes64(db_);
}

Transaction::Transaction(Connection& c, std::string_view lock) : c_(c) {
  // Inside another transaction (a sync import applying a roster or a pack) this is a savepoint,
  // so the inner work commits or rolls back with the outer one.
  nested_ = c_.in_transaction();
  if (!c_.postgres()) {
    c_.exec(nested_ ? "SAVEPOINT parta_nested" : "BEGIN IMMEDIATE");
    return;
  }
  if (nested_) {
    c_.exec("SAVEPOINT parta_nested");
    return;
  }
  c_.exec("BEGIN");
  try {
    c_.query("SELECT pg_advisory_xact_lock(hashtext(?1))", lock).run();
  } catch (...) {
    c_.exec("ROLLBACK");
    throw;
  }
}
Transaction::~Transaction() {
  if (!done_) {
    try {
      c_.exec(nested_ ? "ROLLBACK TO parta_nested; RELEASE parta_nested" : "ROLLBACK");
    } catch (...) {
      // Nothing more to do: SQLite rolls back an unfinished transaction on close anyway.
    }
  }
}
void Transaction::commit() {
  c_.exec(nested_ ? "RELEASE parta_nested" : "COMMIT");
  done_ = true;
}

SessionLock::SessionLock(Connection& c, const std::string& name) : c_(c), name_(name) {
  if (!c_.postgres()) return;
  c_.query("SELECT pg_advisory_lock(hashtext(?1))", name_).run();
  held_ = true;
}

SessionLock::~SessionLock() {
  if (!held_) return;
  try {
    c_.query("SELECT pg_advisory_unlock(hashtext(?1))", name_).run();
  } catch (...) {
    // The connection is gone: so is the lock.
  }
}

Database::Database(std::string path, PoolOptions options)
    : path_(std::move(path)), options_(options) {
  auto c = std::make_unique<Connection>(path_, options_.cache_kib);
  c->share_generation(generation_);
  migrate(*c);
  free_.push_back({std::move(c), std::chrono::steady_clock::now()});
  open_ = 1;
  reaper_ = std::jthread([this](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any tick;
    std::unique_lock lock(m);
    while (!stop.stop_requested()) {
      tick.wait_for(lock, stop, std::chrono::seconds(5), [] { return false; });
      if (!stop.stop_requested()) close_idle(std::chrono::steady_clock::now());
    }
  });
}

Database::Lease::~Lease() {
  if (c_) db_->release(std::move(c_));
}

void Database::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mu_);
    free_.push_back({std::move(c), std::chrono::steady_clock::now()});
  }
  returned_.notify_one();
}

std::size_t Database::close_idle(std::chrono::steady_clock::time_point now) {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::lock_guard lock(mu_);
    // The oldest idle ones are at the front.
    while (free_.size() > options_.keep && now - free_.front().since >= options_.idle_close) {
      closing.push_back(std::move(free_.front().c));
      free_.erase(free_.begin());
      --open_;
    }
  }
  if (closing.empty()) return 0;
  std::size_t n = closing.size();
  closing.clear();
  // A burst is over: give the closed connections' memory (page caches, prepared statements) back
  // to the system; glibc would keep it in the threads' arenas for good.
  malloc_trim(0);
  return n;
}

Database::Lease Database::acquire() {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + options_.overflow_after;
  // Wait for a connection while the pool is full. A thread that already holds one and asks for a
  // second (a view calling the sync engine) must not wait for ever, so after a while one more is
  // opened anyway; it is closed when it has been idle for a while, as the others.
  returned_.wait_until(lock, deadline, [&] { return !free_.empty() || open_ < options_.max_open; });
  if (!free_.empty()) {
    auto c = std::move(free_.back().c);
    free_.pop_back();
    return Lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  try {
    auto c = std::make_unique<Connection>(path_, options_.cache_kib);
    c->share_generation(generation_);
    return Lease(this, std::move(c));
  } catch (...) {
    std::lock_guard relock(mu_);
    --open_;
    throw;
  }
}

std::size_t Database::open_connections() {
  std::lock_guard lock(mu_);
  return open_;
}

int Database::schema_version() {
  auto c = acquire();
  if (c->postgres())
    return static_cast<int>(c->scalar("SELECT version FROM parta_schema").value_or(0));
  return static_cast<int>(c->scalar("PRAGMA user_version").value_or(0));
}

std::vector<std::string> Database::integrity_check() {
  auto c = acquire();
  std::vector<std::string> out;
  if (c->postgres()) {
    // PostgreSQL keeps its own pages whole (checksums, WAL); what is checked here is that the
    // hub's schema is there and answers.
    c->scalar("SELECT count(*) FROM sync_self");
    return {"ok"};
  }
  auto q = c->query("PRAGMA integrity_check");
  while (q.next()) out.push_back(q.text(0));
  return out;
}

}  // namespace parta::storage
