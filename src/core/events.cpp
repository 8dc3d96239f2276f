#include "houqin/core/events.hpp"

#include <mutex>
#include <vector>

namespace houqin {

struct Subscription::State {
  struct Handler {
    std::size_t id;
    std::type_index type;
    std::shared_ptr<std::function<void(const void*)>> fn;
  };
  struct Pending {
    std::type_index type;
    std::shared_ptr<const void> event;
    std::optional<EventEntry> entry;
  };
  mutable std::mutex mutex;
  std::vector<Handler> handlers;
  std::size_t next_id = 1;
  // Holding is per bus, and a bus belongs to one Store, which one thread uses at a time.
  int hold_depth = 0;
  std::vector<Pending> pending;
  EventBus::ErrorHandler on_error;
  EventBus::Journal journal;
  std::size_t failed = 0;

  void remove(std::size_t id) {
    std::lock_guard lock(mutex);
    std::erase_if(handlers, [&](const Handler& h) { return h.id == id; });
  }
};

Subscription::Subscription(Subscription&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Subscription::~Subscription() {
  reset();
}

void Subscription::reset() {
  if (id_ == 0) return;
  if (auto s = state_.lock()) s->remove(id_);
  state_.reset();
  id_ = 0;
}

EventBus::EventBus() : state_(std::make_shared<Subscription::State>()) {}
EventBus::~EventBus() = default;

Subscription EventBus::subscribe_erased(std::type_index type,
                                        std::function<void(const void*)> handler) {
  std::lock_guard lock(state_->mutex);
  auto id = state_->next_id++;
  state_->handlers.push_back(
      {id, type, std::make_shared<std::function<void(const void*)>>(std::move(handler))});
  return Subscription(state_, id);
}

void EventBus::publish_erased(std::type_index type, std::shared_ptr<const void> event,
                              std::optional<EventEntry> entry) {
  Journal journal;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->hold_depth > 0) {
      state_->pending.push_back({type, std::move(event), std::move(entry)});
      return;
    }
    journal = state_->journal;
  }
  if (entry && journal) {
    const EventEntry* one[] = {&*entry};
    journal(one);
  }
  deliver(type, event.get());
}

void EventBus::set_journal(Journal journal) {
  std::lock_guard lock(state_->mutex);
  state_->journal = std::move(journal);
}

std::vector<const EventEntry*> EventBus::held_entries() const {
  std::lock_guard lock(state_->mutex);
  std::vector<const EventEntry*> out;
  for (const auto& p : state_->pending)
    if (p.entry) out.push_back(&*p.entry);
  return out;
}

void EventBus::deliver(std::type_index type, const void* event) {
  // Snapshot the handlers so one may subscribe or unsubscribe while being called.
  std::vector<std::shared_ptr<std::function<void(const void*)>>> targets;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& h : state_->handlers)
      if (h.type == type) targets.push_back(h.fn);
  }
  for (const auto& fn : targets) {
    try {
      (*fn)(event);
    } catch (const std::exception& e) {
      ErrorHandler on_error;
      {
        std::lock_guard lock(state_->mutex);
        ++state_->failed;
        on_error = state_->on_error;
      }
      if (on_error) on_error(type, e);
    }
  }
}

void EventBus::on_handler_error(ErrorHandler handler) {
  std::lock_guard lock(state_->mutex);
  state_->on_error = std::move(handler);
}

std::size_t EventBus::failed_deliveries() const {
  std::lock_guard lock(state_->mutex);
  return state_->failed;
}

void EventBus::hold() {
  std::lock_guard lock(state_->mutex);
  ++state_->hold_depth;
}

std::size_t EventBus::mark() const {
  std::lock_guard lock(state_->mutex);
  return state_->pending.size();
}

void EventBus::discard_after(std::size_t mark) {
  std::lock_guard lock(state_->mutex);
  if (state_->pending.size() > mark)
    state_->pending.erase(state_->pending.begin() + static_cast<std::ptrdiff_t>(mark),
                          state_->pending.end());
}

void EventBus::release(bool deliver_pending) {
  std::vector<Subscription::State::Pending> ready;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->hold_depth == 0) return;
    if (--state_->hold_depth > 0) return;
    ready.swap(state_->pending);
  }
  if (!deliver_pending) return;
  for (const auto& p : ready) deliver(p.type, p.event.get());
}

}  // namespace houqin
