// The pre-update hook sees every row change, WITHOUT ROWID tables' too (Debian builds SQLite
// with it).
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "storage/database.hpp"

#include <malloc.h>

#include <cstring>

#include "storage/migrations.hpp"

namespace parta::storage {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
  throw DbError(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}
}  // namespace

Query::Query(sqlite3_stmt* stmt, bool owned, bool* in_use, Connection* conn)
    : stmt_(stmt), owned_(owned), in_use_(in_use), conn_(conn) {}

Query::Query(Query&& o) noexcept
    : stmt_(o.stmt_), owned_(o.owned_), in_use_(o.in_use_), conn_(o.conn_), done_(o.done_) {
  o.stmt_ = nullptr;
}

Query::~Query() {
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

Query& Query::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, double v) {
  int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}
Query& Query::bind(int i, std::nullptr_t) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) fail(sqlite3_db_handle(stmt_), rc, "bind");
  return *this;
}

bool Query::next() {
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

bool Query::is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
std::int64_t Query::integer(int c) const { return sqlite3_column_int64(stmt_, c); }
double Query::real(int c) const { return sqlite3_column_double(stmt_, c); }
std::string Query::text(int c) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
           : std::string();
}
std::optional<std::int64_t> Query::opt_integer(int c) const {
  if (is_null(c)) return std::nullopt;
  return integer(c);
}

Connection::Connection(const std::string& path, int cache_kib) {
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
  for (auto& [sql, c] : cache_) sqlite3_finalize(c->stmt);
  sqlite3_close_v2(db_);
}

Query Connection::prepare(std::string_view sql) {
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

void Connection::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  settle();
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw DbError(rc, msg);
  }
}

std::int64_t Connection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }

std::int64_t Connection::total_changes() const { return sqlite3_total_changes64(db_); }

Transaction::Transaction(Connection& c) : c_(c) {
  // Inside another transaction (a sync import applying a roster or a pack) this is a savepoint,
  // so the inner work commits or rolls back with the outer one.
  nested_ = sqlite3_get_autocommit(c_.handle()) == 0;
  c_.exec(nested_ ? "SAVEPOINT parta_nested" : "BEGIN IMMEDIATE");
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
  return static_cast<int>(c->scalar("PRAGMA user_version").value_or(0));
}

std::vector<std::string> Database::integrity_check() {
  auto c = acquire();
  std::vector<std::string> out;
  auto q = c->query("PRAGMA integrity_check");
  while (q.next()) out.push_back(q.text(0));
  return out;
}

}  // namespace parta::storage
