// Versioned, forward-only schema migrations. Each domain owns a numbered list; migrate() applies
// the ones not yet recorded in houqin_migrations, each in its own transaction together with its
// record, so a failed migration leaves nothing half-done and re-running is always safe.
// Tables come from the entity descriptions (create_table<T>); a member added later gets its own
// migration (add_column), which skips itself on a database whose table already has the column.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "houqin/store/schema.hpp"
#include "houqin/store/store.hpp"

namespace houqin::store {

struct Migration {
  std::string domain;  // e.g. "site"
  int version = 0;     // 1, 2, 3 ... within the domain, never reused
  std::string description;
  std::function<void(Store&)> apply;
};

struct AppliedMigration {
  std::string domain;
  int version = 0;
  std::string description;
  Timestamp applied_at;
};
BOOST_DESCRIBE_STRUCT(AppliedMigration, (), (domain, version, description, applied_at))

/// Applies pending migrations domain by domain, in the order the domains first appear in the
/// list (put a domain after the domains its tables reference), each by version; returns how many
/// ran. Versions of one
/// domain must be unique and ascending from 1 (Error(invalid_argument) otherwise).
HOUQIN_EXPORT int migrate(Store& store, std::span<const Migration> migrations);
HOUQIN_EXPORT std::vector<AppliedMigration> applied_migrations(Store& store);

/// Creates T's table and indexes if they do not exist.
template <Entity T>
void create_table(Store& store) {
  for (const auto& sql : create_table_sql(table_info<T>(), store.dialect())) store.execute(sql);
}

/// Adds the column for `member` to T's table unless it is already there.
HOUQIN_EXPORT void add_column(Store& store, const TableInfo& table, std::string_view column);
template <Entity T, class M>
void add_column(Store& store, M T::*member) {
  add_column(store, table_info<T>(), member_name(member));
}

}  // namespace houqin::store
