// SLA timers in working time. An order carries its own clock: elapsed working seconds for the
// response (until first response, i.e. accepted) and the resolution (until completed), plus the
// instant the clock last started. Every transition settles the clock first (adds the working time
// since it started under the calendar in force), then starts or stops it by the new state. So a
// pause never loses time already run, a reopen continues where completion stopped it, and a
// changed policy keeps the elapsed time and only changes the targets and calendar from then on.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/store.hpp"

namespace houqin::repair {

// ---- calendar arithmetic (pure; a null calendar or one without hours is 24x7) ----------------

/// Working seconds in [from, to); 0 when to <= from.
HOUQIN_EXPORT std::int64_t working_seconds(const Calendar* calendar, Timestamp from, Timestamp to);
/// The instant at which `seconds` of working time have passed after `from`.
HOUQIN_EXPORT Timestamp add_working_seconds(const Calendar* calendar, Timestamp from,
                                            std::int64_t seconds);
HOUQIN_EXPORT bool in_working_time(const Calendar* calendar, Timestamp at);

/// The policy the ranked rules choose for an order reported at `at`; nullopt when none matches.
HOUQIN_EXPORT std::optional<SlaPolicy> select_policy(store::Store& store, const WorkOrder& order,
                                                     Timestamp at);

/// The clock of one order, settled to `now` without changing it.
struct SlaStatus {
  std::int64_t response_elapsed_s = 0;
  std::int64_t resolution_elapsed_s = 0;
  bool running = false;
  std::optional<Timestamp> response_due;
  std::optional<Timestamp> resolution_due;
};
BOOST_DESCRIBE_STRUCT(SlaStatus, (),
                      (response_elapsed_s, resolution_elapsed_s, running, response_due,
                       resolution_due))

/// What one tick fired.
struct TickResult {
  std::int32_t orders_checked = 0;
  std::vector<SlaWarning> warnings;
  std::vector<SlaEscalated> escalations;
};
BOOST_DESCRIBE_STRUCT(TickResult, (), (orders_checked, warnings, escalations))

class HOUQIN_EXPORT Sla {
 public:
  explicit Sla(store::Store& store) : store_(store) {}

  /// Chooses the policy for a new order and starts its clock at reported_at (no writes).
  void start(WorkOrder& order);
  /// Settles the clock to `now` and starts or stops it for the order's new status `to` (the
  /// order still holds the old status and timestamps). No writes: the caller stores the order.
  void on_transition(WorkOrder& order, Status to, Timestamp now);
  /// The clock settled to `now`, for display.
  SlaStatus status(const WorkOrder& order, Timestamp now);

  /// Moves an open order to another policy mid-flight (repair.configure, audited): elapsed time
  /// is kept, targets and calendar change from now on.
  WorkOrder change_policy(const auth::Actor& actor, Id work_order_id, Id policy_id,
                          const std::string& reason);

  /// Checks every running order against its escalation chain at the store clock's now and fires
  /// each step whose threshold has been reached and that has not fired in this cycle (reopen
  /// count): calling it again fires nothing new. Marks breaches. repair.dispatch, audited.
  TickResult tick(const auth::Actor& actor);

 private:
  const Calendar* calendar_of(const WorkOrder& order);
  std::optional<SlaPolicy> policy(Id id);
  void project(WorkOrder& order, const Calendar* cal);
  store::Store& store_;
  std::deque<Calendar> calendars_;  // cache of calendars read in this service's lifetime
  std::vector<SlaPolicy> policies_;
};

}  // namespace houqin::repair
