#include "houqin/store/migration.hpp"

#include <algorithm>
#include <map>

namespace houqin::store {
namespace {

struct MigrationRecord {
  Id id = 0;
  std::int64_t version = 0;
  std::string domain;
  int number = 0;
  std::string description;
  Timestamp applied_at;
};
BOOST_DESCRIBE_STRUCT(MigrationRecord, (), (id, version, domain, number, description, applied_at))

}  // namespace
}  // namespace houqin::store

template <>
struct houqin::entity_traits<houqin::store::MigrationRecord> {
  static constexpr std::string_view table = "houqin_migrations";
  static constexpr std::string_view collection = "migrations";
  static constexpr std::array<std::string_view, 1> unique{"domain,number"};
};

#include "houqin/store/catalog.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::store {
namespace {
[[maybe_unused]] const bool registered = register_tables<MigrationRecord>("store");
}  // namespace

int migrate(Store& store, std::span<const Migration> migrations) {
  // Check the list before touching the database.
  // Domains run in the order they first appear (a domain's tables may reference earlier ones).
  std::vector<std::pair<std::string, std::vector<const Migration*>>> by_domain;
  for (const auto& m : migrations) {
    if (m.domain.empty() || !m.apply)
      fail(ErrorCode::invalid_argument,
           "migration " + std::to_string(m.version) + " needs a domain and a body");
    auto it = std::find_if(by_domain.begin(), by_domain.end(),
                           [&](const auto& d) { return d.first == m.domain; });
    if (it == by_domain.end()) it = by_domain.insert(by_domain.end(), {m.domain, {}});
    it->second.push_back(&m);
  }
  for (auto& [domain, list] : by_domain) {
    std::stable_sort(list.begin(), list.end(), [](const Migration* a, const Migration* b) {
      return a->version < b->version;
    });
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i]->version != static_cast<int>(i) + 1)
        fail(ErrorCode::invalid_argument,
             "migrations of '" + domain + "' must be numbered 1, 2, 3 ... (found " +
                 std::to_string(list[i]->version) + " at position " + std::to_string(i + 1) + ")");
  }

  create_table<MigrationRecord>(store);
  ensure_event_log(store);  // every migrated store has its event log
  Repository<MigrationRecord> records(store);
  int applied = 0;
  for (const auto& [domain, list] : by_domain) {
    for (const Migration* m : list) {
      Transaction tx(store);
      if (store.dialect() == Dialect::postgresql)  // two processes migrating at once take turns
        store.execute("LOCK TABLE houqin_migrations IN EXCLUSIVE MODE");
      auto done = records.count(Query<MigrationRecord>()
                                    .where(&MigrationRecord::domain, Op::eq, domain)
                                    .where(&MigrationRecord::number, Op::eq, m->version));
      if (done > 0) {
        tx.commit();
        continue;
      }
      try {
        m->apply(store);
      } catch (const Error& e) {
        fail(e.code(), "migration " + domain + " " + std::to_string(m->version) + " (" +
                           m->description + "): " + e.what());
      }
      MigrationRecord rec{0, 0, domain, m->version, m->description, store.clock().now()};
      records.insert(rec);
      tx.commit();
      ++applied;
    }
  }
  return applied;
}

std::vector<AppliedMigration> applied_migrations(Store& store) {
  std::vector<AppliedMigration> out;
  if (!store.table_exists("houqin_migrations")) return out;
  Repository<MigrationRecord> records(store);
  for (auto& r : records.find(Query<MigrationRecord>()
                                  .order_by(&MigrationRecord::domain)
                                  .order_by(&MigrationRecord::number)))
    out.push_back({r.domain, r.number, r.description, r.applied_at});
  return out;
}

void add_column(Store& store, const TableInfo& table, std::string_view column) {
  const auto& c = table.columns[table.column_index(column)];
  if (store.column_exists(table.name, c.name)) return;
  // Existing rows get the member's zero value (see ColumnInfo::zero).
  store.execute("ALTER TABLE " + table.name + " ADD COLUMN " +
                column_definition(c, store.dialect(), true));
}

}  // namespace houqin::store
