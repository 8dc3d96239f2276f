#include "houqin/platform.hpp"

#include "houqin/asset/ledger.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/bi/bi.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/hazard/hazards.hpp"
#include "houqin/host/availability.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/host/performance.hpp"
#include "houqin/inspection/planner.hpp"
#include "houqin/inventory/inventory.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/patrol/patrol.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/survey/surveys.hpp"
#include "houqin/telemetry/alarm.hpp"
#include "houqin/telemetry/runtime.hpp"
#include "houqin/telemetry/storage.hpp"
#include "houqin/waste/tracker.hpp"
#include "houqin/wiring/wiring.hpp"

namespace houqin {

std::vector<store::Migration> migrations() {
  std::vector<store::Migration> out;
  // Each domain after the domains its tables reference.
  for (auto list :
       {site::migrations(), audit::migrations(), auth::migrations(), drivers::migrations(),
        inventory::migrations(), asset::migrations(), notify::migrations(), repair::migrations(),
        telemetry::storage_migrations(), telemetry::alarm_migrations(), waste::migrations(),
        hazard::migrations(), emergency::migrations(), inspection::migrations(),
        patrol::migrations(), survey::migrations(), bi::migrations(), wiring::migrations(),
        host::migrations()})
    out.insert(out.end(), list.begin(), list.end());
  return out;
}

std::unique_ptr<host::Host> make_host(store::Store& store, const HostConfig& config) {
  auto h = std::make_unique<host::Host>(store, config.host);
  wiring::install(*h, wiring::actor(), config.wiring);
  h->add(bi::consumer());
  if (config.bi_check.count() > 0) h->add(bi::check_job(config.bi_check));
  if (config.delivery.every.count() > 0) {
    auto channels = config.delivery.channels ? notify::make_channels(*config.delivery.channels)
                                             : notify::default_channels();
    // Each message is claimed in a commit of its own before its channel is called, so the job
    // runs outside the scheduler's transaction; a second run of a due time sends nothing twice.
    host::Job deliver{"notify.deliver_due", config.delivery.every, host::CatchUp::latest,
                      [channels, actor = auth::Actor::service("notify", {"notify.send"})](
                          store::Store& s, Timestamp) {
                        constexpr std::size_t limit = 100;  // a call's claims; a few calls a run
                        notify::Notifier n(s, channels);
                        for (int i = 0; i < 10 && n.deliver_due(actor, {}, limit).due >=
                                                      static_cast<std::int64_t>(limit);
                             ++i) {
                        }
                      }};
    deliver.in_transaction = false;
    h->add(std::move(deliver));
  }
  return h;
}

PlatformHost::PlatformHost(const std::string& url, store::StoreOptions options,
                           const HostConfig& config) {
  store_ = store::Store::open(url, options);
  host_ = make_host(*store_, config);
  if (config.health_every.count() > 0 && url.find(":memory:") == std::string::npos)
    health_store_ = store::Store::open(url, options);
  start_telemetry(url, options, config);
  if (health_store_)
    health_ = std::jthread(
        [this, every = config.health_every](std::stop_token stop) { health_loop(stop, every); });
}

void PlatformHost::health_loop(std::stop_token stop, std::chrono::milliseconds every) {
  host::Monitor monitor(*health_store_);
  if (acquisition_) monitor.add_source(host::modbus_source());
  monitor.add_source(host::mqtt_source());  // the forwarders this process runs, if any
  host::PerformanceRecorder performance(*health_store_);
  while (!stop.stop_requested()) {
    try {
      if (monitor.tick()) performance.record(metrics::snapshot(health_store_->clock().now()));
    } catch (const std::exception&) {  // the next round tries again; nothing is lost meanwhile
    }
    ++health_rounds_;
    std::unique_lock lock(health_mutex_);
    health_wake_.wait_for(lock, stop, every, [] { return false; });
  }
}

void PlatformHost::start_telemetry(const std::string& url, store::StoreOptions options,
                                   const HostConfig& config) {
  if (!config.telemetry) return;
  auto map = drivers::read_point_map(*store_);
  telemetry::RuntimeOptions ro;
  ro.url = url;
  ro.store = options;
  ro.storage.wal_dir = config.telemetry->wal_dir;
  ro.storage.retention = config.telemetry->retention;
  ro.storage.retention_every = config.telemetry->retention_every;
  runtime_ = std::make_unique<telemetry::Runtime>(
      ro, telemetry::config_from_point_map(map, config.telemetry->nominal_voltage));
  if (config.telemetry->acquire && !map.devices.empty())
    acquisition_ = std::make_unique<telemetry::PipelineAcquisition>(map, runtime_->pipeline());
  if (config.telemetry->meter_every.count() > 0) {
    // Inspection plans on run hours, cycles and conditions read the telemetry: the newest
    // sample of each watched point since its last reading becomes a reading.
    host::Job meters{"inspection.read_meters", config.telemetry->meter_every, host::CatchUp::latest,
                     [rt = runtime_.get(),
                      actor = auth::Actor::service("inspection-meters", {"inspection.record"})](
                         store::Store& s, Timestamp now) {
                       inspection::Planner planner(s);
                       for (Id point : planner.watched_points()) {
                         const auto last = planner.last_reading(point);
                         const auto from =
                             last ? last->time_since_epoch().count() + 1
                                  : (now - std::chrono::hours(1)).time_since_epoch().count();
                         telemetry::Series series;
                         try {
                           series = rt->query(point, from, now.time_since_epoch().count() + 1);
                         } catch (const Error& e) {
                           if (e.code() == ErrorCode::not_found) continue;  // not a telemetry point
                           throw;
                         }
                         if (series.size() == 0) continue;
                         planner.record_meter(
                             actor, {point, series.values.back(), "telemetry",
                                     Timestamp(std::chrono::microseconds(series.times.back()))});
                       }
                     }};
    host_->add(std::move(meters));
  }
}

PlatformHost::~PlatformHost() {
  if (health_.joinable()) {
    health_.request_stop();
    health_.join();
  }
  if (acquisition_) acquisition_->stop();
  acquisition_.reset();
  runtime_.reset();
  if (host_) {
    try {
      host_->stop();
    } catch (...) {  // the leases expire by themselves
    }
  }
  host_.reset();
}

}  // namespace houqin
