// libFuzzer target for the telemetry block codec, the bytes a SampleStore reads back from the
// database. The first input byte chooses what the rest is:
//   even: a stored block as found in telemetry_block.data. read_header and decode_block either
//         decode it or refuse it with Error(data_loss) (invalid_argument for buffers of the wrong
//         size); nothing else, and never a read or write outside the blob and the buffers.
//   odd:  samples to encode (a resolution selector, then 18 bytes a sample: time step, value
//         bits, quality, flag). encode_block either refuses them (invalid_argument) or makes a
//         block that decodes to the same samples bit for bit; sealed (format 2) they decode the
//         same again.
// Seeds: tests/fuzz/block_corpus (blocks made by encode_block of each encoding and by seal_block,
// and sample runs).
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "houqin/telemetry/codec.hpp"

namespace {

using namespace houqin;
using namespace houqin::telemetry;

constexpr std::uint32_t max_count = 1 << 16;  // a block header may claim more; those are skipped

void decode_stored(std::string_view input, std::span<const std::uint8_t> blob) {
  BlockHeader h;
  try {
    h = read_header(blob);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::data_loss) fuzz::finding("read_header: not data_loss", input);
    return;
  }
  if (h.count > max_count) return;
  Series s;
  s.resize(h.count);
  try {
    auto n = decode_block(blob, s.buffers());
    if (n != h.count) fuzz::finding("decode_block returned another count than its header", input);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::data_loss) fuzz::finding("decode_block: not data_loss", input);
  }
  // Buffers of the wrong size are refused, not written past.
  Series small;
  small.resize(h.count > 0 ? h.count - 1 : 0);
  if (h.count > 0) {
    try {
      decode_block(blob, small.buffers());
      fuzz::finding("decode_block wrote a block into buffers too small for it", input);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::invalid_argument && e.code() != ErrorCode::data_loss)
        fuzz::finding("small buffers: neither invalid_argument nor data_loss", input);
    }
  }
}

template <class T>
T take(const std::uint8_t*& in) {
  T v;
  std::memcpy(&v, in, sizeof v);
  in += sizeof v;
  return v;
}

void round_trip(std::string_view input, const std::uint8_t* in, std::size_t size) {
  if (size < 1) return;
  static constexpr double resolutions[] = {0, 0.01, 0.1, 1, 0.5, 0.25, 0.001, 1e-6, 10, -1};
  const double resolution = resolutions[in[0] % std::size(resolutions)];
  ++in;
  --size;
  std::vector<Sample> samples;
  Micros t = 1'767'225'600'000'000;  // 2026-01-01
  for (; size >= 18; size -= 18) {
    Sample s;
    s.point_id = 7;
    t += static_cast<Micros>(take<std::uint32_t>(in));  // in order, equal times allowed
    s.time = t;
    s.value = take<double>(in);
    s.quality = take<std::uint8_t>(in);
    s.flag = static_cast<Flag>(take<std::uint8_t>(in) % 4);
    samples.push_back(s);
  }
  std::vector<std::uint8_t> blob;
  try {
    blob = encode_block(samples, resolution);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::invalid_argument)
      fuzz::finding("encode_block: not invalid_argument", input);
    if (!samples.empty()) fuzz::finding("encode_block refused samples in time order", input);
    return;
  }
  if (samples.empty()) fuzz::finding("encode_block accepted no samples", input);
  auto h = read_header(blob);
  if (h.count != samples.size()) fuzz::finding("the header counts other samples", input);
  Series out;
  out.resize(h.count);
  decode_block(blob, out.buffers());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    std::uint64_t a, b;
    std::memcpy(&a, &s.value, 8);
    std::memcpy(&b, &out.values[i], 8);
    const bool same_value = a == b;  // NaN payloads and -0 included
    if (out.times[i] != s.time || !same_value || out.qualities[i] != s.quality ||
        out.flags[i] != s.flag)
      fuzz::finding("a sample did not come back as it went in (sample " + std::to_string(i) + ")",
                    input);
  }
  // The same samples sealed (format 2): it applies to every point with a fixed resolution, and
  // gives back the same columns bit for bit.
  std::vector<std::uint8_t> sealed;
  bool applies = value_scheme(resolution).encoding != Encoding::xor_float;
  std::span<const Micros> times(out.times.data(), h.count);
  std::span<const double> values(out.values.data(), h.count);
  std::span<const QualityCode> qualities(out.qualities.data(), h.count);
  std::span<const Flag> flags(out.flags.data(), h.count);
  // Half the inputs sealed as compaction does (the adaptive code, the long level predictors).
  const auto effort = static_cast<Sealing>(input.size() % 3);  // quick, thorough, adaptive
  if (seal_block(times, values, qualities, flags, resolution, sealed, effort) != applies)
    fuzz::finding(applies ? "seal_block refused a block it applies to"
                          : "seal_block sealed a block without a fixed resolution",
                  input);
  if (!applies) return;
  if (read_header(sealed).version != 2) fuzz::finding("a sealed block is not format 2", input);
  Series back;
  back.resize(h.count);
  decode_block(sealed, back.buffers());
  for (std::size_t i = 0; i < h.count; ++i)
    if (back.times[i] != out.times[i] || std::memcmp(&back.values[i], &out.values[i], 8) != 0 ||
        back.qualities[i] != out.qualities[i] || back.flags[i] != out.flags[i])
      fuzz::finding("a sealed sample did not come back (sample " + std::to_string(i) + ")", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    if (data[0] % 2 == 0)
      decode_stored(input, std::span(data + 1, size - 1));
    else
      round_trip(input, data + 1, size - 1);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("an unexpected exception: ") + e.what(), input);
  }
  return 0;
}
