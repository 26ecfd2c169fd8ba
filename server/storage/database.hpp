#pragma once
// SQLite behind RAII handles: bound parameters only, cached prepared statements, typed errors,
// and a bounded pool so each HTTP worker thread gets a connection of its own without the box
// keeping one page cache per thread it ever ran.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult

namespace parta::storage {

class DbError : public std::runtime_error {
 public:
  DbError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const { return (code_ & 0xff) == SQLITE_CONSTRAINT; }
  // Another connection holds the write lock longer than the busy timeout.
  bool is_busy() const { return (code_ & 0xff) == SQLITE_BUSY || (code_ & 0xff) == SQLITE_LOCKED; }
  bool is_full() const { return (code_ & 0xff) == SQLITE_FULL; }

 private:
  int code_;
};

// One execution of a prepared statement. Resets the statement when it goes out of scope, so a
// cached statement is always clean for its next user.
class Connection;

// PostgreSQL: a statement said in its dialect, prepared on the connection at its first run (by
// name: parsed and planned once per connection, as SQLite's cached statements are).
struct PgStatement {
  std::string sql;
  bool returns_id = false;
  std::string name;  // "" until prepared
};

class Query {
 public:
  Query(sqlite3_stmt* stmt, bool owned, bool* in_use, Connection* conn = nullptr);
  // PostgreSQL (a district hub): the statement, already said in its dialect, runs at the first
  // next() or run() with the bound values sent as text, typed by where they stand.
  Query(Connection* conn, PgStatement* pg);
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  ~Query();

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  Query& bind(int index, double value);
  Query& bind(int index, std::string_view value);
  Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Query& bind(int index, std::nullptr_t);
  template <class T>
  Query& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }

  // Binds all arguments to ?1, ?2, ... in order.
  template <class... A>
  Query& bind_all(const A&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  bool next();  // steps; true while there is a row
  void run();   // steps to completion, for statements without result rows

  bool is_null(int col) const;
  std::int64_t integer(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::optional<std::int64_t> opt_integer(int col) const;

 private:
  void pg_run();
  const char* pg_value(int col) const;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = false;
  bool* in_use_ = nullptr;
  Connection* conn_;
  bool done_ = false;
  PgStatement* pg_sql_ = nullptr;
  bool pg_ran_ = false;
  std::vector<std::optional<std::string>> pg_params_;
  pg_result* pg_res_ = nullptr;
  int pg_row_ = -1, pg_rows_ = 0;
};

class Connection {
 public:
  // cache_kib: this connection's page cache (SQLite's default is about 2 MiB). A path that is a
  // libpq URI (postgresql://...) opens a PostgreSQL database instead: a district hub's.
  explicit Connection(const std::string& path, int cache_kib = 2000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Prepares (or reuses) a statement and binds the arguments to ?1..?N.
  template <class... A>
  Query query(std::string_view sql, const A&... args) {
    Query q = prepare(sql);
    q.bind_all(args...);
    return q;
  }
  // Runs a statement that returns no rows.
  template <class... A>
  void run(std::string_view sql, const A&... args) {
    query(sql, args...).run();
  }
  // A write a page view may skip (a session's last-seen time, the day's visit): waits at most a
  // moment for the write lock, and a busy or full database is not an error. True if it ran.
  template <class... A>
  bool run_if_free(std::string_view sql, const A&... args) {
    ShortWait wait(*this);
    try {
      run(sql, args...);
      return true;
    } catch (const DbError& e) {
      if (e.is_busy() || e.is_full()) return false;
      throw;
    }
  }
  // First column of the first row, or nullopt.
  template <class... A>
  std::optional<std::int64_t> scalar(std::string_view sql, const A&... args) {
    Query q = query(sql, args...);
    if (!q.next() || q.is_null(0)) return std::nullopt;
    return q.integer(0);
  }

  Query prepare(std::string_view sql);
  void exec(const std::string& sql);  // several statements, no parameters: schema only
  // PostgreSQL: as exec, but the SQL is PostgreSQL's already (the hub's schema).
  void exec_native(const std::string& sql);
  std::int64_t last_insert_id() const;
  int changes() const;
  // Rows changed through this connection since it opened, triggers included.
  std::int64_t total_changes() const;
  sqlite3* handle() { return db_; }
  bool postgres() const { return pg_ != nullptr; }
  bool in_transaction() const;
  // The last value an AUTOINCREMENT column's sequence gave (0: none yet), deleted rows included.
  std::int64_t sequence_value(const std::string& table, const std::string& column);
  static constexpr int kBusyTimeoutMs = 5000;
  // Statements run on this connection so far (each execution counts once; the statements a
  // trigger runs do not): what tests count to keep a page's cost from growing with the data.
  std::uint64_t statements() const { return statements_; }
  // The virtual-machine steps those statements took: the work they did, whatever the plan. A
  // query that reads the whole year takes more of them as the year goes on.
  std::uint64_t steps() const { return steps_; }
  // What pages show has changed when this moves: it moves after every committed write
  // transaction, through any connection sharing it (a Database's all do), except those that
  // changed only the sign-in bookkeeping no cached page shows (sessions, the day's visits and
  // what their triggers write). It moves once the commit is visible to every connection, so a
  // page built from data read after reading the generation is never newer than the generation
  // says (see web/page_cache.hpp).
  std::uint64_t content_generation() const { return generation_->load(std::memory_order_acquire); }
  using Generation = std::shared_ptr<std::atomic<std::uint64_t>>;
  void share_generation(Generation g) { generation_ = std::move(g); }

 private:
  // The busy timeout shortened to 100 ms while it lives.
  struct ShortWait {
    explicit ShortWait(Connection& c) : c_(c) { c_.busy_limit_ms_ = 100; }
    ~ShortWait() { c_.busy_limit_ms_ = kBusyTimeoutMs; }
    Connection& c_;
  };
  // Waiting for another connection's write: SQLite's own wait sleeps 1, 2, 5 … 100 ms between
  // looks, so with a class saving at once a writer slept up to 100 ms after the lock was free
  // (190 ms tails); this one looks every 0.25 ms, then every millisecond, up to the limit.
  static int on_busy(void* self, int count);
  int busy_limit_ms_ = kBusyTimeoutMs;
  std::chrono::steady_clock::time_point busy_since_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  friend class Query;
  static int on_trace(unsigned type, void* self, void* stmt, void* sql);
  static void on_update(void* self, sqlite3* db, int op, const char* schema, const char* table,
                        sqlite3_int64 key1, sqlite3_int64 key2);
  static int on_commit(void* self);
  static void on_rollback(void* self);
  // After SQLite returns from a statement: a commit on_commit saw is visible now.
  void settle() {
    if (committed_content_) {
      committed_content_ = false;
      generation_->fetch_add(1, std::memory_order_release);
    }
  }
  sqlite3* db_ = nullptr;
  Generation generation_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  bool content_rows_ = false;  // this transaction changed rows outside the bookkeeping
  bool committed_content_ = false;
  std::uint64_t statements_ = 0, steps_ = 0;
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
  // PostgreSQL
  PgStatement& pg_statement(std::string_view sql);
  void pg_check(pg_result* r, std::string_view what);
  pg_conn* pg_ = nullptr;
  std::unordered_map<std::string, PgStatement> pg_cache_;
  std::int64_t pg_last_id_ = 0, pg_total_ = 0, pg_prepared_ = 0;
  int pg_changes_ = 0;
};

// BEGIN IMMEDIATE ... COMMIT (a savepoint when already inside one); rolls back unless commit()
// was called.
class Transaction {
 public:
  // On PostgreSQL, where writers do not wait for each other, the transaction first takes the
  // advisory lock named `lock` (all hub processes share it): one writer at a time, as on SQLite,
  // unless the caller names a narrower lock (one school's import runs beside another's).
  explicit Transaction(Connection& c, std::string_view lock = "parta");
  ~Transaction();
  void commit();

 private:
  Connection& c_;
  bool done_ = false;
  bool nested_ = false;
};

// A named lock held across transactions by one connection of the hub's PostgreSQL database (an
// advisory lock: every hub process sees it; released when this goes or the connection drops, so a
// killed process never leaves it held). On SQLite, where one process writes, it does nothing.
class SessionLock {
 public:
  SessionLock(Connection& c, const std::string& name);
  ~SessionLock();
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

 private:
  Connection& c_;
  std::string name_;
  bool held_ = false;
};

// How many connections the pool keeps and how much page cache each may hold. A Pi Zero 2 W has
// 512 MB for everything: 64 request threads each holding a 2 MiB page cache and its prepared
// statements for ever was most of partad's memory after a busy hour. Twelve connections serve two
// cores as fast as sixty-four (and faster: less memory to walk); closing them the moment the
// pool is busy instead would make every request open and prepare again.
struct PoolOptions {
  std::size_t max_open = 12;  // beyond this acquire() waits for a connection to come back ...
  std::chrono::milliseconds overflow_after{2000};  // ... then opens one anyway (no deadlock)
  int cache_kib = 1024;  // page cache per connection (the OS page cache is behind it)
  // After a burst: connections unused this long are closed (down to `keep`) and their memory
  // given back to the system.
  std::chrono::seconds idle_close{30};
  std::size_t keep = 2;
};

class Database {
 public:
  // Opens (creating if needed) the database file and applies migrations. Throws DbError with a
  // clear message when the file's schema is newer than this program knows.
  explicit Database(std::string path, PoolOptions options = {});

  class Lease {
   public:
    Lease(Database* db, std::unique_ptr<Connection> c) : db_(db), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Database* db_;
    std::unique_ptr<Connection> c_;
  };
  Lease acquire();
  const std::string& path() const { return path_; }
  // A district hub's PostgreSQL database (path() is its URI).
  bool postgres() const {
    return path_.starts_with("postgresql:") || path_.starts_with("postgres:");
  }
  int schema_version();
  // PRAGMA integrity_check: "ok" or the problems SQLite found.
  std::vector<std::string> integrity_check();
  // Connections open now (in use or idle), for tests and the benchmark.
  std::size_t open_connections();
  // Closes the connections idle longer than options.idle_close, keeping options.keep (a thread
  // of the pool's calls this every few seconds; tests call it directly). Returns how many.
  std::size_t close_idle(std::chrono::steady_clock::time_point now);

 private:
  struct Idle {
    std::unique_ptr<Connection> c;
    std::chrono::steady_clock::time_point since;
  };
  void release(std::unique_ptr<Connection> c);
  std::string path_;
  PoolOptions options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::size_t open_ = 0;
  std::vector<Idle> free_;  // the most recently returned last: taken first, so the oldest idle
  Connection::Generation generation_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::jthread reaper_;  // last: stops (and joins) before the pool goes
};

}  // namespace parta::storage
