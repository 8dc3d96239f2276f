#include "houqin/telemetry/acquire.hpp"

#include <algorithm>
#include <cmath>

namespace houqin::telemetry {

Sample to_sample(const drivers::Reading& reading) noexcept {
  Sample s;
  s.point_id = reading.point_id;
  s.time = to_micros(reading.time);
  s.quality = static_cast<QualityCode>(reading.quality);
  s.value = reading.quality == drivers::Quality::good ? reading.value : std::nan("");
  s.flag = Flag::not_evaluated;
  return s;
}

PipelineAcquisition::PipelineAcquisition(const drivers::PointMap& map, Pipeline& pipeline,
                                         drivers::AcquisitionOptions options)
    : pipeline_(pipeline) {
  for (const auto& p : map.points)
    if (p.data_type == drivers::DataType::string) string_points_.push_back(p.id);
  std::sort(string_points_.begin(), string_points_.end());
  acquisition_ = std::make_unique<drivers::Acquisition>(
      map,
      [this](const drivers::Device&, std::span<const drivers::Reading> readings) {
        sink(readings);
      },
      std::move(options));
}

PipelineAcquisition::~PipelineAcquisition() {
  stop();
}

void PipelineAcquisition::stop() noexcept {
  if (acquisition_) acquisition_->stop();
}

std::size_t PipelineAcquisition::errors() const noexcept {
  return acquisition_ ? acquisition_->sink_errors() : 0;
}

void PipelineAcquisition::sink(std::span<const drivers::Reading> readings) {
  // One buffer per poll thread, grown to a device's point count once and then reused.
  thread_local std::vector<Sample> samples;
  samples.clear();
  for (const auto& r : readings)
    if (!std::binary_search(string_points_.begin(), string_points_.end(), r.point_id))
      samples.push_back(to_sample(r));
  auto result = pipeline_.push(samples);
  pushed_ += result.accepted;
  dropped_ += samples.size() - result.accepted;
}

}  // namespace houqin::telemetry
