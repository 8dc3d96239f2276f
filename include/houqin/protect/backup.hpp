// Backup and restore (备份与恢复). A backup is one portable file -- a SQLite database holding every
// catalogued table plus a manifest of row counts and BLAKE2b checksums -- made consistently while
// writers keep writing: from SQLite with the online backup API, from PostgreSQL inside one
// REPEATABLE READ snapshot. Either restores into either. Personal data stays sealed in the file,
// so a backup is no more readable than the database; restoring needs the same keys.
//
// restore() checks the whole file first -- the manifest, every table's count and checksum, the
// audit chain, the schema versions -- and only then replaces the target's data, in one
// transaction. A corrupt, truncated or foreign file is refused and the target is left as it was.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "houqin/core/actor.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/store.hpp"

namespace houqin::protect {

struct TableSummary {
  std::int64_t rows = 0;
  std::string checksum;  // BLAKE2b-256 hex over the rows in id order
  bool operator==(const TableSummary&) const = default;
};
BOOST_DESCRIBE_STRUCT(TableSummary, (), (rows, checksum))

/// What a backup holds: returned by backup(), verify_backup() and restore(), and stored in the
/// backup file itself (its members by name, tables in a table of their own).
struct Manifest {
  int format_version = 1;
  std::string source;   // the source store's URL (password redacted)
  std::string dialect;  // "sqlite" or "postgresql"
  Timestamp created_at;
  std::map<std::string, TableSummary> tables;  // by table name
};
BOOST_DESCRIBE_STRUCT(Manifest, (), (format_version, source, dialect, created_at, tables))

/// Called as work proceeds: the table in hand, tables done and the total.
using Progress = std::function<void(std::string_view table, std::size_t done, std::size_t total)>;

/// Writes a backup of `store` to `file` (which must not exist); needs protect.backup. Audited.
HOUQIN_EXPORT Manifest backup(store::Store& store, const auth::Actor& actor,
                              const std::filesystem::path& file, const Progress& progress = {});

/// Checks a backup file without touching any store: Error(data_loss) naming what is wrong.
HOUQIN_EXPORT Manifest verify_backup(const std::filesystem::path& file);
/// The same check, recorded in `store`'s audit log (protect.verify_backup, success with what was
/// checked, or failed with what is wrong): the quarterly operation report counts the backups
/// verified. Needs protect.backup.
HOUQIN_EXPORT Manifest verify_backup(store::Store& store, const auth::Actor& actor,
                                     const std::filesystem::path& file);

/// Replaces the data of `store` with the backup's; needs protect.restore. The target must be
/// migrated to the same schema versions as the source (Error(failed_precondition) naming the
/// first difference). The restore itself is appended to the restored audit chain.
HOUQIN_EXPORT Manifest restore(store::Store& store, const auth::Actor& actor,
                               const std::filesystem::path& file, const Progress& progress = {});

/// The count and checksum of one table as stored now (sealed values as they are).
HOUQIN_EXPORT TableSummary summarize_table(store::Store& store, const store::TableInfo& table);
/// The same for a table that is not an entity (store::register_raw_table), rows in key order.
HOUQIN_EXPORT TableSummary summarize_raw_table(store::Store& store, const store::RawTable& table);

}  // namespace houqin::protect
