// Work orders: every action from every state (table-driven, against an expected matrix written
// from docs/repair.md rather than read from the code), permissions and scopes (denials audited,
// nothing changed), events, guards (cancel before actuals, reopen window, closed immutable and
// audited corrections), labour, ratings, phone intake and sealed personal fields. Every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "fixture.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using repair::Action;
using repair::Status;
using store::Query;
using store::Repository;
using testing::expect_error;

class WorkflowTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  auth::Actor desk = testing::desk();

  bool open() {
    s = pf.open(GetParam());
    if (!s) return false;
    site.build(*s);
    return true;
  }

  /// A new order driven to `status` along the normal path.
  repair::WorkOrder order_in(Status status) {
    repair::WorkOrders wo(*s);
    auto in = testing::light_report(site);
    in.pooled = true;
    auto o = wo.report(desk, in);
    Id id = o.id;
    auto step = [&](Status st) { return status == st; };
    if (step(Status::reported)) return o;
    if (status == Status::approved) return wo.approve(desk, {id, ""});
    if (status == Status::cancelled) return wo.cancel(desk, {id, "duplicate"});
    o = wo.dispatch(desk, {id, site.elec1, ""});
    if (step(Status::dispatched)) return o;
    o = wo.accept(desk, {id, ""});
    if (step(Status::accepted)) return o;
    o = wo.start(desk, {id, ""});
    if (step(Status::in_progress)) return o;
    if (status == Status::on_hold) return wo.hold(desk, {id, repair::HoldReason::parts, "no tube"});
    o = wo.complete(desk, {id, ""});
    if (step(Status::completed)) return o;
    o = wo.verify(desk, {id, ""});
    if (step(Status::verified)) return o;
    return wo.close(desk, {id, ""});
  }

  /// Runs `action` on order `id` with the inputs it needs, as the desk or as `as`.
  repair::WorkOrder run(Action action, Id id, const auth::Actor* as = nullptr) {
    repair::WorkOrders wo(*s);
    const auth::Actor& who = as ? *as : desk;
    switch (action) {
      case Action::approve:
        return wo.approve(who, {id, ""});
      case Action::dispatch:
        return wo.dispatch(who, {id, site.elec2, ""});
      case Action::reassign:
        return wo.reassign(who, {id, site.elec2, "elec1 is off sick"});
      case Action::grab:
        return wo.grab(who, {id, site.elec2});
      case Action::accept:
        return wo.accept(who, {id, ""});
      case Action::start:
        return wo.start(who, {id, ""});
      case Action::hold:
        return wo.hold(who, {id, repair::HoldReason::vendor, "waiting for vendor"});
      case Action::resume:
        return wo.resume(who, {id, ""});
      case Action::complete:
        return wo.complete(who, {id, ""});
      case Action::verify:
        return wo.verify(who, {id, ""});
      case Action::close:
        return wo.close(who, {id, ""});
      case Action::reopen:
        return wo.reopen(who, {id, "still flickers"});
      case Action::cancel:
        return wo.cancel(who, {id, "reported twice"});
      case Action::correct:
        return wo.correct(who, {id, json::Json{{"description", "corrected"}}, "typo"});
      default:
        ADD_FAILURE() << "no runner";
        return {};
    }
  }
};

/// domain.md's state machine, written out independently of src/repair/model.cpp.
const std::map<Action, std::pair<std::set<Status>, Status>> expected_machine = {
    {Action::approve, {{Status::reported}, Status::approved}},
    {Action::dispatch, {{Status::reported, Status::approved}, Status::dispatched}},
    {Action::reassign,
     {{Status::dispatched, Status::accepted, Status::in_progress, Status::on_hold},
      Status::dispatched}},
    {Action::grab, {{Status::reported, Status::approved}, Status::accepted}},
    {Action::accept, {{Status::dispatched}, Status::accepted}},
    {Action::start, {{Status::accepted}, Status::in_progress}},
    {Action::hold, {{Status::in_progress}, Status::on_hold}},
    {Action::resume, {{Status::on_hold}, Status::in_progress}},
    {Action::complete, {{Status::in_progress}, Status::completed}},
    {Action::verify, {{Status::completed}, Status::verified}},
    {Action::close, {{Status::verified}, Status::closed}},
    {Action::reopen, {{Status::completed, Status::verified}, Status::in_progress}},
    {Action::cancel,
     {{Status::reported, Status::approved, Status::dispatched, Status::accepted,
       Status::in_progress, Status::on_hold},
      Status::cancelled}},
    {Action::correct, {{Status::closed}, Status::closed}},
};

TEST(WorkflowTable, MatchesTheDocumentedMachine) {
  for (const auto& [action, expect] : expected_machine) {
    const auto& t = repair::transition(action);
    EXPECT_EQ(t.to, expect.second) << enum_name(action);
    for (auto st : enum_names<Status>()) {
      auto status = *enum_from_name<Status>(st);
      EXPECT_EQ(repair::allowed(action, status), expect.first.count(status) == 1)
          << enum_name(action) << " from " << st;
    }
  }
  EXPECT_EQ(repair::transitions().size(), expected_machine.size() + 1);  // + report
}

/// Who may run each action and what it needs, as docs/repair.md's table says.
struct Needs {
  std::string permission;
  bool reason = false, technician = false, hold_reason = false;
};
const std::map<Action, Needs> expected_needs = {
    {Action::report, {"repair.report"}},
    {Action::approve, {"repair.dispatch"}},
    {Action::dispatch, {"repair.dispatch", false, true}},
    {Action::reassign, {"repair.dispatch", true, true}},
    {Action::grab, {"repair.work", false, true}},
    {Action::accept, {"repair.work"}},
    {Action::start, {"repair.work"}},
    {Action::hold, {"repair.work", false, false, true}},
    {Action::resume, {"repair.work"}},
    {Action::complete, {"repair.work"}},
    {Action::verify, {"repair.close"}},
    {Action::close, {"repair.close"}},
    {Action::reopen, {"repair.close", true}},
    {Action::cancel, {"repair.dispatch", true}},
    {Action::correct, {"repair.close", true}},
};

TEST(WorkflowTable, PermissionsAndInputsMatchTheDocumentedMachine) {
  ASSERT_EQ(repair::transitions().size(), expected_needs.size());
  for (const auto& t : repair::transitions()) {
    SCOPED_TRACE(std::string(enum_name(t.action)));
    const auto& want = expected_needs.at(t.action);
    EXPECT_EQ(t.permission, want.permission);
    EXPECT_EQ(t.needs_reason, want.reason);
    EXPECT_EQ(t.needs_technician, want.technician);
    EXPECT_EQ(t.needs_hold_reason, want.hold_reason);
    EXPECT_EQ(repair::transition(t.action).to, t.to);
  }
  EXPECT_EQ(repair::transition(Action::report).from, 0u) << "report starts from no state";
}

TEST(WorkflowTable, PriorityMatrix) {
  using repair::Level;
  using repair::Priority;
  EXPECT_EQ(repair::priority_of(Level::high, Level::high), Priority::p1);
  EXPECT_EQ(repair::priority_of(Level::high, Level::medium), Priority::p2);
  EXPECT_EQ(repair::priority_of(Level::medium, Level::high), Priority::p2);
  EXPECT_EQ(repair::priority_of(Level::high, Level::low), Priority::p3);
  EXPECT_EQ(repair::priority_of(Level::medium, Level::medium), Priority::p3);
  EXPECT_EQ(repair::priority_of(Level::medium, Level::low), Priority::p4);
  EXPECT_EQ(repair::priority_of(Level::low, Level::low), Priority::p4);
}

TEST_P(WorkflowTest, EveryActionFromEveryStateIsAllowedOrRefusedByTheTable) {
  open();
  HQ_REQUIRE_STORE(s);
  int allowed = 0, refused = 0;
  for (const auto& [action, expect] : expected_machine) {
    for (auto st : enum_names<Status>()) {
      auto from = *enum_from_name<Status>(st);
      auto o = order_in(from);
      ASSERT_EQ(o.status, from);
      bool ok = expect.first.count(from) == 1;
      SCOPED_TRACE(std::string(enum_name(action)) + " from " + std::string(st));
      if (ok) {
        auto after = run(action, o.id);
        EXPECT_EQ(after.status, expect.second);
        auto stored = Repository<repair::WorkOrder>(*s).require(o.id);
        EXPECT_EQ(stored.status, expect.second);
        auto hist = Repository<repair::TransitionRecord>(*s).find(
            Query<repair::TransitionRecord>()
                .where(&repair::TransitionRecord::work_order_id, store::Op::eq, o.id)
                .order_by(&repair::TransitionRecord::id, true)
                .limit(1));
        ASSERT_EQ(hist.size(), 1u);
        EXPECT_EQ(hist[0].action, action);
        EXPECT_EQ(hist[0].from_status, from);
        ++allowed;
      } else {
        expect_error([&] { run(action, o.id); }, ErrorCode::failed_precondition,
                     "work order " + o.code + ": cannot " + std::string(enum_name(action)) +
                         " when " + std::string(st));
        auto stored = Repository<repair::WorkOrder>(*s).require(o.id);
        EXPECT_EQ(stored.status, from);
        EXPECT_EQ(stored.version, o.version);
        ++refused;
      }
    }
  }
  EXPECT_EQ(allowed, 25);
  EXPECT_EQ(refused, 14 * 10 - 25);
}

TEST_P(WorkflowTest, PermissionDeniedIsAuditedAndChangesNothing) {
  open();
  HQ_REQUIRE_STORE(s);
  auto o = order_in(Status::reported);  // room A-1-101: ward, building A
  // A dispatcher for building B only, and a reporter without dispatch rights.
  auto b_disp = pf.user_with("bdisp", "bdispatcher", {"repair.dispatch"}, auth::ScopeKind::building,
                             site.building_b);
  auto reporter = pf.user_with("rep", "reporter", {"repair.report"});
  repair::WorkOrders wo(*s);
  for (auto* who : {&b_disp, &reporter}) {
    expect_error(
        [&] {
          wo.dispatch(*who, {o.id, site.elec1, ""});
        },
        ErrorCode::permission_denied, who->label() + " lacks repair.dispatch");
    auto stored = Repository<repair::WorkOrder>(*s).require(o.id);
    EXPECT_EQ(stored.version, o.version);
    EXPECT_EQ(stored.status, Status::reported);
    auto last = Repository<audit::Record>(*s).find(
        Query<audit::Record>().order_by(&audit::Record::seq, true).limit(1));
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].outcome, audit::Outcome::denied);
    EXPECT_EQ(last[0].action, "repair.dispatch");
    EXPECT_EQ(last[0].entity, "repair_work_order");
    EXPECT_EQ(last[0].entity_id, o.id);
  }
  // A dispatcher scoped to building A may.
  auto a_disp = pf.user_with("adisp", "adispatcher", {"repair.dispatch"}, auth::ScopeKind::building,
                             site.building_a);
  EXPECT_EQ(wo.dispatch(a_disp, {o.id, site.elec1, ""}).status, Status::dispatched);
  // The assigned technician's work is theirs: another technician's account is refused.
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  Id other = pf.auth->create_user(sys, {"elec2", "elec2", testing::test_password, site.elec2, {}});
  pf.auth->define_role(sec, "tech", "tech", {"repair.work"});
  pf.auth->grant(sec, other, "tech", auth::ScopeKind::global, std::nullopt);
  auto elec2 = pf.actor("elec2");
  expect_error(
      [&] {
        wo.accept(elec2, {o.id, ""});
      },
      ErrorCode::permission_denied, "user:elec2 is not the technician assigned to " + o.code);
  Id mine = pf.auth->create_user(sys, {"elec1", "elec1", testing::test_password, site.elec1, {}});
  pf.auth->grant(sec, mine, "tech", auth::ScopeKind::global, std::nullopt);
  EXPECT_EQ(wo.accept(pf.actor("elec1"), {o.id, ""}).status, Status::accepted);
  EXPECT_TRUE(audit::verify_chain(*s).ok);
}

TEST_P(WorkflowTest, EveryActionNeedsThePermissionOfItsRow) {
  open();
  HQ_REQUIRE_STORE(s);
  const std::vector<std::string> all{"repair.report", "repair.dispatch", "repair.work",
                                     "repair.close"};
  std::map<std::string, auth::Actor> lacking;  // permission -> a user holding all the others
  for (const auto& p : all) {
    std::vector<std::string> others;
    for (const auto& q : all)
      if (q != p) others.push_back(q);
    auto login = "no_" + p.substr(p.find('.') + 1);
    lacking.emplace(p, pf.user_with(login, login, others));
  }
  for (const auto& [action, expect] : expected_machine) {
    SCOPED_TRACE(std::string(enum_name(action)));
    const auto& permission = expected_needs.at(action).permission;
    const auto& who = lacking.at(permission);
    auto o = order_in(*expect.first.begin());
    expect_error([&] { run(action, o.id, &who); }, ErrorCode::permission_denied,
                 who.label() + " lacks " + permission);
    auto stored = Repository<repair::WorkOrder>(*s).require(o.id);
    EXPECT_EQ(stored.version, o.version);
    auto last = Repository<audit::Record>(*s).find(
        Query<audit::Record>().order_by(&audit::Record::seq, true).limit(1));
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].outcome, audit::Outcome::denied);
    EXPECT_EQ(last[0].action, "repair." + std::string(enum_name(action)));
    EXPECT_EQ(last[0].entity_id, o.id);
    // Everything else held, the row runs.
    auto full = pf.user_with("all_" + std::string(enum_name(action)),
                             "all_" + std::string(enum_name(action)), all);
    EXPECT_EQ(run(action, o.id, &full).status, expect.second);
  }
  EXPECT_TRUE(audit::verify_chain(*s).ok);
}

TEST_P(WorkflowTest, OnlyTheWorkOfAnAssignedOrderIsItsTechnicians) {
  open();
  HQ_REQUIRE_STORE(s);
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  Id user = pf.auth->create_user(sys, {"elec2", "elec2", testing::test_password, site.elec2, {}});
  pf.auth->define_role(sec, "everything", "everything",
                       {"repair.report", "repair.dispatch", "repair.work", "repair.close"});
  pf.auth->grant(sec, user, "everything", auth::ScopeKind::global, std::nullopt);
  auto other = pf.actor("elec2");  // a technician, not the one the orders are assigned to
  const std::set<Action> technicians_only{Action::accept, Action::start, Action::hold,
                                          Action::resume, Action::complete};
  int refused = 0;
  for (const auto& [action, expect] : expected_machine) {
    for (auto from : expect.first) {
      auto o = order_in(from);
      if (!o.technician_id) continue;  // nobody's yet: anyone holding the permission may
      SCOPED_TRACE(std::string(enum_name(action)) + " from " + std::string(enum_name(from)));
      ASSERT_EQ(o.technician_id, site.elec1);
      if (technicians_only.count(action)) {
        expect_error([&] { run(action, o.id, &other); }, ErrorCode::permission_denied,
                     "user:elec2 is not the technician assigned to " + o.code);
        EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(o.id).version, o.version);
        ++refused;
      } else {
        EXPECT_EQ(run(action, o.id, &other).status, expect.second);
      }
    }
  }
  EXPECT_EQ(refused, 5);
}

TEST_P(WorkflowTest, EveryRowPublishesItsOwnEvents) {
  open();
  HQ_REQUIRE_STORE(s);
  std::vector<repair::WorkOrderEvent> changes;
  std::vector<repair::WorkOrderAssigned> assigned;
  std::vector<repair::WorkOrderCompleted> completed;
  std::vector<repair::WorkOrderClosed> closed;
  std::vector<repair::WorkOrderReopened> reopened;
  auto s1 = s->events().subscribe<repair::WorkOrderEvent>([&](auto& e) { changes.push_back(e); });
  auto s2 =
      s->events().subscribe<repair::WorkOrderAssigned>([&](auto& e) { assigned.push_back(e); });
  auto s3 =
      s->events().subscribe<repair::WorkOrderCompleted>([&](auto& e) { completed.push_back(e); });
  auto s4 = s->events().subscribe<repair::WorkOrderClosed>([&](auto& e) { closed.push_back(e); });
  auto s5 =
      s->events().subscribe<repair::WorkOrderReopened>([&](auto& e) { reopened.push_back(e); });
  const std::map<Action, repair::AssignedBy> assigns{
      {Action::dispatch, repair::AssignedBy::dispatcher},
      {Action::reassign, repair::AssignedBy::reassign},
      {Action::grab, repair::AssignedBy::grab}};
  for (const auto& [action, expect] : expected_machine) {
    Status from = *expect.first.begin();
    SCOPED_TRACE(std::string(enum_name(action)) + " from " + std::string(enum_name(from)));
    auto o = order_in(from);
    changes.clear();
    assigned.clear();
    completed.clear();
    closed.clear();
    reopened.clear();
    auto after = run(action, o.id);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].action, action);
    EXPECT_EQ(changes[0].from, from);
    EXPECT_EQ(changes[0].to, expect.second);
    EXPECT_EQ(changes[0].work_order_id, o.id);
    auto by = assigns.find(action);
    ASSERT_EQ(assigned.size(), by == assigns.end() ? 0u : 1u);
    if (by != assigns.end()) {
      EXPECT_EQ(assigned[0].by, by->second);
      EXPECT_EQ(assigned[0].technician_id, site.elec2);
      EXPECT_EQ(assigned[0].previous_technician_id, o.technician_id);
    }
    EXPECT_EQ(completed.size(), action == Action::complete ? 1u : 0u);
    bool finishes = action == Action::close || action == Action::cancel;
    ASSERT_EQ(closed.size(), finishes ? 1u : 0u);
    if (finishes) {
      EXPECT_EQ(closed[0].status, expect.second);
    }
    ASSERT_EQ(reopened.size(), action == Action::reopen ? 1u : 0u);
    if (action == Action::reopen) {
      EXPECT_EQ(reopened[0].reopen_count, 1);
      EXPECT_EQ(reopened[0].reason, "still flickers");
      EXPECT_EQ(after.reopen_count, 1);
    }
  }
}

TEST_P(WorkflowTest, RequiredInputsAndTechnicianGuards) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto unchanged = [&](const repair::WorkOrder& o) {
    EXPECT_EQ(Repository<repair::WorkOrder>(*s).require(o.id).version, o.version);
  };
  // A reason, where the row asks for one.
  auto d = order_in(Status::dispatched);
  expect_error(
      [&] {
        wo.reassign(desk, {d.id, site.elec2, ""});
      },
      ErrorCode::invalid_argument, "reason: required to reassign");
  auto c = order_in(Status::completed);
  expect_error(
      [&] {
        wo.reopen(desk, {c.id, ""});
      },
      ErrorCode::invalid_argument, "reason: required to reopen");
  unchanged(d);
  unchanged(c);
  // A technician: grab defaults to the acting user's staff member; a service actor has none.
  auto r = order_in(Status::reported);
  expect_error(
      [&] {
        wo.grab(desk, {r.id, std::nullopt});
      },
      ErrorCode::invalid_argument,
      "technician_id: required when the acting user is not linked to a staff member");
  // The technician must be active staff, and a reassignment must change the technician.
  expect_error(
      [&] {
        wo.dispatch(desk, {r.id, 999999, ""});
      },
      ErrorCode::not_found, "technician_id: staff 999999 not found");
  auto gone = Repository<site::Staff>(*s).require(site.elec3);
  gone.active = false;
  Repository<site::Staff>(*s).update(gone);
  for (auto act : {Action::dispatch, Action::grab}) {
    SCOPED_TRACE(std::string(enum_name(act)));
    expect_error(
        [&] {
          if (act == Action::dispatch)
            wo.dispatch(desk, {r.id, site.elec3, ""});
          else
            wo.grab(desk, {r.id, site.elec3});
        },
        ErrorCode::failed_precondition,
        "technician_id: staff " + std::to_string(site.elec3) + " is not active");
  }
  expect_error(
      [&] {
        wo.reassign(desk, {d.id, site.elec3, "x"});
      },
      ErrorCode::failed_precondition, "technician_id: staff ");
  expect_error(
      [&] {
        wo.reassign(desk, {d.id, site.elec1, "same again"});
      },
      ErrorCode::invalid_argument,
      "technician_id: " + d.code + " is already assigned to " + std::to_string(site.elec1));
  unchanged(r);
  unchanged(d);
  auto failed = Repository<audit::Record>(*s).find(
      Query<audit::Record>().order_by(&audit::Record::seq, true).limit(1));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].outcome, audit::Outcome::failed);
  EXPECT_EQ(failed[0].action, "repair.reassign");
}

TEST_P(WorkflowTest, CorrectionsDecodeStrictlyThroughTheDescription) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto e = order_in(Status::closed);
  auto refused = [&](const json::Json& changes, ErrorCode code, const std::string& message) {
    SCOPED_TRACE(changes.dump());
    try {
      wo.correct(desk, {e.id, changes, "fix"});
      ADD_FAILURE() << "no error, expected " << message;
    } catch (const Error& err) {
      EXPECT_EQ(err.code(), code);
      EXPECT_EQ(std::string(err.what()), message);
    }
    auto stored = Repository<repair::WorkOrder>(*s).require(e.id);
    EXPECT_EQ(stored.version, e.version);
    EXPECT_EQ(stored.category, e.category);
  };
  const std::string listed = " (description, category, repair_item_id, asset_id, attachments)";
  for (const char* field : {"status", "id", "version", "technician_id", "closed_at", "nonsense"})
    refused(json::Json{{field, 1}}, ErrorCode::invalid_argument,
            std::string("changes.") + field + ": cannot be corrected" + listed);
  // One refused member refuses the whole correction.
  refused(json::Json{{"category", "lighting"}, {"team", "E"}}, ErrorCode::invalid_argument,
          "changes.team: cannot be corrected" + listed);
  refused(json::Json{{"asset_id", "twelve"}}, ErrorCode::invalid_argument,
          "changes.asset_id: expected integer, got string");
  refused(json::Json{{"category", 7}}, ErrorCode::invalid_argument,
          "changes.category: expected string, got number");
  refused(json::Json{{"attachments", {"file:a", 2}}}, ErrorCode::invalid_argument,
          "changes.attachments[1]: expected string, got number");
  refused(json::Json{{"description", ""}}, ErrorCode::invalid_argument,
          "description: must not be empty");
  refused(json::Json::object(), ErrorCode::invalid_argument,
          "changes: expected a non-empty object");
  refused(json::Json::array({"category"}), ErrorCode::invalid_argument,
          "changes: expected a non-empty object");

  // Every correctable member at once; null clears an optional one.
  json::Json all{{"description", "LED panel replaced, not the tube"},
                 {"category", "lighting"},
                 {"repair_item_id", nullptr},
                 {"asset_id", 12},
                 {"attachments", {"file:photo-2", "file:photo-3"}}};
  auto fixed = wo.correct(desk, {e.id, all, "wrong item"});
  EXPECT_EQ(fixed.status, Status::closed);
  EXPECT_EQ(fixed.version, e.version + 1);
  EXPECT_EQ(fixed.description, "LED panel replaced, not the tube");
  EXPECT_EQ(fixed.category, "lighting");
  EXPECT_FALSE(fixed.repair_item_id);
  EXPECT_EQ(fixed.asset_id, 12);
  EXPECT_EQ(fixed.attachments, (std::vector<std::string>{"file:photo-2", "file:photo-3"}));
  auto stored = Repository<repair::WorkOrder>(*s).require(e.id);
  EXPECT_TRUE(members_equal(stored, fixed));
  EXPECT_EQ(stored.closed_at, e.closed_at);
  EXPECT_EQ(stored.technician_id, e.technician_id);
  auto hist = wo.history(desk, e.id);
  EXPECT_EQ(hist.back().action, Action::correct);
  EXPECT_EQ(hist.back().from_status, Status::closed);
  EXPECT_EQ(json::parse(hist.back().detail), all);
  auto last = Repository<audit::Record>(*s).find(
      Query<audit::Record>()
          .where(&audit::Record::action, store::Op::eq, std::string("repair.correct"))
          .order_by(&audit::Record::seq, true));
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last[0].outcome, audit::Outcome::success);
  EXPECT_EQ(last[0].detail, "wrong item");
  EXPECT_EQ(std::count_if(last.begin(), last.end(),
                          [](const auto& r) { return r.outcome == audit::Outcome::failed; }),
            13);
}

TEST_P(WorkflowTest, TransitionsPublishTypedEventsAfterCommit) {
  open();
  HQ_REQUIRE_STORE(s);
  std::vector<repair::WorkOrderEvent> changes;
  std::vector<repair::WorkOrderAssigned> assigned;
  std::vector<repair::WorkOrderCompleted> completed;
  std::vector<repair::WorkOrderClosed> closed;
  std::vector<repair::WorkOrderReported> reported;
  auto s1 = s->events().subscribe<repair::WorkOrderEvent>([&](auto& e) { changes.push_back(e); });
  auto s2 =
      s->events().subscribe<repair::WorkOrderAssigned>([&](auto& e) { assigned.push_back(e); });
  auto s3 =
      s->events().subscribe<repair::WorkOrderCompleted>([&](auto& e) { completed.push_back(e); });
  auto s4 = s->events().subscribe<repair::WorkOrderClosed>([&](auto& e) { closed.push_back(e); });
  auto s5 =
      s->events().subscribe<repair::WorkOrderReported>([&](auto& e) { reported.push_back(e); });
  repair::WorkOrders wo(*s);
  auto in = testing::light_report(site);
  in.asset_id = 4711;
  auto o = wo.report(desk, in);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].priority, repair::Priority::p2);
  wo.dispatch(desk, {o.id, site.elec1, ""});
  wo.reassign(desk, {o.id, site.elec2, "closer"});
  ASSERT_EQ(assigned.size(), 2u);
  EXPECT_EQ(assigned[1].technician_id, site.elec2);
  EXPECT_EQ(assigned[1].previous_technician_id, site.elec1);
  EXPECT_EQ(assigned[1].by, repair::AssignedBy::reassign);
  EXPECT_EQ(assigned[1].reason, "closer");
  wo.accept(desk, {o.id, ""});
  wo.start(desk, {o.id, ""});
  wo.add_labour(desk, {o.id, std::nullopt, 25, "swapped tube"});
  wo.note_parts(desk, {o.id, 1, 2});
  wo.complete(desk, {o.id, ""});
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].labour_minutes, 25);
  EXPECT_EQ(completed[0].parts_used, 1);
  EXPECT_EQ(completed[0].asset_id, 4711);
  EXPECT_EQ(completed[0].reporter_staff_id, site.nurse);
  EXPECT_EQ(completed[0].technician_id, site.elec2);
  wo.verify(desk, {o.id, ""});
  wo.close(desk, {o.id, ""});
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].parts_reserved, 2) << "inventory releases what is still reserved";
  EXPECT_EQ(closed[0].status, Status::closed);
  ASSERT_EQ(changes.size(), 8u);
  EXPECT_EQ(changes[2].from, Status::dispatched);
  EXPECT_EQ(changes[2].to, Status::dispatched);
  EXPECT_EQ(changes[2].action, Action::reassign);
  EXPECT_EQ(changes.back().actor, "service:desk");
  // A failed transition publishes nothing.
  expect_error(
      [&] {
        wo.reopen(desk, {o.id, "again"});
      },
      ErrorCode::failed_precondition, "work order");
  EXPECT_EQ(changes.size(), 8u);
}

TEST_P(WorkflowTest, GuardsCancelReopenWindowClosedImmutableAndCorrections) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  // Cancel: refused once labour is recorded, or parts used.
  auto a = order_in(Status::in_progress);
  wo.add_labour(desk, {a.id, std::nullopt, 10, ""});
  expect_error(
      [&] {
        wo.cancel(desk, {a.id, "no longer needed"});
      },
      ErrorCode::failed_precondition,
      "work order " + a.code + ": cannot cancel after labour or parts were recorded");
  auto b = order_in(Status::accepted);
  wo.note_parts(desk, {b.id, 1, 0});
  expect_error(
      [&] {
        wo.cancel(desk, {b.id, "x"});
      },
      ErrorCode::failed_precondition, "work order " + b.code + ": cannot cancel after");
  auto c = order_in(Status::accepted);
  expect_error(
      [&] {
        wo.cancel(desk, {c.id, ""});
      },
      ErrorCode::invalid_argument, "reason: required to cancel");
  wo.note_parts(desk, {c.id, 0, 3});  // only reserved: may still cancel, reservations released
  EXPECT_EQ(wo.cancel(desk, {c.id, "duplicate"}).status, Status::cancelled);

  // Reassigning an order on hold starts it afresh: no stale hold reason.
  auto h = order_in(Status::on_hold);
  auto moved = wo.reassign(desk, {h.id, site.elec2, "elec1 moved to another site"});
  EXPECT_EQ(moved.status, Status::dispatched);
  EXPECT_FALSE(moved.hold_reason);

  // Reopen: within the window only (72 h by default; 1 h here).
  repair::WorkOrders short_window(*s, {1, {}});
  auto d = order_in(Status::completed);
  pf.clock.advance(std::chrono::minutes(59));
  auto reopened = short_window.reopen(desk, {d.id, "leaks again"});
  EXPECT_EQ(reopened.status, Status::in_progress);
  EXPECT_EQ(reopened.reopen_count, 1);
  EXPECT_FALSE(reopened.completed_at);
  short_window.complete(desk, {d.id, ""});
  pf.clock.advance(std::chrono::minutes(61));
  expect_error(
      [&] {
        short_window.reopen(desk, {d.id, "again"});
      },
      ErrorCode::failed_precondition,
      "work order " + d.code + ": the reopen window of 1 h has passed");

  // Closed: nothing but an audited correction of listed fields.
  auto e = order_in(Status::closed);
  expect_error(
      [&] {
        wo.add_labour(desk, {e.id, std::nullopt, 5, ""});
      },
      ErrorCode::failed_precondition, "work order " + e.code + ": cannot add labour");
  expect_error(
      [&] {
        wo.note_parts(desk, {e.id, 1, 0});
      },
      ErrorCode::failed_precondition, "work order " + e.code + ": is closed");
  expect_error(
      [&] {
        wo.correct(desk, {e.id, json::Json{{"status", "reported"}}, "try"});
      },
      ErrorCode::invalid_argument, "changes.status: cannot be corrected");
  expect_error(
      [&] {
        wo.correct(desk, {e.id, json::Json{{"category", "x"}}, ""});
      },
      ErrorCode::invalid_argument, "reason: required to correct");
  auto fixed =
      wo.correct(desk, {e.id, json::Json{{"category", "lighting"}, {"asset_id", 12}}, "wrong"});
  EXPECT_EQ(fixed.status, Status::closed);
  EXPECT_EQ(fixed.category, "lighting");
  EXPECT_EQ(fixed.asset_id, 12);
  auto hist = wo.history(desk, e.id);
  EXPECT_EQ(hist.back().action, Action::correct);
  EXPECT_EQ(hist.back().reason, "wrong");
  EXPECT_NE(hist.back().detail.find("lighting"), std::string::npos);
}

TEST_P(WorkflowTest, RatingsByTheReporterOnceOnFinishedOrders) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  pf.auth->define_role(sec, "staff", "staff", {"repair.report"});
  Id n = pf.auth->create_user(sys, {"nurse", "nurse", testing::test_password, site.nurse, {}});
  pf.auth->grant(sec, n, "staff", auth::ScopeKind::global, std::nullopt);
  Id o2 = pf.auth->create_user(sys, {"other", "other", testing::test_password, site.elec3, {}});
  pf.auth->grant(sec, o2, "staff", auth::ScopeKind::global, std::nullopt);
  auto nurse = pf.actor("nurse");
  auto other = pf.actor("other");

  auto open_order = order_in(Status::in_progress);
  expect_error(
      [&] {
        wo.rate(nurse, {open_order.id, 5, ""});
      },
      ErrorCode::failed_precondition,
      "work order " + open_order.code + ": cannot rate when in_progress");
  auto done = order_in(Status::completed);
  expect_error(
      [&] {
        wo.rate(nurse, {done.id, 6, ""});
      },
      ErrorCode::invalid_argument, "score: 6 is outside 1..5");
  expect_error(
      [&] {
        wo.rate(other, {done.id, 1, "bad"});
      },
      ErrorCode::permission_denied, "user:other lacks repair.close");
  std::vector<repair::WorkOrderRated> rated;
  auto sub = s->events().subscribe<repair::WorkOrderRated>([&](auto& e) { rated.push_back(e); });
  auto r = wo.rate(nurse, {done.id, 4, "quick"});
  EXPECT_EQ(r.score, 4);
  EXPECT_EQ(r.rated_by, "user:nurse");
  ASSERT_EQ(rated.size(), 1u);
  EXPECT_EQ(rated[0].technician_id, site.elec1);
  expect_error(
      [&] {
        wo.rate(nurse, {done.id, 5, ""});
      },
      ErrorCode::already_exists, "work order " + done.code + ": already rated");
  auto closed = order_in(Status::closed);
  EXPECT_EQ(wo.rate(desk, {closed.id, 5, "phoned back"}).score, 5);  // recorded for the reporter
  EXPECT_EQ(Repository<repair::Rating>(*s).count(), 2);
}

TEST_P(WorkflowTest, PhoneIntakeKnownAndUnknownNumbers) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  // An earlier report from room A-1-102 makes it the nurse's usual room.
  auto in = testing::light_report(site);
  in.room_id = site.room_a102;
  wo.report(desk, in);
  auto pre = wo.phone_lookup(desk, "+86 138-1234-5678");
  EXPECT_TRUE(pre.known);
  EXPECT_EQ(pre.staff_id, site.nurse);
  EXPECT_EQ(pre.staff_name, "李护士");
  EXPECT_EQ(pre.department_id, site.ward);
  EXPECT_EQ(pre.department_name, "Ward 1");
  EXPECT_EQ(pre.usual_rooms, (std::vector<Id>{site.room_a102, site.room_a101}));

  repair::PhoneIntakeInput call;
  call.caller_number = "008613812345678";
  call.description = "no hot water";
  call.repair_item_id = site.item_tap;
  auto o = wo.phone_intake(desk, call);
  EXPECT_EQ(o.channel, repair::Channel::phone);
  EXPECT_EQ(o.reporter_staff_id, site.nurse);
  EXPECT_EQ(o.room_id, site.room_a102);
  EXPECT_EQ(o.building_id, site.building_a);
  EXPECT_EQ(o.department_id, site.ward);
  EXPECT_EQ(o.category, "plumbing");
  EXPECT_EQ(o.reporter_phone, "13812345678");
  EXPECT_FALSE(o.unknown_caller);

  call.caller_number = "020-8888 7777";
  auto u = wo.phone_intake(desk, call);
  EXPECT_TRUE(u.unknown_caller);
  EXPECT_FALSE(u.reporter_staff_id);
  EXPECT_FALSE(u.room_id);
  EXPECT_EQ(u.reporter_phone, "02088887777");
  EXPECT_EQ(u.status, Status::reported);
  // The lookups read personal data: audited.
  auto reads = Repository<audit::Record>(*s).find(Query<audit::Record>().where(
      &audit::Record::action, store::Op::eq, std::string("repair.phone_lookup")));
  EXPECT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads.back().entity, "site_staff");
  EXPECT_EQ(reads.back().detail, "unknown caller number");
  {  // a room no longer in use is not suggested, however often it was used
    Repository<site::Room> rooms(*s);
    auto closed = rooms.require(site.room_a102);
    closed.active = false;
    rooms.update(closed);
    EXPECT_EQ(wo.phone_lookup(desk, "+86 138-1234-5678").usual_rooms,
              (std::vector<Id>{site.room_a101}));
  }
}

TEST_P(WorkflowTest, PersonalFieldsAreSealedInTheRawColumnAndMaskedOnRead) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  auto in = testing::light_report(site);
  in.reporter_phone = "13812345678";
  in.patient_name = "张三丰";
  in.patient_bed = "12床";
  auto o = wo.report(desk, in);
  auto raw_table = store::as_stored(store::table_info<repair::WorkOrder>());
  std::vector<store::Cell> raw;
  ASSERT_TRUE(s->get_row(raw_table, o.id, raw));
  for (const char* col : {"reporter_phone", "patient_name", "patient_bed"}) {
    const auto& cell = raw[raw_table.column_index(col)];
    EXPECT_EQ(cell.s.rfind("hq1:", 0), 0u) << col;
    EXPECT_EQ(cell.s.find("1381234"), std::string::npos);
    EXPECT_EQ(cell.s.find("张三"), std::string::npos);
  }
  auto viewer = pf.user_with("viewer", "viewer", {"repair.report"});
  auto j = wo.get(viewer, o.id);
  EXPECT_EQ(j["reporter_phone"], "138****5678");
  EXPECT_EQ(j["patient_name"], "张*丰");
  auto boss = pf.user_with("boss", "boss", {"repair.report", "protect.unmask"});
  EXPECT_EQ(wo.get(boss, o.id)["reporter_phone"], "13812345678");
  // Through the registry too.
  auto via = service::call(*s, viewer, "repair.get", json::Json{{"work_order_id", o.id}});
  EXPECT_EQ(via["patient_bed"], "***");
}

TEST_P(WorkflowTest, RegistryRunsTheOperationsWithDescribedInputs) {
  open();
  HQ_REQUIRE_STORE(s);
  for (const char* name :
       {"repair.report",      "repair.dispatch",   "repair.auto_dispatch", "repair.accept",
        "repair.start",       "repair.hold",       "repair.resume",        "repair.complete",
        "repair.verify",      "repair.close",      "repair.reopen",        "repair.cancel",
        "repair.rate",        "repair.add_labour", "repair.phone_intake",  "repair.report_summary",
        "repair.grab",        "repair.sla_tick",   "repair.change_sla",    "repair.reassign",
        "repair.search_items"})
    EXPECT_NO_THROW(service::operation(name)) << name;
  auto o = service::call(*s, desk, "repair.report",
                         json::Json{{"channel", "app"},
                                    {"room_id", site.room_b101},
                                    {"repair_item_id", site.item_tap},
                                    {"urgency", "low"},
                                    {"impact", "low"},
                                    {"description", "dripping tap"}});
  EXPECT_EQ(o["priority"], "p4");
  EXPECT_EQ(o["category"], "plumbing");
  Id id = o["id"].get<Id>();
  expect_error(
      [&] {
        service::call(*s, desk, "repair.hold",
                      json::Json{{"work_order_id", id}, {"hold_reason", "lunch"}});
      },
      ErrorCode::invalid_argument, "repair.hold");
  auto d = service::call(*s, desk, "repair.dispatch",
                         json::Json{{"work_order_id", id}, {"technician_id", site.plumber}});
  EXPECT_EQ(d["status"], "dispatched");
  auto items = service::call(*s, desk, "repair.search_items", json::Json{{"text", "washer"}});
  ASSERT_EQ(items["repair_items"].size(), 1u);
  EXPECT_EQ(items["repair_items"][0]["code"], "PL-TAP");
}

TEST_P(WorkflowTest, KnowledgeBaseSearchByTextAndCategory) {
  open();
  HQ_REQUIRE_STORE(s);
  repair::WorkOrders wo(*s);
  wo.save_item(
      desk,
      {0, 0, "EL-SOCKET", "插座更换", "electrical", 20, {"electrical"}, {"socket"}, 15, true});
  EXPECT_EQ(wo.search_items("插座").size(), 1u);
  EXPECT_EQ(wo.search_items("", "electrical").size(), 2u);
  auto hits = wo.search_items("el");  // code hits first, then category/skill hits
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].code, "EL-LIGHT");
  EXPECT_TRUE(wo.search_items("tap", "electrical").empty());
  expect_error(
      [&] {
        wo.save_item(desk, {0, 0, "X", "x", "", 10, {}, {}, 1, true});
      },
      ErrorCode::invalid_argument, "category: must not be empty");
  auto nobody = pf.user_with("nobody", "nobody", {"repair.report"});
  expect_error(
      [&] {
        wo.save_item(nobody, {0, 0, "Y", "y", "c", 10, {}, {}, 1, true});
      },
      ErrorCode::permission_denied, "user:nobody lacks repair.configure");
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
