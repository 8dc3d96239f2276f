// Durable consumers of the event log (store/event_log.hpp): a named reader that handles events in
// commit order from its checkpoint. A handler's store writes and the checkpoint's advance commit
// in one transaction, so its effects on the store happen exactly once, even when the process dies
// mid-batch or two processes run the same consumer (the advance is a compare-and-set on the
// position: the loser rolls back). External effects (SMS, calls, webhooks) use the event's
// sequence as their dedupe key. A handler that throws is retried with backoff; after
// max_attempts the event is parked in houqin_dead_letter and the consumer moves on, so one bad
// event blocks the ones behind it for at most the retry policy's time. An operator replays a
// dead letter once the cause is fixed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/events.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

/// A consumer's checkpoint and retry state (houqin_consumer).
struct ConsumerState {
  Id id = 0;
  std::int64_t version = 0;
  std::string name;
  std::int64_t position = 0;          // the last sequence handled (or parked)
  std::int32_t attempts = 0;          // failed tries of the event after `position`
  std::optional<Timestamp> retry_at;  // not before this, while attempts > 0
  std::string last_error;
  Timestamp updated_at{};
};
BOOST_DESCRIBE_STRUCT(ConsumerState, (),
                      (id, version, name, position, attempts, retry_at, last_error, updated_at))

/// An event a consumer gave up on (houqin_dead_letter).
struct DeadLetter {
  Id id = 0;
  std::int64_t version = 0;
  std::string consumer;
  std::int64_t seq = 0;
  std::string type;
  std::int32_t attempts = 0;
  std::string error;
  Timestamp parked_at{};
  std::optional<Timestamp> replayed_at;  // set when a replay succeeded
  /// An operator asked for a replay (host.replay, from any process); the host holding the
  /// consumer's lease runs it at its next round and clears the request, whatever the outcome.
  std::optional<Timestamp> replay_requested_at;
  std::string replay_requested_by;
};
BOOST_DESCRIBE_STRUCT(DeadLetter, (),
                      (id, version, consumer, seq, type, attempts, error, parked_at, replayed_at,
                       replay_requested_at, replay_requested_by))

/// The tables of consumers and dead letters (domain "host").
HOUQIN_EXPORT std::vector<store::Migration> migrations();

struct RetryPolicy {
  std::int32_t max_attempts = 5;  // then the event is dead-lettered
  std::chrono::milliseconds first_delay{200};
  std::chrono::milliseconds max_delay{std::chrono::seconds(30)};
  /// The wait before try n+1 after n failures: first_delay * 2^(n-1), at most max_delay.
  HOUQIN_EXPORT std::chrono::milliseconds delay_after(std::int32_t failures) const;
};
BOOST_DESCRIBE_STRUCT(RetryPolicy, (), (max_attempts, first_delay, max_delay))

/// Where a new consumer starts: after the events already in the log (a reaction added to a
/// running hospital does not replay its history), or at the beginning (a projection built from
/// every event, such as BI counters).
BOOST_DEFINE_ENUM_CLASS(StartAt, end, beginning)

struct ConsumerOptions {
  RetryPolicy retry;
  StartAt start_at = StartAt::end;
  std::int32_t batch = 256;  // events read per poll
  /// The handlers act outside the store only (webhooks): each event's handler runs before a
  /// transaction of its own that only advances the checkpoint, so no lock (SQLite's write lock)
  /// is held while a handler waits on the network. Delivery is then at least once: a crash
  /// between the handler and that commit runs it again.
  bool outside_transaction = false;
};
BOOST_DESCRIBE_STRUCT(ConsumerOptions, (), (retry, start_at, batch, outside_transaction))

/// What a handler gets besides its event: the store its writes go to (inside the transaction
/// that also advances the checkpoint) and the log row (its `id` is the dedupe key for external
/// effects).
struct Delivery {
  store::Store& store;
  const store::StoredEvent& event;
};

/// What one poll did.
struct PollResult {
  std::int64_t handled = 0;        // events whose handler ran and committed
  std::int64_t skipped = 0;        // events of types this consumer has no handler for
  std::int64_t failed = 0;         // failed tries (0 or 1: a failure ends the poll)
  std::int64_t parked = 0;         // events dead-lettered
  bool waiting_for_retry = false;  // blocked until retry_at
  bool lost_race = false;          // another process advanced the checkpoint first
};

class HOUQIN_EXPORT Consumer {
 public:
  explicit Consumer(std::string name, ConsumerOptions options = {});

  /// Handles events of type E (decoded from the payload by its description).
  template <DurableEvent E>
  Consumer& on(std::function<void(Delivery&, const E&)> handler) {
    handlers_[std::string(json::schema_name<E>())] = [h = std::move(handler)](Delivery& d) {
      h(d, json::from_json<E>(d.event.payload, d.event.type));
    };
    return *this;
  }

  /// Handles, as its log row, every event that no typed handler takes and whose type `accepts`
  /// (generic reactions that forward events without decoding them: webhooks). One per consumer;
  /// a second call replaces the first. Other events are passed over as usual.
  Consumer& on_any(std::function<bool(std::string_view type)> accepts,
                   std::function<void(Delivery&)> handler);

  const std::string& name() const noexcept { return name_; }
  const ConsumerOptions& options() const noexcept { return options_; }

  /// Handles what follows the checkpoint, up to a batch, on `store` (which must not be in a
  /// transaction). Stops at the first failure (recording it for the retry) and while a retry is
  /// not yet due by the store's clock.
  PollResult poll(store::Store& store);

  /// The checkpoint row, created at the start position when absent.
  ConsumerState state(store::Store& store);

  /// Runs the handler of a dead letter again; on success marks it replayed (true). A failure
  /// leaves it parked, records the error and rethrows. Either way a pending replay request is
  /// cleared.
  bool replay(store::Store& store, Id dead_letter_id);
  /// Replays this consumer's dead letters whose replay was requested (request_replay), oldest
  /// first; a failing replay is recorded on its letter and does not stop the others. Returns how
  /// many succeeded. The host calls it for the consumers whose lease it holds.
  std::int64_t replay_requested(store::Store& store);

 private:
  using Handler = std::function<void(Delivery&)>;
  /// The handler for an event type, or null when this consumer passes it over.
  const Handler* handler_for(std::string_view type) const;
  std::string name_;
  ConsumerOptions options_;
  std::map<std::string, Handler, std::less<>> handlers_;
  std::function<bool(std::string_view)> accepts_;
  Handler any_;
};

/// Retention of the log: deletes the events every consumer has passed (or parked) that are older
/// than `max_age` by the store's clock; with no consumer yet, every event older than that. Returns
/// how many went. Sequence numbers are never reused, so positions stay valid.
HOUQIN_EXPORT std::int64_t prune_events(store::Store& store, std::chrono::hours max_age);

/// Asks the host that runs the letter's consumer to replay it (at its next round): sets
/// replay_requested_at and _by. Error(not_found) for an unknown letter, Error(failed_precondition)
/// for one already replayed. Works from any process; what it returns is the updated letter.
HOUQIN_EXPORT DeadLetter request_replay(store::Store& store, Id dead_letter_id,
                                        const std::string& requested_by);

/// Every consumer's state, and the dead letters not yet replayed, for status pages.
HOUQIN_EXPORT std::vector<ConsumerState> consumer_states(store::Store& store);
HOUQIN_EXPORT std::vector<DeadLetter> dead_letters(store::Store& store,
                                                   const std::string& consumer = {});

}  // namespace houqin::host

template <>
struct houqin::entity_traits<houqin::host::ConsumerState> {
  static constexpr std::string_view table = "houqin_consumer";
  static constexpr std::string_view collection = "consumers";
  static constexpr std::array<std::string_view, 1> unique{"name"};
};
template <>
struct houqin::entity_traits<houqin::host::DeadLetter> {
  static constexpr std::string_view table = "houqin_dead_letter";
  static constexpr std::string_view collection = "dead_letters";
  static constexpr std::array<std::string_view, 1> unique{"consumer,seq"};
};

// Instantiated once, in libhouqin (src/host/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::host::ConsumerState)
HOUQIN_EXTERN_ENTITY(houqin::host::DeadLetter)
