// hq_acquisition_*: a vendor's C driver (hq_driver_vtable) as a houqin::drivers::Driver, polled by
// the acquisition layer like the Modbus driver, its readings pushed into a telemetry runtime.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "capi.hpp"
#include "houqin/drivers/driver.hpp"
#include "houqin/drivers/point_store.hpp"
#include "houqin/telemetry/acquire.hpp"
#include "houqin/telemetry/runtime.hpp"

using namespace houqin;
using capi::guard;
using capi::require;
namespace tl = ::houqin::telemetry;

static_assert(HQ_QUALITY_GOOD == static_cast<int>(drivers::Quality::good));
static_assert(HQ_QUALITY_BAD_CONFIG == static_cast<int>(drivers::Quality::bad_config));
static_assert(HQ_QUALITY_COMM_FAIL == static_cast<int>(drivers::Quality::comm_fail));
static_assert(HQ_QUALITY_DEVICE_BUSY == static_cast<int>(drivers::Quality::device_busy));
static_assert(HQ_QUALITY_DEVICE_FAILURE == static_cast<int>(drivers::Quality::device_failure));
static_assert(HQ_QUALITY_INVALID_VALUE == static_cast<int>(drivers::Quality::invalid_value));

namespace houqin::capi {

// Defined in telemetry.cpp.
tl::Runtime& runtime(hq_telemetry* t, const char* function);
drivers::PointMap stored_point_map(hq_telemetry* t);

}  // namespace houqin::capi

namespace {

/// The fields of each vtable version: how many bytes of the host's struct the library reads.
std::size_t vtable_bytes(unsigned int version) {
  switch (version) {
    case 1:
      return offsetof(hq_driver_vtable, close) + sizeof(hq_driver_vtable::close);
    default:
      return 0;
  }
}

/// One connection of a C driver. Made and used on the connection's poll thread only.
class CDriver final : public drivers::Driver {
 public:
  CDriver(std::vector<drivers::DeviceMap> devices, const Clock& clock,
          const hq_driver_vtable& vtable, void* payload)
      : devices_(std::move(devices)), clock_(clock), vtable_(vtable), payload_(payload) {
    if (vtable_.open) {
      json::Json list = json::Json::array();
      for (const auto& d : devices_)
        list.push_back({{"device", json::to_json(d.device)}, {"points", json::to_json(d.points)}});
      const std::string text = capi::dump(list);
      if (vtable_.open(&state_, text.c_str(), payload_) != 0)
        fail(ErrorCode::unavailable, "driver open() failed");  // counted by Acquisition
    }
  }
  ~CDriver() override {
    if (vtable_.close) vtable_.close(state_, payload_);
  }

  void poll(std::size_t device, std::vector<drivers::Reading>& out) override {
    const auto& points = devices_[device].points;
    buffer_.assign(points.size(), hq_reading{0, 0, std::nan(""), HQ_QUALITY_COMM_FAIL});
    for (std::size_t i = 0; i < points.size(); ++i) buffer_[i].point_id = points[i].id;
    const bool ok =
        vtable_.read_points(state_, device, buffer_.data(), buffer_.size(), payload_) == 0;
    const Timestamp now = clock_.now();
    out.resize(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      auto& r = out[i];
      const auto& b = buffer_[i];
      r.point_id = points[i].id;  // whatever the driver did to the id
      r.time = b.time_us != 0 ? tl::from_micros(b.time_us) : now;
      r.text.clear();
      const bool known = b.quality >= HQ_QUALITY_GOOD && b.quality <= HQ_QUALITY_INVALID_VALUE;
      r.quality =
          !ok || !known ? drivers::Quality::comm_fail : static_cast<drivers::Quality>(b.quality);
      if (r.quality == drivers::Quality::good && !std::isfinite(b.value))
        r.quality = drivers::Quality::invalid_value;
      r.value = r.quality == drivers::Quality::good ? b.value : std::nan("");
    }
  }

  std::span<const drivers::DeviceMap> devices() const override { return devices_; }

 private:
  std::vector<drivers::DeviceMap> devices_;
  const Clock& clock_;
  hq_driver_vtable vtable_;
  void* payload_;
  void* state_ = nullptr;
  std::vector<hq_reading> buffer_;
};

/// What an hq_acquisition* points to: acquisition into the runtime through its push().
struct AcquisitionHandle {
  tl::Runtime* runtime = nullptr;
  std::vector<Id> string_points;  // sorted; no number to push
  std::atomic<std::uint64_t> pushed{0};
  std::atomic<std::uint64_t> dropped{0};
  std::unique_ptr<drivers::Acquisition> acquisition;

  void sink(std::span<const drivers::Reading> readings) {
    thread_local std::vector<tl::Sample> samples;  // one per poll thread, reused
    samples.clear();
    for (const auto& r : readings)
      if (!std::binary_search(string_points.begin(), string_points.end(), r.point_id))
        samples.push_back(tl::to_sample(r));
    auto result = runtime->push(samples);
    pushed += result.accepted;
    dropped += samples.size() - result.accepted;
  }
};

}  // namespace

extern "C" {

hq_status hq_acquisition_start(hq_acquisition** out, hq_telemetry* telemetry,
                               const char* point_map_json, const hq_driver_vtable* driver,
                               void* payload) {
  if (out) *out = nullptr;
  return guard([&] {
    require(out, "hq_acquisition_start", "out");
    auto& rt = capi::runtime(telemetry, "hq_acquisition_start");
    require(driver, "hq_acquisition_start", "driver");
    const std::size_t bytes = vtable_bytes(driver->version);
    if (bytes == 0)
      fail(ErrorCode::invalid_argument,
           "hq_acquisition_start: driver version " + std::to_string(driver->version) +
               " is not supported (1.." + std::to_string(HQ_DRIVER_VTABLE_VERSION) + ")");
    // Only the fields of the driver's version: a newer library never reads past an older table.
    hq_driver_vtable vtable{};
    std::memcpy(&vtable, driver, bytes);
    require(reinterpret_cast<const void*>(vtable.read_points), "hq_acquisition_start",
            "driver->read_points");

    drivers::PointMap map;
    if (point_map_json) {
      map = drivers::load_point_map(json::parse(point_map_json, "point_map"));
    } else {
      map = capi::stored_point_map(telemetry);  // the map the runtime's store holds
    }
    auto handle = std::make_unique<AcquisitionHandle>();
    handle->runtime = &rt;
    for (const auto& p : map.points)
      if (p.data_type == drivers::DataType::string) handle->string_points.push_back(p.id);
    std::sort(handle->string_points.begin(), handle->string_points.end());
    drivers::AcquisitionOptions options;
    options.factory = [vtable, payload](std::vector<drivers::DeviceMap> devices,
                                        const Clock& clock) -> std::unique_ptr<drivers::Driver> {
      return std::make_unique<CDriver>(std::move(devices), clock, vtable, payload);
    };
    auto* h = handle.get();
    handle->acquisition = std::make_unique<drivers::Acquisition>(
        map, [h](const drivers::Device&, std::span<const drivers::Reading> r) { h->sink(r); },
        std::move(options));
    *out = reinterpret_cast<hq_acquisition*>(handle.release());
  });
}

hq_status hq_acquisition_stats(uint64_t* out_pushed, uint64_t* out_dropped, uint64_t* out_errors,
                               hq_acquisition* acquisition) {
  if (out_pushed) *out_pushed = 0;
  if (out_dropped) *out_dropped = 0;
  if (out_errors) *out_errors = 0;
  return guard([&] {
    require(acquisition, "hq_acquisition_stats", "acquisition");
    auto& h = *reinterpret_cast<AcquisitionHandle*>(acquisition);
    if (out_pushed) *out_pushed = h.pushed.load();
    if (out_dropped) *out_dropped = h.dropped.load();
    if (out_errors) *out_errors = h.acquisition->sink_errors();
  });
}

void hq_acquisition_free(hq_acquisition* acquisition) {
  auto* h = reinterpret_cast<AcquisitionHandle*>(acquisition);
  if (!h) return;
  h->acquisition->stop();  // joins the poll threads; each destroys its driver (close())
  delete h;
}

}  // extern "C"
