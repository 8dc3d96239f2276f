// The in-process event bus that ties domains together: a domain publishes typed events (a work
// order was completed, an alarm was raised) and others subscribe, without calling each other's
// internals. Events published inside a store transaction are held and delivered only after the
// outermost commit; a rollback discards them, so no subscriber ever sees a change that did not
// happen.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <typeindex>
#include <utility>

#include "houqin/core/export.hpp"

namespace houqin {

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

  /// Delivers now, or after the outermost commit while held (see hold()).
  template <class E>
  void publish(E event) {
    auto boxed = std::make_shared<E>(std::move(event));
    publish_erased(typeid(E), std::shared_ptr<const void>(boxed, boxed.get()));
  }

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
  void publish_erased(std::type_index type, std::shared_ptr<const void> event);
  void deliver(std::type_index type, const void* event);
  std::shared_ptr<Subscription::State> state_;
};

}  // namespace houqin
