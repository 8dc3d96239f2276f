#include "houqin/repair/work_orders.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <random>

#include "houqin/audit/call.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/repair/sla.hpp"
#include "houqin/store/repository.hpp"
#include "repair/workflow_rules.hpp"

namespace houqin::repair {
namespace {

using store::Op;
using store::Query;
using store::Repository;

auth::Scope scope_of(const WorkOrder& o) {
  return {o.department_id, o.building_id};
}

using workflow::acting_staff;
using workflow::order_name;

std::string lower(std::string_view v) {
  std::string out(v);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string day_code(Timestamp t) {
  auto d = format_date(std::chrono::floor<std::chrono::days>(t + std::chrono::hours(8)));
  d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
  return d;
}

}  // namespace

std::string normalize_phone(std::string_view number) {
  std::string digits;
  for (char c : number)
    if (c >= '0' && c <= '9') digits += c;
  if (digits.rfind("0086", 0) == 0 && digits.size() > 11)
    digits.erase(0, 4);
  else if (digits.rfind("86", 0) == 0 && digits.size() == 13)
    digits.erase(0, 2);
  return digits;
}

WorkOrders::WorkOrders(store::Store& store, WorkOrderSettings settings)
    : store_(store), settings_(std::move(settings)) {}

// ---- reporting ---------------------------------------------------------------------------------

namespace {

WorkOrder report_impl(store::Store& s, const auth::Actor& actor, const ReportInput& in,
                      bool unknown_caller) {
  return audit::audited(s, actor, "repair.report", [&](audit::Call& call) {
    WorkOrder o;
    o.channel = in.channel;
    o.reporter_staff_id = in.reporter_staff_id;
    o.reporter_phone = in.reporter_phone;
    o.patient_name = in.patient_name;
    o.patient_bed = in.patient_bed;
    o.unknown_caller = unknown_caller;
    o.room_id = in.room_id;
    o.department_id = in.department_id;
    o.asset_id = in.asset_id;
    o.repair_item_id = in.repair_item_id;
    o.category = in.category;
    o.urgency = in.urgency;
    o.impact = in.impact;
    o.priority = priority_of(in.urgency, in.impact);
    o.description = in.description;
    o.attachments = in.attachments;
    o.pooled = in.pooled;
    if (in.room_id) {
      auto room = Repository<site::Room>(s).get(*in.room_id);
      if (!room)
        fail(ErrorCode::not_found, "room_id: room " + std::to_string(*in.room_id) + " not found");
      auto floor = Repository<site::Floor>(s).require(room->floor_id);
      o.building_id = floor.building_id;
      if (!o.department_id) o.department_id = room->department_id;
    }
    if (in.reporter_staff_id) {
      auto st = Repository<site::Staff>(s).get(*in.reporter_staff_id);
      if (!st)
        fail(ErrorCode::not_found,
             "reporter_staff_id: staff " + std::to_string(*in.reporter_staff_id) + " not found");
      if (!o.department_id) o.department_id = st->department_id;
    }
    if (in.repair_item_id) {
      auto item = Repository<RepairItem>(s).get(*in.repair_item_id);
      if (!item)
        fail(ErrorCode::not_found,
             "repair_item_id: repair item " + std::to_string(*in.repair_item_id) + " not found");
      if (o.category.empty()) o.category = item->category;
    }
    call.require("repair.report", scope_of(o));
    auto now = s.clock().now();
    o.reported_at = now;
    o.status = Status::reported;
    // The code names the id, known only after the insert: a placeholder no other report can
    // hold at the same time (random across processes and connections), replaced below.
    o.code = "new-" + std::to_string(std::random_device{}()) + "-" +
             std::to_string(std::random_device{}());
    Sla(s).start(o);
    Repository<WorkOrder> repo(s);
    repo.insert(o);
    o.code = "WO-" + day_code(now) + "-" + std::to_string(o.id);
    repo.update(o);
    TransitionRecord rec{0,
                         0,
                         o.id,
                         Action::report,
                         Status::reported,
                         Status::reported,
                         actor.label(),
                         now,
                         {},
                         std::nullopt,
                         {}};
    Repository<TransitionRecord>(s).insert(rec);
    call.record("repair_work_order", o.id, std::nullopt, json::to_json(o), o.code);
    s.events().publish(WorkOrderReported{o.id, o.code, o.channel, o.priority, o.room_id, o.asset_id,
                                         o.repair_item_id, o.unknown_caller, now},
                       actor.label());
    s.events().publish(WorkOrderEvent{o.id,
                                      o.code,
                                      Action::report,
                                      Status::reported,
                                      Status::reported,
                                      actor.label(),
                                      now,
                                      {}},
                       actor.label());
    return o;
  });
}

}  // namespace

WorkOrder WorkOrders::report(const auth::Actor& actor, const ReportInput& in) {
  return report_impl(store_, actor, in, false);
}

PhonePrefill WorkOrders::phone_lookup(const auth::Actor& actor, const std::string& number) {
  return audit::audited(store_, actor, "repair.phone_lookup", [&](audit::Call& call) {
    call.require("repair.report");
    PhonePrefill out;
    auto wanted = normalize_phone(number);
    if (wanted.size() < 3) {
      call.record("site_staff", std::nullopt, std::nullopt, std::nullopt, "number too short");
      return out;
    }
    // Phones are sealed with a random nonce: SQL cannot compare them. Staff lists are small
    // (thousands), so the numbers are opened and matched here; see docs/repair.md.
    auto staff = Repository<site::Staff>(store_).find(
        Query<site::Staff>().where(&site::Staff::active, Op::eq, true));
    for (const auto& st : staff) {
      if (!st.phone || normalize_phone(*st.phone) != wanted) continue;
      out.known = true;
      out.staff_id = st.id;
      out.staff_name = st.name;
      out.department_id = st.department_id;
      if (auto d = Repository<site::Department>(store_).get(st.department_id))
        out.department_name = d->name;
      break;
    }
    call.record("site_staff", out.staff_id, std::nullopt, std::nullopt,
                out.known ? "caller identified by phone" : "unknown caller number");
    if (!out.known) return out;
    std::map<Id, int> used;
    for (const auto& o : Repository<WorkOrder>(store_).find(
             Query<WorkOrder>().where(&WorkOrder::reporter_staff_id, Op::eq, *out.staff_id)))
      if (o.room_id) ++used[*o.room_id];
    std::vector<std::pair<int, Id>> ranked;
    for (auto [room, n] : used) ranked.emplace_back(-n, room);
    std::sort(ranked.begin(), ranked.end());
    // Rooms no longer in use (deactivated, e.g. by the HIS) are not suggested.
    Repository<site::Room> rooms(store_);
    for (auto [n, room] : ranked)
      if (auto r = rooms.get(room); r && r->active) out.usual_rooms.push_back(room);
    for (const auto& r :
         rooms.find(Query<site::Room>()
                        .where(&site::Room::department_id, Op::eq, *out.department_id)
                        .where(&site::Room::active, Op::eq, true)
                        .order_by(&site::Room::code)))
      if (!used.count(r.id)) out.usual_rooms.push_back(r.id);
    return out;
  });
}

WorkOrder WorkOrders::phone_intake(const auth::Actor& actor, const PhoneIntakeInput& in) {
  return store::in_transaction(store_, [&] {
    auto pre = phone_lookup(actor, in.caller_number);
    ReportInput r;
    r.channel = Channel::phone;
    r.reporter_staff_id = pre.staff_id;
    auto phone = normalize_phone(in.caller_number);
    if (!phone.empty()) r.reporter_phone = phone;
    r.patient_name = in.patient_name;
    r.patient_bed = in.patient_bed;
    r.room_id = in.room_id;
    if (!r.room_id && !pre.usual_rooms.empty()) r.room_id = pre.usual_rooms.front();
    r.department_id = pre.department_id;
    r.asset_id = in.asset_id;
    r.repair_item_id = in.repair_item_id;
    r.category = in.category;
    r.urgency = in.urgency;
    r.impact = in.impact;
    r.description = in.description;
    return report_impl(store_, actor, r, !pre.known);
  });
}

// ---- transitions -------------------------------------------------------------------------------

// A row of the table in workflow.cpp, run the same way for every action: authorise in the
// order's scope, admit (state, inputs, the row's guard), move the SLA clocks, apply the row's
// effect and status, store the order with its history row and audit record, then publish
// WorkOrderEvent and the row's own events.
WorkOrder WorkOrders::apply(const auth::Actor& actor, Action action, Id id,
                            const workflow::Request& rq) {
  const workflow::Rule& rule = workflow::rule(action);
  const Transition& t = rule.row;
  return audit::audited(
      store_, actor, "repair." + std::string(enum_name(action)), [&](audit::Call& call) {
        call.target("repair_work_order", id);
        Repository<WorkOrder> repo(store_);
        auto o = repo.get(id);
        if (!o) fail(ErrorCode::not_found, "work order " + std::to_string(id) + ": not found");
        call.require(t.permission, scope_of(*o));
        const workflow::Step step{
            store_, actor, settings_, rq, o->status, o->technician_id, store_.clock().now()};
        workflow::admit(rule, step, *o);
        auto before = json::to_json(*o);
        Sla(store_).on_transition(*o, t.to, step.now);
        if (rule.effect) rule.effect(step, *o);
        o->status = t.to;
        repo.update(*o);
        TransitionRecord rec{0,
                             0,
                             o->id,
                             action,
                             step.from,
                             t.to,
                             actor.label(),
                             step.now,
                             rq.reason,
                             o->technician_id,
                             rq.corrections ? rq.corrections->dump() : std::string()};
        Repository<TransitionRecord>(store_).insert(rec);
        call.record("repair_work_order", o->id, before, json::to_json(*o), rq.reason);
        store_.events().publish(WorkOrderEvent{o->id, o->code, action, step.from, t.to,
                                               actor.label(), step.now, rq.reason},
                                actor.label());
        if (rule.emit) rule.emit(step, *o);
        return *o;
      });
}

WorkOrder WorkOrders::approve(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::approve, in.work_order_id, c);
}
WorkOrder WorkOrders::dispatch(const auth::Actor& a, const DispatchInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  c.technician = in.technician_id;
  return apply(a, Action::dispatch, in.work_order_id, c);
}
WorkOrder WorkOrders::reassign(const auth::Actor& a, const DispatchInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  c.technician = in.technician_id;
  return apply(a, Action::reassign, in.work_order_id, c);
}
WorkOrder WorkOrders::grab(const auth::Actor& a, const GrabInput& in) {
  workflow::Request c;
  c.technician = in.technician_id ? in.technician_id : acting_staff(store_, a);
  if (!c.technician)
    fail(ErrorCode::invalid_argument,
         "technician_id: required when the acting user is not linked to a staff member");
  try {
    return apply(a, Action::grab, in.work_order_id, c);
  } catch (const Error& e) {
    // Two technicians at once: the loser's version check fails; say what happened.
    if (e.code() == ErrorCode::conflict)
      fail(ErrorCode::failed_precondition,
           "work order " + std::to_string(in.work_order_id) + ": already taken");
    throw;
  }
}
WorkOrder WorkOrders::accept(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::accept, in.work_order_id, c);
}
WorkOrder WorkOrders::start(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::start, in.work_order_id, c);
}
WorkOrder WorkOrders::hold(const auth::Actor& a, const HoldInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  c.hold_reason = in.hold_reason;
  return apply(a, Action::hold, in.work_order_id, c);
}
WorkOrder WorkOrders::resume(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::resume, in.work_order_id, c);
}
WorkOrder WorkOrders::complete(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::complete, in.work_order_id, c);
}
WorkOrder WorkOrders::verify(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::verify, in.work_order_id, c);
}
WorkOrder WorkOrders::close(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::close, in.work_order_id, c);
}
WorkOrder WorkOrders::reopen(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::reopen, in.work_order_id, c);
}
WorkOrder WorkOrders::cancel(const auth::Actor& a, const OrderInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  return apply(a, Action::cancel, in.work_order_id, c);
}
WorkOrder WorkOrders::correct(const auth::Actor& a, const CorrectInput& in) {
  workflow::Request c;
  c.reason = in.reason;
  c.corrections = &in.changes;
  return apply(a, Action::correct, in.work_order_id, c);
}

// ---- dispatch ----------------------------------------------------------------------------------

DispatchDecision WorkOrders::explain_dispatch(const auth::Actor& actor, Id id) {
  return audit::audited(store_, actor, "repair.explain_dispatch", [&](audit::Call& call) {
    auto o = Repository<WorkOrder>(store_).require(id);
    call.require("repair.dispatch", scope_of(o));
    call.quiet();
    return DispatchBoard(store_, settings_.dispatch).decide(o, store_.clock().now());
  });
}

std::vector<DispatchDecision> WorkOrders::auto_dispatch_many(const auth::Actor& actor,
                                                             const std::vector<Id>& ids) {
  DispatchBoard board(store_, settings_.dispatch);
  std::vector<DispatchDecision> out;
  out.reserve(ids.size());
  for (Id id : ids) {
    auto o = Repository<WorkOrder>(store_).get(id);
    if (!o) fail(ErrorCode::not_found, "work order " + std::to_string(id) + ": not found");
    auto d = board.decide(*o, store_.clock().now());
    if (d.chosen) {
      workflow::Request c;
      c.reason = "automatic dispatch";
      c.technician = d.chosen;
      c.by = AssignedBy::automatic;
      c.known_team = d.candidates.front().team;
      apply(actor, Action::dispatch, id, c);
      board.assigned(*d.chosen, o->room_id);
    } else {  // nobody eligible: still authorised, and on record for the dispatch desk
      audit::audited(store_, actor, "repair.auto_dispatch", [&](audit::Call& call) {
        call.require("repair.dispatch", scope_of(*o));
        call.record("repair_work_order", id, std::nullopt, std::nullopt, "no eligible technician");
      });
    }
    out.push_back(std::move(d));
  }
  return out;
}

DispatchDecision WorkOrders::auto_dispatch(const auth::Actor& actor, Id id) {
  return auto_dispatch_many(actor, {id}).front();
}

std::vector<WorkOrder> WorkOrders::pool(const auth::Actor& actor) {
  return audit::audited(store_, actor, "repair.pool", [&](audit::Call& call) {
    call.require("repair.work");
    auto rows = Repository<WorkOrder>(store_).find(
        Query<WorkOrder>()
            .where(&WorkOrder::pooled, Op::eq, true)
            .where_in(&WorkOrder::status, std::vector<Status>{Status::reported, Status::approved})
            .order_by(&WorkOrder::priority)
            .order_by(&WorkOrder::reported_at));
    for (auto& o : rows) {  // the pool shows the job, not the people
      if (o.reporter_phone) o.reporter_phone = protect::mask(*o.reporter_phone, Mask::phone);
      if (o.patient_name) o.patient_name = protect::mask(*o.patient_name, Mask::name);
      if (o.patient_bed) o.patient_bed = protect::mask(*o.patient_bed, Mask::full);
    }
    call.quiet();
    return rows;
  });
}

// ---- actuals and ratings -----------------------------------------------------------------------

LabourEntry WorkOrders::add_labour(const auth::Actor& actor, const LabourInput& in) {
  return audit::audited(store_, actor, "repair.add_labour", [&](audit::Call& call) {
    call.target("repair_work_order", in.work_order_id);
    Repository<WorkOrder> repo(store_);
    auto o = repo.require(in.work_order_id);
    call.require("repair.work", scope_of(o));
    constexpr StatusSet can_log = bit(Status::accepted) | bit(Status::in_progress) |
                                  bit(Status::on_hold) | bit(Status::completed);
    if (!(can_log & bit(o.status)))
      fail(ErrorCode::failed_precondition,
           order_name(o) + ": cannot add labour when " + std::string(enum_name(o.status)));
    LabourEntry e{0,
                  0,
                  o.id,
                  in.technician_id.value_or(o.technician_id.value_or(0)),
                  in.minutes,
                  in.note,
                  store_.clock().now()};
    if (e.technician_id == 0) fail(ErrorCode::invalid_argument, "technician_id: required");
    Repository<LabourEntry>(store_).insert(e);
    auto before = json::to_json(o);
    o.labour_minutes += in.minutes;
    repo.update(o);
    call.record("repair_labour", e.id, std::nullopt, json::to_json(e));
    call.record("repair_work_order", o.id, before, json::to_json(o));
    return e;
  });
}

WorkOrder WorkOrders::note_parts(const auth::Actor& actor, const PartsInput& in) {
  return audit::audited(store_, actor, "repair.note_parts", [&](audit::Call& call) {
    call.target("repair_work_order", in.work_order_id);
    Repository<WorkOrder> repo(store_);
    auto o = repo.require(in.work_order_id);
    call.require("repair.work", scope_of(o));
    if (o.status == Status::closed || o.status == Status::cancelled)
      fail(ErrorCode::failed_precondition,
           order_name(o) + ": is " + std::string(enum_name(o.status)));
    auto before = json::to_json(o);
    o.parts_used = in.parts_used;
    o.parts_reserved = in.parts_reserved;
    repo.update(o);
    call.record("repair_work_order", o.id, before, json::to_json(o));
    return o;
  });
}

Rating WorkOrders::rate(const auth::Actor& actor, const RateInput& in) {
  return audit::audited(store_, actor, "repair.rate", [&](audit::Call& call) {
    call.target("repair_work_order", in.work_order_id);
    auto o = Repository<WorkOrder>(store_).require(in.work_order_id);
    // The reporter rates; someone holding repair.close may record it for them (a callback).
    auto me = acting_staff(store_, actor);
    bool reporter = me && o.reporter_staff_id && *me == *o.reporter_staff_id;
    call.require(reporter ? "repair.report" : "repair.close", scope_of(o));
    constexpr StatusSet rateable =
        bit(Status::completed) | bit(Status::verified) | bit(Status::closed);
    if (!(rateable & bit(o.status)))
      fail(ErrorCode::failed_precondition,
           order_name(o) + ": cannot rate when " + std::string(enum_name(o.status)));
    Repository<Rating> ratings(store_);
    if (ratings.count(Query<Rating>().where(&Rating::work_order_id, Op::eq, o.id)) > 0)
      fail(ErrorCode::already_exists, order_name(o) + ": already rated");
    Rating r{0, 0, o.id, in.score, in.comment, actor.label(), store_.clock().now()};
    ratings.insert(r);
    call.record("repair_rating", r.id, std::nullopt, json::to_json(r));
    store_.events().publish(WorkOrderRated{o.id, r.score, o.technician_id, r.rated_at},
                            actor.label());
    return r;
  });
}

// ---- reads -------------------------------------------------------------------------------------

json::Json WorkOrders::get(const auth::Actor& actor, Id id) {
  return audit::audited(store_, actor, "repair.get", [&](audit::Call& call) {
    call.target("repair_work_order", id);
    auto o = Repository<WorkOrder>(store_).require(id);
    auto scope = scope_of(o);
    bool may = false;
    for (auto p : {"repair.report", "repair.work", "repair.dispatch", "repair.close"})
      may = may || actor.can(p, scope);
    if (!may) call.require("repair.report", scope);
    auto j = protect::present(store::table_info<WorkOrder>(), json::to_json(o), actor, scope);
    call.record("repair_work_order", o.id, std::nullopt, std::nullopt,
                actor.can("protect.unmask", scope) ? "read unmasked" : "read masked");
    return j;
  });
}

std::vector<TransitionRecord> WorkOrders::history(const auth::Actor& actor, Id id) {
  return audit::audited(store_, actor, "repair.history", [&](audit::Call& call) {
    auto o = Repository<WorkOrder>(store_).require(id);
    bool may = false;
    for (auto p : {"repair.report", "repair.work", "repair.dispatch", "repair.close"})
      may = may || actor.can(p, scope_of(o));
    if (!may) call.require("repair.report", scope_of(o));
    call.quiet();
    return Repository<TransitionRecord>(store_).find(
        Query<TransitionRecord>().where(&TransitionRecord::work_order_id, Op::eq, id));
  });
}

// ---- knowledge base and configuration ----------------------------------------------------------

namespace {
template <class T>
T save_entity(store::Store& s, const auth::Actor& actor, T value, const char* table) {
  return audit::audited(s, actor, "repair.configure", [&](audit::Call& call) {
    call.require("repair.configure");
    Repository<T> repo(s);
    std::optional<json::Json> before;
    if (value.id == 0) {
      repo.insert(value);
    } else {
      before = json::to_json(repo.require(value.id));
      repo.update(value);
    }
    call.record(table, value.id, before, json::to_json(value));
    return value;
  });
}
}  // namespace

RepairItem WorkOrders::save_item(const auth::Actor& actor, RepairItem item) {
  return save_entity(store_, actor, std::move(item), "repair_item");
}
Calendar save_config(store::Store& s, const auth::Actor& a, Calendar v) {
  return save_entity(s, a, std::move(v), "repair_calendar");
}
SlaPolicy save_config(store::Store& s, const auth::Actor& a, SlaPolicy v) {
  return save_entity(s, a, std::move(v), "repair_sla_policy");
}
SlaRule save_config(store::Store& s, const auth::Actor& a, SlaRule v) {
  return save_entity(s, a, std::move(v), "repair_sla_rule");
}
EscalationStep save_config(store::Store& s, const auth::Actor& a, EscalationStep v) {
  return save_entity(s, a, std::move(v), "repair_escalation_step");
}
Technician save_config(store::Store& s, const auth::Actor& a, Technician v) {
  return save_entity(s, a, std::move(v), "repair_technician");
}

std::vector<RepairItem> WorkOrders::search_items(std::string_view text, std::string_view category,
                                                 std::size_t limit) {
  Query<RepairItem> q;
  q.where(&RepairItem::active, Op::eq, true).order_by(&RepairItem::code);
  if (!category.empty()) q.where(&RepairItem::category, Op::eq, std::string(category));
  auto needle = lower(text);
  std::vector<std::pair<int, RepairItem>> hits;
  for (auto& item : Repository<RepairItem>(store_).find(q)) {
    int rank = -1;
    if (needle.empty() || lower(item.name).find(needle) != std::string::npos ||
        lower(item.code).find(needle) != std::string::npos)
      rank = 0;
    else {
      bool other = lower(item.category).find(needle) != std::string::npos;
      for (const auto& v : item.skills) other = other || lower(v).find(needle) != std::string::npos;
      for (const auto& v : item.typical_materials)
        other = other || lower(v).find(needle) != std::string::npos;
      if (other) rank = 1;
    }
    if (rank >= 0) hits.emplace_back(rank, std::move(item));
  }
  std::stable_sort(hits.begin(), hits.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RepairItem> out;
  for (auto& [r, item] : hits) {
    if (out.size() >= limit) break;
    out.push_back(std::move(item));
  }
  return out;
}

// ---- migrations --------------------------------------------------------------------------------

std::vector<store::Migration> migrations() {
  return {
      {"repair", 1, "work orders, history, labour, ratings, repair items, SLA, technicians",
       [](store::Store& s) {
         store::create_table<RepairItem>(s);
         store::create_table<Calendar>(s);
         store::create_table<SlaPolicy>(s);
         store::create_table<SlaRule>(s);
         store::create_table<EscalationStep>(s);
         store::create_table<Technician>(s);
         store::create_table<WorkOrder>(s);
         store::create_table<TransitionRecord>(s);
         store::create_table<LabourEntry>(s);
         store::create_table<Rating>(s);
         store::create_table<SlaFiring>(s);
       }},
      {"repair", 2, "the default SLA: 15 minutes to respond, 4 hours to resolve, around the clock",
       [](store::Store& s) {
         SlaPolicy p{0,  0,   "DEFAULT",    "Default (seed: respond within 15 min)",
                     15, 240, std::nullopt, {Status::on_hold},
                     ""};
         Repository<SlaPolicy>(s).insert(p);
         SlaRule r{0,
                   0,
                   "DEFAULT",
                   1000,
                   p.id,
                   std::nullopt,
                   std::nullopt,
                   std::nullopt,
                   std::nullopt,
                   std::nullopt,
                   false,
                   true};
         Repository<SlaRule>(s).insert(r);
       }},
  };
}

}  // namespace houqin::repair
