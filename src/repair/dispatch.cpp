#include "houqin/repair/dispatch.hpp"

#include <algorithm>
#include <unordered_set>

#include "houqin/repair/workflow.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::repair {
namespace {
using store::Op;
using store::Query;
using store::Repository;
constexpr std::int64_t us_per_min = 60'000'000;
}  // namespace

double proximity_factor(Proximity p) noexcept {
  switch (p) {
    case Proximity::same_room:
      return 1.0;
    case Proximity::same_floor:
      return 0.8;
    case Proximity::same_building:
      return 0.6;
    case Proximity::same_campus:
      return 0.3;
    case Proximity::elsewhere:
      return 0.0;
    case Proximity::unknown:
      break;
  }
  return 0.5;  // unknown location: neither favoured nor punished
}

DispatchBoard::DispatchBoard(store::Store& store, DispatchSettings settings)
    : settings_(std::move(settings)) {
  auto profiles = Repository<Technician>(store).find(
      Query<Technician>().where(&Technician::active, Op::eq, true).order_by(&Technician::staff_id));
  std::vector<Id> staff_ids;
  for (const auto& p : profiles) staff_ids.push_back(p.staff_id);
  std::unordered_map<Id, site::Staff> staff;
  if (!staff_ids.empty())
    for (auto& s : Repository<site::Staff>(store).find(
             Query<site::Staff>().where_in(&site::Staff::id, staff_ids)))
      staff.emplace(s.id, std::move(s));
  for (auto& p : profiles) {
    auto it = staff.find(p.staff_id);
    if (it == staff.end() || !it->second.active) continue;
    Tech t;
    t.name = it->second.name;
    t.skills = it->second.skills;
    t.skills.insert(t.skills.end(), p.skills.begin(), p.skills.end());
    std::sort(t.skills.begin(), t.skills.end());
    t.skills.erase(std::unique(t.skills.begin(), t.skills.end()), t.skills.end());
    t.room = p.base_room_id;
    t.profile = std::move(p);
    by_staff_.emplace(t.profile.staff_id, techs_.size());
    techs_.push_back(std::move(t));
  }

  // The roster around now: yesterday's night shifts still run after midnight.
  auto now = store.clock().now();
  std::int64_t offset = std::int64_t{settings_.utc_offset_minutes} * us_per_min;
  auto today = std::chrono::floor<std::chrono::days>(now + std::chrono::microseconds{offset});
  std::unordered_map<Id, site::Shift> shifts;
  for (auto& s : Repository<site::Shift>(store).find()) shifts.emplace(s.id, s);
  for (const auto& a : Repository<site::ShiftAssignment>(store).find(
           Query<site::ShiftAssignment>()
               .where(&site::ShiftAssignment::day, Op::ge, today - std::chrono::days{1})
               .where(&site::ShiftAssignment::day, Op::le, today + std::chrono::days{1}))) {
    auto t = by_staff_.find(a.staff_id);
    auto s = shifts.find(a.shift_id);
    if (t == by_staff_.end() || s == shifts.end()) continue;
    std::int64_t midnight =
        std::chrono::duration_cast<std::chrono::microseconds>(a.day.time_since_epoch()).count() -
        offset;
    std::int64_t start = midnight + std::int64_t{s->second.start_minute} * us_per_min;
    techs_[t->second].shifts.emplace_back(
        start, start + std::int64_t{s->second.duration_minutes} * us_per_min);
  }

  std::unordered_map<Id, Id> floor_building, building_campus;
  for (const auto& b : Repository<site::Building>(store).find())
    building_campus.emplace(b.id, b.campus_id);
  for (const auto& f : Repository<site::Floor>(store).find())
    floor_building.emplace(f.id, f.building_id);
  for (const auto& r : Repository<site::Room>(store).find()) {
    Place p{r.floor_id, floor_building[r.floor_id], 0};
    p.campus = building_campus[p.building];
    rooms_.emplace(r.id, p);
  }
  for (const auto& i : Repository<RepairItem>(store).find()) item_skills_.emplace(i.id, i.skills);

  // Current load, and where each technician last went.
  std::vector<Status> open;
  for (auto s : {Status::dispatched, Status::accepted, Status::in_progress, Status::on_hold})
    open.push_back(s);
  for (const auto& o :
       Repository<WorkOrder>(store).find(Query<WorkOrder>()
                                             .where_in(&WorkOrder::status, open)
                                             .where_null(&WorkOrder::technician_id, false)
                                             .order_by(&WorkOrder::dispatched_at))) {
    auto t = by_staff_.find(*o.technician_id);
    if (t == by_staff_.end()) continue;
    ++techs_[t->second].open;
    if (o.room_id) techs_[t->second].room = o.room_id;
  }
}

Proximity DispatchBoard::proximity(std::optional<Id> a, std::optional<Id> b) const {
  if (!a || !b) return Proximity::unknown;
  if (*a == *b) return Proximity::same_room;
  auto pa = rooms_.find(*a), pb = rooms_.find(*b);
  if (pa == rooms_.end() || pb == rooms_.end()) return Proximity::unknown;
  if (pa->second.floor == pb->second.floor) return Proximity::same_floor;
  if (pa->second.building == pb->second.building) return Proximity::same_building;
  if (pa->second.campus == pb->second.campus) return Proximity::same_campus;
  return Proximity::elsewhere;
}

void DispatchBoard::assigned(Id staff_id, std::optional<Id> room_id) {
  auto t = by_staff_.find(staff_id);
  if (t == by_staff_.end()) return;
  ++techs_[t->second].open;
  if (room_id) techs_[t->second].room = room_id;
}

DispatchDecision DispatchBoard::decide(const WorkOrder& order, Timestamp at) const {
  DispatchDecision d;
  d.work_order_id = order.id;
  static const std::vector<std::string> none;
  const std::vector<std::string>* needed = &none;
  if (order.repair_item_id)
    if (auto it = item_skills_.find(*order.repair_item_id); it != item_skills_.end())
      needed = &it->second;
  std::int64_t t_us = at.time_since_epoch().count();
  d.candidates.reserve(techs_.size());
  for (const auto& t : techs_) {
    CandidateScore c;
    c.staff_id = t.profile.staff_id;
    c.name = t.name;
    c.team = t.profile.team;
    for (const auto& s : *needed)
      if (!std::binary_search(t.skills.begin(), t.skills.end(), s)) c.missing_skills.push_back(s);
    double skill_share =
        needed->empty() ? 1.0
                        : double(needed->size() - c.missing_skills.size()) / double(needed->size());
    c.on_duty = std::any_of(t.shifts.begin(), t.shifts.end(),
                            [&](auto w) { return t_us >= w.first && t_us < w.second; });
    c.open_orders = t.open;
    int cap = std::max(1, t.profile.max_open);
    double load_share = std::max(0.0, 1.0 - double(t.open) / double(cap));
    c.proximity = proximity(t.room, order.room_id);
    c.skill = settings_.skill_weight * skill_share;
    c.duty = c.on_duty ? settings_.duty_weight : 0.0;
    c.load = settings_.load_weight * load_share;
    c.distance = settings_.distance_weight * proximity_factor(c.proximity);
    c.total = c.skill + c.duty + c.load + c.distance;
    if (settings_.require_all_skills && !c.missing_skills.empty()) {
      c.eligible = false;
      c.excluded_because = "lacks skills";
    } else if (settings_.require_on_duty && !c.on_duty) {
      c.eligible = false;
      c.excluded_because = "off duty";
    } else if (t.open >= cap) {
      c.eligible = false;
      c.excluded_because = "at maximum load";
    }
    d.candidates.push_back(std::move(c));
  }
  std::sort(d.candidates.begin(), d.candidates.end(),
            [](const CandidateScore& a, const CandidateScore& b) {
              if (a.eligible != b.eligible) return a.eligible;
              if (a.total != b.total) return a.total > b.total;
              if (a.open_orders != b.open_orders) return a.open_orders < b.open_orders;
              return a.staff_id < b.staff_id;
            });
  if (!d.candidates.empty() && d.candidates.front().eligible)
    d.chosen = d.candidates.front().staff_id;
  return d;
}

}  // namespace houqin::repair
