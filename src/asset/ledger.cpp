#include "houqin/asset/ledger.hpp"

#include <algorithm>
#include <map>

#include "houqin/audit/call.hpp"
#include "houqin/core/validate.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::asset {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Asset, Fault, AssetEvent>("asset");
// Read-only through the generic entity API: the ledger's transition table decides changes.
[[maybe_unused]] const bool exposed =
    store::expose<Asset, Fault, AssetEvent>({.read = "", .write = "", .read_personal = ""});

std::string name_of(const Asset& a) {
  return "asset " + a.code;
}

auth::Scope scope_of(const Asset& a) {
  return auth::Scope{a.department_id, std::nullopt};
}

std::optional<Fault> open_fault(store::Store& s, Id asset_id) {
  return Repository<Fault>(s).find_one(
      Query<Fault>().where(&Fault::asset_id, Op::eq, asset_id).where_null(&Fault::ended_at));
}

std::optional<AssetEvent> last_event(store::Store& s, Id asset_id) {
  return Repository<AssetEvent>(s).find_one(Query<AssetEvent>()
                                                .where(&AssetEvent::asset_id, Op::eq, asset_id)
                                                .order_by(&AssetEvent::at, true)
                                                .order_by(&AssetEvent::id, true));
}

const Transition& transition_for(EventKind kind) {
  for (const auto& t : transitions())
    if (t.kind == kind) return t;
  fail(ErrorCode::failed_precondition,
       std::string(enum_name(kind)) + " is recorded when the asset is registered");
}

/// Applies one event inside an audited call: checks the table and the time order, ends the open
/// fault where the event does, updates the asset, writes and publishes the event.
AssetEvent apply(store::Store& s, audit::Call& call, Asset& asset, const EventRequest& r,
                 std::optional<Id> fault_id = std::nullopt) {
  const auto now = s.clock().now();
  const auto at = r.at.value_or(now);
  if (asset.status == AssetStatus::scrapped)
    fail(ErrorCode::failed_precondition,
         name_of(asset) + " is scrapped: no events after scrapping");
  const auto& t = transition_for(r.kind);
  if (std::find(t.from.begin(), t.from.end(), asset.status) == t.from.end())
    fail(ErrorCode::failed_precondition, name_of(asset) + " is " +
                                             std::string(enum_name(asset.status)) + ": cannot be " +
                                             std::string(enum_name(r.kind)));
  if (at > now)
    fail(ErrorCode::invalid_argument, "at: " + format_timestamp(at) + " is in the future");
  if (auto last = last_event(s, asset.id); last && at < last->at)
    fail(ErrorCode::invalid_argument, "at: " + format_timestamp(at) + " is before " +
                                          name_of(asset) + "'s last event (" +
                                          format_timestamp(last->at) + ")");
  auto before = json::to_json(asset);
  AssetEvent e;
  e.asset_id = asset.id;
  e.kind = r.kind;
  e.at = at;
  e.actor = call.actor().label();
  e.note = r.note;
  e.status_before = asset.status;
  e.work_order_id = r.work_order_id;
  e.fault_id = fault_id;

  if (r.kind == EventKind::transferred) {
    const bool room = r.room_id && r.room_id != asset.room_id;
    const bool dept = r.department_id && r.department_id != asset.department_id;
    if (!room && !dept)
      fail(ErrorCode::invalid_argument,
           "room_id, department_id: a transfer needs a new room or department");
    if (dept) call.require("asset.edit", {r.department_id, std::nullopt});
    e.from_room_id = asset.room_id;
    e.from_department_id = asset.department_id;
    if (room) asset.room_id = r.room_id;
    if (dept) asset.department_id = r.department_id;
    e.to_room_id = asset.room_id;
    e.to_department_id = asset.department_id;
  } else if (r.room_id || r.department_id) {
    if (r.kind != EventKind::installed)
      fail(ErrorCode::invalid_argument,
           "room_id, department_id: only installed and transferred events place an asset");
    if (r.department_id && r.department_id != asset.department_id)
      call.require("asset.edit", {r.department_id, std::nullopt});
    e.from_room_id = asset.room_id;
    e.from_department_id = asset.department_id;
    if (r.room_id) asset.room_id = r.room_id;
    if (r.department_id) asset.department_id = r.department_id;
    e.to_room_id = asset.room_id;
    e.to_department_id = asset.department_id;
  }

  // The events that end downtime close the open fault at the event's time.
  const bool ends_fault =
      asset.status == AssetStatus::down || asset.status == AssetStatus::maintenance;
  if (ends_fault && (r.kind == EventKind::repaired || r.kind == EventKind::maintained ||
                     r.kind == EventKind::scrapped)) {
    if (auto f = open_fault(s, asset.id)) {
      if (at < f->started_at)
        fail(ErrorCode::invalid_argument, "at: " + format_timestamp(at) + " is before fault " +
                                              std::to_string(f->id) + " started (" +
                                              format_timestamp(f->started_at) + ")");
      auto fault_before = json::to_json(*f);
      f->ended_at = at;
      Repository<Fault>(s).update(*f);
      call.record(entity_traits<Fault>::table, f->id, fault_before, json::to_json(*f));
      e.fault_id = f->id;
      if (!e.work_order_id) e.work_order_id = f->work_order_id;
      s.events().publish(FaultClosed{*f}, call.actor().label());
    }
  }
  if (t.to) asset.status = *t.to;
  e.status_after = asset.status;
  Repository<Asset>(s).update(asset);
  call.record(entity_traits<Asset>::table, asset.id, before, json::to_json(asset));
  Repository<AssetEvent>(s).insert(e);
  call.record(entity_traits<AssetEvent>::table, e.id, std::nullopt, json::to_json(e));
  s.events().publish(AssetEventRecorded{e}, call.actor().label());
  return e;
}

double hours(std::chrono::microseconds d) {
  return std::chrono::duration<double, std::ratio<3600>>(d).count();
}

/// Adds one asset's figures over [from, to) to `out`.
void accumulate(store::Store& s, const Asset& a, Timestamp from, Timestamp to, Reliability& out) {
  ++out.assets;
  auto events = Repository<AssetEvent>(s).find(
      Query<AssetEvent>().where(&AssetEvent::asset_id, Op::eq, a.id).order_by(&AssetEvent::at));
  std::optional<Timestamp> since, until;
  for (const auto& e : events) {
    if (e.kind == EventKind::accepted && !since) since = e.at;
    if (e.kind == EventKind::scrapped) until = e.at;
  }
  if (!since) return;  // never in service: no exposure
  const auto start = std::max(from, *since);
  const auto end = until ? std::min(to, *until) : to;
  if (end <= start) return;
  out.exposure_hours += hours(end - start);
  double down = 0, planned = 0;
  for (const auto& f :
       Repository<Fault>(s).find(Query<Fault>().where(&Fault::asset_id, Op::eq, a.id))) {
    const auto f_end = f.ended_at.value_or(end);
    const auto lo = std::max(start, f.started_at);
    const auto hi = std::min(end, f_end);
    if (hi > lo) (f.planned ? planned : down) += hours(hi - lo);
    if (f.planned) continue;
    if (f.started_at >= start && f.started_at < end) ++out.failures;
    if (f.ended_at && *f.ended_at >= start && *f.ended_at < end) {
      ++out.repairs;
      out.repair_hours += hours(*f.ended_at - f.started_at);
    }
  }
  out.downtime_hours += down;
  out.planned_downtime_hours += planned;
  out.operating_hours += hours(end - start) - down - planned;
}

void finish(Reliability& r) {
  if (r.failures > 0) r.mtbf_hours = r.operating_hours / static_cast<double>(r.failures);
  if (r.repairs > 0) r.mttr_hours = r.repair_hours / static_cast<double>(r.repairs);
  if (r.operating_hours + r.downtime_hours > 0)
    r.availability = r.operating_hours / (r.operating_hours + r.downtime_hours);
}

void check_period(Timestamp from, Timestamp to) {
  if (to <= from)
    fail(ErrorCode::invalid_argument,
         "to: " + format_timestamp(to) + " is not after from " + format_timestamp(from));
}

}  // namespace

void Asset::validate() const {
  require_code(code, "code");
  require_text(name, "name");
  require_text(category, "category");
  if (purchase_price && *purchase_price < 0)
    fail(ErrorCode::invalid_argument, "purchase_price: must not be negative");
  if (purchase_date && warranty_end && *warranty_end < *purchase_date)
    fail(ErrorCode::invalid_argument, "warranty_end: " + format_date(*warranty_end) +
                                          " is before purchase_date " +
                                          format_date(*purchase_date));
}

const std::vector<Transition>& transitions() {
  using S = AssetStatus;
  using K = EventKind;
  static const std::vector<Transition> table = {
      {K::installed, {S::procured}, S::installed},
      {K::accepted, {S::installed}, S::in_service},
      {K::transferred, {S::procured, S::installed, S::in_service, S::down, S::maintenance}, {}},
      {K::repaired, {S::in_service, S::down}, S::in_service},
      {K::maintained, {S::in_service, S::maintenance}, S::in_service},
      {K::calibrated, {S::installed, S::in_service}, {}},
      {K::scrapped,
       {S::procured, S::installed, S::in_service, S::down, S::maintenance},
       S::scrapped},
  };
  return table;
}

std::vector<store::Migration> migrations() {
  return {
      {"asset", 1, "assets, lifecycle events, faults",
       [](store::Store& s) {
         store::create_table<Asset>(s);
         store::create_table<Fault>(s);
         store::create_table<AssetEvent>(s);
         s.execute(
             "CREATE INDEX IF NOT EXISTS asset_fault_work_order ON asset_fault (work_order_id)");
       }},
  };
}

Asset Ledger::register_asset(const auth::Actor& actor, Asset a) {
  return audit::audited(store_, actor, "asset.register", [&](audit::Call& call) {
    call.require("asset.edit", scope_of(a));
    if (a.status != AssetStatus::procured && a.status != AssetStatus::in_service)
      fail(ErrorCode::invalid_argument,
           "status: an asset enters the ledger procured or in_service, not " +
               std::string(enum_name(a.status)));
    const auto now = store_.clock().now();
    const auto target = a.status;
    a.id = 0;
    a.status = AssetStatus::procured;
    Repository<Asset>(store_).insert(a);
    call.record(entity_traits<Asset>::table, a.id, std::nullopt, json::to_json(a));
    AssetEvent e;
    e.asset_id = a.id;
    e.kind = EventKind::procured;
    e.at = now;
    e.actor = actor.label();
    e.status_before = e.status_after = AssetStatus::procured;
    e.to_room_id = a.room_id;
    e.to_department_id = a.department_id;
    Repository<AssetEvent>(store_).insert(e);
    call.record(entity_traits<AssetEvent>::table, e.id, std::nullopt, json::to_json(e));
    store_.events().publish(AssetEventRecorded{e}, actor.label());
    if (target == AssetStatus::in_service) {
      a.status = AssetStatus::installed;  // an existing device: installed and accepted at once
      EventRequest accept{a.id, EventKind::accepted, now, "registered in service", {}, {}, {}};
      apply(store_, call, a, accept);
    }
    return a;
  });
}

AssetEvent Ledger::record_event(const auth::Actor& actor, const EventRequest& r) {
  return audit::audited(store_, actor, "asset.event", [&](audit::Call& call) {
    call.target(entity_traits<Asset>::table, r.asset_id);
    auto a = Repository<Asset>(store_).require(r.asset_id);
    call.require("asset.edit", scope_of(a));
    return apply(store_, call, a, r);
  });
}

Fault Ledger::report_fault(const auth::Actor& actor, const FaultRequest& r) {
  return audit::audited(store_, actor, "asset.report_fault", [&](audit::Call& call) {
    call.target(entity_traits<Asset>::table, r.asset_id);
    auto a = Repository<Asset>(store_).require(r.asset_id);
    call.require("asset.edit", scope_of(a));
    const auto now = store_.clock().now();
    const auto at = r.started_at.value_or(now);
    if (at > now)
      fail(ErrorCode::invalid_argument,
           "started_at: " + format_timestamp(at) + " is in the future");
    if (auto open = open_fault(store_, a.id))
      fail(ErrorCode::failed_precondition,
           name_of(a) + " already has open fault " + std::to_string(open->id));
    if (a.status != AssetStatus::in_service)
      fail(ErrorCode::failed_precondition, name_of(a) + " is " + std::string(enum_name(a.status)) +
                                               ": only an asset in service can fail");
    if (auto last = last_event(store_, a.id); last && at < last->at)
      fail(ErrorCode::invalid_argument, "started_at: " + format_timestamp(at) + " is before " +
                                            name_of(a) + "'s last event (" +
                                            format_timestamp(last->at) + ")");
    Fault f;
    f.asset_id = a.id;
    f.work_order_id = r.work_order_id;
    f.started_at = at;
    f.planned = r.planned;
    f.description = r.description;
    f.reported_by = actor.label();
    Repository<Fault>(store_).insert(f);
    call.record(entity_traits<Fault>::table, f.id, std::nullopt, json::to_json(f));
    auto before = json::to_json(a);
    a.status = r.planned ? AssetStatus::maintenance : AssetStatus::down;
    Repository<Asset>(store_).update(a);
    call.record(entity_traits<Asset>::table, a.id, before, json::to_json(a));
    store_.events().publish(FaultReported{f}, actor.label());
    return f;
  });
}

Fault Ledger::close_fault(const auth::Actor& actor, const CloseFaultRequest& r) {
  return audit::audited(store_, actor, "asset.close_fault", [&](audit::Call& call) {
    call.target(entity_traits<Fault>::table, r.fault_id);
    auto f = Repository<Fault>(store_).require(r.fault_id);
    auto a = Repository<Asset>(store_).require(f.asset_id);
    call.require("asset.edit", scope_of(a));
    if (f.ended_at)
      fail(ErrorCode::failed_precondition,
           "fault " + std::to_string(f.id) + " ended at " + format_timestamp(*f.ended_at));
    EventRequest e{a.id,
                   f.planned ? EventKind::maintained : EventKind::repaired,
                   r.ended_at,
                   r.note,
                   {},
                   {},
                   f.work_order_id};
    apply(store_, call, a, e);
    return Repository<Fault>(store_).require(f.id);
  });
}

std::vector<Fault> Ledger::close_work_order_faults(const auth::Actor& actor,
                                                   const CloseOrderFaultsRequest& r) {
  std::vector<Fault> out;
  auto open =
      Repository<Fault>(store_).find(Query<Fault>()
                                         .where(&Fault::work_order_id, Op::eq, r.work_order_id)
                                         .where_null(&Fault::ended_at));
  store::in_transaction(store_, [&] {
    for (const auto& f : open) out.push_back(close_fault(actor, {f.id, r.ended_at, r.note}));
  });
  return out;
}

Archive Ledger::archive(Id asset_id) {
  Archive out;
  out.asset = Repository<Asset>(store_).require(asset_id);
  out.events =
      Repository<AssetEvent>(store_).find(Query<AssetEvent>()
                                              .where(&AssetEvent::asset_id, Op::eq, asset_id)
                                              .order_by(&AssetEvent::at)
                                              .order_by(&AssetEvent::id));
  out.faults = Repository<Fault>(store_).find(Query<Fault>()
                                                  .where(&Fault::asset_id, Op::eq, asset_id)
                                                  .order_by(&Fault::started_at)
                                                  .order_by(&Fault::id));
  return out;
}

Reliability Ledger::reliability(const ReliabilityRequest& r) {
  check_period(r.from, r.to);
  if (r.asset_id.has_value() == r.category.has_value())
    fail(ErrorCode::invalid_argument, "asset_id, category: give exactly one");
  Reliability out;
  out.from = r.from;
  out.to = r.to;
  if (r.asset_id) {
    auto a = Repository<Asset>(store_).require(*r.asset_id);
    out.asset_id = a.id;
    out.category = a.category;
    accumulate(store_, a, r.from, r.to, out);
  } else {
    out.category = *r.category;
    for (const auto& a : Repository<Asset>(store_).find(
             Query<Asset>().where(&Asset::category, Op::eq, *r.category)))
      accumulate(store_, a, r.from, r.to, out);
  }
  finish(out);
  return out;
}

std::vector<Reliability> Ledger::reliability_by_category(Timestamp from, Timestamp to) {
  check_period(from, to);
  std::map<std::string, Reliability> by;
  for (const auto& a : Repository<Asset>(store_).find()) {
    auto& r = by[a.category];
    r.category = a.category;
    r.from = from;
    r.to = to;
    accumulate(store_, a, from, to, r);
  }
  std::vector<Reliability> out;
  for (auto& [c, r] : by) {
    finish(r);
    out.push_back(std::move(r));
  }
  return out;
}

// ---- integrity check and registered operations ----

namespace {

/// down <=> an open unplanned fault; maintenance <=> an open planned one.
void status_matches_faults(store::Store& s, std::vector<protect::Finding>& out) {
  std::map<Id, Fault> open;
  for (auto& f : Repository<Fault>(s).find(Query<Fault>().where_null(&Fault::ended_at)))
    open[f.asset_id] = f;
  for (const auto& a : Repository<Asset>(s).find(Query<Asset>().order_by(&Asset::id))) {
    auto it = open.find(a.id);
    std::optional<AssetStatus> expected;
    if (it != open.end())
      expected = it->second.planned ? AssetStatus::maintenance : AssetStatus::down;
    const bool downish = a.status == AssetStatus::down || a.status == AssetStatus::maintenance;
    if ((expected && a.status == *expected) || (!expected && !downish)) continue;
    out.push_back({"impossible_state",
                   std::string(entity_traits<Asset>::table),
                   {a.id},
                   "asset_asset " + std::to_string(a.id) + " (" + a.code + "): status " +
                       std::string(enum_name(a.status)) +
                       (expected ? " but its open fault needs " + std::string(enum_name(*expected))
                                 : std::string(" without an open fault"))});
  }
}

[[maybe_unused]] const bool checks_registered = [] {
  protect::register_check("asset.status_matches_faults", status_matches_faults);
  return true;
}();

}  // namespace

}  // namespace houqin::asset
