// Every table the library (and a host that registers its own) stores, known at load time, so
// whole-database tools -- backup and restore, key rotation, integrity checks -- work on all
// domains without a list kept by hand. Domains register their entities once, beside them:
//
//   const bool registered = store::register_tables<Campus, Building, Floor>("site");
//
// Tables that are not entities (no id column, a key of their own, blobs: a domain's own storage
// layout such as telemetry's compressed blocks) are registered with their columns instead:
//
//   const bool raw = store::register_raw_table("telemetry", {"telemetry_rollup_1m", {...}, {...}});
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "houqin/store/schema.hpp"

namespace houqin::store {

class Store;

struct CatalogEntry {
  std::string domain;
  const TableInfo* table = nullptr;
};

HOUQIN_EXPORT void register_table(std::string domain, const TableInfo& table);

template <Entity... Ts>
bool register_tables(std::string domain) {
  (register_table(domain, table_info<Ts>()), ...);
  return true;
}

/// Every registered table, each after the tables it references (then by name): the order to
/// insert in; delete in reverse.
HOUQIN_EXPORT std::vector<CatalogEntry> catalog();

// ---- tables that are not entities ------------------------------------------------------------

/// A raw table's column kinds. Cells carry integers in Cell::i, reals in Cell::d and blobs as
/// bytes in Cell::s.
enum class RawType { integer, real, blob };

struct RawColumn {
  std::string name;
  RawType type = RawType::integer;
  bool nullable = false;
};

/// A table its domain creates and writes itself (its DDL stays in the domain's migrations), known
/// to whole-database tools by its columns and key.
struct RawTable {
  std::string name;
  std::vector<RawColumn> columns;
  std::vector<std::string> key;  // the primary key's columns: rows are read in this order
  /// Restore calls this inside its transaction, after emptying the table in `target` and before
  /// writing the rows read from `source` (e.g. to create the PostgreSQL partitions they need).
  std::function<void(Store& source, Store& target)> before_restore;
};

struct RawCatalogEntry {
  std::string domain;
  const RawTable* table = nullptr;
};

/// Registers (or replaces) a raw table; returns true, for static initializers.
HOUQIN_EXPORT bool register_raw_table(std::string domain, RawTable table);
/// Every registered raw table, by name.
HOUQIN_EXPORT std::vector<RawCatalogEntry> raw_catalog();

/// Streams every row of a raw table in key order to `sink` (cells in column order), through the
/// store's native connection. Must not be called back into from `sink`.
HOUQIN_EXPORT void select_raw(Store& store, const RawTable& table,
                              const std::function<void(std::span<const Cell>)>& sink);
/// Inserts rows (cells as select_raw gives them) with one statement prepared once.
class HOUQIN_EXPORT RawWriter {
 public:
  RawWriter(Store& store, const RawTable& table);
  ~RawWriter();
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;
  void put(std::span<const Cell> row);

 private:
  Store& store_;
  const RawTable& table_;
  void* statement_ = nullptr;  // sqlite3_stmt* on SQLite
  std::string name_;           // the prepared statement's name on PostgreSQL
  std::vector<std::string> text_;
};
/// CREATE TABLE IF NOT EXISTS for a copy of the table (a backup file): the columns and the key,
/// nothing of the domain's own layout (partitions, WITHOUT ROWID).
HOUQIN_EXPORT std::string create_raw_table_sql(const RawTable& table, Dialect dialect);

}  // namespace houqin::store
