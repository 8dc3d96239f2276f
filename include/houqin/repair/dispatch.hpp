// Dispatch: who should do a work order. Automatic dispatch scores every active technician on the
// repair item's skills, being on shift now, current open load and distance from the job, and
// returns the choice with every candidate's score breakdown, so a dispatcher can see why.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "houqin/repair/model.hpp"
#include "houqin/store/store.hpp"

namespace houqin::repair {

/// Weights of the four scores (points at a full match) and the hard filters.
struct DispatchSettings {
  double skill_weight = 40;
  double duty_weight = 30;
  double load_weight = 20;
  double distance_weight = 10;
  bool require_all_skills = true;         // a technician lacking a needed skill is not eligible
  bool require_on_duty = false;           // off-duty technicians stay candidates, scoring 0 on duty
  std::int32_t utc_offset_minutes = 480;  // local time of the shift roster
};

/// Distance classes from the site model, and their share of distance_weight.
BOOST_DEFINE_ENUM_CLASS(Proximity, same_room, same_floor, same_building, same_campus, elsewhere,
                        unknown)
HOUQIN_EXPORT double proximity_factor(Proximity p) noexcept;

struct CandidateScore {
  Id staff_id = 0;
  std::string name;
  std::string team;
  bool eligible = true;
  std::string excluded_because;  // why not eligible
  std::vector<std::string> missing_skills;
  bool on_duty = false;
  std::int32_t open_orders = 0;
  Proximity proximity = Proximity::unknown;
  double skill = 0, duty = 0, load = 0, distance = 0, total = 0;
};

struct DispatchDecision {
  Id work_order_id = 0;
  std::optional<Id> chosen;                // none when nobody is eligible
  std::vector<CandidateScore> candidates;  // best first
};

BOOST_DESCRIBE_STRUCT(DispatchSettings, (),
                      (skill_weight, duty_weight, load_weight, distance_weight, require_all_skills,
                       require_on_duty, utc_offset_minutes))
BOOST_DESCRIBE_STRUCT(CandidateScore, (),
                      (staff_id, name, team, eligible, excluded_because, missing_skills, on_duty,
                       open_orders, proximity, skill, duty, load, distance, total))
BOOST_DESCRIBE_STRUCT(DispatchDecision, (), (work_order_id, chosen, candidates))

/// A snapshot of everything scoring needs (technicians, rosters, rooms, open loads), read once
/// and reused for many orders: auto-dispatching a batch costs one read, not one per order.
class HOUQIN_EXPORT DispatchBoard {
 public:
  DispatchBoard(store::Store& store, DispatchSettings settings = {});
  /// Scores every technician for `order` at `at`; pure (no writes).
  DispatchDecision decide(const WorkOrder& order, Timestamp at) const;
  /// Counts an assignment made from this board, so the next decision sees the new load.
  void assigned(Id staff_id, std::optional<Id> room_id);
  const DispatchSettings& settings() const noexcept { return settings_; }

 private:
  struct Tech {
    Technician profile;
    std::string name;
    std::vector<std::string> skills;  // staff + profile, sorted
    std::optional<Id> room;           // where the technician is: last job's room or base room
    std::int32_t open = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> shifts;  // [start, end) in UTC µs
  };
  struct Place {
    Id floor = 0, building = 0, campus = 0;
  };
  Proximity proximity(std::optional<Id> a, std::optional<Id> b) const;

  DispatchSettings settings_;
  std::vector<Tech> techs_;
  std::unordered_map<Id, std::size_t> by_staff_;
  std::unordered_map<Id, Place> rooms_;
  std::unordered_map<Id, std::vector<std::string>> item_skills_;
};

}  // namespace houqin::repair
