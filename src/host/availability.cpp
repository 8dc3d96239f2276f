#include "houqin/host/availability.hpp"

#include <algorithm>

#include "houqin/audit/call.hpp"
#include "houqin/core/metrics.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::host {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool availability_tables_registered =
    store::register_tables<Uptime, ServiceIncident>("host");
[[maybe_unused]] const bool availability_exposed = store::expose<Uptime, ServiceIncident>(
    {.read = "monitor.read", .write = "", .read_personal = ""});

constexpr std::string_view host_component = "host";

std::optional<Uptime> open_stretch(store::Store& s, const std::string& component) {
  return Repository<Uptime>(s).find_one(Query<Uptime>()
                                            .where(&Uptime::component, Op::eq, component)
                                            .where(&Uptime::ongoing, Op::eq, true));
}

double hours(std::chrono::microseconds d) {
  return std::chrono::duration<double, std::ratio<3600>>(d).count();
}

}  // namespace

std::vector<store::Migration> availability_migrations() {
  return {{"host", 5, "availability: up and down stretches of each component, service incidents",
           [](store::Store& s) {
             store::create_table<Uptime>(s);
             store::create_table<ServiceIncident>(s);
           }}};
}

Monitor::Monitor(store::Store& store, MonitorOptions options)
    : store_(store), options_(std::move(options)) {
  if (!options_.database_check)
    options_.database_check = [this]() -> std::optional<std::string> {
      try {
        store_.execute("SELECT 1");
        return std::nullopt;
      } catch (const std::exception& e) {
        return std::string(e.what());
      }
    };
}

void Monitor::add(Probe probe) {
  if (probe.component.empty() || probe.component == host_component || !probe.check)
    fail(ErrorCode::invalid_argument,
         "probe: needs a component name other than \"host\" and a check");
  probes_.push_back(std::move(probe));
}

void Monitor::add_source(Source source) {
  if (!source) fail(ErrorCode::invalid_argument, "source: empty");
  sources_.push_back(std::move(source));
}

namespace {

/// The components a gauge names by one label: up when > 0, down with `failure` at 0, skipped
/// when negative (the component is gone).
Source gauge_source(std::string gauge, std::string label, std::string prefix, ComponentKind kind,
                    std::string failure) {
  return [=] {
    std::vector<Observation> out;
    for (const auto& v : metrics::snapshot(Timestamp{}).values) {
      if (v.name != gauge || v.value < 0) continue;
      auto it = v.labels.find(label);
      if (it == v.labels.end()) continue;
      out.push_back({prefix + it->second, kind,
                     v.value > 0 ? std::nullopt : std::optional<std::string>(failure)});
    }
    return out;
  };
}

}  // namespace

Source modbus_source() {
  return gauge_source("houqin_modbus_up", "connection", "modbus ", ComponentKind::device,
                      "not connected");
}

Source mqtt_source() {
  return gauge_source("houqin_mqtt_up", "broker", "mqtt ", ComponentKind::broker,
                      "not connected to the broker");
}

void Monitor::observe(const std::string& component, ComponentKind kind,
                      const std::optional<std::string>& failure, Timestamp now) {
  const bool up = !failure;
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it)
    if (it->component == component) {
      if (it->up == up) {
        it->to = now;
        return;
      }
      break;
    }
  pending_.push_back({component, kind, up, now, now, failure.value_or("")});
}

bool Monitor::tick() {
  const Timestamp now = store_.clock().now();
  const auto db = options_.database_check();
  observe("database", ComponentKind::database, db, now);
  observe(std::string(host_component), ComponentKind::host, std::nullopt, now);
  for (const auto& p : probes_) {
    std::optional<std::string> failure;
    try {
      failure = p.check();
    } catch (const std::exception& e) {
      failure = std::string("check failed: ") + e.what();
    }
    observe(p.component, p.kind, failure, now);
  }
  for (const auto& source : sources_) {
    try {
      for (const auto& o : source())
        if (!o.component.empty() && o.component != host_component)
          observe(o.component, o.kind, o.failure, now);
    } catch (const std::exception&) {  // a source that cannot say reports nothing this round
    }
  }
  if (db) return false;  // kept until the database answers again
  try {
    write(now);
  } catch (const Error&) {
    return false;  // the database went away between its check and the write: kept
  }
  pending_.clear();
  return true;
}

void Monitor::write(Timestamp now) {
  store::Transaction tx(store_);
  Repository<Uptime> stretches(store_);
  Repository<ServiceIncident> incidents(store_);
  // A gap without checks: the process was not running, the host was down for it.
  if (auto last = open_stretch(store_, std::string(host_component))) {
    Timestamp first_now = now;
    for (const auto& r : pending_)
      if (r.component == host_component) first_now = std::min(first_now, r.from);
    if (first_now - last->last_checked_at > options_.max_gap) {
      Uptime gap{0,
                 0,
                 std::string(host_component),
                 ComponentKind::host,
                 false,
                 last->last_checked_at,
                 first_now,
                 false,
                 "no health checks: the host was not running"};
      last->ongoing = false;
      stretches.update(*last);
      stretches.insert(gap);
      ServiceIncident si{0,  0,  "", gap.component, gap.kind, gap.reason, gap.started_at,
                         {}, "", "", first_now};
      incidents.insert(si);
      si.code = "SI-" + std::to_string(si.id);
      incidents.update(si);
    }
  }
  for (const auto& r : pending_) {
    auto open = open_stretch(store_, r.component);
    if (open && open->up == r.up) {
      open->last_checked_at = r.to;
      stretches.update(*open);
      continue;
    }
    if (open) {
      open->ongoing = false;
      stretches.update(*open);
    }
    Uptime fresh{0, 0, r.component, r.kind, r.up, r.from, r.to, true, r.reason};
    stretches.insert(fresh);
    auto unrecovered =
        incidents.find_one(Query<ServiceIncident>()
                               .where(&ServiceIncident::component, Op::eq, r.component)
                               .where_null(&ServiceIncident::recovered_at));
    if (!r.up && !unrecovered) {
      ServiceIncident si{0, 0, "", r.component, r.kind, r.reason, r.from, {}, "", "", {}};
      incidents.insert(si);
      si.code = "SI-" + std::to_string(si.id);
      incidents.update(si);
    } else if (r.up && unrecovered) {
      unrecovered->recovered_at = r.from;
      incidents.update(*unrecovered);
    }
  }
  tx.commit();
}

AvailabilityReport availability_report(store::Store& store, const AvailabilityQuery& q) {
  if (q.to <= q.from) fail(ErrorCode::invalid_argument, "to: must be after from");
  if (q.budget_hours_per_year < 0)
    fail(ErrorCode::invalid_argument, "budget_hours_per_year: must not be negative");
  AvailabilityReport out;
  out.query = q;
  auto stretches =
      Repository<Uptime>(store).find(Query<Uptime>()
                                         .where(&Uptime::last_checked_at, Op::ge, q.from)
                                         .where(&Uptime::started_at, Op::lt, q.to));
  std::sort(stretches.begin(), stretches.end(),
            [](const Uptime& a, const Uptime& b) { return a.started_at < b.started_at; });
  std::map<std::string, ComponentAvailability> by;
  std::vector<std::pair<Timestamp, Timestamp>> service_down;
  for (const auto& s : stretches) {
    const Timestamp a = std::max(s.started_at, q.from), b = std::min(s.last_checked_at, q.to);
    if (b < a) continue;
    auto& c = by[s.component];
    c.component = s.component;
    c.kind = s.kind;
    (s.up ? c.up_hours : c.down_hours) += hours(b - a);
    if (!s.up && s.started_at >= q.from) ++c.outages;
    if (!s.up && (s.kind == ComponentKind::host || s.kind == ComponentKind::database))
      service_down.push_back({a, b});
  }
  for (auto& [name, c] : by) {
    if (c.up_hours + c.down_hours > 0) c.availability = c.up_hours / (c.up_hours + c.down_hours);
    out.components.push_back(c);
  }
  // The union of the host's and the database's down stretches.
  std::sort(service_down.begin(), service_down.end());
  Timestamp end{};
  for (const auto& [a, b] : service_down) {
    const Timestamp start = std::max(a, end);
    if (b > start) out.service_down_hours += hours(b - start);
    end = std::max(end, b);
  }
  const double year_hours = 365.2425 * 24;
  out.budget_hours = q.budget_hours_per_year * hours(q.to - q.from) / year_hours;
  out.budget_left_hours = out.budget_hours - out.service_down_hours;
  out.within_budget = out.budget_left_hours >= 0;
  out.incidents = Repository<ServiceIncident>(store).find(
      Query<ServiceIncident>()
          .where(&ServiceIncident::detected_at, Op::ge, q.from)
          .where(&ServiceIncident::detected_at, Op::lt, q.to)
          .order_by("detected_at"));
  double recovery = 0;
  std::int64_t recovered = 0;
  for (const auto& i : out.incidents) {
    const bool in_time = i.responded_at && *i.responded_at - i.detected_at <=
                                               std::chrono::minutes(q.response_minutes);
    ++(in_time ? out.responded_in_time : out.responded_late);
    if (i.recovered_at) {
      recovery +=
          std::chrono::duration<double, std::ratio<60>>(*i.recovered_at - i.detected_at).count();
      ++recovered;
    }
  }
  if (recovered > 0) out.mean_recovery_minutes = recovery / static_cast<double>(recovered);
  return out;
}

ServiceIncident respond(store::Store& store, const auth::Actor& actor, const RespondInput& in) {
  return audit::audited(store, actor, "availability.respond", [&](audit::Call& call) {
    call.require("host.operate");
    Repository<ServiceIncident> incidents(store);
    auto si =
        incidents.find_one(Query<ServiceIncident>().where(&ServiceIncident::code, Op::eq, in.code));
    if (!si) fail(ErrorCode::not_found, "code: no service incident '" + in.code + "'");
    call.target(entity_traits<ServiceIncident>::table, si->id);
    if (si->responded_at)
      fail(ErrorCode::failed_precondition,
           "code: " + in.code + " was responded to by " + si->responded_by);
    const auto before = json::to_json(*si);
    si->responded_at = store.clock().now();
    si->responded_by = actor.label();
    si->response_note = in.note;
    incidents.update(*si);
    call.record(entity_traits<ServiceIncident>::table, si->id, before, json::to_json(*si));
    return *si;
  });
}

}  // namespace houqin::host
