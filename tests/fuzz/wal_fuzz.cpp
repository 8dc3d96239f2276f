// libFuzzer target for the telemetry write-ahead log's replay, the bytes a SampleStore reads back
// from its segment files after a crash. The first input byte chooses what the rest is:
//   even: a segment file as found in wal_dir after a crash, torn or damaged anywhere. replay()
//         applies whole records and cuts the file after the last one; it throws nothing, leaves
//         a prefix of the input that ends on a record, and a second replay of what it left applies
//         exactly the same samples.
//   odd:  samples to log (26 bytes each: point id, time, value bits, quality, flag), split into
//         records of 1 to 16 samples by a selector byte, then the file cut at a place the input
//         chooses. append() and replay() give back every sample of every record the cut left
//         whole, bit for bit, in order (ids and times that rise are logged compactly, the others
//         in full: both encodings are reached).
// The log is compiled into the target (its class is internal to libhouqin). Seeds:
// tests/fuzz/wal_corpus (segments written by the log itself, and sample runs).
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "telemetry/storage/wal.hpp"

namespace {

using namespace houqin;
using namespace houqin::telemetry;
namespace fs = std::filesystem;

constexpr std::size_t sample_bytes = 26;
const char* const segment_file = "telemetry-0000000000000001.wal";

/// One directory per process, emptied before each input.
const fs::path& wal_dir() {
  static const fs::path dir = fuzz::make_temp_dir("walfuzz");
  return dir;
}

SampleStoreOptions options() {
  SampleStoreOptions o;
  o.wal_dir = wal_dir();
  o.sync = SyncPolicy::none;
  return o;
}

void clear() {
  for (const auto& e : fs::directory_iterator(wal_dir())) fs::remove(e.path());
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool same(const Sample& a, const Sample& b) {
  return a.point_id == b.point_id && a.time == b.time &&
         std::memcmp(&a.value, &b.value, sizeof a.value) == 0 && a.quality == b.quality &&
         a.flag == b.flag;
}

/// Every sample replay() applies, record by record.
std::vector<std::vector<Sample>> replay_all(std::string_view input) {
  std::vector<std::vector<Sample>> out;
  try {
    storage::WriteAheadLog wal(options());
    wal.replay([&](std::span<const Sample> s) { out.emplace_back(s.begin(), s.end()); });
  } catch (const std::exception& e) {
    fuzz::finding(std::string("replay threw: ") + e.what(), input);
  }
  return out;
}

bool same_records(const std::vector<std::vector<Sample>>& a,
                  const std::vector<std::vector<Sample>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t r = 0; r < a.size(); ++r) {
    if (a[r].size() != b[r].size()) return false;
    for (std::size_t i = 0; i < a[r].size(); ++i)
      if (!same(a[r][i], b[r][i])) return false;
  }
  return true;
}

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void replay_found_segment(std::string_view input, std::string_view segment) {
  const auto path = wal_dir() / segment_file;
  write_file(path, segment);
  const auto first = replay_all(input);
  const auto left = read_all(path);
  if (left.size() > segment.size() || segment.substr(0, left.size()) != left)
    fuzz::finding("replay left a file that is not a prefix of the segment", input);
  const auto second = replay_all(input);
  if (!same_records(first, second))
    fuzz::finding("a second replay applied other samples than the first", input);
  if (read_all(path) != left) fuzz::finding("a second replay cut the segment again", input);
}

void log_and_replay(std::string_view input, std::string_view rest) {
  if (rest.size() < 2) return;
  const auto split = static_cast<std::uint8_t>(rest[0]);
  const auto cut_selector = static_cast<std::uint8_t>(rest[1]);
  rest.remove_prefix(2);
  std::vector<Sample> samples(rest.size() / sample_bytes);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const char* in = rest.data() + i * sample_bytes;
    auto& s = samples[i];
    std::memcpy(&s.point_id, in, 8);
    std::memcpy(&s.time, in + 8, 8);
    std::memcpy(&s.value, in + 16, 8);
    s.quality = static_cast<QualityCode>(static_cast<std::uint8_t>(in[24]));
    s.flag = static_cast<Flag>(static_cast<std::uint8_t>(in[25]));
  }
  std::vector<std::vector<Sample>> records;
  try {
    storage::WriteAheadLog wal(options());
    wal.restart();
    const std::size_t per = 1 + split % 16;
    for (std::size_t at = 0; at < samples.size(); at += per) {
      records.emplace_back(
          samples.begin() + static_cast<std::ptrdiff_t>(at),
          samples.begin() + static_cast<std::ptrdiff_t>(std::min(samples.size(), at + per)));
      wal.append(records.back());
    }
  } catch (const std::exception& e) {
    fuzz::finding(std::string("append threw: ") + e.what(), input);
  }
  const auto segments = std::vector<fs::directory_entry>(fs::directory_iterator(wal_dir()), {});
  if (segments.size() != 1) fuzz::finding("the log did not write one segment", input);
  const auto path = segments.front().path();
  const auto whole = read_all(path);
  if (!same_records(replay_all(input), records))
    fuzz::finding("replay did not give back the samples appended", input);
  // Cut the file anywhere: the records before the cut come back whole, nothing after it.
  const auto cut = whole.size() * cut_selector / 255;
  write_file(path, std::string_view(whole).substr(0, cut));
  const auto back = replay_all(input);
  if (back.size() > records.size()) fuzz::finding("a cut segment gave more records", input);
  for (std::size_t r = 0; r < back.size(); ++r)
    if (!same_records({back[r]}, {records[r]}))
      fuzz::finding("a cut segment gave back a record that was not appended", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  clear();
  if (data[0] % 2 == 0)
    replay_found_segment(input, input.substr(1));
  else
    log_and_replay(input, input.substr(1));
  return 0;
}
