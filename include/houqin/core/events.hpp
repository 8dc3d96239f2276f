// The event bus that ties domains together: a domain publishes typed events (a work order was
// completed, an alarm was raised) and others subscribe, without calling each other's internals.
// Events published inside a store transaction are held and delivered only after the outermost
// commit; a rollback discards them, so no subscriber ever sees a change that did not happen.
// A durable event (described, naming its aggregate) is also handed to the bus's journal: the Store
// writes it to its event log in the same transaction, just before COMMIT (store/event_log.hpp), so
// consumers in any process can read it after the change committed.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/id.hpp"
#include "houqin/core/json.hpp"

namespace houqin {

/// An event the store's log keeps: a described struct that names the aggregate it is about,
///
///   static constexpr std::string_view aggregate = "repair_work_order";  // the entity's table
///   Id aggregate_id() const { return work_order_id; }
///
/// Its payload in the log is its JSON form and its type name json::schema_name<E>()
/// ("repair.WorkOrderReported"), so nothing is written per event type. Events that are not
/// durable (AlarmTransition on the telemetry hot path, test events) reach in-process subscribers
/// only.
template <class E>
concept DurableEvent = DescribedStruct<E> && requires(const E& e) {
  { E::aggregate } -> std::convertible_to<std::string_view>;
  { e.aggregate_id() } -> std::convertible_to<Id>;
};

/// What the log stores of a durable event, besides its sequence and commit time.
struct EventEntry {
  std::string type;       // "repair.WorkOrderReported"
  std::string aggregate;  // "repair_work_order"
  Id aggregate_id = 0;
  std::string actor;  // who caused it ("user:alice", "service:wiring"); empty when not known
  json::Json payload;
};

class EventBus;

/// Keeps a subscription alive; unsubscribes when destroyed or reset(). Movable, not copyable.
/// Safe to destroy after the bus is gone.
class HOUQIN_EXPORT Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();
  void reset();
  explicit operator bool() const { return id_ != 0; }

 private:
  friend class EventBus;
  struct State;
  Subscription(std::weak_ptr<State> state, std::size_t id) : state_(std::move(state)), id_(id) {}
  std::weak_ptr<State> state_;
  std::size_t id_ = 0;
};

class HOUQIN_EXPORT EventBus {
 public:
  using ErrorHandler = std::function<void(std::type_index event, const std::exception& error)>;

  EventBus();
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  /// Calls handler for every event of type E published from now on. Handlers run on the
  /// publishing thread. A handler may publish, subscribe or unsubscribe.
  template <class E>
  [[nodiscard]] Subscription subscribe(std::function<void(const E&)> handler) {
    return subscribe_erased(
        typeid(E), [h = std::move(handler)](const void* e) { h(*static_cast<const E*>(e)); });
  }

  /// Delivers now, or after the outermost commit while held (see hold()). A DurableEvent also goes
  /// to the journal (the store's event log), with `actor` as who caused it (Actor::label()).
  template <class E>
  void publish(E event, std::string_view actor = {}) {
    std::optional<EventEntry> entry;
    if constexpr (DurableEvent<E>) {
      static const std::string type = json::schema_name<E>();  // built once per event type
      entry = EventEntry{type, std::string(E::aggregate), static_cast<Id>(event.aggregate_id()),
                         std::string(actor), json::to_json(event)};
    }
    auto boxed = std::make_shared<E>(std::move(event));
    publish_erased(typeid(E), std::shared_ptr<const void>(boxed, boxed.get()), std::move(entry));
  }

  /// Where durable events are written: the Store sets it to its event log. Called with the entry
  /// of an event published outside a transaction before that event is delivered (a throw stops
  /// the delivery and reaches the publisher); the entries of held events are taken by the Store
  /// itself before it commits (held_entries()).
  using Journal = std::function<void(std::span<const EventEntry* const>)>;
  void set_journal(Journal journal);
  /// The entries of the durable events held now, in publish order (valid until release()).
  std::vector<const EventEntry*> held_entries() const;

  /// A handler that throws does not stop delivery to the others, nor undo anything committed: the
  /// exception goes to this handler (default: ignored after counting, see failed_deliveries()).
  void on_handler_error(ErrorHandler handler);
  std::size_t failed_deliveries() const;

  // Transaction hooks, used by the Store: events published between hold() and release() wait.
  // mark() returns a position so a rolled-back savepoint can discard just its own events.
  void hold();
  std::size_t mark() const;
  void discard_after(std::size_t mark);
  /// Ends one level of holding; when the last level ends, delivers (commit) or drops (rollback).
  void release(bool deliver);

 private:
  Subscription subscribe_erased(std::type_index type, std::function<void(const void*)> handler);
  void publish_erased(std::type_index type, std::shared_ptr<const void> event,
                      std::optional<EventEntry> entry);
  void deliver(std::type_index type, const void* event);
  std::shared_ptr<Subscription::State> state_;
};

}  // namespace houqin
