#include "houqin/store/catalog.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "houqin/core/error.hpp"
#include "houqin/store/store.hpp"

namespace houqin::store {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, CatalogEntry> by_table;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_table(std::string domain, const TableInfo& table) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.by_table[table.name] = CatalogEntry{std::move(domain), &table};
}

std::vector<CatalogEntry> catalog() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<CatalogEntry> out;
  std::set<std::string> placed;
  // Repeatedly place tables whose references are placed (or unknown, or themselves).
  while (out.size() < r.by_table.size()) {
    bool progress = false;
    for (const auto& [name, entry] : r.by_table) {
      if (placed.count(name)) continue;
      bool ready = std::all_of(
          entry.table->references.begin(), entry.table->references.end(), [&](const auto& fk) {
            return fk.table == name || placed.count(fk.table) || !r.by_table.count(fk.table);
          });
      if (!ready) continue;
      out.push_back(entry);
      placed.insert(name);
      progress = true;
    }
    if (!progress)  // a cycle between tables: place the rest by name
      for (const auto& [name, entry] : r.by_table)
        if (placed.insert(name).second) out.push_back(entry);
  }
  return out;
}

}  // namespace houqin::store

// ---- raw tables -----------------------------------------------------------------------------

namespace houqin::store {
namespace {

struct RawRegistry {
  std::mutex mutex;
  std::map<std::string, std::pair<std::string, std::unique_ptr<RawTable>>> by_table;
};

RawRegistry& raw_registry() {
  static RawRegistry r;
  return r;
}

std::string column_names(const RawTable& t) {
  std::string out;
  for (const auto& c : t.columns) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

[[noreturn]] void fail_raw(Store& s, const RawTable& t, const std::string& what) {
  std::string msg = s.dialect() == Dialect::sqlite
                        ? sqlite3_errmsg(static_cast<sqlite3*>(s.native_handle()))
                        : PQerrorMessage(static_cast<PGconn*>(s.native_handle()));
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  fail(ErrorCode::unavailable, t.name + ": " + what + ": " + msg);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool register_raw_table(std::string domain, RawTable table) {
  auto& r = raw_registry();
  std::lock_guard lock(r.mutex);
  auto name = table.name;
  r.by_table[name] = {std::move(domain), std::make_unique<RawTable>(std::move(table))};
  return true;
}

std::vector<RawCatalogEntry> raw_catalog() {
  auto& r = raw_registry();
  std::lock_guard lock(r.mutex);
  std::vector<RawCatalogEntry> out;
  for (const auto& [name, entry] : r.by_table) out.push_back({entry.first, entry.second.get()});
  return out;
}

std::string create_raw_table_sql(const RawTable& t, Dialect dialect) {
  bool pg = dialect == Dialect::postgresql;
  std::string sql = "CREATE TABLE IF NOT EXISTS " + t.name + " (";
  for (const auto& c : t.columns) {
    sql += c.name + " ";
    switch (c.type) {
      case RawType::integer:
        sql += pg ? "BIGINT" : "INTEGER";
        break;
      case RawType::real:
        sql += pg ? "DOUBLE PRECISION" : "REAL";
        break;
      case RawType::blob:
        sql += pg ? "BYTEA" : "BLOB";
        break;
    }
    if (!c.nullable) sql += " NOT NULL";
    sql += ", ";
  }
  std::string key;
  for (const auto& k : t.key) key += (key.empty() ? "" : ", ") + k;
  return sql + "PRIMARY KEY (" + key + "))";
}

void select_raw(Store& s, const RawTable& t,
                const std::function<void(std::span<const Cell>)>& sink) {
  std::string order;
  for (const auto& k : t.key) order += (order.empty() ? "" : ", ") + k;
  std::string sql = "SELECT " + column_names(t) + " FROM " + t.name + " ORDER BY " + order;
  std::vector<Cell> row(t.columns.size());
  if (s.dialect() == Dialect::sqlite) {
    auto* db = static_cast<sqlite3*>(s.native_handle());
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      fail_raw(s, t, "reading");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        auto col = static_cast<int>(i);
        Cell& c = row[i];
        c.null = sqlite3_column_type(st, col) == SQLITE_NULL;
        c.i = 0;
        c.d = 0;
        c.s.clear();
        if (c.null) continue;
        switch (t.columns[i].type) {
          case RawType::integer:
            c.i = sqlite3_column_int64(st, col);
            break;
          case RawType::real:
            c.d = sqlite3_column_double(st, col);
            break;
          case RawType::blob: {
            const void* p = sqlite3_column_blob(st, col);
            c.s.assign(static_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(st, col)));
            break;
          }
        }
      }
      try {
        sink(row);
      } catch (...) {
        sqlite3_finalize(st);
        throw;
      }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) fail_raw(s, t, "reading");
    return;
  }
  auto* conn = static_cast<PGconn*>(s.native_handle());
  if (!PQsendQuery(conn, sql.c_str()) || !PQsetSingleRowMode(conn)) fail_raw(s, t, "reading");
  std::string error;
  std::exception_ptr thrown;
  while (PGresult* r = PQgetResult(conn)) {
    auto status = PQresultStatus(r);
    if (status == PGRES_SINGLE_TUPLE && !thrown && error.empty()) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        auto col = static_cast<int>(i);
        Cell& c = row[i];
        c.null = PQgetisnull(r, 0, col);
        c.i = 0;
        c.d = 0;
        c.s.clear();
        if (c.null) continue;
        const char* v = PQgetvalue(r, 0, col);
        switch (t.columns[i].type) {
          case RawType::integer:
            c.i = std::strtoll(v, nullptr, 10);
            break;
          case RawType::real:
            c.d = std::strtod(v, nullptr);  // PostgreSQL 12+ prints the shortest exact form
            break;
          case RawType::blob: {  // bytea_output = hex: \x0a1b...
            std::size_t n = std::strlen(v);
            if (n < 2 || v[0] != '\\' || v[1] != 'x') {
              error = "column " + t.columns[i].name + ": bytea not in hex output";
              break;
            }
            c.s.resize((n - 2) / 2);
            for (std::size_t k = 0; k < c.s.size(); ++k)
              c.s[k] = static_cast<char>(hex_digit(v[2 + 2 * k]) * 16 + hex_digit(v[3 + 2 * k]));
            break;
          }
        }
      }
      if (error.empty()) {
        try {
          sink(row);
        } catch (...) {
          thrown = std::current_exception();
        }
      }
    } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && error.empty()) {
      error = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  if (thrown) std::rethrow_exception(thrown);
  if (!error.empty()) {
    if (auto nl = error.find('\n'); nl != std::string::npos) error.resize(nl);
    fail(ErrorCode::unavailable, t.name + ": reading: " + error);
  }
}

RawWriter::RawWriter(Store& s, const RawTable& t) : store_(s), table_(t) {
  std::string sql = "INSERT INTO " + t.name + " (" + column_names(t) + ") VALUES (";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    sql += (i ? ", " : "") + std::string(s.dialect() == Dialect::sqlite ? "?" : "$") +
           std::to_string(i + 1);
  sql += ")";
  if (s.dialect() == Dialect::sqlite) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(static_cast<sqlite3*>(s.native_handle()), sql.c_str(), -1, &st,
                           nullptr) != SQLITE_OK)
      fail_raw(s, t, "preparing the insert");
    statement_ = st;
    return;
  }
  static std::atomic<std::uint64_t> serial{0};
  name_ = "houqin_raw_" + std::to_string(++serial);
  PGresult* r = PQprepare(static_cast<PGconn*>(s.native_handle()), name_.c_str(), sql.c_str(),
                          static_cast<int>(t.columns.size()), nullptr);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) fail(ErrorCode::unavailable, t.name + ": preparing the insert: " + msg);
  text_.resize(t.columns.size());
}

RawWriter::~RawWriter() {
  if (statement_) sqlite3_finalize(static_cast<sqlite3_stmt*>(statement_));
  if (!name_.empty())
    PQclear(PQexec(static_cast<PGconn*>(store_.native_handle()), ("DEALLOCATE " + name_).c_str()));
}

void RawWriter::put(std::span<const Cell> row) {
  const auto& t = table_;
  if (statement_) {
    auto* st = static_cast<sqlite3_stmt*>(statement_);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      int at = static_cast<int>(i + 1);
      const Cell& c = row[i];
      if (c.null) {
        sqlite3_bind_null(st, at);
        continue;
      }
      switch (t.columns[i].type) {
        case RawType::integer:
          sqlite3_bind_int64(st, at, c.i);
          break;
        case RawType::real:
          sqlite3_bind_double(st, at, c.d);
          break;
        case RawType::blob:
          sqlite3_bind_blob(st, at, c.s.data(), static_cast<int>(c.s.size()), SQLITE_TRANSIENT);
          break;
      }
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) fail_raw(store_, t, "writing");
    return;
  }
  std::vector<const char*> values(t.columns.size());
  std::vector<int> lengths(t.columns.size()), formats(t.columns.size());
  char num[64];
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const Cell& c = row[i];
    if (c.null) {
      values[i] = nullptr;
      continue;
    }
    switch (t.columns[i].type) {
      case RawType::integer:
        text_[i] = std::to_string(c.i);
        values[i] = text_[i].c_str();
        break;
      case RawType::real: {
        auto res = std::to_chars(num, num + sizeof num, c.d);  // shortest exact form
        text_[i].assign(num, res.ptr);
        values[i] = text_[i].c_str();
        break;
      }
      case RawType::blob:
        values[i] = c.s.data();
        lengths[i] = static_cast<int>(c.s.size());
        formats[i] = 1;  // binary
        break;
    }
  }
  PGresult* r = PQexecPrepared(static_cast<PGconn*>(store_.native_handle()), name_.c_str(),
                               static_cast<int>(values.size()), values.data(), lengths.data(),
                               formats.data(), 0);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) {
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    fail(msg.find("duplicate key") != std::string::npos ? ErrorCode::already_exists
                                                        : ErrorCode::unavailable,
         t.name + ": writing: " + msg);
  }
}

}  // namespace houqin::store
