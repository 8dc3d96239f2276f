#include "houqin/store/store.hpp"

#include "houqin/core/metrics.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cstring>
#include <unordered_map>

#include "houqin/store/event_log.hpp"

namespace houqin::store {
namespace {

std::string first_line(std::string s) {
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '.')) s.pop_back();
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

/// A PostgreSQL error by its SQLSTATE.
[[noreturn]] void fail_pg(const std::string& state, const std::string& msg) {
  if (state == "23505") fail(ErrorCode::already_exists, msg);
  if (state == "23503") fail(ErrorCode::failed_precondition, msg);
  if (state == "23502" || state == "23514" || state.rfind("22", 0) == 0)
    fail(ErrorCode::invalid_argument, msg);
  if (state == "40001" || state == "40P01") fail(ErrorCode::conflict, msg);
  if (state == "42501") fail(ErrorCode::permission_denied, msg);
  if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) fail(ErrorCode::unavailable, msg);
  fail(ErrorCode::internal, msg);
}

/// Called inside a catch block: turns whatever the database layer threw into a houqin::Error
/// with a stable code and a one-line message that starts with `context`.
[[noreturn]] void rethrow_as_error(const std::string& context) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const soci::postgresql_soci_error& e) {
    fail_pg(e.sqlstate(), context + ": " + first_line(e.get_error_message()));
  } catch (const soci::sqlite3_soci_error& e) {
    const std::string text = first_line(e.get_error_message());
    const std::string msg = context + ": " + text;
    switch (e.result() & 0xff) {
      case 19:  // SQLITE_CONSTRAINT
        if (contains(text, "UNIQUE") || contains(text, "PRIMARY KEY"))
          fail(ErrorCode::already_exists, msg);
        if (contains(text, "FOREIGN KEY")) fail(ErrorCode::failed_precondition, msg);
        if (contains(text, "append-only"))
          fail(ErrorCode::permission_denied, msg);  // a guard trigger
        fail(ErrorCode::invalid_argument, msg);
      case 5:   // SQLITE_BUSY
      case 6:   // SQLITE_LOCKED
      case 14:  // SQLITE_CANTOPEN
        fail(ErrorCode::unavailable, msg);
      case 10:  // SQLITE_IOERR: the disk failed a read, write or sync; the transaction is rolled
                // back (tests/unit/store/fault_injection_test.cpp)
        fail(ErrorCode::unavailable, msg);
      case 13:  // SQLITE_FULL
        fail(ErrorCode::resource_exhausted, msg);
      case 11:  // SQLITE_CORRUPT
      case 26:  // SQLITE_NOTADB
        fail(ErrorCode::data_loss, msg);
      default:
        fail(ErrorCode::internal, msg);
    }
  } catch (const soci::soci_error& e) {
    const std::string text = first_line(e.get_error_message());
    if (contains(text, "UNIQUE constraint") || contains(text, "duplicate key"))
      fail(ErrorCode::already_exists, context + ": " + text);
    if (contains(text, "FOREIGN KEY") || contains(text, "foreign key"))
      fail(ErrorCode::failed_precondition, context + ": " + text);
    if (contains(text, "constraint")) fail(ErrorCode::invalid_argument, context + ": " + text);
    if (contains(text, "database is locked") || contains(text, "connect"))
      fail(ErrorCode::unavailable, context + ": " + text);
    fail(ErrorCode::internal, context + ": " + text);
  } catch (const std::exception& e) {
    fail(ErrorCode::internal, context + ": " + e.what());
  }
}

/// A prepared statement kept for reuse, with the buffers its parameters and results are bound to.
/// The buffers never move after binding (vectors sized once).
struct Prepared {
  std::vector<Storage> param_storage;
  std::vector<Cell> params;
  std::vector<soci::indicator> param_ind;
  std::vector<Storage> result_storage;
  std::vector<Cell> results;
  std::vector<soci::indicator> result_ind;
  std::unique_ptr<soci::statement> st;

  void load_params() {
    for (std::size_t i = 0; i < params.size(); ++i)
      param_ind[i] = params[i].null ? soci::i_null : soci::i_ok;
  }
  /// Executes and reads the first row into results; reads any further rows to the end, because a
  /// SQLite statement that has not run to completion blocks COMMIT.
  bool run_single() {
    load_params();
    st->execute(false);
    bool got = st->fetch();
    if (got) {
      store_results();
      while (st->fetch()) {
      }
    }
    return got;
  }
  void store_results() {
    for (std::size_t i = 0; i < results.size(); ++i) {
      Cell& c = results[i];
      c.null = result_ind[i] == soci::i_null;
      if (c.null) {  // leave no stale value behind a NULL
        c.i = 0;
        c.d = 0;
        c.s.clear();
      }
    }
  }
};

void copy_cell(const Cell& from, Cell& to, Storage storage) {
  to.null = from.null;
  switch (storage) {
    case Storage::integer:
      to.i = from.i;
      break;
    case Storage::real:
      to.d = from.d;
      break;
    case Storage::text:
      to.s = from.s;
      break;
  }
}

/// The sqlite3* under a SOCI session. The downcast is exempt from UBSan's vptr check only because
/// libsoci_sqlite3 does not export the backend's typeinfo; the object is always that backend.
__attribute__((no_sanitize("vptr"))) sqlite_api::sqlite3* native_sqlite(soci::session& sql) {
  return static_cast<soci::sqlite3_session_backend*>(sql.get_backend())->conn_;
}

/// The PGconn* under a SOCI session (same UBSan exemption as native_sqlite).
__attribute__((no_sanitize("vptr"))) PGconn* native_pg(soci::session& sql) {
  return static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
}

std::string redact(std::string url) {
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db ; password=secret -> ***
  if (auto scheme = url.find("://"); scheme != std::string::npos) {
    auto at = url.find('@', scheme + 3);
    auto colon = url.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      url.replace(colon + 1, at - colon - 1, "***");
  }
  if (auto pw = url.find("password="); pw != std::string::npos) {
    auto end = url.find_first_of(" &", pw);
    url.replace(pw + 9, (end == std::string::npos ? url.size() : end) - pw - 9, "***");
  }
  return url;
}

}  // namespace

struct Store::Impl {
  soci::session sql;
  Dialect dialect = Dialect::sqlite;
  std::string url;
  const Clock* clock = nullptr;
  std::shared_ptr<const Sealer> keys;
  EventBus bus;
  int depth = 0;
  std::uint64_t generation = 0;  // reconnections
  std::uint64_t commits = 0;     // outermost COMMITs sent, notes of failures not counted
  bool note = false;             // the outermost transaction only notes a failure
  std::chrono::milliseconds failover_wait{0};
  std::chrono::milliseconds busy_timeout{0};
  bool in_memory = false;  // sqlite::memory: (never opened again: that would be a new database)
  bool io_failed = false;  // SQLite: the disk failed a call (the connection is opened again)
  std::vector<std::size_t> marks;  // event-bus positions at each savepoint
  std::unordered_map<std::string, std::unique_ptr<Prepared>> cache;
  std::unordered_map<const void*, std::shared_ptr<void>> attachments;

  /// PostgreSQL: the connection is gone (the server restarted or failed over, or a reconnection
  /// failed and left no connection at all). SQLite: the disk failed a read, write or sync. SQLite
  /// may then have committed what it reported as failed, and the connection's view of the file
  /// can lag behind it (tests/unit/store/fault_injection_test.cpp), so it is opened again.
  bool lost() {
    if (dialect == Dialect::sqlite) return io_failed;
    if (sql.get_backend() == nullptr) return true;
    return PQstatus(native_pg(sql)) == CONNECTION_BAD;
  }
  /// Before a statement: a lost connection is opened again, outside a transaction only (the
  /// server has dropped an open one, so its remaining statements must fail).
  void ensure_connected() {
    if (!lost()) return;
    if (depth > 0)
      fail(ErrorCode::unavailable,
           "the connection to the database was lost inside a transaction: run it again");
    cache.clear();  // statements of the old connection go before it does
    try {
      sql.reconnect();
      io_failed = false;
      session_settings();
    } catch (const std::exception& e) {
      fail(ErrorCode::unavailable, "reconnecting to " + url + ": " + first_line(e.what()));
    }
    ++generation;
    static metrics::Counter& reconnects = metrics::counter(
        "houqin_store_reconnects_total", "Connections opened again after the database was lost");
    reconnects.add();
  }
  /// What every connection is set to when opened.
  void session_settings() {
    if (dialect == Dialect::postgresql) {
      sql << "SET client_min_messages = warning";  // IF NOT EXISTS notices are not news
      return;
    }
    sql << "PRAGMA busy_timeout = " + std::to_string(busy_timeout.count());
    sql << "PRAGMA foreign_keys = ON";
    if (!in_memory) {
      sql << "PRAGMA journal_mode = WAL";
      sql << "PRAGMA synchronous = NORMAL";  // durable across crashes of the process in WAL
    }
  }
  /// rethrow_as_error, except that any failure on a lost PostgreSQL connection is
  /// Error(unavailable), and a failed disk under SQLite marks the connection to be opened again.
  [[noreturn]] void rethrow(const std::string& context) {
    if (dialect == Dialect::sqlite) {
      try {
        throw;
      } catch (const soci::sqlite3_soci_error& e) {
        if ((e.result() & 0xff) == 10 && !in_memory) io_failed = true;  // SQLITE_IOERR
      } catch (...) {
      }
      rethrow_as_error(context);
    }
    if (lost()) {
      std::string what;
      try {
        throw;
      } catch (const Error& e) {
        if (e.code() == ErrorCode::unavailable) throw;
        what = first_line(e.what());
      } catch (const std::exception& e) {
        what = first_line(e.what());
      } catch (...) {
      }
      fail(ErrorCode::unavailable,
           context + ": the connection to the database was lost (" + what + ")");
    }
    rethrow_as_error(context);
  }

  Prepared& prepare(const std::string& text, const std::vector<Storage>& params,
                    const std::vector<Storage>& results) {
    ensure_connected();
    if (auto it = cache.find(text); it != cache.end()) return *it->second;
    if (cache.size() > 512) cache.clear();  // ad-hoc filter shapes must not grow without bound
    auto p = std::make_unique<Prepared>();
    p->param_storage = params;
    p->params.resize(params.size());
    p->param_ind.resize(params.size(), soci::i_ok);
    p->result_storage = results;
    p->results.resize(results.size());
    p->result_ind.resize(results.size(), soci::i_ok);
    p->st = std::make_unique<soci::statement>(sql);
    for (std::size_t i = 0; i < results.size(); ++i) {
      Cell& c = p->results[i];
      switch (results[i]) {
        case Storage::integer:
          p->st->exchange(soci::into(c.i, p->result_ind[i]));
          break;
        case Storage::real:
          p->st->exchange(soci::into(c.d, p->result_ind[i]));
          break;
        case Storage::text:
          p->st->exchange(soci::into(c.s, p->result_ind[i]));
          break;
      }
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      Cell& c = p->params[i];
      switch (params[i]) {
        case Storage::integer:
          p->st->exchange(soci::use(c.i, p->param_ind[i]));
          break;
        case Storage::real:
          p->st->exchange(soci::use(c.d, p->param_ind[i]));
          break;
        case Storage::text:
          p->st->exchange(soci::use(c.s, p->param_ind[i]));
          break;
      }
    }
    p->st->alloc();
    p->st->prepare(text);
    p->st->define_and_bind();
    return *cache.emplace(text, std::move(p)).first->second;
  }

  void forget(const std::string& text) { cache.erase(text); }

  void exec(const std::string& text) {
    ensure_connected();
    sql << text;
  }
  /// BEGIN, COMMIT and savepoints, which every transaction runs: prepared once per connection,
  /// not parsed and prepared again each time (that was a third of a small read transaction's
  /// cost).
  void control(const std::string& text) {
    try {
      prepare(text, {}, {}).st->execute(true);
    } catch (...) {
      forget(text);
      throw;
    }
  }
  void control_or_throw(const std::string& text);
};

// ---- opening -----------------------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  // A durable event published outside a transaction is written in one of its own before any
  // subscriber sees it; held ones are written by commit() below.
  impl_->bus.set_journal([this](std::span<const EventEntry* const> entries) {
    Transaction tx(*this);
    append_events(*this, entries);
    tx.commit();
  });
}
std::shared_ptr<void>& Store::attachment(const void* key) {
  return impl_->attachments[key];
}

Sealer::~Sealer() = default;

Store::~Store() {
  if (!impl_) return;
  impl_->attachments.clear();  // modules' own state (native statements) first
  impl_->cache.clear();        // statements before the session they belong to
  if (impl_->depth > 0 && !impl_->lost()) {
    try {
      impl_->exec("ROLLBACK");
    } catch (...) {  // closing anyway; the database rolls back an open transaction itself
    }
  }
}

std::unique_ptr<Store> Store::open(std::string_view url, StoreOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->url = redact(std::string(url));
  impl->clock = options.clock ? options.clock : &system_clock();
  impl->keys = options.keys;
  impl->failover_wait = options.failover_wait;
  try {
    if (url.rfind("sqlite:", 0) == 0) {
      std::string path(url.substr(7));
      if (path.empty())
        fail(ErrorCode::invalid_argument,
             "sqlite URL needs a path: sqlite:PATH or sqlite::memory:");
      impl->dialect = Dialect::sqlite;
      // SOCI reads "key=value" pairs; quoting keeps paths with spaces or '=' intact.
      std::string quoted = "\"";
      for (char c : path) {
        if (c == '"') fail(ErrorCode::invalid_argument, "sqlite path must not contain '\"'");
        quoted += c;
      }
      quoted += '"';
      impl->sql.open(soci::sqlite3, "db=" + quoted);
      impl->busy_timeout = options.busy_timeout;
      impl->in_memory = path == ":memory:";
      impl->session_settings();
    } else if (url.rfind("postgresql:", 0) == 0 || url.rfind("postgres:", 0) == 0) {
      impl->dialect = Dialect::postgresql;
      std::string conn(url);
      // libpq takes URIs as they are; "postgresql:key=value ..." is a conninfo string.
      if (conn.rfind("postgresql://", 0) != 0 && conn.rfind("postgres://", 0) != 0)
        conn = conn.substr(conn.find(':') + 1);
      impl->sql.open(soci::postgresql, conn);
      impl->session_settings();
    } else {
      fail(ErrorCode::invalid_argument,
           "unknown store URL '" + impl->url +
               "' (expected sqlite:PATH, sqlite::memory: or postgresql://...)");
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorCode::unavailable, "cannot open " + impl->url + ": " + first_line(e.what()));
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Dialect Store::dialect() const noexcept {
  return impl_->dialect;
}
const std::string& Store::url() const noexcept {
  return impl_->url;
}
const Clock& Store::clock() const noexcept {
  return *impl_->clock;
}
void* Store::native_handle() noexcept {
  if (impl_->dialect == Dialect::sqlite) return native_sqlite(impl_->sql);
  return native_pg(impl_->sql);
}
bool Store::connection_lost() const noexcept {
  return impl_->lost();
}
std::uint64_t Store::connection_generation() const noexcept {
  return impl_->generation;
}
std::uint64_t Store::commits_attempted() const noexcept {
  return impl_->commits;
}
std::chrono::milliseconds Store::failover_wait() const noexcept {
  return impl_->failover_wait;
}
EventBus& Store::events() noexcept {
  return impl_->bus;
}
const Sealer* Store::keyring() const noexcept {
  return impl_->keys.get();
}

namespace {

/// The latency histogram of one kind of store call (self-monitoring); each call site keeps it.
metrics::Histogram& store_call(std::string_view call) {
  return metrics::histogram("houqin_store_seconds",
                            "Time of a store call (SQL statement, row read or write)",
                            {{"call", std::string(call)}});
}

}  // namespace

void Store::Impl::control_or_throw(const std::string& text) {
  static metrics::Histogram& latency = store_call("execute");
  metrics::Timer timer(latency);
  try {
    control(text);
  } catch (...) {
    rethrow(text);
  }
}

void Store::execute(std::string_view text) {
  static metrics::Histogram& latency = store_call("execute");
  metrics::Timer timer(latency);
  std::string s(text);
  try {
    impl_->exec(s);
  } catch (...) {
    impl_->rethrow(first_line(s).substr(0, 60));
  }
}

std::int64_t Store::execute(std::string_view text, std::span<const Param> params) {
  static metrics::Histogram& latency = store_call("execute");
  metrics::Timer timer(latency);
  std::string sql(text);
  std::vector<Storage> kinds;
  for (const auto& p : params) kinds.push_back(p.storage);
  try {
    auto& p = impl_->prepare(sql, kinds, {});
    for (std::size_t i = 0; i < params.size(); ++i)
      copy_cell(*params[i].cell, p.params[i], kinds[i]);
    p.load_params();
    p.st->execute(true);
    return p.st->get_affected_rows();
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(first_line(sql).substr(0, 60));
  }
}

bool Store::table_exists(std::string_view table) {
  std::string sql = impl_->dialect == Dialect::sqlite
                        ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :p1"
                        : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                          "current_schema() AND table_name = :p1";
  try {
    auto& p = impl_->prepare(sql, {Storage::text}, {Storage::integer});
    p.params[0].s = table;
    return p.run_single() && p.results[0].i > 0;
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(std::string(table));
  }
}

bool Store::column_exists(std::string_view table, std::string_view column) {
  std::string sql = impl_->dialect == Dialect::sqlite
                        ? "SELECT COUNT(*) FROM pragma_table_info(:p1) WHERE name = :p2"
                        : "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                          "current_schema() AND table_name = :p1 AND column_name = :p2";
  try {
    auto& p = impl_->prepare(sql, {Storage::text, Storage::text}, {Storage::integer});
    p.params[0].s = table;
    p.params[1].s = column;
    return p.run_single() && p.results[0].i > 0;
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(std::string(table) + "." + std::string(column));
  }
}

// ---- transactions ------------------------------------------------------------------------------

void Store::begin() {
  // IMMEDIATE takes the write lock up front, so two writers wait (busy_timeout) instead of
  // failing later when a read lock would have to be upgraded.
  open_transaction(impl_->dialect == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
}

void Store::begin_read() {
  open_transaction(impl_->dialect == Dialect::sqlite ? "BEGIN DEFERRED" : "BEGIN READ ONLY");
}

void Store::begin_note() {
  begin();
  if (impl_->depth == 1) impl_->note = true;
}

void Store::open_transaction(const char* begin) {
  auto& m = *impl_;
  m.control_or_throw(m.depth == 0 ? std::string(begin)
                                  : "SAVEPOINT hq_sp_" + std::to_string(m.depth));
  m.marks.push_back(m.bus.mark());
  m.bus.hold();
  ++m.depth;
}

void Store::commit() {
  static metrics::Histogram& latency = store_call("commit");
  metrics::Timer timer(latency);
  auto& m = *impl_;
  if (m.depth == 0) fail(ErrorCode::failed_precondition, "commit without a transaction");
  if (m.depth == 1) {
    bool sent = false;
    try {
      // The log rows of this transaction's events, in it: they commit, or vanish, with it.
      if (auto entries = m.bus.held_entries(); !entries.empty()) append_events(*this, entries);
      if (!m.lost()) {  // (on a connection known to be lost it is not sent: nothing committed)
        sent = true;
        if (!m.note) ++m.commits;
      }
      m.control("COMMIT");
    } catch (...) {
      // The commit failed: the transaction is gone (or must go), and so are its events.
      const bool lost = m.lost();
      if (!lost) {
        try {
          m.exec("ROLLBACK");
        } catch (...) {
        }
      }
      m.depth = 0;
      m.note = false;
      m.marks.clear();
      m.bus.release(false);
      if (lost && sent)
        fail(ErrorCode::unavailable,
             "commit: the connection to the database was lost while committing, so whether the "
             "transaction committed is unknown");
      if (sent && m.dialect == Dialect::sqlite) {
        // SQLite may have made the transaction durable before the call that failed: as above.
        std::string io;
        try {
          throw;
        } catch (const soci::sqlite3_soci_error& e) {
          if ((e.result() & 0xff) == 10) io = first_line(e.get_error_message());
        } catch (...) {
        }
        if (!io.empty()) {
          m.io_failed = !m.in_memory;
          fail(ErrorCode::unavailable, "commit: the disk failed while committing (" + io +
                                           "), so whether the transaction committed is unknown");
        }
      }
      m.rethrow("commit");
    }
    m.depth = 0;
    m.note = false;
    m.marks.clear();
    m.bus.release(true);  // events reach subscribers only now
  } else {
    m.control_or_throw("RELEASE SAVEPOINT hq_sp_" + std::to_string(m.depth - 1));
    --m.depth;
    m.marks.pop_back();
    m.bus.release(true);  // still held by the outer level
  }
}

void Store::rollback() {
  auto& m = *impl_;
  if (m.depth == 0) fail(ErrorCode::failed_precondition, "rollback without a transaction");
  --m.depth;
  auto mark = m.marks.back();
  m.marks.pop_back();
  m.bus.discard_after(mark);
  m.bus.release(false);
  if (m.depth == 0) m.note = false;
  if (m.lost()) return;  // the server has dropped the transaction with the connection
  if (m.depth == 0) {
    execute("ROLLBACK");
  } else {
    auto sp = "hq_sp_" + std::to_string(m.depth);
    execute("ROLLBACK TO SAVEPOINT " + sp);
    execute("RELEASE SAVEPOINT " + sp);
  }
}

int Store::transaction_depth() const noexcept {
  return impl_->depth;
}

Transaction::Transaction(Store& store, ReadOnly) : store_(store) {
  store_.begin_read();
}

Transaction::Transaction(Store& store, Note) : store_(store) {
  store_.begin_note();
}

Transaction::Transaction(Store& store) : store_(store) {
  store_.begin();
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    store_.rollback();
  } catch (...) {  // a destructor must not throw; the connection drops the transaction anyway
  }
}

void Transaction::commit() {
  if (!open_) fail(ErrorCode::failed_precondition, "transaction already finished");
  open_ = false;
  store_.commit();
}

void Transaction::rollback() {
  if (!open_) fail(ErrorCode::failed_precondition, "transaction already finished");
  open_ = false;
  store_.rollback();
}

// ---- rows --------------------------------------------------------------------------------------

namespace {

std::vector<Storage> storages(const TableInfo& t, std::size_t from = 0) {
  std::vector<Storage> out;
  for (std::size_t i = from; i < t.columns.size(); ++i)
    out.push_back(storage_of(t.columns[i].type));
  return out;
}

std::string column_list(const TableInfo& t, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < t.columns.size(); ++i) {
    if (i > from) out += ", ";
    out += t.columns[i].name;
  }
  return out;
}

const Sealer& need_keys(const std::shared_ptr<const Sealer>& keys, const TableInfo& t,
                        const ColumnInfo& c) {
  if (!keys)
    fail(ErrorCode::failed_precondition,
         t.name + "." + c.name +
             " is personal data: open the store with a keyring (StoreOptions::keys)");
  return *keys;
}

std::string context_of(const TableInfo& t, const ColumnInfo& c) {
  return sealing_context(t, c);
}

/// Seals the personal columns of a parameter row (params hold columns from index `from`).
void seal_params(const std::shared_ptr<const Sealer>& keys, const TableInfo& t,
                 std::vector<Cell>& params, std::size_t from) {
  for (std::size_t i = from; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    Cell& p = params[i - from];
    if (!c.personal || p.null) continue;
    p.s = need_keys(keys, t, c).seal(p.s, context_of(t, c));
  }
}

/// Opens the personal columns of a result row in place.
void open_row(const std::shared_ptr<const Sealer>& keys, const TableInfo& t, std::span<Cell> row) {
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const auto& c = t.columns[i];
    if (!c.personal || row[i].null) continue;
    row[i].s = need_keys(keys, t, c)
                   .open(row[i].s, context_of(t, c),
                         t.name + "." + c.name + " of row " + std::to_string(row[0].i));
  }
}

}  // namespace

Id Store::insert_row(const TableInfo& t, std::span<const Cell> row) {
  static metrics::Histogram& latency = store_call("insert");
  metrics::Timer timer(latency);
  std::string sql = "INSERT INTO " + t.name + " (" + column_list(t, 1) + ") VALUES (";
  for (std::size_t i = 1; i < t.columns.size(); ++i)
    sql += (i > 1 ? ", :p" : ":p") + std::to_string(i);
  sql += ")";
  // PostgreSQL returns the id in the same round trip. SQLite asks its connection instead: its
  // RETURNING buffers rows in a temporary b-tree, which measured 2.5x slower on bulk inserts.
  const bool pg = impl_->dialect == Dialect::postgresql;
  if (pg) sql += " RETURNING id";
  try {
    auto& p = impl_->prepare(sql, storages(t, 1),
                             pg ? std::vector<Storage>{Storage::integer} : std::vector<Storage>{});
    for (std::size_t i = 1; i < t.columns.size(); ++i)
      copy_cell(row[i], p.params[i - 1], p.param_storage[i - 1]);
    if (t.has_personal) seal_params(impl_->keys, t, p.params, 1);
    if (!pg) {
      p.load_params();
      p.st->execute(true);
      return sqlite_api::sqlite3_last_insert_rowid(native_sqlite(impl_->sql));
    }
    if (!p.run_single()) fail(ErrorCode::internal, t.name + ": INSERT returned no id");
    return p.results[0].i;
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name);
  }
}

void Store::insert_rows(const TableInfo& t, std::span<const Cell> cells, std::string_view before) {
  static metrics::Histogram& latency = store_call("insert_rows");
  metrics::Timer timer(latency);
  const std::size_t width = t.columns.size();
  if (width < 2 || cells.size() % width != 0)
    fail(ErrorCode::internal, t.name + ": insert_rows needs whole rows");
  const std::size_t rows = cells.size() / width;
  if (impl_->dialect == Dialect::postgresql && !t.has_personal) {
    // One round trip: `before` and every row as literals in one simple query, on the native
    // connection (in the store's transaction). Text goes through PQescapeLiteral.
    PGconn* pg = native_pg(impl_->sql);
    std::string sql(before);
    if (!sql.empty()) sql += ";\n";
    sql += "INSERT INTO " + t.name + " (" + column_list(t, 1) + ") VALUES ";
    const auto row_storages = storages(t, 1);
    for (std::size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t i = 1; i < width; ++i) {
        const Cell& c = cells[r * width + i];
        if (i > 1) sql += ", ";
        if (c.null) {
          sql += "NULL";
        } else if (row_storages[i - 1] == Storage::integer) {
          sql += std::to_string(c.i);
        } else if (row_storages[i - 1] == Storage::real) {
          char buf[40];
          std::snprintf(buf, sizeof buf, "'%.17g'::float8", c.d);
          sql += buf;
        } else {
          char* quoted = PQescapeLiteral(pg, c.s.data(), c.s.size());
          if (!quoted) fail(ErrorCode::invalid_argument, t.name + ": " + PQerrorMessage(pg));
          sql += quoted;
          PQfreemem(quoted);
        }
      }
      sql += ")";
    }
    PGresult* res = PQexec(pg, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
      std::string msg = t.name + ": " + first_line(PQresultErrorMessage(res));
      std::string code = state ? state : "";
      PQclear(res);
      fail_pg(code, msg);
    }
    PQclear(res);
    return;
  }
  if (!before.empty()) execute(before);
  if (t.has_personal) {  // sealing works row by row
    for (std::size_t r = 0; r < rows; ++r) insert_row(t, cells.subspan(r * width, width));
    return;
  }
  constexpr std::size_t chunk = 32;  // a few statements in the cache, far below any bind limit
  const auto row_storages = storages(t, 1);
  for (std::size_t first = 0; first < rows; first += chunk) {
    const std::size_t n = std::min(chunk, rows - first);
    std::string sql = "INSERT INTO " + t.name + " (" + column_list(t, 1) + ") VALUES ";
    std::vector<Storage> params;
    std::size_t k = 0;
    for (std::size_t r = 0; r < n; ++r) {
      sql += r ? ", (" : "(";
      for (std::size_t i = 1; i < width; ++i) sql += (i > 1 ? ", :p" : ":p") + std::to_string(++k);
      sql += ")";
      params.insert(params.end(), row_storages.begin(), row_storages.end());
    }
    try {
      auto& p = impl_->prepare(sql, params, {});
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t i = 1; i < width; ++i) {
          const std::size_t at = r * (width - 1) + i - 1;
          copy_cell(cells[(first + r) * width + i], p.params[at], p.param_storage[at]);
        }
      p.load_params();
      p.st->execute(true);
    } catch (...) {
      impl_->forget(sql);
      impl_->rethrow(t.name);
    }
  }
}

bool Store::get_row(const TableInfo& t, Id id, std::vector<Cell>& row) {
  static metrics::Histogram& latency = store_call("get");
  metrics::Timer timer(latency);
  std::string sql = "SELECT " + column_list(t, 0) + " FROM " + t.name + " WHERE id = :p1";
  try {
    auto& p = impl_->prepare(sql, {Storage::integer}, storages(t));
    p.params[0].i = id;
    if (!p.run_single()) return false;
    row.resize(p.results.size());
    for (std::size_t i = 0; i < row.size(); ++i)
      copy_cell(p.results[i], row[i], p.result_storage[i]);
    if (t.has_personal) open_row(impl_->keys, t, row);
    return true;
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name + " " + std::to_string(id));
  }
}

std::int64_t Store::update_row(const TableInfo& t, std::span<const Cell> row,
                               std::int64_t expected_version, std::span<const Cell> before) {
  static metrics::Histogram& latency = store_call("update");
  metrics::Timer timer(latency);
  const auto n = t.columns.size();
  // The columns written: all but id, or (given the row as read) those that differ -- the
  // version always does. Sealed columns are compared as plaintext, so a personal member that did
  // not change is not sealed again either.
  auto same = [](const Cell& a, const Cell& b) {
    return a.null == b.null &&
           (a.null || (a.i == b.i && a.s == b.s && std::memcmp(&a.d, &b.d, sizeof a.d) == 0));
  };
  thread_local std::vector<std::size_t> written;
  written.clear();
  for (std::size_t i = 1; i < n; ++i)
    if (before.size() != n || !same(row[i], before[i])) written.push_back(i);
  std::string sql = "UPDATE " + t.name + " SET ";
  std::vector<Storage> params;
  params.reserve(written.size() + 2);
  const auto all = storages(t, 1);
  for (std::size_t k = 0; k < written.size(); ++k) {
    sql += (k > 0 ? ", " : "") + t.columns[written[k]].name + " = :p" + std::to_string(k + 1);
    params.push_back(all[written[k] - 1]);
  }
  const auto m = written.size();
  sql += " WHERE id = :p" + std::to_string(m + 1) + " AND version = :p" + std::to_string(m + 2);
  params.push_back(Storage::integer);
  params.push_back(Storage::integer);
  try {
    auto& p = impl_->prepare(sql, params, {});
    for (std::size_t k = 0; k < m; ++k) {
      const auto i = written[k];
      copy_cell(row[i], p.params[k], p.param_storage[k]);
      const auto& c = t.columns[i];
      if (c.personal && !p.params[k].null)
        p.params[k].s = need_keys(impl_->keys, t, c).seal(p.params[k].s, context_of(t, c));
    }
    p.params[m] = Cell{row[0].i, 0, {}, false};
    p.params[m + 1] = Cell{expected_version, 0, {}, false};
    p.load_params();
    p.st->execute(true);
    return p.st->get_affected_rows();
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name + " " + std::to_string(row[0].i));
  }
}

std::int64_t Store::delete_row(const TableInfo& t, Id id,
                               std::optional<std::int64_t> expected_version) {
  std::string sql = "DELETE FROM " + t.name + " WHERE id = :p1";
  std::vector<Storage> params{Storage::integer};
  if (expected_version) {
    sql += " AND version = :p2";
    params.push_back(Storage::integer);
  }
  try {
    auto& p = impl_->prepare(sql, params, {});
    p.params[0].i = id;
    if (expected_version) p.params[1].i = *expected_version;
    p.load_params();
    p.st->execute(true);
    return p.st->get_affected_rows();
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name + " " + std::to_string(id));
  }
}

void Store::select_rows(const TableInfo& t, const QuerySpec& q,
                        const std::function<void(std::span<const Cell>)>& sink) {
  static metrics::Histogram& latency = store_call("select");
  metrics::Timer timer(latency);
  std::vector<Param> params;
  std::string sql = render_select(t, q, false, impl_->dialect, params);
  std::vector<Storage> kinds;
  for (const auto& p : params) kinds.push_back(p.storage);
  try {
    auto& p = impl_->prepare(sql, kinds, storages(t));
    for (std::size_t i = 0; i < params.size(); ++i)
      copy_cell(*params[i].cell, p.params[i], kinds[i]);
    p.load_params();
    p.st->execute(false);
    while (p.st->fetch()) {
      p.store_results();
      if (t.has_personal) open_row(impl_->keys, t, p.results);
      sink(p.results);
    }
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name);
  }
}

std::int64_t Store::count_rows(const TableInfo& t, const QuerySpec& q) {
  static metrics::Histogram& latency = store_call("count");
  metrics::Timer timer(latency);
  std::vector<Param> params;
  std::string sql = render_select(t, q, true, impl_->dialect, params);
  std::vector<Storage> kinds;
  for (const auto& p : params) kinds.push_back(p.storage);
  try {
    auto& p = impl_->prepare(sql, kinds, {Storage::integer});
    for (std::size_t i = 0; i < params.size(); ++i)
      copy_cell(*params[i].cell, p.params[i], kinds[i]);
    if (!p.run_single()) fail(ErrorCode::internal, t.name + ": COUNT returned no row");
    return p.results[0].i;
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name);
  }
}

void Store::put_row(const TableInfo& t, std::span<const Cell> row) {
  std::string sql = "INSERT INTO " + t.name + " (" + column_list(t, 0) + ") VALUES (";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    sql += (i > 0 ? ", :p" : ":p") + std::to_string(i + 1);
  sql += ")";
  try {
    auto& p = impl_->prepare(sql, storages(t), {});
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      copy_cell(row[i], p.params[i], p.param_storage[i]);
    if (t.has_personal) seal_params(impl_->keys, t, p.params, 0);
    p.load_params();
    p.st->execute(true);
  } catch (...) {
    impl_->forget(sql);
    impl_->rethrow(t.name + " " + std::to_string(row[0].i));
  }
}

void Store::reset_id_sequence(const TableInfo& t) {
  if (impl_->dialect != Dialect::postgresql) return;
  execute("SELECT setval(pg_get_serial_sequence('" + t.name +
          "', 'id'), COALESCE((SELECT MAX(id) FROM " + t.name + "), 0) + 1, false)");
}

void Store::copy_sqlite_database(const std::string& path) {
  if (impl_->dialect != Dialect::sqlite)
    fail(ErrorCode::unimplemented, "copy_sqlite_database: the store is not SQLite");
  sqlite_api::sqlite3* dest = nullptr;
  auto close = [&] {
    if (dest) sqlite_api::sqlite3_close(dest);
  };
  if (sqlite_api::sqlite3_open(path.c_str(), &dest) != 0) {
    std::string msg = dest ? sqlite_api::sqlite3_errmsg(dest) : "out of memory";
    close();
    fail(ErrorCode::unavailable, "cannot create " + path + ": " + msg);
  }
  auto* b = sqlite_api::sqlite3_backup_init(dest, "main", native_sqlite(impl_->sql), "main");
  if (!b) {
    std::string msg = sqlite_api::sqlite3_errmsg(dest);
    close();
    fail(ErrorCode::internal, "backup of " + impl_->url + ": " + msg);
  }
  // One step copies everything under one read snapshot: consistent, and in WAL mode writers
  // carry on meanwhile.
  int rc = sqlite_api::sqlite3_backup_step(b, -1);
  sqlite_api::sqlite3_backup_finish(b);
  std::string msg = sqlite_api::sqlite3_errmsg(dest);
  close();
  if (rc != 101 /* SQLITE_DONE */)
    fail(rc == 5 || rc == 6 ? ErrorCode::unavailable : ErrorCode::internal,
         "backup of " + impl_->url + " to " + path + ": " + msg);
}

}  // namespace houqin::store
