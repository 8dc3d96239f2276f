// The event log: rows written at commit by the Store, read by consumers (see event_log.hpp).
#include "houqin/store/event_log.hpp"

#include "houqin/store/catalog.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::store {
namespace {

// In backups and the integrity checks like every other table.
[[maybe_unused]] const bool event_log_registered = register_tables<StoredEvent>("store");

/// The transaction-level advisory lock that orders writers on PostgreSQL (key "hqev"), and the
/// NOTIFY that PostgreSQL delivers to listeners when the transaction commits: one round trip.
/// The channel is the database's; the payload names the writer's schema, so that a listener on
/// one schema is not woken by the commits of another in the same database.
constexpr std::string_view order_lock_and_notify =
    "SELECT pg_advisory_xact_lock(1752188278), pg_notify('houqin_event', current_schema())";
static_assert(event_channel == "houqin_event");

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
  // One multi-row INSERT for the transaction's events (their ids are the log's business), on
  // PostgreSQL in the same round trip as the lock and the NOTIFY.
  const TableInfo& t = table_info<StoredEvent>();
  const std::size_t width = t.columns.size();
  std::vector<Cell> cells(width * entries.size());
  const Timestamp now = store.clock().now();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const EventEntry* e = entries[i];
    StoredEvent row{0, 1, e->type, e->aggregate, e->aggregate_id, now, e->actor, e->payload};
    encode_row(row, std::span<Cell>(cells).subspan(i * width, width));
  }
  store.insert_rows(t, cells, store.dialect() == Dialect::postgresql ? order_lock_and_notify : "");
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
