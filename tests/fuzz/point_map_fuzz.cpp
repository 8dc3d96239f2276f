// libFuzzer target for point maps and the register decoder: an input is a point-map document
// (JSON), optionally followed by a line "--" and raw bytes taken as the registers a device
// answered. load_point_map either refuses the document with a named Error that is not internal,
// or gives a map whose document form loads again to the same map. Every point of an accepted map
// is decoded from the answered registers (zeros past their end): a good reading or
// invalid_value, a NaN only when not good, never a read past the point's registers; and a
// 16- or 32-bit integer point without scale or bias encodes its value back to the same registers.
// Seeds: tests/fuzz/point_map_corpus (examples/data/point_map.json and variants).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_support.hpp"
#include "houqin/drivers/decode.hpp"
#include "houqin/drivers/point_map.hpp"

namespace {

using namespace houqin;
using namespace houqin::drivers;

void decode_points(const PointMap& map, std::string_view regs_bytes, std::string_view input) {
  std::vector<std::uint16_t> answered(regs_bytes.size() / 2);
  if (!answered.empty()) std::memcpy(answered.data(), regs_bytes.data(), answered.size() * 2);
  std::size_t next = 0;
  for (const auto& p : map.points) {
    if (is_bit(p.register_type)) {
      Reading r;
      decode_bit(next < answered.size() ? answered[next++] & 1 : 0, r);
      if (r.quality != Quality::good || (r.value != 0 && r.value != 1))
        fuzz::finding("a bit did not decode to 0 or 1", input);
      continue;
    }
    const auto width = static_cast<std::size_t>(point_width(p));
    // Exactly the point's registers on the heap: ASan sees a read past them.
    std::vector<std::uint16_t> regs(width);
    for (auto& w : regs) w = next < answered.size() ? answered[next++] : 0;
    Reading r;
    try {
      decode(p, regs.data(), r);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::internal) fuzz::finding("decode: an internal error", input);
      continue;
    }
    if (r.quality != Quality::good && r.quality != Quality::invalid_value)
      fuzz::finding("decode gave a quality other than good or invalid_value", input);
    if (p.data_type == DataType::string) continue;
    if (r.quality == Quality::good && std::isnan(r.value))
      fuzz::finding("a good reading holds NaN", input);
    const bool exact = p.scale == 1 && p.bias == 0 &&
                       (p.data_type == DataType::int16 || p.data_type == DataType::uint16 ||
                        p.data_type == DataType::int32 || p.data_type == DataType::uint32);
    if (!exact) continue;
    std::vector<std::uint16_t> again(width);
    encode(p, r.value, again.data());
    if (again != regs)
      fuzz::finding("an integer point did not encode back to its registers", input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto cut = input.find("\n--\n");
  const auto text = input.substr(0, cut);
  const auto regs = cut == std::string_view::npos ? std::string_view() : input.substr(cut + 4);
  try {
    json::Json doc;
    try {
      doc = json::parse(text, "point map");
    } catch (const Error& e) {
      if (e.code() == ErrorCode::internal) fuzz::finding("parse: an internal error", input);
      return 0;
    }
    PointMap map;
    try {
      map = load_point_map(doc);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::internal)
        fuzz::finding("load_point_map: an internal error", input);
      if (std::string_view(e.what()).empty()) fuzz::finding("a refusal without a message", input);
      return 0;
    }
    const auto form = point_map_json(map);
    PointMap again;
    try {
      again = load_point_map(form);
    } catch (const Error& e) {
      fuzz::finding(std::string("an accepted map's document form is refused: ") + e.what(), input);
    }
    if (point_map_json(again) != form)
      fuzz::finding("an accepted map's document form loads to another map", input);
    decode_points(map, regs, input);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("an unexpected exception: ") + e.what(), input);
  }
  return 0;
}
