#include "houqin/protect/backup.hpp"

#include <signal.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <functional>
#include <set>
#include <span>

#include "crypto/sodium.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::protect {
namespace {

/// The manifest, stored in the backup file itself.
struct BackupTable {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;
  std::int64_t rows = 0;
  std::string checksum;
};
struct BackupMeta {
  Id id = 0;
  std::int64_t version = 0;
  std::string key;
  std::string value;
};
BOOST_DESCRIBE_STRUCT(BackupTable, (), (id, version, name, rows, checksum))
BOOST_DESCRIBE_STRUCT(BackupMeta, (), (id, version, key, value))

}  // namespace
}  // namespace houqin::protect

template <>
struct houqin::entity_traits<houqin::protect::BackupTable> {
  static constexpr std::string_view table = "houqin_backup_tables";
  static constexpr std::string_view collection = "tables";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};
template <>
struct houqin::entity_traits<houqin::protect::BackupMeta> {
  static constexpr std::string_view table = "houqin_backup_meta";
  static constexpr std::string_view collection = "meta";
  static constexpr std::array<std::string_view, 1> unique{"key"};
};

namespace houqin::protect {
namespace {

using store::Repository;
using store::Store;
using store::TableInfo;

/// Runs the permission check as an audited call: a denial is recorded and thrown.
void authorize(Store& s, const auth::Actor& actor, const std::string& action,
               std::string_view permission) {
  audit::audited(s, actor, action, [&](audit::Call& call) {
    call.quiet();
    call.require(permission);
  });
}

/// Records what a whole-database tool did (or why it failed) in the audit log.
void note(Store& s, const auth::Actor& actor, const char* action, audit::Outcome outcome,
          std::string detail) {
  audit::append(s, actor, {action, "", std::nullopt, outcome, std::move(detail), {}, {}});
}

/// How much a manifest holds: "12 tables, 3400 rows".
std::string extent(const Manifest& m) {
  std::int64_t rows = 0;
  for (const auto& [n, t] : m.tables) rows += t.rows;
  return std::to_string(m.tables.size()) + " tables, " + std::to_string(rows) + " rows";
}

constexpr std::string_view scratch_prefix = "houqin-restore-";

/// Removes the scratch copies (and their -wal, -shm, -journal) of processes that are gone: a
/// process killed while it verified or restored a backup leaves its copy behind, one backup's
/// size each time, which nothing else would ever remove.
void sweep_scratch(const std::filesystem::path& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(scratch_prefix, 0) != 0) continue;
    // Whatever else sits in a shared temporary folder is skipped, never an error.
    pid_t pid = 0;
    const char* first = name.data() + scratch_prefix.size();
    const char* last = name.data() + name.size();
    const auto [stop, ec_pid] = std::from_chars(first, last, pid);
    if (ec_pid != std::errc{} || stop == first || stop == last || *stop != '-') continue;
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
      continue;  // its process is alive (or not ours to judge)
    std::error_code ignored;
    std::filesystem::remove(it->path(), ignored);
  }
}

/// A private copy of the backup file, so nothing changes it between verifying and reading and
/// opening it never writes to the original. Named by this process, so that the next one can
/// remove it if this process dies before it does.
struct Scratch {
  std::filesystem::path path;
  std::unique_ptr<Store> store;
  explicit Scratch(const std::filesystem::path& file) {
    const auto dir = std::filesystem::temp_directory_path();
    sweep_scratch(dir);
    path = dir / (std::string(scratch_prefix) + std::to_string(::getpid()) + "-" +
                  crypto::to_hex(crypto::random_bytes(8)) + ".sqlite");
    std::filesystem::copy_file(file, path);
  }
  ~Scratch() {
    store.reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path.string() + suffix, ec);
  }
};

/// The manifest's members but its tables, as rows of houqin_backup_meta named after them: a
/// value is its JSON form, a string without quotes (what format 1 has always written).
std::vector<BackupMeta> meta_rows(const Manifest& m) {
  std::vector<BackupMeta> out;
  for_each_member<Manifest>([&](const char* name, auto pointer) {
    using M = std::remove_cvref_t<decltype(m.*pointer)>;
    if constexpr (!is_string_map<M>::value) {  // the tables have houqin_backup_tables
      const json::Json j = json::to_json(m.*pointer);
      BackupMeta row{0, 0, name, {}};
      row.value = j.is_string() ? j.get_ref<const std::string&>() : j.dump();
      out.push_back(std::move(row));
    }
  });
  return out;
}

/// The member of `m` a houqin_backup_meta row names; a key it does not know is left alone (a
/// newer writer's addition). A value that does not decode is Error(invalid_argument) naming it.
void read_meta(Manifest& m, const BackupMeta& meta) {
  for_each_member<Manifest>([&](const char* name, auto pointer) {
    using M = std::remove_cvref_t<decltype(m.*pointer)>;
    if constexpr (!is_string_map<M>::value) {
      if (meta.key != name) return;
      auto j = std::is_arithmetic_v<M> ? json::parse(meta.value, name) : json::Json(meta.value);
      m.*pointer = json::from_json<M>(j, name);
    }
  });
}

Manifest check(Store& bs, const std::string& name) {
  auto bad = [&](const std::string& what) {
    fail(ErrorCode::data_loss, "backup " + name + ": " + what);
  };
  if (!bs.table_exists("houqin_backup_meta") || !bs.table_exists("houqin_backup_tables"))
    bad("not a houqin backup (no manifest)");
  Manifest m;
  for (const auto& meta : Repository<BackupMeta>(bs).find()) read_meta(m, meta);
  if (m.format_version != 1)
    fail(ErrorCode::failed_precondition, "backup " + name + ": format " +
                                             std::to_string(m.format_version) +
                                             " is newer than this houqin reads (1)");
  std::map<std::string, std::function<TableSummary()>> known;
  for (const auto& e : store::catalog())
    known[e.table->name] = [&bs, t = e.table] { return summarize_table(bs, *t); };
  for (const auto& e : store::raw_catalog())
    known[e.table->name] = [&bs, t = e.table] { return summarize_raw_table(bs, *t); };
  for (const auto& t : Repository<BackupTable>(bs).find()) {
    auto it = known.find(t.name);
    if (it == known.end())
      fail(ErrorCode::failed_precondition,
           "backup " + name + ": table " + t.name + " is unknown to this houqin (newer version?)");
    if (!bs.table_exists(t.name)) bad("table " + t.name + " is missing");
    auto now = it->second();
    if (now.rows != t.rows)
      bad("table " + t.name + " has " + std::to_string(now.rows) + " rows, the manifest says " +
          std::to_string(t.rows) + " (corrupt or truncated)");
    if (now.checksum != t.checksum)
      bad("table " + t.name + " does not match its checksum (corrupt or changed)");
    m.tables[t.name] = {t.rows, t.checksum};
  }
  if (m.tables.count("audit_log")) {
    auto v = audit::verify_chain(bs);
    if (!v.ok) bad("audit chain broken: " + v.problem);
  }
  return m;
}

/// check() with every database error about the file reported as data_loss naming it.
Manifest check_file(Scratch& scratch, const std::filesystem::path& file) {
  try {
    scratch.store = Store::open("sqlite:" + scratch.path.string());
    return check(*scratch.store, file.string());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::failed_precondition) throw;
    auto msg = std::string(e.what());
    if (msg.rfind("backup ", 0) == 0) throw;
    fail(ErrorCode::data_loss, "backup " + file.string() + ": unreadable (" + msg + ")");
  }
}

}  // namespace

namespace {

/// How a cell enters a table's checksum: integers and reals as 64-bit integers (reals by their
/// bits), text and blobs as their bytes, NULL as "N" -- the same on both dialects.
enum class Hashed { integer, real, bytes };

void hash_row(crypto::Blake2b& h, std::span<const store::Cell> row,
              const std::function<Hashed(std::size_t)>& kind_of) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    const auto& c = row[i];
    if (c.null) {
      h.field("N");
      continue;
    }
    switch (kind_of(i)) {
      case Hashed::integer:
        h.field(static_cast<std::int64_t>(c.i));
        break;
      case Hashed::real:
        h.field(std::bit_cast<std::int64_t>(c.d));
        break;
      case Hashed::bytes:
        h.field(c.s);
        break;
    }
  }
}

}  // namespace

TableSummary summarize_table(Store& s, const TableInfo& table) {
  TableSummary out;
  crypto::Blake2b h(32);
  h.field(table.name);
  auto t = store::as_stored(table);
  auto kind_of = [&](std::size_t i) {
    switch (store::storage_of(t.columns[i].type)) {
      case store::Storage::integer:
        return Hashed::integer;
      case store::Storage::real:
        return Hashed::real;
      case store::Storage::text:
        break;
    }
    return Hashed::bytes;
  };
  s.select_rows(t, store::by_id(), [&](std::span<const store::Cell> row) {
    ++out.rows;
    hash_row(h, row, kind_of);
  });
  out.checksum = crypto::to_hex(h.final());
  return out;
}

TableSummary summarize_raw_table(Store& s, const store::RawTable& table) {
  // The same hashing as summarize_table, blobs as their bytes: equal on both dialects.
  TableSummary out;
  crypto::Blake2b h(32);
  h.field(table.name);
  auto kind_of = [&](std::size_t i) {
    switch (table.columns[i].type) {
      case store::RawType::integer:
        return Hashed::integer;
      case store::RawType::real:
        return Hashed::real;
      case store::RawType::blob:
        break;
    }
    return Hashed::bytes;
  };
  store::select_raw(s, table, [&](std::span<const store::Cell> row) {
    ++out.rows;
    hash_row(h, row, kind_of);
  });
  out.checksum = crypto::to_hex(h.final());
  return out;
}

Manifest backup(Store& store, const auth::Actor& actor, const std::filesystem::path& file,
                const Progress& progress) {
  authorize(store, actor, "protect.backup", "protect.backup");
  try {
    if (std::filesystem::exists(file))
      fail(ErrorCode::already_exists, "backup " + file.string() + ": the file exists");
    auto partial = file.string() + ".partial";
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(partial + suffix);
    auto entries = store::catalog();
    auto raws = store::raw_catalog();
    const std::size_t total = entries.size() + raws.size();
    Manifest m;
    m.source = store.url();
    m.dialect = store.dialect() == store::Dialect::sqlite ? "sqlite" : "postgresql";
    m.created_at = store.clock().now();
    {
      std::unique_ptr<Store> out;
      if (store.dialect() == store::Dialect::sqlite) {
        store.copy_sqlite_database(partial);
        out = Store::open("sqlite:" + partial);
      } else {
        out = Store::open("sqlite:" + partial);
        // One snapshot for every table: what writers commit meanwhile is simply not in it.
        store.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          store::Transaction tx(*out);
          std::size_t done = 0;
          for (const auto& e : entries) {
            if (progress) progress(e.table->name, done++, total);
            if (!store.table_exists(e.table->name)) continue;
            auto t = store::as_stored(*e.table);
            for (const auto& sql : store::create_table_sql(t, store::Dialect::sqlite))
              out->execute(sql);
            store.select_rows(t, store::by_id(),
                              [&](std::span<const store::Cell> row) { out->put_row(t, row); });
          }
          for (const auto& e : raws) {
            if (progress) progress(e.table->name, done++, total);
            if (!store.table_exists(e.table->name)) continue;
            out->execute(store::create_raw_table_sql(*e.table, store::Dialect::sqlite));
            store::RawWriter writer(*out, *e.table);
            store::select_raw(store, *e.table,
                              [&](std::span<const store::Cell> row) { writer.put(row); });
          }
          tx.commit();
          store.execute("COMMIT");
        } catch (...) {
          store.execute("ROLLBACK");
          throw;
        }
      }
      store::Transaction tx(*out);
      store::create_table<BackupTable>(*out);
      store::create_table<BackupMeta>(*out);
      std::size_t done = 0;
      for (const auto& e : entries) {
        if (progress) progress(e.table->name, done++, total);
        if (!out->table_exists(e.table->name)) continue;
        auto sum = summarize_table(*out, *e.table);
        BackupTable row{0, 0, e.table->name, sum.rows, sum.checksum};
        Repository<BackupTable>(*out).insert(row);
        m.tables[e.table->name] = sum;
      }
      for (const auto& e : raws) {  // tables that are not entities (telemetry blocks ...)
        if (progress) progress(e.table->name, done++, total);
        if (!out->table_exists(e.table->name)) continue;
        auto sum = summarize_raw_table(*out, *e.table);
        BackupTable row{0, 0, e.table->name, sum.rows, sum.checksum};
        Repository<BackupTable>(*out).insert(row);
        m.tables[e.table->name] = sum;
      }
      for (auto meta : meta_rows(m)) Repository<BackupMeta>(*out).insert(meta);
      tx.commit();
      out->execute("PRAGMA journal_mode = DELETE");  // one self-contained file
    }
    std::filesystem::rename(partial, file);
    if (progress) progress("", total, total);
    note(store, actor, "protect.backup", audit::Outcome::success,
         "backup " + file.string() + ": " + extent(m));
    return m;
  } catch (const Error& e) {
    note(store, actor, "protect.backup", audit::Outcome::failed, e.what());
    throw;
  }
}

Manifest verify_backup(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file))
    fail(ErrorCode::not_found, "backup " + file.string() + ": no such file");
  Scratch scratch(file);
  return check_file(scratch, file);
}

Manifest verify_backup(Store& store, const auth::Actor& actor, const std::filesystem::path& file) {
  authorize(store, actor, "protect.verify_backup", "protect.backup");
  try {
    auto m = verify_backup(file);
    note(store, actor, "protect.verify_backup", audit::Outcome::success,
         "backup " + file.string() + " of " + format_timestamp(m.created_at) + ": " + extent(m) +
             ", every checksum and the audit chain match");
    return m;
  } catch (const Error& e) {
    note(store, actor, "protect.verify_backup", audit::Outcome::failed, e.what());
    throw;
  }
}

Manifest restore(Store& store, const auth::Actor& actor, const std::filesystem::path& file,
                 const Progress& progress) {
  authorize(store, actor, "protect.restore", "protect.restore");
  try {
    if (!std::filesystem::exists(file))
      fail(ErrorCode::not_found, "backup " + file.string() + ": no such file");
    Scratch scratch(file);
    auto m = check_file(scratch, file);
    Store& bs = *scratch.store;

    // The same schema on both sides, or rows would not fit.
    auto key = [](const store::AppliedMigration& a) {
      return a.domain + " migration " + std::to_string(a.version);
    };
    std::set<std::string> theirs, ours;
    for (const auto& a : store::applied_migrations(bs)) theirs.insert(key(a));
    for (const auto& a : store::applied_migrations(store)) ours.insert(key(a));
    for (const auto& k : theirs)
      if (!ours.count(k))
        fail(ErrorCode::failed_precondition,
             "restore: the backup has " + k + ", the target does not (migrate it first)");
    for (const auto& k : ours)
      if (!theirs.count(k))
        fail(ErrorCode::failed_precondition,
             "restore: the target has " + k + ", the backup does not (an older backup)");

    std::vector<store::CatalogEntry> entries;
    for (const auto& e : store::catalog())
      if (e.domain != "store" && m.tables.count(e.table->name)) entries.push_back(e);
    std::vector<store::RawCatalogEntry> raws;
    for (const auto& e : store::raw_catalog())
      if (m.tables.count(e.table->name)) raws.push_back(e);
    const std::size_t total = entries.size() + raws.size();
    std::int64_t rows = 0;
    {
      store::Transaction tx(store);
      if (m.tables.count("audit_log")) audit::suspend_guards(store);
      for (auto it = entries.rbegin(); it != entries.rend(); ++it)
        store.execute("DELETE FROM " + it->table->name);
      for (const auto& e : raws) store.execute("DELETE FROM " + e.table->name);
      std::size_t done = 0;
      for (const auto& e : entries) {
        if (progress) progress(e.table->name, done++, total);
        auto t = store::as_stored(*e.table);
        // A row may reference a later row of its own table (a department's parent): such
        // columns go in empty first and are filled once every row is there.
        std::vector<std::size_t> self;
        for (const auto& fk : t.references)
          if (fk.table == t.name && t.columns[t.column_index(fk.column)].nullable)
            self.push_back(t.column_index(fk.column));
        std::vector<std::vector<store::Cell>> later;
        bs.select_rows(t, store::by_id(), [&](std::span<const store::Cell> row) {
          ++rows;
          if (self.empty()) {
            store.put_row(t, row);
            return;
          }
          std::vector<store::Cell> copy(row.begin(), row.end());
          bool deferred = false;
          for (auto i : self)
            if (!copy[i].null) {
              deferred = true;
              copy[i].null = true;
            }
          store.put_row(t, copy);
          if (deferred) later.emplace_back(row.begin(), row.end());
        });
        const auto version = t.column_index("version");
        for (const auto& row : later) store.update_row(t, row, row[version].i);
        store.reset_id_sequence(t);
      }
      for (const auto& e : raws) {
        if (progress) progress(e.table->name, done++, total);
        if (e.table->before_restore) e.table->before_restore(bs, store);
        store::RawWriter writer(store, *e.table);
        store::select_raw(bs, *e.table, [&](std::span<const store::Cell> row) {
          ++rows;
          writer.put(row);
        });
      }
      if (m.tables.count("audit_log")) audit::restore_guards(store);
      tx.commit();
    }
    if (progress) progress("", total, total);
    note(store, actor, "protect.restore", audit::Outcome::success,
         "restored " + std::to_string(total) + " tables, " + std::to_string(rows) + " rows from " +
             file.string() + " (made " + format_timestamp(m.created_at) + " from " + m.source +
             ")");
    return m;
  } catch (const Error& e) {
    note(store, actor, "protect.restore", audit::Outcome::failed, e.what());
    throw;
  }
}

}  // namespace houqin::protect
