// BI's projections (see bi.hpp): what each domain row contributes to the KPI counters, applied as
// a difference when an event says the row changed, and the rebuild that derives everything again
// from the tables with the same functions.
#include <chrono>
#include <map>
#include <tuple>

#include "houqin/asset/ledger.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/bi/operation_report.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/survey/surveys.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin::bi {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Counter, Projection, Rules>("bi");
[[maybe_unused]] const bool exposed =
    store::expose<Counter, Rules>({.read = "bi.read", .write = "", .read_personal = ""});

// What a projection needs besides the row: the local day, a room's building.
class Projector {
 public:
  explicit Projector(store::Store& s)
      : s_(s), offset_(store::settings<Rules>(s).utc_offset_minutes) {}
  store::Store& store() { return s_; }
  Date day(Timestamp t) const {
    return std::chrono::floor<std::chrono::days>(t + std::chrono::minutes(offset_));
  }
  Id building_of_room(std::optional<Id> room) { return place_of_room(room).first; }
  /// The building of a room and the department it belongs to (0 when none).
  std::pair<Id, Id> place_of_room(std::optional<Id> room) {
    if (!room) return {0, 0};
    if (auto it = rooms_.find(*room); it != rooms_.end()) return it->second;
    std::pair<Id, Id> place{0, 0};
    if (auto r = Repository<site::Room>(s_).get(*room)) {
      if (auto f = Repository<site::Floor>(s_).get(r->floor_id)) place.first = f->building_id;
      place.second = r->department_id.value_or(0);
    }
    rooms_[*room] = place;
    return place;
  }

 private:
  store::Store& s_;
  std::int32_t offset_;
  std::map<Id, std::pair<Id, Id>> rooms_;
};

std::int64_t seconds_between(Timestamp from, Timestamp to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

struct Out {
  std::vector<Contribution>& list;
  Id building = 0;
  Id department = 0;
  void add(std::string kpi, Date day, std::int64_t sum = 0) {
    list.push_back({std::move(kpi), day, building, department, 1, sum});
  }
};

std::vector<Contribution> project(Projector& c, const repair::WorkOrder& wo) {
  using repair::Status;
  std::vector<Contribution> list;
  Out out{list, wo.building_id.value_or(0), wo.department_id.value_or(0)};
  out.add("repair.reported", c.day(wo.reported_at));
  if (wo.accepted_at) {
    out.add("repair.responded", c.day(*wo.accepted_at),
            seconds_between(wo.reported_at, *wo.accepted_at));
    if (!wo.response_breached) out.add("repair.response_sla_met", c.day(*wo.accepted_at));
  }
  const bool finished = wo.status == Status::completed || wo.status == Status::verified ||
                        wo.status == Status::closed;
  if (finished && wo.completed_at) {
    out.add("repair.resolved", c.day(*wo.completed_at),
            seconds_between(wo.reported_at, *wo.completed_at));
    if (!wo.resolution_breached) out.add("repair.resolution_sla_met", c.day(*wo.completed_at));
  }
  if (wo.status == Status::closed && wo.closed_at) out.add("repair.closed", c.day(*wo.closed_at));
  if (wo.status == Status::cancelled && wo.cancelled_at)
    out.add("repair.cancelled", c.day(*wo.cancelled_at));
  if (!finished && wo.status != Status::cancelled) {
    out.add("repair.open", gauge_day);
    if (wo.response_breached || wo.resolution_breached) out.add("repair.overdue", gauge_day);
  }
  return list;
}

std::vector<Contribution> project(Projector& c, const hazard::Hazard& h) {
  using hazard::Status;
  std::vector<Contribution> list;
  Out out{list, c.building_of_room(h.room_id), h.department_id.value_or(0)};
  out.add("hazard.reported", c.day(h.reported_at));
  if (h.status == Status::closed && h.closed_at) out.add("hazard.closed", c.day(*h.closed_at));
  if (h.status == Status::cancelled) out.add("hazard.cancelled", c.day(h.status_at));
  if (hazard::open_states & hazard::bit(h.status)) {
    out.add("hazard.open", gauge_day);
    if (h.overdue_level > 0) out.add("hazard.overdue", gauge_day);
  }
  return list;
}

// An inspection or PM task: in the building and department of its first point's room (the room
// the task was issued for; a point on an asset, the asset's room).
std::vector<Contribution> project(Projector& c, const inspection::Task& t) {
  using inspection::TaskStatus;
  std::vector<Contribution> list;
  std::optional<Id> room;
  for (const auto& p : t.points) {
    if (p.room_id) {
      room = p.room_id;
      break;
    }
    if (p.asset_id)
      if (auto a = Repository<asset::Asset>(c.store()).get(*p.asset_id); a && a->room_id) {
        room = a->room_id;
        break;
      }
  }
  const auto [building, department] = c.place_of_room(room);
  Out out{list, building, department};
  out.add("inspection.issued", c.day(t.issued_at));
  out.add("inspection.due", c.day(t.due_at));
  if (t.status == TaskStatus::done && t.completed_at)
    out.add("inspection.done", c.day(*t.completed_at));
  if (t.status == TaskStatus::missed) out.add("inspection.missed", c.day(t.window_end));
  if (t.status == TaskStatus::exempt) out.add("inspection.exempt", c.day(t.due_at));
  if (t.status == TaskStatus::open) out.add("inspection.open", gauge_day);
  return list;
}

std::vector<Contribution> project(Projector& c, const waste::Bag& b) {
  std::vector<Contribution> list;
  Out out{list, c.building_of_room(b.room_id), b.department_id};
  const auto grams = static_cast<std::int64_t>(std::llround(b.weight_kg * 1000.0));
  out.add("waste.generated", c.day(b.produced_at), grams);
  out.add("waste.generated:" + std::string(enum_name(b.category)), c.day(b.produced_at), grams);
  if (b.stage == waste::Stage::stored) out.add("waste.in_storage", gauge_day);
  return list;
}

bool is_raise(const telemetry::AlarmEvent& e) {
  return e.from_state == telemetry::AlarmState::normal &&
         e.to_state != telemetry::AlarmState::normal;
}

// The 10-minute interval of `t`, aligned to the epoch as the alarm engine counts floods.
Timestamp flood_interval_of(Timestamp t) {
  const auto us = t.time_since_epoch().count();
  const auto n = telemetry::flood_interval_us;
  return Timestamp(std::chrono::microseconds(us - ((us % n) + n) % n));
}

// A 10-minute interval with more than telemetry::flood_alarms alarms raised is a flood
// (ISA-18.2), counted for the hospital's one logistics control room on the local day it starts;
// sum: the alarms raised in it.
std::vector<Contribution> project_flood(Projector& c, Timestamp start, std::int64_t raised) {
  std::vector<Contribution> list;
  if (raised > telemetry::flood_alarms) Out{list, 0, 0}.add("alarm.flood", c.day(start), raised);
  return list;
}

// An alarm episode: raised on the day of its first transition out of normal; active while the
// point's current record is in this episode and active.
std::vector<Contribution> project(Projector& c, const std::vector<telemetry::AlarmEvent>& history,
                                  const std::optional<telemetry::AlarmRecord>& record,
                                  std::int64_t episode) {
  std::vector<Contribution> list;
  Out out{list, 0, 0};
  for (const auto& e : history)
    if (is_raise(e)) {
      out.add("alarm.raised", c.day(e.time));
      break;
    }
  if (record && record->episode == episode && record->active) out.add("alarm.active", gauge_day);
  return list;
}

std::vector<Contribution> project(Projector& c, const inventory::Item& item) {
  std::vector<Contribution> list;
  if (!item.active || item.reorder_qty <= 0) return list;
  std::int64_t available = 0;
  for (const auto& st : Repository<inventory::Stock>(c.store()).find(
           Query<inventory::Stock>().where(&inventory::Stock::item_id, Op::eq, item.id)))
    available += st.qty - st.reserved;
  if (available <= item.reorder_point) Out{list, 0, 0}.add("stock.below_reorder", gauge_day);
  return list;
}

// An equipment fault: a failure on the day it started (unplanned only), its downtime on the day it
// ended, the asset down while it is open; in the asset's building and department.
std::vector<Contribution> project(Projector& c, const asset::Fault& f) {
  std::vector<Contribution> list;
  auto a = Repository<asset::Asset>(c.store()).get(f.asset_id);
  Out out{list, a ? c.building_of_room(a->room_id) : 0, a ? a->department_id.value_or(0) : 0};
  if (!f.planned) {
    out.add("asset.failure", c.day(f.started_at));
    if (f.ended_at)
      out.add("asset.repaired", c.day(*f.ended_at), seconds_between(f.started_at, *f.ended_at));
  }
  if (!f.ended_at) out.add("asset.down", gauge_day);
  return list;
}

// The fleet: an asset installed and not scrapped counts while it is.
std::vector<Contribution> project(Projector& c, const asset::Asset& a) {
  std::vector<Contribution> list;
  using asset::AssetStatus;
  if (a.status == AssetStatus::installed || a.status == AssetStatus::in_service ||
      a.status == AssetStatus::down || a.status == AssetStatus::maintenance)
    Out{list, c.building_of_room(a.room_id), a.department_id.value_or(0)}.add("asset.in_service",
                                                                              gauge_day);
  return list;
}

std::vector<Contribution> project(Projector& c, const survey::Survey& sv) {
  std::vector<Contribution> list;
  if (sv.status != survey::SurveyStatus::closed || !sv.closed_at) return list;
  Out out{list, 0, 0};
  const auto day = c.day(*sv.closed_at);
  out.add("survey.closed", day);
  auto scores = survey::Surveys(c.store()).scores(sv.code);
  if (!scores.overall.withheld && scores.overall.score)
    out.add("survey.score", day, std::llround(*scores.overall.score * 100.0));
  return list;
}

std::string key_of(const Contribution& x) {
  return x.kpi + "|" + format_date(x.day) + "|" + std::to_string(x.building_id) + "|" +
         std::to_string(x.department_id);
}

// Sums contributions by counter.
using Tally = std::map<std::string, std::pair<Contribution, std::pair<std::int64_t, std::int64_t>>>;
void tally(Tally& t, const std::vector<Contribution>& list, int sign) {
  for (const auto& x : list) {
    auto& [c, v] = t[key_of(x)];
    c = x;
    v.first += sign * x.count;
    v.second += sign * x.sum;
  }
}

void add_to_counters(store::Store& s, const Tally& delta) {
  Repository<Counter> counters(s);
  for (const auto& [key, entry] : delta) {
    const auto& [x, v] = entry;
    if (v.first == 0 && v.second == 0) continue;
    if (auto found = counters.find_one(Query<Counter>().where(&Counter::key, Op::eq, key))) {
      found->count += v.first;
      found->sum += v.second;
      if (found->count == 0 && found->sum == 0) {
        counters.remove(found->id, found->version);
      } else {
        counters.update(*found);
      }
    } else {
      Counter n{0, 0, key, x.kpi, x.day, x.building_id, x.department_id, v.first, v.second};
      counters.insert(n);
    }
  }
}

// Replaces the source's contributions with `now` and applies the difference.
void apply(store::Store& s, const std::string& source, std::vector<Contribution> now) {
  store::in_transaction(s, [&] {
    Repository<Projection> projections(s);
    auto old = projections.find_one(Query<Projection>().where(&Projection::source, Op::eq, source));
    if (old && old->contributions == now) return;
    Tally delta;
    if (old) tally(delta, old->contributions, -1);
    tally(delta, now, +1);
    add_to_counters(s, delta);
    if (old && now.empty()) {
      projections.remove(old->id, old->version);
    } else if (old) {
      old->contributions = std::move(now);
      projections.update(*old);
    } else if (!now.empty()) {
      Projection p{0, 0, source, std::move(now)};
      projections.insert(p);
    }
  });
}

std::string flood_source(Timestamp interval) {
  return "alarm_flood:" + format_timestamp(interval);
}

std::string alarm_source(Id point, telemetry::AlarmKind kind, std::int64_t episode) {
  return "alarm:" + std::to_string(point) + ":" + std::string(enum_name(kind)) + ":" +
         std::to_string(episode);
}

template <class T>
std::string source_of(std::string_view kind, const T& row) {
  return std::string(kind) + ":" + std::to_string(row.id);
}

// Applies `f(row)` for the row with `id`, or nothing when it is gone.
template <class T>
void refresh_row(store::Store& s, std::string_view kind, Id id) {
  Projector c(s);
  auto row = Repository<T>(s).get(id);
  apply(s, std::string(kind) + ":" + std::to_string(id),
        row ? project(c, *row) : std::vector<Contribution>{});
}

}  // namespace

void Bi::refresh_work_order(Id id) {
  refresh_row<repair::WorkOrder>(store_, "work_order", id);
}
void Bi::refresh_hazard(Id id) {
  refresh_row<hazard::Hazard>(store_, "hazard", id);
}
void Bi::refresh_task(Id id) {
  refresh_row<inspection::Task>(store_, "task", id);
}
void Bi::refresh_bag(Id id) {
  refresh_row<waste::Bag>(store_, "bag", id);
}
void Bi::refresh_item(Id id) {
  refresh_row<inventory::Item>(store_, "item", id);
}
void Bi::refresh_survey(Id id) {
  refresh_row<survey::Survey>(store_, "survey", id);
}
void Bi::refresh_fault(Id id) {
  refresh_row<asset::Fault>(store_, "fault", id);
}
void Bi::refresh_asset(Id id) {
  refresh_row<asset::Asset>(store_, "asset", id);
}

void Bi::refresh_alarm(Id point_id, telemetry::AlarmKind kind, std::int64_t episode) {
  Projector c(store_);
  auto history = Repository<telemetry::AlarmEvent>(store_).find(
      Query<telemetry::AlarmEvent>()
          .where(&telemetry::AlarmEvent::point_id, Op::eq, point_id)
          .where(&telemetry::AlarmEvent::kind, Op::eq, kind)
          .where(&telemetry::AlarmEvent::episode, Op::eq, episode)
          .order_by(&telemetry::AlarmEvent::id));
  auto record = Repository<telemetry::AlarmRecord>(store_).find_one(
      Query<telemetry::AlarmRecord>()
          .where(&telemetry::AlarmRecord::point_id, Op::eq, point_id)
          .where(&telemetry::AlarmRecord::kind, Op::eq, kind));
  apply(store_, alarm_source(point_id, kind, episode), project(c, history, record, episode));
}

void Bi::refresh_flood(Timestamp raised_at) {
  Projector c(store_);
  const Timestamp start = flood_interval_of(raised_at);
  using telemetry::AlarmEvent;
  const auto raised = Repository<AlarmEvent>(store_).count(
      Query<AlarmEvent>()
          .where(&AlarmEvent::time, Op::ge, start)
          .where(&AlarmEvent::time, Op::lt,
                 start + std::chrono::microseconds(telemetry::flood_interval_us))
          .where(&AlarmEvent::from_state, Op::eq, telemetry::AlarmState::normal)
          .where(&AlarmEvent::to_state, Op::ne, telemetry::AlarmState::normal));
  apply(store_, flood_source(start), project_flood(c, start, raised));
}

RebuildReport Bi::rebuild(const auth::Actor& actor) {
  return audit::audited(store_, actor, "bi.rebuild", [&](audit::Call& call) {
    call.require("bi.manage");
    store_.execute("DELETE FROM bi_counter");
    store_.execute("DELETE FROM bi_projection");
    Projector c(store_);
    Tally all;
    std::vector<Projection> projections;
    auto keep = [&](std::string source, std::vector<Contribution> list) {
      if (list.empty()) return;
      tally(all, list, +1);
      projections.push_back(Projection{0, 0, std::move(source), std::move(list)});
    };
    for (const auto& r : Repository<repair::WorkOrder>(store_).find())
      keep(source_of("work_order", r), project(c, r));
    for (const auto& r : Repository<hazard::Hazard>(store_).find())
      keep(source_of("hazard", r), project(c, r));
    for (const auto& r : Repository<inspection::Task>(store_).find())
      keep(source_of("task", r), project(c, r));
    for (const auto& r : Repository<waste::Bag>(store_).find())
      keep(source_of("bag", r), project(c, r));
    for (const auto& r : Repository<inventory::Item>(store_).find())
      keep(source_of("item", r), project(c, r));
    for (const auto& r : Repository<survey::Survey>(store_).find())
      keep(source_of("survey", r), project(c, r));
    for (const auto& r : Repository<asset::Fault>(store_).find())
      keep(source_of("fault", r), project(c, r));
    for (const auto& r : Repository<asset::Asset>(store_).find())
      keep(source_of("asset", r), project(c, r));
    // Alarm episodes: the history grouped by point, kind and episode.
    std::map<std::tuple<Id, telemetry::AlarmKind, std::int64_t>, std::vector<telemetry::AlarmEvent>>
        episodes;
    std::map<Timestamp, std::int64_t> raised_per_interval;  // floods
    for (auto& e : Repository<telemetry::AlarmEvent>(store_).find(
             Query<telemetry::AlarmEvent>().order_by(&telemetry::AlarmEvent::id))) {
      if (is_raise(e)) ++raised_per_interval[flood_interval_of(e.time)];
      episodes[{e.point_id, e.kind, e.episode}].push_back(std::move(e));
    }
    for (const auto& [start, raised] : raised_per_interval)
      keep(flood_source(start), project_flood(c, start, raised));
    std::map<std::pair<Id, telemetry::AlarmKind>, telemetry::AlarmRecord> records;
    for (auto& r : Repository<telemetry::AlarmRecord>(store_).find())
      records.emplace(std::pair{r.point_id, r.kind}, std::move(r));
    for (const auto& [k, history] : episodes) {
      const auto& [point, kind, episode] = k;
      auto it = records.find({point, kind});
      keep(alarm_source(point, kind, episode),
           project(c, history, it == records.end() ? std::nullopt : std::optional(it->second),
                   episode));
    }
    Repository<Projection> pr(store_);
    pr.insert_many(projections);
    std::vector<Counter> counters;
    for (const auto& [key, entry] : all) {
      const auto& [x, v] = entry;
      if (v.first == 0 && v.second == 0) continue;
      counters.push_back(
          Counter{0, 0, key, x.kpi, x.day, x.building_id, x.department_id, v.first, v.second});
    }
    Repository<Counter>(store_).insert_many(counters);
    RebuildReport report{static_cast<std::int64_t>(projections.size()),
                         static_cast<std::int64_t>(counters.size())};
    call.record(entity_traits<Counter>::table, std::nullopt, std::nullopt, json::to_json(report),
                "rebuilt from the tables");
    return report;
  });
}

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out{
      {"bi", 1, "KPI counters by day, building and department, and each row's contributions",
       [](store::Store& s) {
         store::create_table<Counter>(s);
         store::create_table<Projection>(s);
         store::create_table<Rules>(s);
         s.execute("CREATE INDEX IF NOT EXISTS bi_counter_kpi_day ON bi_counter (kpi, day)");
       }},
      {"bi", 2, "warning rules (预警) and their firings",
       [](store::Store& s) {
         store::create_table<WarningRule>(s);
         store::create_table<Warning>(s);
       }},
      {"bi", 4, "warning rules: absence over hours, narrowed to a plan or asset",
       [](store::Store& s) {
         store::add_column(s, &WarningRule::window_hours);
         store::add_column(s, &WarningRule::subject);
       }},
  };
  for (auto& m : operation_report_migrations()) out.push_back(std::move(m));
  return out;
}

namespace {

// Registers `refresh` of the event's aggregate for each of the event types.
template <class... Es>
void on_aggregate(host::Consumer& c, void (Bi::*refresh)(Id)) {
  (c.on<Es>(
       [refresh](host::Delivery& d, const Es& e) { (Bi(d.store).*refresh)(e.aggregate_id()); }),
   ...);
}

}  // namespace

host::Consumer consumer() {
  // From the beginning of the log: the counters are a projection of every event (and a retention
  // that pruned the start is covered by a rebuild).
  host::ConsumerOptions options;
  options.start_at = host::StartAt::beginning;
  host::Consumer c(std::string(consumer_name), options);
  // Events whose aggregate is the row they change.
  on_aggregate<repair::WorkOrderEvent, repair::SlaWarning, repair::SlaEscalated,
               repair::SlaBreached>(c, &Bi::refresh_work_order);
  on_aggregate<hazard::HazardChanged, hazard::HazardOverdue>(c, &Bi::refresh_hazard);
  on_aggregate<inspection::TaskIssued, inspection::TaskCompleted, inspection::TaskMissed>(
      c, &Bi::refresh_task);
  on_aggregate<waste::BagStep, waste::StorageOverdue>(c, &Bi::refresh_bag);
  on_aggregate<inventory::StockMoved, inventory::ReorderPointReached>(c, &Bi::refresh_item);
  on_aggregate<asset::AssetEventRecorded>(c, &Bi::refresh_asset);
  on_aggregate<survey::SurveyClosed>(c, &Bi::refresh_survey);
  // And those whose aggregate is another: a reservation's item, a fault of an asset, an episode.
  c.on<inventory::StockReserved>([](host::Delivery& d, const inventory::StockReserved& e) {
    Bi(d.store).refresh_item(e.reservation.item_id);
  });
  c.on<inventory::ReservationReleased>(
      [](host::Delivery& d, const inventory::ReservationReleased& e) {
        Bi(d.store).refresh_item(e.reservation.item_id);
      });
  c.on<asset::FaultReported>([](host::Delivery& d, const asset::FaultReported& e) {
    Bi(d.store).refresh_fault(e.fault.id);
  });
  c.on<asset::FaultClosed>([](host::Delivery& d, const asset::FaultClosed& e) {
    Bi(d.store).refresh_fault(e.fault.id);
  });
  c.on<telemetry::AlarmRaised>([](host::Delivery& d, const telemetry::AlarmRaised& e) {
    Bi bi(d.store);
    bi.refresh_alarm(e.point_id, e.kind, static_cast<std::int64_t>(e.episode));
    bi.refresh_flood(e.time);
  });
  c.on<telemetry::AlarmCleared>([](host::Delivery& d, const telemetry::AlarmCleared& e) {
    Bi(d.store).refresh_alarm(e.point_id, e.kind, static_cast<std::int64_t>(e.episode));
  });
  return c;
}

}  // namespace houqin::bi
