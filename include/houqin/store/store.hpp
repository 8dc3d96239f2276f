// The Store: one connection to SQLite (embedded default) or PostgreSQL (shared server), opened by
// URL, with nested RAII transactions, an event bus whose events wait for commit, and the untyped
// row operations that Repository<T> and the bindings build on. A Store is used by one thread at a
// time; open one per thread (SQLite in WAL mode lets readers and a writer work side by side).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/clock.hpp"
#include "houqin/core/events.hpp"
#include "houqin/core/export.hpp"
#include "houqin/store/query.hpp"
#include "houqin/store/schema.hpp"

namespace houqin::store {

/// Seals personal members at rest and opens them again. The store calls it for every personal
/// column; protect::Keyring (houqin/protect/keyring.hpp) is the implementation, kept above the
/// store so that the store knows nothing of key files, rotation or the cipher.
class HOUQIN_EXPORT Sealer {
 public:
  virtual ~Sealer();
  /// The sealed form of `plaintext`, bound to `context` (table.column).
  virtual std::string seal(std::string_view plaintext, std::string_view context) const = 0;
  /// What seal() made; errors name `what` (e.g. "site_staff.phone of row 7").
  virtual std::string open(std::string_view sealed, std::string_view context,
                           std::string_view what) const = 0;
  /// The id of the key new values are sealed under (re-sealing moves old values to it).
  virtual std::string active_id() const = 0;
};

struct StoreOptions {
  /// The clock for timestamps the store writes itself (migrations); null means the system clock.
  const Clock* clock = nullptr;
  /// How long SQLite waits for a lock held by another connection before giving up (unavailable).
  std::chrono::milliseconds busy_timeout{5000};
  /// Keys for personal members (entity_traits<T>::personal). Without a keyring, writing or reading
  /// a personal member is Error(failed_precondition); the store never stores them in plaintext.
  std::shared_ptr<const Sealer> keys;
  /// PostgreSQL: how long a registry call (service::call) whose connection was lost before
  /// anything of it was committed is retried, reconnecting each time, before its Error(unavailable)
  /// reaches the caller: the time a failover may take (docs/reliability.md). Zero: never retried.
  std::chrono::milliseconds failover_wait{30000};
};

class HOUQIN_EXPORT Store {
 public:
  /// Opens `sqlite:PATH`, `sqlite::memory:` or `postgresql://user@host/db?...` (any libpq URI or
  /// `postgresql:` followed by a key=value conninfo string). Throws Error(invalid_argument) for an
  /// unknown scheme and Error(unavailable) when the database cannot be opened.
  static std::unique_ptr<Store> open(std::string_view url, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Dialect dialect() const noexcept;
  /// The URL it was opened with, any password replaced by "***".
  const std::string& url() const noexcept;
  const Clock& clock() const noexcept;
  EventBus& events() noexcept;
  /// The keyring personal members are sealed with; null when the store was opened without one.
  const Sealer* keyring() const noexcept;

  // ---- connection loss (PostgreSQL: a server that restarted, a failover) ----
  // A statement that fails because the connection is gone is Error(unavailable). Outside a
  // transaction the next statement reconnects first, through the URL as given: a multi-host URL
  // with target_session_attrs=read-write finds the new primary. An open transaction is not
  // carried over: the statements in it fail, and it must be run again from the start.
  /// True while the connection is known to be gone (never on SQLite).
  bool connection_lost() const noexcept;
  /// How many times the store has connected again after losing its connection.
  std::uint64_t connection_generation() const noexcept;
  /// How many outermost COMMITs have been sent: when it has not moved, nothing was committed, and
  /// a transaction that failed with the connection lost may be run again.
  std::uint64_t commits_attempted() const noexcept;
  /// StoreOptions::failover_wait.
  std::chrono::milliseconds failover_wait() const noexcept;

  /// The native connection under the store, for bulk paths SOCI cannot express (prepared SQLite
  /// inserts, PostgreSQL COPY BINARY): a `sqlite3*` when dialect() is sqlite, a `PGconn*` when
  /// postgresql. Owned by the store and valid while it is open; statements run on it join the
  /// store's current transaction. Callers must not close it, change its settings, or leave a COPY
  /// or an unread result pending on it.
  void* native_handle() noexcept;

  /// State a module keeps per handle, e.g. its own prepared statements on native_handle(): the
  /// slot for `key` (any address the module owns; empty at first). What is put there is
  /// destroyed when the store closes, before its connection is, so it may finalize statements
  /// in its destructor. Used by one thread at a time, like the store.
  std::shared_ptr<void>& attachment(const void* key);

  /// Runs one SQL statement without parameters or results (DDL, PRAGMA).
  void execute(std::string_view sql);
  /// Runs one statement with bound parameters (:p1, :p2, ... bound by position: number them in
  /// the order they appear, each once) and returns the rows it changed: for guards the database
  /// must check atomically with the change, e.g. "UPDATE t SET qty = qty - :p1 WHERE id = :p2 AND
  /// qty >= :p3". Values are always bound, never spliced. Personal columns are not sealed on this
  /// path: never write them with it.
  std::int64_t execute(std::string_view sql, std::span<const Param> params);
  bool table_exists(std::string_view table);
  bool column_exists(std::string_view table, std::string_view column);

  // Transactions: prefer the RAII Transaction below. Nesting uses savepoints.
  void begin();
  /// A transaction that only reads: it takes no write lock (SQLite: BEGIN DEFERRED, so readers
  /// never queue behind writers or each other in WAL mode; PostgreSQL: READ ONLY, so a write in
  /// it is refused). Nested in another transaction it is a savepoint like begin().
  void begin_read();
  /// begin() for a transaction that only notes a failure (the audit record of a call that
  /// failed): its COMMIT is not counted by commits_attempted(), since it is not an effect of
  /// the work, so a call whose only commit was the note of its own failure may still be retried.
  void begin_note();
  void commit();
  void rollback();
  int transaction_depth() const noexcept;

  // ---- untyped rows (cells in column order; column 0 is id) ----
  // Personal columns are sealed on the way in and opened on the way out. Tools that must move
  // sealed values as they are (backup, key rotation) pass a TableInfo whose personal flags are off.
  /// Inserts every column but id, returns the new id.
  Id insert_row(const TableInfo& table, std::span<const Cell> row);
  /// Inserts whole rows laid one after another in `cells` (each table.columns.size() cells, the
  /// id cell ignored) with multi-row INSERTs and no ids returned, after the statement `before`
  /// (no parameters; may be empty): for appends whose ids nobody needs at once (the event log).
  /// On PostgreSQL `before` and all rows are one round trip (values sent as escaped literals).
  void insert_rows(const TableInfo& table, std::span<const Cell> cells,
                   std::string_view before = {});
  /// Reads one row by id into `row` (resized to the column count); false when absent.
  bool get_row(const TableInfo& table, Id id, std::vector<Cell>& row);
  /// Updates every column but id where id and version match; returns the rows changed (0 or 1).
  /// With `before` (the row as it was read, same layout), only the columns whose cells differ
  /// and the version are written: the indexes and foreign keys of the others are not touched.
  std::int64_t update_row(const TableInfo& table, std::span<const Cell> row,
                          std::int64_t expected_version, std::span<const Cell> before = {});
  /// Deletes by id (and version, when given); returns the rows deleted.
  std::int64_t delete_row(const TableInfo& table, Id id,
                          std::optional<std::int64_t> expected_version);
  /// Streams matching rows to `sink`, which must not call back into this store.
  void select_rows(const TableInfo& table, const QuerySpec& query,
                   const std::function<void(std::span<const Cell>)>& sink);
  std::int64_t count_rows(const TableInfo& table, const QuerySpec& query);

  // ---- whole-database tools (backup, restore) ----
  /// Inserts a row with its id as given (restore).
  void put_row(const TableInfo& table, std::span<const Cell> row);
  /// After put_row: makes PostgreSQL's id sequence continue above the largest id (no-op on SQLite).
  void reset_id_sequence(const TableInfo& table);
  /// SQLite only: a consistent copy of the whole database into a new file with the online backup
  /// API, while other connections keep writing. Error(unimplemented) on PostgreSQL.
  void copy_sqlite_database(const std::string& path);

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  void open_transaction(const char* begin);  // `begin` at depth 0, else a savepoint
  std::unique_ptr<Impl> impl_;
};

/// What a sealed personal value is bound to: moved to another table or column, it no longer opens.
inline std::string sealing_context(const TableInfo& table, const ColumnInfo& column) {
  return "houqin:" + table.name + "." + column.name;
}

/// Begins on construction; rolls back on destruction unless commit() was called. Inside another
/// transaction it becomes a savepoint, so an inner failure can be undone alone.
class HOUQIN_EXPORT Transaction {
 public:
  struct ReadOnly {};
  static constexpr ReadOnly read_only{};
  struct Note {};
  static constexpr Note note{};
  explicit Transaction(Store& store);
  /// Store::begin_read(): for reads that must see one snapshot and write nothing.
  Transaction(Store& store, ReadOnly);
  /// Store::begin_note(): for the record of a failure.
  Transaction(Store& store, Note);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();
  void rollback();

 private:
  Store& store_;
  bool open_ = true;
};

/// Runs f inside a transaction and commits when it returns; rolls back when it throws.
template <class F>
auto in_transaction(Store& store, F&& f) {
  Transaction tx(store);
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    tx.commit();
  } else {
    auto result = f();
    tx.commit();
    return result;
  }
}

}  // namespace houqin::store
