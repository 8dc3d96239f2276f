// The chain of custody of medical waste (see tracker.hpp).
#include "houqin/waste/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "houqin/audit/call.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::waste {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Manifest, Bag, Step, Rules>("waste");
// Read through the generic entity API with waste.read; changes go through the tracker only.
[[maybe_unused]] const bool exposed = store::expose<Manifest, Bag, Step, Rules>(
    {.read = "waste.read", .write = "", .read_personal = ""});
// Medical waste records are kept at least 3 years (医疗废物管理条例 Art. 12): no retention rule
// may keep them shorter.
[[maybe_unused]] const bool minimum_retention = [] {
  for (const char* table : {"waste_bag", "waste_step", "waste_manifest"})
    protect::set_minimum_retention(table, std::chrono::days(3 * 365));
  return true;
}();

/// The order of steps: which stage a step may start from, and what it needs.
struct Move {
  Stage from;
  Stage to;
  const char* permission;
  const char* name;
};
constexpr Move moves[] = {
    {Stage::generated, Stage::collected, "waste.handover", "collection"},
    {Stage::collected, Stage::stored, "waste.handover", "storage intake"},
    {Stage::stored, Stage::outbound, "waste.handover", "storage outbound"},
    {Stage::outbound, Stage::transferred, "waste.handover", "transfer"},
};

const Move& move_to(Stage to) {
  for (const auto& m : moves)
    if (m.to == to) return m;
  fail(ErrorCode::internal, "waste: no step into " + std::string(enum_name(to)));
}

std::string kg(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f kg", v);
  return buf;
}

auth::Scope scope_of(const Bag& b) {
  return auth::Scope{b.department_id, std::nullopt};
}

Bag require_bag(store::Store& s, const std::string& code) {
  if (code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
  auto b = Repository<Bag>(s).find_one(Query<Bag>().where(&Bag::code, Op::eq, code));
  if (!b) fail(ErrorCode::not_found, "waste bag " + code + " not found");
  return *b;
}

void check_weight(double w, WeightSource source, const std::string& note) {
  if (!(w > 0) || !(w < 1000))
    fail(ErrorCode::invalid_argument, "weight_kg: " + kg(w) + " is outside (0, 1000) kg");
  if (source == WeightSource::manual && note.empty())
    fail(ErrorCode::invalid_argument, "weight: a manual weight needs a note saying why");
}

/// The weight of a step: what the scale reads now when a scale point is given (before the
/// transaction opens: a Modbus round trip holds no locks), else the one reported.
struct Weighed {
  double kg = 0;
  WeightSource source = WeightSource::scale;
};
Weighed weigh(store::Store& s, double kg, WeightSource source, std::optional<Id> point) {
  if (!point) {
    if (kg == 0)
      fail(ErrorCode::invalid_argument,
           "weight_kg: missing; give the weight, or a scale_point_id to read it from");
    return {kg, source};
  }
  if (kg != 0)
    fail(ErrorCode::invalid_argument,
         "weight_kg: given with scale_point_id; the scale's reading is the weight, give one");
  if (source == WeightSource::manual)
    fail(ErrorCode::invalid_argument,
         "weight_source: manual with a scale_point_id; a weight read from a scale is source scale");
  return {read_scale(s, *point), WeightSource::scale};
}
StepInput weighed(store::Store& s, StepInput in) {
  auto w = weigh(s, in.weight_kg, in.weight_source, in.scale_point_id);
  in.weight_kg = w.kg;
  in.weight_source = w.source;
  return in;
}

/// The checks every move makes: the stage order and an unresolved mismatch.
void check_move(const Bag& b, const Move& m) {
  if (b.stage != m.from)
    fail(ErrorCode::failed_precondition, "waste bag " + b.code + ": " + m.name + " needs stage " +
                                             std::string(enum_name(m.from)) + ", the bag is " +
                                             std::string(enum_name(b.stage)));
  if (!b.weight_mismatch.empty())
    fail(ErrorCode::failed_precondition, "waste bag " + b.code + ": " + m.name +
                                             " is blocked by a weight mismatch (" +
                                             b.weight_mismatch + "); resolve it first");
}

/// The last weight recorded for a bag (its generation weight at first).
double last_weight(store::Store& s, const Bag& b) {
  auto steps = Repository<Step>(s).find(Query<Step>()
                                            .where(&Step::bag_id, Op::eq, b.id)
                                            .where_null(&Step::weight_kg, false)
                                            .order_by(&Step::id, true)
                                            .limit(1));
  return steps.empty() ? b.weight_kg : *steps.front().weight_kg;
}

/// Moves the bag into m.to with a step; reconciles the measured weight against the last one.
/// Returns the bag as stored.
Bag advance(store::Store& s, audit::Call& call, Bag b, const Move& m, const std::string& actor,
            const std::string& counterpart, const StepInput& in, double tolerance_pct,
            std::optional<Id> onto_manifest = std::nullopt) {
  check_move(b, m);
  check_weight(in.weight_kg, in.weight_source, in.note);
  if (in.cold && m.to != Stage::stored)
    fail(ErrorCode::invalid_argument, "cold: a bag goes into a cold store at storage intake only");
  const auto now = s.clock().now();
  const double expected = last_weight(s, b);
  const auto before = json::to_json(b);
  const Bag read = b;  // what update writes is what differs from it
  if (onto_manifest) b.manifest_id = onto_manifest;
  Step step{0,
            0,
            b.id,
            m.to,
            now,
            actor,
            counterpart,
            in.room_id,
            "",
            in.weight_kg,
            in.weight_source,
            in.note,
            in.scale_point_id};
  Repository<Step>(s).insert(step);
  b.stage = m.to;
  b.stage_at = now;
  if (m.to == Stage::stored) b.cold_stored = in.cold;
  b.offered_by.clear();
  const double diff_pct = std::abs(in.weight_kg - expected) / expected * 100.0;
  if (diff_pct > tolerance_pct) {
    char why[160];
    std::snprintf(why, sizeof why, "%s weighed %.3f kg against %.3f kg, %.1f %% > %.1f %%", m.name,
                  in.weight_kg, expected, diff_pct, tolerance_pct);
    b.weight_mismatch = why;
    s.events().publish(
        WeightMismatch{b.id, b.code, m.to, expected, in.weight_kg, tolerance_pct, now},
        call.actor().label());
  }
  Repository<Bag>(s).update(b, read);
  call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b), m.name);
  s.events().publish(BagStep{b.id, b.code, b.category, b.stage, in.weight_kg, now},
                     call.actor().label());
  return b;
}

std::string next_code(store::Store& s, ContainerKind kind, std::int32_t utc_offset_minutes) {
  const auto day =  // YYYY-MM-DD, local
      format_timestamp(s.clock().now() + std::chrono::minutes(utc_offset_minutes)).substr(0, 10);
  std::string prefix = (kind == ContainerKind::sharps_box ? "SB-" : "WB-") + day.substr(0, 4) +
                       day.substr(5, 2) + day.substr(8, 2) + "-";
  // The day's highest number, through the unique index on code (fixed width, so it orders
  // the same in every collation).
  auto last = Repository<Bag>(s).find(Query<Bag>()
                                          .where(&Bag::code, Op::ge, prefix + "000000")
                                          .where(&Bag::code, Op::le, prefix + "999999")
                                          .order_by(&Bag::code, true)
                                          .limit(1));
  long long n = last.empty() ? 0 : std::atoll(last.front().code.c_str() + prefix.size());
  char buf[24];
  std::snprintf(buf, sizeof buf, "%06lld", n + 1);
  return prefix + buf;
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {
      {"waste", 1, "medical waste: bags, chain of custody, manifests, rules",
       [](store::Store& s) {
         store::create_table<Manifest>(s);
         store::create_table<Bag>(s);
         store::create_table<Step>(s);
         store::create_table<Rules>(s);
       }},
      {"waste", 2, "cold storage, chain gaps, scale readings on steps", [](store::Store& s) {
         store::add_column(s, &Bag::cold_stored);
         store::add_column(s, &Bag::anomaly);
         store::add_column(s, &Step::scale_point_id);
         store::add_column(s, &Rules::cold_storage_limit_hours);
         store::add_column(s, &Rules::seal_within_hours);
         store::add_column(s, &Rules::collect_within_hours);
         store::add_column(s, &Rules::intake_within_hours);
         store::add_column(s, &Rules::transfer_within_hours);
         store::add_column(s, &Rules::utc_offset_minutes);
         // The timed checks look bags up by stage and time, the reports by production time.
         s.execute("CREATE INDEX IF NOT EXISTS waste_bag_stage ON waste_bag (stage, stage_at)");
         s.execute("CREATE INDEX IF NOT EXISTS waste_bag_produced ON waste_bag (produced_at)");
         // Rules saved before have the new limits at zero: give them the defaults.
         const Rules d;
         for (auto [column, v] : {std::pair{"cold_storage_limit_hours", d.cold_storage_limit_hours},
                                  std::pair{"seal_within_hours", d.seal_within_hours},
                                  std::pair{"collect_within_hours", d.collect_within_hours},
                                  std::pair{"intake_within_hours", d.intake_within_hours},
                                  std::pair{"transfer_within_hours", d.transfer_within_hours},
                                  std::pair{"utc_offset_minutes", d.utc_offset_minutes}})
           s.execute(std::string("UPDATE waste_rules SET ") + column + " = " + std::to_string(v) +
                     " WHERE " + column + " = 0");
       }}};
}

Rules Tracker::rules() {
  return store::settings<Rules>(store_);
}

Rules Tracker::save_rules(const auth::Actor& actor, Rules r) {
  return audit::audited(store_, actor, "waste.configure", [&](audit::Call& call) {
    call.require("waste.configure");
    if (!(r.tolerance_pct >= 0 && r.tolerance_pct <= 50))
      fail(ErrorCode::invalid_argument, "tolerance_pct: outside 0..50");
    if (r.storage_limit_hours < 1 || r.storage_limit_hours > 24 * 30)
      fail(ErrorCode::invalid_argument, "storage_limit_hours: outside 1..720");
    if (r.escalate_every_hours < 1 || r.escalate_every_hours > 24 * 7)
      fail(ErrorCode::invalid_argument, "escalate_every_hours: outside 1..168");
    if (r.cold_storage_limit_hours < 1 || r.cold_storage_limit_hours > 24 * 30)
      fail(ErrorCode::invalid_argument, "cold_storage_limit_hours: outside 1..720");
    for (auto [name, v] : {std::pair{"seal_within_hours", r.seal_within_hours},
                           std::pair{"collect_within_hours", r.collect_within_hours},
                           std::pair{"intake_within_hours", r.intake_within_hours},
                           std::pair{"transfer_within_hours", r.transfer_within_hours}})
      if (v < 1 || v > 24 * 30)
        fail(ErrorCode::invalid_argument, std::string(name) + ": outside 1..720");
    if (r.utc_offset_minutes < -14 * 60 || r.utc_offset_minutes > 14 * 60)
      fail(ErrorCode::invalid_argument, "utc_offset_minutes: outside -840..840");
    if (r.keep_years < 3)
      fail(ErrorCode::invalid_argument,
           "keep_years: " + std::to_string(r.keep_years) + " is below the 3 years required");
    store::save_settings(store_, r);
    call.record(entity_traits<Rules>::table, r.id, std::nullopt, json::to_json(r));
    return r;
  });
}

Bag Tracker::register_bag(const auth::Actor& actor, const RegisterInput& input) {
  RegisterInput in = input;
  const auto w = weigh(store_, in.weight_kg, in.weight_source, in.scale_point_id);
  in.weight_kg = w.kg;
  in.weight_source = w.source;
  return audit::audited(store_, actor, "waste.register", [&](audit::Call& call) {
    call.require("waste.collect", auth::Scope{in.department_id, std::nullopt});
    check_weight(in.weight_kg, in.weight_source, in.weight_note);
    if (in.kind == ContainerKind::sharps_box && in.category != Category::sharps)
      fail(ErrorCode::invalid_argument,
           "category: a sharps box holds sharps, not " + std::string(enum_name(in.category)));
    const auto now = store_.clock().now();
    Bag b;
    b.code = in.code.empty() ? next_code(store_, in.kind, rules().utc_offset_minutes) : in.code;
    b.kind = in.kind;
    b.category = in.category;
    b.department_id = in.department_id;
    b.room_id = in.room_id;
    b.producer = actor.label();
    b.produced_at = now;
    b.double_bagged = in.double_bagged;
    b.weight_kg = in.weight_kg;
    b.weight_source = in.weight_source;
    b.scale_point_id = in.scale_point_id;
    b.stage = Stage::generated;
    b.stage_at = now;
    b.notes = in.notes;
    Repository<Bag>(store_).insert(b);  // a code already used: Error(already_exists)
    Step step{0,
              0,
              b.id,
              Stage::generated,
              now,
              actor.label(),
              "",
              in.room_id,
              "",
              in.weight_kg,
              in.weight_source,
              in.weight_note,
              in.scale_point_id};
    Repository<Step>(store_).insert(step);
    call.record(entity_traits<Bag>::table, b.id, std::nullopt, json::to_json(b), "generation");
    store_.events().publish(BagStep{b.id, b.code, b.category, b.stage, b.weight_kg, now},
                            actor.label());
    return b;
  });
}

Bag Tracker::seal(const auth::Actor& actor, const SealInput& in) {
  return audit::audited(store_, actor, "waste.seal", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    call.require("waste.collect", scope_of(b));
    if (b.stage != Stage::generated)
      fail(ErrorCode::failed_precondition,
           "waste bag " + b.code + " is already " + std::string(enum_name(b.stage)));
    if (b.sealed_at) fail(ErrorCode::failed_precondition, "waste bag " + b.code + " is sealed");
    if (!in.at_three_quarters)
      fail(ErrorCode::invalid_argument,
           "at_three_quarters: a bag or box is sealed when 3/4 full; confirm it");
    const auto before = json::to_json(b);
    const Bag read = b;  // what update writes is what differs from it
    b.sealed_at = store_.clock().now();
    b.sealed_at_three_quarters = true;
    Repository<Bag>(store_).update(b, read);
    call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b), "sealed");
    return b;
  });
}

Bag Tracker::offer(const auth::Actor& nurse, const SealInput& in) {
  return audit::audited(store_, nurse, "waste.offer", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    call.require("waste.collect", scope_of(b));
    check_move(b, move_to(Stage::collected));
    if (!b.sealed_at)
      fail(ErrorCode::failed_precondition,
           "waste bag " + b.code + " is not sealed: seal it before the handover");
    const auto before = json::to_json(b);
    const Bag read = b;  // what update writes is what differs from it
    b.offered_by = nurse.label();
    Repository<Bag>(store_).update(b, read);
    call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b), "offered");
    return b;
  });
}

Bag Tracker::collect(const auth::Actor& collector, const StepInput& input) {
  const StepInput in = weighed(store_, input);
  return audit::audited(store_, collector, "waste.collect", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    const Move& m = move_to(Stage::collected);
    call.require(m.permission);
    if (b.offered_by.empty())
      fail(ErrorCode::failed_precondition,
           "waste bag " + b.code + ": the ward has not offered it for collection");
    if (b.offered_by == collector.label())
      fail(ErrorCode::failed_precondition,
           "waste bag " + b.code + ": the handover needs two people; " + collector.label() +
               " offered it and cannot also take it");
    const std::string nurse = b.offered_by;
    return advance(store_, call, std::move(b), m, nurse, collector.label(), in,
                   rules().tolerance_pct);
  });
}

Bag Tracker::collect(const auth::Actor& nurse, const auth::Actor& collector, const StepInput& in) {
  store::Transaction tx(store_);
  offer(nurse, {in.code, true});
  auto b = collect(collector, in);
  tx.commit();
  return b;
}

Bag Tracker::intake(const auth::Actor& actor, const StepInput& input) {
  const StepInput in = weighed(store_, input);
  return audit::audited(store_, actor, "waste.intake", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    const Move& m = move_to(Stage::stored);
    call.require(m.permission);
    return advance(store_, call, std::move(b), m, actor.label(), "", in, rules().tolerance_pct);
  });
}

Bag Tracker::resolve(const auth::Actor& actor, const ResolveInput& in) {
  return audit::audited(store_, actor, "waste.resolve", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    call.require("waste.handover");
    if (in.reason.empty()) fail(ErrorCode::invalid_argument, "reason: empty");
    if (b.weight_mismatch.empty())
      fail(ErrorCode::failed_precondition, "waste bag " + b.code + " has no weight mismatch");
    const auto before = json::to_json(b);
    const Bag read = b;  // what update writes is what differs from it
    Step step{0,
              0,
              b.id,
              b.stage,
              store_.clock().now(),
              actor.label(),
              "",
              std::nullopt,
              "",
              {},
              {},
              "resolved: " + b.weight_mismatch + "; " + in.reason,
              std::nullopt};
    Repository<Step>(store_).insert(step);
    b.weight_mismatch.clear();
    Repository<Bag>(store_).update(b, read);
    call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b),
                "mismatch resolved: " + in.reason);
    return b;
  });
}

Bag Tracker::correct_weight(const auth::Actor& actor, const CorrectInput& in) {
  return audit::audited(store_, actor, "waste.correct_weight", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    call.require("waste.configure");
    if (in.reason.empty()) fail(ErrorCode::invalid_argument, "reason: empty");
    check_weight(in.weight_kg, WeightSource::manual, in.reason);
    if (b.stage == Stage::transferred)
      fail(ErrorCode::failed_precondition, "waste bag " + b.code +
                                               " is transferred: its manifest is signed, "
                                               "correct it with the company");
    const auto before = json::to_json(b);
    const Bag read = b;  // what update writes is what differs from it
    const std::string note =
        "weight corrected from " + kg(b.weight_kg) + " to " + kg(in.weight_kg) + ": " + in.reason;
    // The step carries the corrected weight: later steps reconcile against it.
    Step step{0,           0,  b.id, b.stage,      store_.clock().now(), actor.label(),
              "",          {}, "",   in.weight_kg, WeightSource::manual, note,
              std::nullopt};
    Repository<Step>(store_).insert(step);
    b.weight_kg = in.weight_kg;
    Repository<Bag>(store_).update(b, read);
    call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b), note);
    return b;
  });
}

Manifest Tracker::open_manifest(const auth::Actor& actor, const ManifestInput& in) {
  return audit::audited(store_, actor, "waste.open_manifest", [&](audit::Call& call) {
    call.require("waste.handover");
    if (in.code.empty()) fail(ErrorCode::invalid_argument, "code: empty");
    if (in.company.empty()) fail(ErrorCode::invalid_argument, "company: empty");
    Manifest m;
    m.code = in.code;
    m.category = in.category;
    m.company = in.company;
    m.licence = in.licence;
    m.vehicle = in.vehicle;
    m.opened_at = store_.clock().now();
    Repository<Manifest>(store_).insert(m);
    call.record(entity_traits<Manifest>::table, m.id, std::nullopt, json::to_json(m));
    return m;
  });
}

Bag Tracker::outbound(const auth::Actor& actor, const OutboundInput& input) {
  OutboundInput in = input;
  const auto w = weigh(store_, in.weight_kg, in.weight_source, in.scale_point_id);
  in.weight_kg = w.kg;
  in.weight_source = w.source;
  return audit::audited(store_, actor, "waste.outbound", [&](audit::Call& call) {
    auto b = require_bag(store_, in.code);
    call.target(entity_traits<Bag>::table, b.id);
    const Move& m = move_to(Stage::outbound);
    call.require(m.permission);
    Repository<Manifest> manifests(store_);
    auto man = manifests.require(in.manifest_id);
    if (man.status != ManifestStatus::open)
      fail(ErrorCode::failed_precondition, "manifest " + man.code + " is already transferred");
    if (man.category != b.category)
      fail(ErrorCode::failed_precondition,
           "waste bag " + b.code + " (" + std::string(enum_name(b.category)) +
               ") cannot go on manifest " + man.code + " (" + std::string(enum_name(man.category)) +
               "): one category a manifest");
    b = advance(store_, call, std::move(b), m, actor.label(), "",
                {in.code, in.weight_kg, in.weight_source, std::nullopt, in.note, in.scale_point_id},
                rules().tolerance_pct, man.id);
    man.bags += 1;
    man.weight_kg += in.weight_kg;
    manifests.update(man);
    return b;
  });
}

Manifest Tracker::transfer(const auth::Actor& actor, const TransferInput& in) {
  return audit::audited(store_, actor, "waste.transfer", [&](audit::Call& call) {
    call.require(move_to(Stage::transferred).permission);
    Repository<Manifest> manifests(store_);
    auto man = manifests.require(in.manifest_id);
    call.target(entity_traits<Manifest>::table, man.id);
    if (in.receiver.empty()) fail(ErrorCode::invalid_argument, "receiver: empty");
    if (man.status != ManifestStatus::open)
      fail(ErrorCode::failed_precondition, "manifest " + man.code + " is already transferred");
    auto bags = Repository<Bag>(store_).find(
        Query<Bag>().where(&Bag::manifest_id, Op::eq, man.id).order_by(&Bag::id));
    if (bags.empty()) fail(ErrorCode::failed_precondition, "manifest " + man.code + " has no bags");
    const auto now = store_.clock().now();
    for (auto& b : bags) {
      check_move(b, move_to(Stage::transferred));
      const auto before = json::to_json(b);
      const Bag read = b;  // what update writes is what differs from it
      Step step{0,
                0,
                b.id,
                Stage::transferred,
                now,
                actor.label(),
                in.receiver,
                std::nullopt,
                man.company + " " + man.vehicle,
                {},
                {},
                "manifest " + man.code,
                std::nullopt};
      Repository<Step>(store_).insert(step);
      b.stage = Stage::transferred;
      b.stage_at = now;
      Repository<Bag>(store_).update(b, read);
      call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b), "transferred");
      store_.events().publish(BagStep{b.id, b.code, b.category, b.stage, 0, now}, actor.label());
    }
    const auto before = json::to_json(man);
    man.status = ManifestStatus::transferred;
    man.transferred_at = now;
    man.receiver = in.receiver;
    manifests.update(man);
    call.record(entity_traits<Manifest>::table, man.id, before, json::to_json(man));
    return man;
  });
}

Trace Tracker::trace(const std::string& code) {
  auto b = require_bag(store_, code);
  return Trace{b, Repository<Step>(store_).find(
                      Query<Step>().where(&Step::bag_id, Op::eq, b.id).order_by(&Step::id))};
}

Totals Tracker::totals(const TotalsInput& in) {
  if (in.to <= in.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  std::map<std::pair<Id, int>, Total> by;
  store::Query<Bag> q;
  q.where(&Bag::produced_at, Op::ge, in.from).where(&Bag::produced_at, Op::lt, in.to);
  for (const auto& b : Repository<Bag>(store_).find(q)) {
    auto& t = by[{b.department_id, static_cast<int>(b.category)}];
    t.department_id = b.department_id;
    t.category = b.category;
    t.bags += 1;
    t.weight_kg += b.weight_kg;
    if (b.stage == Stage::transferred) {
      t.transferred += 1;
      t.transferred_kg += b.weight_kg;
    }
  }
  Totals out;
  for (auto& [k, t] : by) out.totals.push_back(t);
  return out;
}

OverdueCheck Tracker::check_overdue(const auth::Actor& actor) {
  const Rules r = rules();
  const auto now = store_.clock().now();
  auto hours_since = [&](Timestamp t) {
    return static_cast<std::int32_t>(
        std::chrono::duration_cast<std::chrono::hours>(now - t).count());
  };
  OverdueCheck out;
  auto stored = Repository<Bag>(store_).find(
      Query<Bag>().where(&Bag::stage, Op::eq, Stage::stored).order_by(&Bag::stage_at));
  out.stored = static_cast<std::int32_t>(stored.size());
  for (auto& b : stored) {
    const auto hours = hours_since(b.stage_at);
    const auto limit = b.cold_stored ? r.cold_storage_limit_hours : r.storage_limit_hours;
    if (hours < limit) continue;
    ++out.overdue;
    const std::int32_t level = std::min(3, 1 + (hours - limit) / r.escalate_every_hours);
    if (level <= b.overdue_level) continue;  // this level was sent already
    audit::audited(store_, actor, "waste.overdue", [&](audit::Call& call) {
      call.require("waste.read");
      const auto before = json::to_json(b);
      const Bag read = b;  // what update writes is what differs from it
      b.overdue_level = level;
      Repository<Bag>(store_).update(b, read);
      call.record(
          entity_traits<Bag>::table, b.id, before, json::to_json(b),
          "stored " + std::to_string(hours) + " h, escalation level " + std::to_string(level));
      store_.events().publish(StorageOverdue{b.id, b.code, b.category, level, hours, limit, now},
                              actor.label());
    });
    ++out.escalated;
  }

  // The chain's other limits, gap by gap in the order a bag can show them, so a bag both
  // unsealed and uncollected reports both.
  struct Gap {
    Anomaly anomaly;
    Stage stage;
    std::int32_t limit_hours;
    std::int32_t OverdueCheck::*count;
  };
  const Gap gaps[] = {
      {Anomaly::unsealed, Stage::generated, r.seal_within_hours, &OverdueCheck::unsealed},
      {Anomaly::not_collected, Stage::generated, r.collect_within_hours,
       &OverdueCheck::not_collected},
      {Anomaly::not_stored, Stage::collected, r.intake_within_hours, &OverdueCheck::not_stored},
      {Anomaly::not_transferred, Stage::outbound, r.transfer_within_hours,
       &OverdueCheck::not_transferred},
  };
  for (const auto& gap : gaps) {
    auto in_gap = [&] {
      Query<Bag> q;
      q.where(&Bag::stage, Op::eq, gap.stage)
          .where(&Bag::stage_at, Op::le, now - std::chrono::hours(gap.limit_hours))
          .order_by(&Bag::id);
      if (gap.anomaly == Anomaly::unsealed) q.where_null(&Bag::sealed_at);
      return q;
    };
    out.*gap.count = static_cast<std::int32_t>(Repository<Bag>(store_).count(in_gap()));
    // Only the bags not reported for this gap (or a later one) are read: a bag reported once is
    // not read again however long it stays, so a hospital that records no handovers (every bag
    // left at outbound) does not make every run read every bag it ever had (found by the soak).
    auto unreported = Repository<Bag>(store_).find(in_gap().where_null(&Bag::anomaly));
    std::vector<Anomaly> earlier;
    for (auto a : {Anomaly::unsealed, Anomaly::not_collected, Anomaly::not_stored})
      if (a < gap.anomaly) earlier.push_back(a);
    if (!earlier.empty()) {
      auto more = Repository<Bag>(store_).find(in_gap().where_in(&Bag::anomaly, earlier));
      unreported.insert(unreported.end(), more.begin(), more.end());
      std::sort(unreported.begin(), unreported.end(),
                [](const Bag& a, const Bag& b) { return a.id < b.id; });
    }
    for (auto& b : unreported) {
      const auto hours = hours_since(b.stage_at);
      audit::audited(store_, actor, "waste.gap", [&](audit::Call& call) {
        call.require("waste.read");
        const auto before = json::to_json(b);
        const Bag read = b;  // what update writes is what differs from it
        b.anomaly = gap.anomaly;
        Repository<Bag>(store_).update(b, read);
        call.record(entity_traits<Bag>::table, b.id, before, json::to_json(b),
                    std::string(enum_name(gap.anomaly)) + " after " + std::to_string(hours) +
                        " h (limit " + std::to_string(gap.limit_hours) + " h)");
        store_.events().publish(ChainGap{b.id, b.code, b.category, b.department_id, gap.anomaly,
                                         hours, gap.limit_hours, now},
                                actor.label());
      });
      ++out.reported;
    }
  }
  return out;
}

RetentionResult Tracker::apply_retention(const auth::Actor& actor) {
  const Rules r = rules();
  // Whole years back from today, leap days included.
  const auto keep = std::chrono::days(r.keep_years * 365 + (r.keep_years + 3) / 4);
  using protect::RetentionAction;
  auto run = [&](const char* table, const char* column) {
    return protect::apply_retention(store_, actor,
                                    {{table, column, keep, RetentionAction::anonymise}})
        .anonymised;
  };
  RetentionResult out;
  out.before = store_.clock().now() - keep;
  out.bags = run("waste_bag", "produced_at");
  out.steps = run("waste_step", "at");
  out.manifests = run("waste_manifest", "opened_at");
  return out;
}

}  // namespace houqin::waste
