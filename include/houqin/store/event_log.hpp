// The durable event log (houqin_event): every DurableEvent a transaction publishes is written as
// one row in that transaction, just before its COMMIT, so an event exists if and only if its
// change committed (a rolled-back savepoint's events are never written). Rows are numbered in
// commit order: SQLite has one writer at a time, and on PostgreSQL the writer takes a
// transaction-level advisory lock before it inserts, so a transaction that commits later always
// has larger sequence numbers than every one that committed before it. Readers (the consumers of
// houqin/host) keep the last sequence they handled and read what follows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/events.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::store {

/// One row of the log.
struct StoredEvent {
  Id id = 0;  // the sequence: increasing in commit order, never given out twice (not gap-free)
  std::int64_t version = 0;
  std::string type;       // json::schema_name of the event: "repair.WorkOrderReported"
  std::string aggregate;  // the table of what it is about: "repair_work_order"
  Id aggregate_id = 0;
  Timestamp time{};    // the store's clock when the transaction committed
  std::string actor;   // who caused it, when the publisher said so
  json::Json payload;  // the event's JSON form
};
BOOST_DESCRIBE_STRUCT(StoredEvent, (),
                      (id, version, type, aggregate, aggregate_id, time, actor, payload))

/// The channel PostgreSQL writers NOTIFY after writing events (consumers LISTEN on it). The
/// payload is the writer's schema (`current_schema()`): one database may hold several stores.
inline constexpr std::string_view event_channel = "houqin_event";

/// Writes entries to the log in the current transaction (a Store does this itself at commit;
/// exposed for tools that copy events). On PostgreSQL it first takes the log's advisory lock and
/// afterwards queues a NOTIFY on event_channel, both released/sent when the transaction ends.
HOUQIN_EXPORT void append_events(Store& store, std::span<const EventEntry* const> entries);

/// Up to `limit` events with a sequence above `after`, in sequence order.
HOUQIN_EXPORT std::vector<StoredEvent> read_events(Store& store, std::int64_t after,
                                                   std::size_t limit);
/// The largest sequence written so far (0 when the log is empty or absent).
HOUQIN_EXPORT std::int64_t last_event_seq(Store& store);

/// Creates the log's table if it is missing (store::migrate calls it; so does the first write of a
/// handle, for stores that were never migrated).
HOUQIN_EXPORT void ensure_event_log(Store& store);

}  // namespace houqin::store

template <>
struct houqin::entity_traits<houqin::store::StoredEvent> {
  static constexpr std::string_view table = "houqin_event";
  static constexpr std::string_view collection = "events";
  static constexpr bool ids_never_reused = true;
};

// Instantiated once, in libhouqin (src/store/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::store::StoredEvent)
