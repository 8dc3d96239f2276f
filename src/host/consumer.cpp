// Durable consumers: checkpoints, retries and dead letters (see consumer.hpp).
#include "houqin/host/consumer.hpp"

#include "houqin/host/availability.hpp"

#include <algorithm>
#include <optional>

#include "exception_text.hpp"
#include "houqin/host/lease.hpp"
#include "houqin/host/performance.hpp"
#include "houqin/host/scheduler.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

using store::Op;
using store::Query;
using store::Repository;

// In backups and the integrity checks like every other table.
[[maybe_unused]] const bool consumer_tables_registered =
    store::register_tables<ConsumerState, DeadLetter>("host");

}  // namespace

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out{
      {"host", 1, "durable consumers: checkpoints and dead letters",
       [](store::Store& s) {
         store::create_table<ConsumerState>(s);
         store::create_table<DeadLetter>(s);
       }},
      {"host", 2, "leases: one holder per name across processes",
       [](store::Store& s) { store::create_table<Lease>(s); }},
      {"host", 3, "scheduler: the next due time of every timed job",
       [](store::Store& s) { store::create_table<JobState>(s); }},
      {"host", 4, "dead letters: replays requested by an operator from any process",
       [](store::Store& s) {
         store::add_column(s, &DeadLetter::replay_requested_at);
         store::add_column(s, &DeadLetter::replay_requested_by);
       }}};
  for (auto& m : availability_migrations()) out.push_back(std::move(m));
  for (auto& m : performance_migrations()) out.push_back(std::move(m));
  return out;
}

std::chrono::milliseconds RetryPolicy::delay_after(std::int32_t failures) const {
  if (failures <= 0) return std::chrono::milliseconds{0};
  auto d = first_delay;
  for (std::int32_t i = 1; i < failures && d < max_delay; ++i) d *= 2;
  return std::min(d, max_delay);
}

Consumer::Consumer(std::string name, ConsumerOptions options)
    : name_(std::move(name)), options_(options) {
  if (name_.empty()) fail(ErrorCode::invalid_argument, "consumer: name is empty");
  if (options_.batch <= 0)
    fail(ErrorCode::invalid_argument, "consumer " + name_ + ": batch must be positive");
  if (options_.retry.max_attempts <= 0)
    fail(ErrorCode::invalid_argument, "consumer " + name_ + ": max_attempts must be positive");
}

Consumer& Consumer::on_any(std::function<bool(std::string_view type)> accepts,
                           std::function<void(Delivery&)> handler) {
  accepts_ = std::move(accepts);
  any_ = std::move(handler);
  return *this;
}

const Consumer::Handler* Consumer::handler_for(std::string_view type) const {
  if (auto it = handlers_.find(type); it != handlers_.end()) return &it->second;
  if (any_ && accepts_ && accepts_(type)) return &any_;
  return nullptr;
}

ConsumerState Consumer::state(store::Store& store) {
  Repository<ConsumerState> repo(store);
  auto found = repo.find(Query<ConsumerState>().where(&ConsumerState::name, Op::eq, name_));
  if (!found.empty()) return found.front();
  ConsumerState st;
  st.name = name_;
  st.position = options_.start_at == StartAt::end ? store::last_event_seq(store) : 0;
  st.updated_at = store.clock().now();
  try {
    repo.insert(st);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::already_exists) throw;
    return state(store);  // another process created it first
  }
  return st;
}

PollResult Consumer::poll(store::Store& store) {
  if (store.transaction_depth() != 0)
    fail(ErrorCode::failed_precondition,
         "consumer " + name_ + ": poll inside a transaction (each event needs its own)");
  PollResult r;
  ConsumerState st = state(store);
  if (st.attempts > 0 && st.retry_at && store.clock().now() < *st.retry_at) {
    r.waiting_for_retry = true;
    return r;
  }
  Repository<ConsumerState> states(store);
  // Saves the checkpoint (with the version check); false when another process moved it.
  auto save = [&] {
    st.updated_at = store.clock().now();
    try {
      states.update(st);
      return true;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict) throw;
      r.lost_race = true;
      return false;
    }
  };
  const auto events = store::read_events(store, st.position, options_.batch);
  // Runs events [from, to) in one transaction with the checkpoint's advance past them: all commit
  // together, or -- when a handler throws -- nothing does, and the failing index is returned with
  // its error. One commit for a run of events is what makes a consumer fast (a commit costs more
  // than most reactions); a handler's store writes still happen exactly once.
  struct Run {
    std::size_t stopped = 0;
    std::exception_ptr error;
    bool lost = false;
  };
  auto run = [&](std::size_t from, std::size_t to) {
    Run out{to, nullptr, false};
    std::optional<store::Transaction> tx;
    if (!options_.outside_transaction) tx.emplace(store);
    ConsumerState before = st;
    std::int64_t handled = 0, skipped = 0;
    for (std::size_t i = from; i < to; ++i) {
      const auto& event = events[i];
      if (const auto* handler = handler_for(event.type)) {
        // Outside a transaction, one handled event per run: its effect happened, so its
        // checkpoint's advance must not wait for (and roll back with) a later one's failure.
        if (options_.outside_transaction && handled > 0) {
          out.stopped = i;
          break;
        }
        try {
          Delivery d{store, event};
          (*handler)(d);
        } catch (...) {
          out.stopped = i;
          out.error = std::current_exception();
          return out;  // rolled back: the run's writes are gone
        }
        ++handled;
      } else {
        ++skipped;
      }
      st.position = event.id;
    }
    st.attempts = 0;
    st.retry_at.reset();
    st.last_error.clear();
    if (!tx) tx.emplace(store);  // outside_transaction: just the checkpoint's advance
    if (!save()) {
      st = before;
      out.lost = true;
      return out;  // rolled back: another process handled them
    }
    tx->commit();
    r.handled += handled;
    r.skipped += skipped;
    return out;
  };
  std::size_t next = 0, limit = events.size();
  while (next < events.size()) {
    const ConsumerState before = st;
    auto done = run(next, limit);
    if (done.lost) return r;
    if (!done.error) {
      next = done.stopped;  // == limit, or one past `next` for outside_transaction
      limit = events.size();
      continue;
    }
    st = before;  // the transaction rolled back; so does the checkpoint in memory
    if (done.stopped > next) {
      limit = done.stopped;  // commit the events before the failing one on their own
      continue;
    }
    // The first event of the run failed: retry it later, or park it and go on.
    const auto& event = events[next];
    ++r.failed;
    const std::string message = detail::exception_text(done.error);
    const std::int32_t attempts = st.attempts + 1;
    if (attempts >= options_.retry.max_attempts) {
      store::Transaction tx(store);
      DeadLetter dl{0,
                    0,
                    name_,
                    event.id,
                    event.type,
                    attempts,
                    message,
                    store.clock().now(),
                    std::nullopt,
                    std::nullopt,
                    ""};
      Repository<DeadLetter>(store).insert(dl);
      st.position = event.id;
      st.attempts = 0;
      st.retry_at.reset();
      st.last_error = message;
      if (!save()) return r;
      tx.commit();
      ++r.parked;
      ++next;
      limit = events.size();
      continue;  // the events behind it go on
    }
    st.attempts = attempts;
    st.retry_at = store.clock().now() + options_.retry.delay_after(attempts);
    st.last_error = message;
    save();
    r.waiting_for_retry = true;
    return r;
  }
  return r;
}

bool Consumer::replay(store::Store& store, Id dead_letter_id) {
  Repository<DeadLetter> letters(store);
  auto dl = letters.require(dead_letter_id);
  if (dl.consumer != name_)
    fail(ErrorCode::invalid_argument, "dead letter " + std::to_string(dead_letter_id) +
                                          " belongs to consumer " + dl.consumer + ", not " + name_);
  if (dl.replayed_at) return false;
  auto event = Repository<store::StoredEvent>(store).get(dl.seq);
  if (!event)
    fail(ErrorCode::not_found, "dead letter " + std::to_string(dead_letter_id) + ": event " +
                                   std::to_string(dl.seq) + " is no longer in the log");
  const auto* handler = handler_for(event->type);
  if (!handler)
    fail(ErrorCode::failed_precondition,
         "consumer " + name_ + " has no handler for " + event->type + " any more");
  std::exception_ptr error;
  {
    store::Transaction tx(store);
    try {
      Delivery d{store, *event};
      (*handler)(d);
      dl.replayed_at = store.clock().now();
      dl.replay_requested_at.reset();
      letters.update(dl);
      tx.commit();
      return true;
    } catch (...) {
      error = std::current_exception();
    }
  }
  dl.attempts += 1;
  dl.error = detail::exception_text(error);
  dl.replay_requested_at.reset();
  letters.update(dl);
  std::rethrow_exception(error);
}

std::int64_t Consumer::replay_requested(store::Store& store) {
  Query<DeadLetter> q;
  q.where_null(&DeadLetter::replayed_at)
      .where_null(&DeadLetter::replay_requested_at, false)
      .where(&DeadLetter::consumer, Op::eq, name_)
      .order_by(&DeadLetter::seq);
  std::int64_t replayed = 0;
  for (const auto& dl : Repository<DeadLetter>(store).find(q)) {
    try {
      if (replay(store, dl.id)) ++replayed;
    } catch (const std::exception&) {
      // Recorded on the letter (attempts, error), or another process changed it meanwhile.
    }
  }
  return replayed;
}

DeadLetter request_replay(store::Store& store, Id dead_letter_id, const std::string& requested_by) {
  Repository<DeadLetter> letters(store);
  auto dl = letters.require(dead_letter_id);
  if (dl.replayed_at)
    fail(ErrorCode::failed_precondition, "dead letter " + std::to_string(dead_letter_id) +
                                             " was replayed at " +
                                             format_timestamp(*dl.replayed_at));
  dl.replay_requested_at = store.clock().now();
  dl.replay_requested_by = requested_by;
  letters.update(dl);
  return dl;
}

std::int64_t prune_events(store::Store& store, std::chrono::hours max_age) {
  if (!store.table_exists(entity_traits<store::StoredEvent>::table)) return 0;
  std::int64_t passed = store::last_event_seq(store);
  for (const auto& c : consumer_states(store)) passed = std::min(passed, c.position);
  store::Cell up_to, before;
  up_to.i = passed;
  before.i = (store.clock().now() - max_age).time_since_epoch().count();
  const store::Param params[] = {{&up_to, store::Storage::integer},
                                 {&before, store::Storage::integer}};
  return store.execute("DELETE FROM houqin_event WHERE id <= :p1 AND time < :p2", params);
}

std::vector<ConsumerState> consumer_states(store::Store& store) {
  if (!store.table_exists(entity_traits<ConsumerState>::table)) return {};
  return Repository<ConsumerState>(store).find(
      Query<ConsumerState>().order_by(&ConsumerState::name));
}

std::vector<DeadLetter> dead_letters(store::Store& store, const std::string& consumer) {
  Query<DeadLetter> q;
  q.where_null(&DeadLetter::replayed_at);
  if (!consumer.empty()) q.where(&DeadLetter::consumer, Op::eq, consumer);
  return Repository<DeadLetter>(store).find(q.order_by(&DeadLetter::seq));
}

}  // namespace houqin::host
