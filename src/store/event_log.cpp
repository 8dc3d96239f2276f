// The event log: rows written at commit by the Store, read by consumers (see event_log.hpp).
#include "houqin/store/event_log.hpp"

#include "houqin/store/catalog.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::store {
namespace {

// In backups and the integrity checks like every other table.
[[maybe_unused]] const bool event_log_registered = register_tables<StoredEvent>("store");

/// The key of the transaction-level advisory lock that orders writers on PostgreSQL ("hqev").
constexpr std::string_view order_lock = "SELECT pg_advisory_xact_lock(1752188278)";

/// Per handle: whether the log's table is known to exist (checked once).
const char ready_key = 0;

}  // namespace

void ensure_event_log(Store& store) {
  auto& ready = store.attachment(&ready_key);
  if (ready) return;
  if (!store.table_exists(entity_traits<StoredEvent>::table)) create_table<StoredEvent>(store);
  ready = std::make_shared<bool>(true);
}

void append_events(Store& store, std::span<const EventEntry* const> entries) {
  if (entries.empty()) return;
  ensure_event_log(store);
  const bool pg = store.dialect() == Dialect::postgresql;
  if (pg) store.execute(order_lock);
  Repository<StoredEvent> log(store);
  const Timestamp now = store.clock().now();
  for (const EventEntry* e : entries) {
    StoredEvent row{0, 0, e->type, e->aggregate, e->aggregate_id, now, e->actor, e->payload};
    log.insert(row);
  }
  if (pg) store.execute("NOTIFY " + std::string(event_channel));
}

std::vector<StoredEvent> read_events(Store& store, std::int64_t after, std::size_t limit) {
  if (!store.table_exists(entity_traits<StoredEvent>::table)) return {};
  return Repository<StoredEvent>(store).find(Query<StoredEvent>()
                                                 .where(&StoredEvent::id, Op::gt, after)
                                                 .order_by(&StoredEvent::id)
                                                 .limit(static_cast<std::int64_t>(limit)));
}

std::int64_t last_event_seq(Store& store) {
  if (!store.table_exists(entity_traits<StoredEvent>::table)) return 0;
  auto last = Repository<StoredEvent>(store).find(
      Query<StoredEvent>().order_by(&StoredEvent::id, true).limit(1));
  return last.empty() ? 0 : last.front().id;
}

}  // namespace houqin::store
