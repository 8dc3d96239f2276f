// Storage density against the peer a hospital would pick for this data: VictoriaMetrics, fed
// the same hospital signals (hospital_signals.hpp) as houqin's SampleStore on SQLite, per signal
// class and variant (aligned 1 s timestamps, ±20 ms poll jitter), in one run:
//   BM_HouqinSqlite/<class>/<variant>        SampleStore.append (one batch per poll second, every
//                                            series of the class) + flush into a fresh SQLite file;
//                                            blob bytes and whole-file bytes per sample (after a
//                                            WAL checkpoint and VACUUM)
//   BM_PeerVictoriaMetrics/<class>/<variant> the Debian package's victoria-metrics on 127.0.0.1
//   with
//                                            its own temporary data directory: JSON-lines import
//                                            (/api/v1/import, one request per series), force_flush,
//                                            force_merge until its log says it finished, then the
//                                            data directory's bytes per sample
// Each class and variant gets its own database file and its own VictoriaMetrics directory, so the
// bytes are per class without attribution. Time is wall time of the ingest (houqin: append +
// flush; VictoriaMetrics: the import requests until they return); CPU seconds of each side are
// counters. The summary prints bytes per sample, houqin / VictoriaMetrics, the entropy bound and
// houqin / bound per class and variant, geometric means, and "ratio ... = x (target ...)" lines.
//   density_bench [--smoke] [--series-per-class=N] [--seconds=S] [--classes=a,b]
//                 [--seed=N] [--vm=PATH] [google benchmark flags]
// --smoke: 2 series per class, 10 minutes (the CTest test). Needs /usr/bin/victoria-metrics
// (Debian package victoria-metrics, installed by ./dev.sh deps).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/net.hpp"
#include "hospital_signals.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/telemetry/storage.hpp"
#include "ratio.hpp"

namespace fs = std::filesystem;
using namespace houqin;
using namespace houqin::bench::signals;
using Steady = std::chrono::steady_clock;

namespace {

houqin::bench::signals::Options g_options;
std::string g_vm_binary = "/usr/bin/victoria-metrics";
bool g_failed = false;

double seconds_since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// A directory under the system's temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("houqin-density-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// Bytes of the regular files under `dir` (their sizes, as `du --apparent-size`).
std::uint64_t tree_bytes(const fs::path& dir) {
  std::uint64_t n = 0;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) n += it->file_size(e2);
  }
  return n;
}

// ---- a minimal HTTP/1.1 client: one request per connection, bounded by a deadline ------------
// (tests/support/http.hpp's client reads Content-Length bodies only; VictoriaMetrics answers
// /metrics in chunked encoding.)

struct HttpReply {
  int status = 0;
  std::string body;
};

std::string dechunk(const std::string& in) {
  std::string out;
  std::size_t at = 0;
  for (;;) {
    auto eol = in.find("\r\n", at);
    if (eol == std::string::npos) throw std::runtime_error("HTTP: a chunk is cut short");
    std::size_t size = std::stoul(in.substr(at, eol - at), nullptr, 16);
    if (size == 0) return out;
    if (eol + 2 + size > in.size()) throw std::runtime_error("HTTP: a chunk is cut short");
    out.append(in, eol + 2, size);
    at = eol + 2 + size + 2;
  }
}

HttpReply http(int port, const std::string& method, const std::string& target,
               std::string_view body = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = Steady::now() + timeout;
  auto left_ms = [&] {
    return static_cast<int>(std::max<std::int64_t>(
        0,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count()));
  };
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("HTTP: no socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("HTTP: cannot connect to 127.0.0.1:" + std::to_string(port));
  std::string head =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST") head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  head += "\r\n";
  for (std::string_view part : {std::string_view(head), body}) {
    while (!part.empty()) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, left_ms()) <= 0) throw std::runtime_error("HTTP: send timed out " + target);
      auto n = ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("HTTP: send failed " + target);
      part.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  std::string in;
  for (;;) {  // Connection: close, so the reply ends where the connection does
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left_ms()) <= 0) throw std::runtime_error("HTTP: no reply in time " + target);
    char buf[65536];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) throw std::runtime_error("HTTP: receive failed " + target);
    if (n == 0) break;
    in.append(buf, static_cast<std::size_t>(n));
  }
  auto end = in.find("\r\n\r\n");
  if (in.size() < 12 || end == std::string::npos)
    throw std::runtime_error("HTTP: no reply head " + target);
  HttpReply r;
  r.status = std::stoi(in.substr(9, 3));
  std::string headers = in.substr(0, end);
  for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  r.body = in.substr(end + 4);
  if (headers.find("transfer-encoding: chunked") != std::string::npos) r.body = dechunk(r.body);
  return r;
}

/// The value of the first line of a Prometheus text exposition that starts with `series` + ' '.
double metric(const std::string& text, const std::string& series) {
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n')
      return std::strtod(text.c_str() + at + series.size(), nullptr);
    at += series.size();
  }
  return 0;
}

// ---- VictoriaMetrics, a child of this process
// ----------------------------------------------------

/// victoria-metrics on 127.0.0.1 at a free port with its data in `dir`, its log in `dir`/vm.log.
/// The child gets SIGKILL if this process dies (PR_SET_PDEATHSIG), so a killed benchmark leaves no
/// server behind; the destructor stops it (SIGTERM, then SIGKILL after 10 s).
class VictoriaMetrics {
 public:
  explicit VictoriaMetrics(const fs::path& dir) : dir_(dir), log_(dir / "vm.log") {
    for (int attempt = 0;; ++attempt) {  // another program may take the free port first
      port_ = testing::free_port();
      start();
      if (wait_ready(std::chrono::seconds(30))) return;
      stop();
      if (attempt == 2)
        throw std::runtime_error("victoria-metrics did not start; its log:\n" + log_tail());
    }
  }
  ~VictoriaMetrics() { stop(); }
  VictoriaMetrics(const VictoriaMetrics&) = delete;
  VictoriaMetrics& operator=(const VictoriaMetrics&) = delete;

  int port() const { return port_; }
  fs::path data_dir() const { return dir_ / "data"; }

  /// CPU seconds (user + system) the server has used so far.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i)  // field 3 is the state; 14 utime, 15 stime
      if (i >= 14) ticks += std::stod(f);
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  std::string log_tail() const {
    std::ifstream in(log_);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
  }

  /// Whether the log has a line holding both `what` and `and_what` (the server logs at INFO).
  bool logged(const std::string& what, const std::string& and_what = {}) const {
    std::ifstream in(log_);
    std::string line;
    while (std::getline(in, line))
      if (line.find(what) != std::string::npos && line.find(and_what) != std::string::npos)
        return true;
    return false;
  }

 private:
  void start() {
    std::vector<std::string> args = {
        g_vm_binary, "-storageDataPath=" + data_dir().string(), "-retentionPeriod=100y",
        "-httpListenAddr=127.0.0.1:" + std::to_string(port_), "-loggerLevel=INFO"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = log_.string();
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  bool wait_ready(std::chrono::seconds limit) {
    auto deadline = Steady::now() + limit;
    while (Steady::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited (the port was taken?)
        pid_ = -1;
        return false;
      }
      if (testing::port_open(port_)) {
        try {
          if (http(port_, "GET", "/health", {}, std::chrono::seconds(2)).status == 200) return true;
        } catch (const std::exception&) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = Steady::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Steady::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  fs::path dir_, log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// ---- the data and the results ------------------------------------------------------------------

std::map<std::string, SignalSet> g_sets;

const SignalSet& data(const ClassInfo& c, Variant v) {
  auto key = c.name + "/" + std::string(name(v));
  auto it = g_sets.find(key);
  if (it == g_sets.end()) it = g_sets.emplace(key, generate(c, v, g_options)).first;
  return it->second;
}

struct Result {
  std::size_t samples = 0;
  double bound_bits = 0;
  bool exact = false;
  // houqin
  bool houqin = false;
  double blob_bytes = 0, file_bytes = 0, empty_file_bytes = 0, houqin_wall = 0, houqin_cpu = 0;
  double blob_written = 0, compact_wall = 0;  // blob bytes before compaction; its time
  telemetry::CompactionResult compaction;
  std::map<std::string, double> tables;  // dbstat: bytes per table and index
  // VictoriaMetrics
  bool vm = false;
  double vm_dir_bytes = 0, vm_data_bytes = 0, vm_indexdb_bytes = 0, vm_import_wall = 0,
         vm_flush_wall = 0, vm_cpu = 0;
  std::string vm_parts;  // small / big parts after the merge
};
std::map<std::string, Result> g_results;  // by "<class>/<variant>"

Result& result_for(const SignalSet& set) {
  auto& r = g_results[set.info.name + "/" + std::string(name(set.variant))];
  r.samples = set.samples();
  r.bound_bits = set.bound_bits_per_sample();
  r.exact = set.value_bound_exact;
  return r;
}

// ---- houqin
// --------------------------------------------------------------------------------------

/// The samples in poll order: slot by slot, every series with a reading in that slot, as the
/// pipeline hands them to the store; `offsets` delimits the slots.
void poll_batches(const SignalSet& set, std::vector<telemetry::Sample>& out,
                  std::vector<std::size_t>& offsets) {
  out.clear();
  offsets.assign(1, 0);
  std::vector<std::size_t> at(set.series.size(), 0);
  for (std::int64_t slot = 0; slot < g_options.seconds; ++slot) {
    const std::int64_t slot_end = g_options.start_ms + slot * 1000 + 500;
    for (std::size_t s = 0; s < set.series.size(); ++s) {
      const auto& series = set.series[s];
      while (at[s] < series.time_ms.size() && series.time_ms[at[s]] < slot_end) {
        out.push_back({static_cast<Id>(s + 1), series.time_ms[at[s]] * 1000,
                       set.value(series, at[s]), telemetry::quality_good, telemetry::Flag::pass});
        ++at[s];
      }
    }
    if (out.size() != offsets.back()) offsets.push_back(out.size());
  }
}

void BM_HouqinSqlite(benchmark::State& state, const ClassInfo& cls, Variant v) {
  try {
    const auto& set = data(cls, v);
    auto& r = result_for(set);
    TempDir dir("houqin-" + cls.name + "-" + std::string(name(v)));
    const auto file = dir.path / "telemetry.sqlite";
    std::vector<telemetry::Sample> samples;
    std::vector<std::size_t> offsets;
    poll_batches(set, samples, offsets);
    std::vector<telemetry::PointStorage> points;
    for (std::size_t s = 0; s < set.series.size(); ++s)
      points.push_back({static_cast<Id>(s + 1), 1.0 / set.scale(), cls.name});
    for (auto _ : state) {
      auto db = store::Store::open("sqlite:" + file.string());
      store::migrate(*db, telemetry::storage_migrations());
      db->execute("PRAGMA wal_checkpoint(TRUNCATE)");
      r.empty_file_bytes = static_cast<double>(fs::file_size(file));
      telemetry::SampleStoreOptions options;
      options.wal_dir = dir.path / "wal";
      telemetry::SampleStoreStats st;
      {
        telemetry::SampleStore store(*db, points, options);
        const auto t0 = Steady::now();
        const double cpu0 = process_cpu_seconds();
        for (std::size_t b = 0; b + 1 < offsets.size(); ++b)
          store.append(std::span<const telemetry::Sample>(samples.data() + offsets[b],
                                                          offsets[b + 1] - offsets[b]));
        store.flush();
        r.houqin_wall = seconds_since(t0);
        r.houqin_cpu = process_cpu_seconds() - cpu0;
        st = store.stats();
        // Compaction of every window, the last included (final): VictoriaMetrics's force_merge
        // below is the same step on its side; neither is in the ingest time.
        const auto c0 = Steady::now();
        r.compaction = store.compact(0, true);
        r.compact_wall = seconds_since(c0);
        // Read one series back: the store holds exactly what it was given.
        const auto& first = set.series.front();
        auto back = store.query(1, first.time_ms.front() * 1000, first.time_ms.back() * 1000 + 1);
        if (back.size() != first.time_ms.size())
          throw std::runtime_error("houqin read back " + std::to_string(back.size()) + " of " +
                                   std::to_string(first.time_ms.size()) + " samples");
        for (std::size_t i = 0; i < back.size(); ++i)
          if (back.times[i] != first.time_ms[i] * 1000 || back.values[i] != set.value(first, i))
            throw std::runtime_error("houqin read back a different sample");
      }
      state.SetIterationTime(r.houqin_wall);
      if (st.samples_written != set.samples())
        throw std::runtime_error("houqin wrote " + std::to_string(st.samples_written) + " of " +
                                 std::to_string(set.samples()) + " samples");
      r.blob_written = static_cast<double>(st.block_bytes_written);
      r.blob_bytes = r.blob_written - static_cast<double>(r.compaction.bytes_before) +
                     static_cast<double>(r.compaction.bytes_after);
      db->execute("PRAGMA wal_checkpoint(TRUNCATE)");
      db->execute("VACUUM");
      db->execute("PRAGMA wal_checkpoint(TRUNCATE)");
      db.reset();
    }
    r.file_bytes = static_cast<double>(fs::file_size(file));
    sqlite3* raw = nullptr;
    sqlite3_stmt* st = nullptr;
    sqlite3_open(file.c_str(), &raw);
    if (sqlite3_prepare_v2(raw, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", -1, &st,
                           nullptr) == SQLITE_OK)
      while (sqlite3_step(st) == SQLITE_ROW)
        r.tables[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
            static_cast<double>(sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(raw);
    r.houqin = true;
    auto n = static_cast<double>(r.samples);
    state.SetItemsProcessed(static_cast<std::int64_t>(r.samples));
    state.counters["blob_B_per_sample"] = r.blob_bytes / n;
    state.counters["written_B_per_sample"] = r.blob_written / n;
    state.counters["compact_s"] = r.compact_wall;
    state.counters["file_B_per_sample"] = r.file_bytes / n;
    state.counters["cpu_samples_per_s"] = n / r.houqin_cpu;
  } catch (const std::exception& e) {
    g_failed = true;
    state.SkipWithError(e.what());
  }
}

// ---- VictoriaMetrics
// -----------------------------------------------------------------------------

/// One JSON line per series for /api/v1/import.
std::vector<std::string> import_bodies(const SignalSet& set) {
  std::vector<std::string> out;
  for (std::size_t s = 0; s < set.series.size(); ++s) {
    const auto& series = set.series[s];
    std::string line = R"({"metric":{"__name__":")" + set.info.name + R"(","series":")" +
                       std::to_string(s + 1) + R"("},"values":[)";
    line.reserve(series.units.size() * 24 + 128);
    for (std::size_t i = 0; i < series.units.size(); ++i) {
      if (i) line += ',';
      set.format_value(series.units[i], line);
    }
    line += R"(],"timestamps":[)";
    for (std::size_t i = 0; i < series.time_ms.size(); ++i) {
      if (i) line += ',';
      line += std::to_string(series.time_ms[i]);
    }
    line += "]}\n";
    out.push_back(std::move(line));
  }
  return out;
}

/// The numbers of the JSON array that follows `key` in `line`.
std::vector<double> json_numbers(const std::string& line, const std::string& key) {
  std::vector<double> out;
  auto at = line.find("\"" + key + "\":[");
  if (at == std::string::npos) return out;
  const char* p = line.c_str() + at + key.size() + 4;
  while (*p && *p != ']') {
    char* end = nullptr;
    out.push_back(std::strtod(p, &end));
    if (end == p) break;
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

/// The (time, value) pairs of an /api/v1/export reply, which may hold a series in several
/// lines (blocks), in time order.
std::vector<std::pair<double, double>> exported_samples(const std::string& body) {
  std::vector<std::pair<double, double>> out;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    auto times = json_numbers(line, "timestamps"), values = json_numbers(line, "values");
    if (times.size() != values.size()) throw std::runtime_error("export: a malformed line");
    for (std::size_t i = 0; i < times.size(); ++i) out.emplace_back(times[i], values[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <class Pred>
void wait_for(Pred done, std::chrono::seconds limit, const std::string& what,
              const VictoriaMetrics& vm) {
  auto deadline = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() > deadline)
      throw std::runtime_error("victoria-metrics: " + what + " did not happen within " +
                               std::to_string(limit.count()) + " s; its log:\n" + vm.log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

void BM_PeerVictoriaMetrics(benchmark::State& state, const ClassInfo& cls, Variant v) {
  try {
    const auto& set = data(cls, v);
    auto& r = result_for(set);
    const auto bodies = import_bodies(set);
    for (auto _ : state) {
      TempDir dir("vm-" + cls.name + "-" + std::string(name(v)));
      VictoriaMetrics vm(dir.path);
      const int port = vm.port();
      const double cpu0 = vm.cpu_seconds();
      const auto t0 = Steady::now();
      for (const auto& body : bodies) {
        auto reply = http(port, "POST", "/api/v1/import", body);
        if (reply.status != 204)
          throw std::runtime_error("import: HTTP " + std::to_string(reply.status) + " " +
                                   reply.body);
      }
      r.vm_import_wall = seconds_since(t0);
      if (http(port, "GET", "/internal/force_flush").status != 200)
        throw std::runtime_error("force_flush refused");
      r.vm_flush_wall = seconds_since(t0);
      r.vm_cpu = vm.cpu_seconds() - cpu0;
      state.SetIterationTime(r.vm_import_wall);
      // Every sample arrived: rows in the storage parts, nothing ignored or invalid.
      std::string metrics;
      wait_for(
          [&] {
            metrics = http(port, "GET", "/metrics").body;
            return metric(metrics, R"(vm_rows{type="storage/small"})") +
                       metric(metrics, R"(vm_rows{type="storage/big"})") ==
                   static_cast<double>(set.samples());
          },
          std::chrono::seconds(60), "storing all " + std::to_string(set.samples()) + " rows", vm);
      for (const char* bad : {R"(vm_rows_ignored_total{reason="big_timestamp"})",
                              R"(vm_rows_ignored_total{reason="small_timestamp"})",
                              R"(vm_rows_invalid_total{type="vmimport"})"})
        if (metric(metrics, bad) != 0)
          throw std::runtime_error(std::string("victoria-metrics: ") + bad);
      // The merge runs in the background; it logs when it has finished.
      if (http(port, "GET", "/internal/force_merge").status != 200)
        throw std::runtime_error("force_merge refused");
      wait_for([&] { return vm.logged("forced merge", "successfully finished"); },
               std::chrono::seconds(120), "the forced merge", vm);
      if (vm.logged("error in forced merge"))
        throw std::runtime_error("victoria-metrics: forced merge failed:\n" + vm.log_tail());
      // Parts replaced by the merge are removed once no reader holds them: wait until the
      // directory stops changing (five equal readings 50 ms apart).
      std::uint64_t last = 0;
      int same = 0;
      wait_for(
          [&] {
            auto now = tree_bytes(vm.data_dir());
            same = now == last ? same + 1 : 0;
            last = now;
            return same >= 5;
          },
          std::chrono::seconds(30), "the data directory settling", vm);
      // The same samples came back (the first series, exported).
      const auto& first = set.series.front();
      auto exported = http(port, "GET",
                           "/api/v1/export?match[]=" + cls.name + "%7Bseries%3D%221%22%7D&start=" +
                               std::to_string(first.time_ms.front() / 1000 - 1))
                          .body;
      auto back = exported_samples(exported);
      if (back.size() != first.units.size())
        throw std::runtime_error("victoria-metrics exported " + std::to_string(back.size()) +
                                 " of " + std::to_string(first.units.size()) + " samples");
      for (std::size_t i = 0; i < back.size(); ++i)
        if (back[i].first != static_cast<double>(first.time_ms[i]) ||
            back[i].second != set.value(first, i))
          throw std::runtime_error("victoria-metrics exported a different sample");
      metrics = http(port, "GET", "/metrics").body;
      r.vm_parts =
          std::to_string(static_cast<int>(metric(metrics, R"(vm_parts{type="storage/small"})"))) +
          "/" +
          std::to_string(static_cast<int>(metric(metrics, R"(vm_parts{type="storage/big"})")));
      r.vm_dir_bytes = static_cast<double>(tree_bytes(vm.data_dir()));
      r.vm_data_bytes = static_cast<double>(tree_bytes(vm.data_dir() / "data"));
      r.vm_indexdb_bytes = static_cast<double>(tree_bytes(vm.data_dir() / "indexdb"));
    }
    r.vm = true;
    auto n = static_cast<double>(r.samples);
    state.SetItemsProcessed(static_cast<std::int64_t>(r.samples));
    state.counters["dir_B_per_sample"] = r.vm_dir_bytes / n;
    state.counters["cpu_samples_per_s"] = n / r.vm_cpu;
  } catch (const std::exception& e) {
    g_failed = true;
    state.SkipWithError(e.what());
  }
}

// ---- the summary
// ---------------------------------------------------------------------------------

double geomean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (double x : v) s += std::log(x);
  return std::exp(s / static_cast<double>(v.size()));
}

bool print_summary(const std::vector<ClassInfo>& chosen) {
  std::printf(
      "\nbytes per sample, %d series per class, %lld s at 1 s (bound: entropy lower bound; '=' "
      "where it is the exact entropy of the process)\n",
      g_options.series_per_class, static_cast<long long>(g_options.seconds));
  std::printf("%-17s %-8s %9s %8s %8s %8s %8s %8s %9s %10s\n", "class", "variant", "samples",
              "VM dir", "hq blob", "hq file", "blob/VM", "file/VM", "bound", "blob/bound");
  bool complete = true;
  std::map<Variant, std::vector<double>> blob_vm, file_vm, blob_bound;
  double hq_samples = 0, hq_wall = 0, hq_cpu = 0, vm_wall = 0, vm_flush = 0, vm_cpu = 0;
  double total_file = 0, total_vm = 0, total_blob = 0, total_written = 0, compact_wall = 0;
  for (const auto& c : chosen)
    for (auto v : {Variant::aligned, Variant::jittered}) {
      auto it = g_results.find(c.name + "/" + std::string(name(v)));
      if (it == g_results.end() || !it->second.houqin || !it->second.vm) {
        complete = false;
        continue;
      }
      const auto& r = it->second;
      const double n = static_cast<double>(r.samples);
      const double vm = r.vm_dir_bytes / n, blob = r.blob_bytes / n, file = r.file_bytes / n;
      const double bound = r.bound_bits / 8;
      std::printf("%-17s %-8s %9zu %8.3f %8.3f %8.3f %8.2f %8.2f %8.4f%s %10.2f\n", c.name.c_str(),
                  std::string(name(v)).c_str(), r.samples, vm, blob, file, blob / vm, file / vm,
                  bound, r.exact ? "=" : " ", blob / bound);
      blob_vm[v].push_back(blob / vm);
      file_vm[v].push_back(file / vm);
      blob_bound[v].push_back(blob / bound);
      hq_samples += n;
      hq_wall += r.houqin_wall;
      hq_cpu += r.houqin_cpu;
      vm_wall += r.vm_import_wall;
      vm_flush += r.vm_flush_wall;
      vm_cpu += r.vm_cpu;
      total_file += r.file_bytes;
      total_vm += r.vm_dir_bytes;
      total_blob += r.blob_bytes;
      total_written += r.blob_written;
      compact_wall += r.compact_wall;
    }
  if (!complete) return false;

  std::printf(
      "\nwhere the bytes are, per sample: houqin's tables and indexes (dbstat) and its file before "
      "any sample; VictoriaMetrics's data and indexdb directories and its parts (small/big)\n");
  std::printf("%-17s %-8s %8s %8s %9s %8s %8s %8s %9s\n", "class", "variant", "hq block",
              "hq bl.pk", "hq rollup", "hq empty", "VM data", "VM index", "VM parts");
  for (const auto& c : chosen)
    for (auto v : {Variant::aligned, Variant::jittered}) {
      const auto& r = g_results[c.name + "/" + std::string(name(v))];
      const double n = static_cast<double>(r.samples);
      auto table = [&](const char* t) {
        auto it = r.tables.find(t);
        return it == r.tables.end() ? 0.0 : it->second / n;
      };
      std::printf("%-17s %-8s %8.3f %8.3f %9.3f %8.3f %8.3f %8.3f %9s\n", c.name.c_str(),
                  std::string(name(v)).c_str(), table("telemetry_block"),
                  table("sqlite_autoindex_telemetry_block_1"), table("telemetry_rollup"),
                  r.empty_file_bytes / n, r.vm_data_bytes / n, r.vm_indexdb_bytes / n,
                  r.vm_parts.c_str());
    }

  std::printf("\n");
  for (const auto& c : chosen)
    for (auto v : {Variant::aligned, Variant::jittered}) {
      const auto& r = g_results[c.name + "/" + std::string(name(v))];
      const double n = static_cast<double>(r.samples);
      std::printf("ratio houqin blob / VictoriaMetrics %s %s = %.3f (target <= 1.0)\n",
                  c.name.c_str(), std::string(name(v)).c_str(),
                  (r.blob_bytes / n) / (r.vm_dir_bytes / n));
    }
  for (const auto& c : chosen)
    for (auto v : {Variant::aligned, Variant::jittered}) {
      const auto& r = g_results[c.name + "/" + std::string(name(v))];
      std::printf("ratio houqin blob / entropy bound %s %s = %.3f (target <= 1.15)\n",
                  c.name.c_str(), std::string(name(v)).c_str(),
                  (r.blob_bytes / static_cast<double>(r.samples)) / (r.bound_bits / 8));
    }
  for (auto v : {Variant::aligned, Variant::jittered}) {
    const auto vn = std::string(name(v));
    std::printf("ratio houqin blob / VictoriaMetrics geomean %s = %.3f (target <= 0.85)\n",
                vn.c_str(), geomean(blob_vm[v]));
    std::printf("ratio houqin file / VictoriaMetrics geomean %s = %.3f (target <= 1.25)\n",
                vn.c_str(), geomean(file_vm[v]));
    std::printf("ratio houqin blob / entropy bound geomean %s = %.3f (target <= 1.15)\n",
                vn.c_str(), geomean(blob_bound[v]));
  }
  std::printf(
      "ratio houqin file / VictoriaMetrics all classes = %.3f (target <= 1.25; %.0f vs %.0f "
      "bytes)\n",
      total_file / total_vm, total_file, total_vm);
  std::printf("ratio houqin blob / VictoriaMetrics all classes = %.3f (%.0f vs %.0f bytes)\n",
              total_blob / total_vm, total_blob, total_vm);
  std::printf(
      "compaction: blobs %.0f bytes as written, %.0f after (%.3f), in %.2f s (%.2fM samples/s)\n",
      total_written, total_blob, total_blob / total_written, compact_wall,
      hq_samples / compact_wall / 1e6);
  std::printf(
      "ingest: houqin %.2fM samples/s wall (%.2fM per CPU second), VictoriaMetrics import "
      "%.2fM samples/s wall (%.2fM with force_flush; %.2fM per server CPU second)\n",
      hq_samples / hq_wall / 1e6, hq_samples / hq_cpu / 1e6, hq_samples / vm_wall / 1e6,
      hq_samples / vm_flush / 1e6, hq_samples / vm_cpu / 1e6);
  std::printf("ratio houqin ingest / VictoriaMetrics import = %.3f (target >= 3)\n",
              vm_wall / hq_wall);
  std::printf(
      "ratio houqin ingest / VictoriaMetrics import, CPU seconds = %.3f (information: this "
      "process's against the server's)\n",
      vm_cpu / hq_cpu);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  std::string only;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke") {
      g_options.series_per_class = 2;
      g_options.seconds = 600;
    } else if (a.starts_with("--series-per-class=")) {
      g_options.series_per_class = std::stoi(a.substr(19));
    } else if (a.starts_with("--seconds=")) {
      g_options.seconds = std::stoll(a.substr(10));
    } else if (a.starts_with("--seed=")) {
      g_options.seed = std::stoull(a.substr(7));
    } else if (a.starts_with("--classes=")) {
      only = "," + a.substr(10) + ",";
    } else if (a.starts_with("--vm=")) {
      g_vm_binary = a.substr(5);
    } else {
      args.push_back(argv[i]);
    }
  }
  if (::access(g_vm_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "density_bench: victoria-metrics is not installed (%s not found): install the "
                 "Debian package (apt-get install victoria-metrics, or ./dev.sh deps)\n",
                 g_vm_binary.c_str());
    return 2;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());

  std::vector<ClassInfo> chosen;
  for (const auto& c : classes())
    if (only.empty() || only.find("," + c.name + ",") != std::string::npos) chosen.push_back(c);
  // houqin's runs first, then the peer's: one table each in the console output.
  using Fn = void (*)(benchmark::State&, const ClassInfo&, Variant);
  for (auto [family, fn] : {std::pair<const char*, Fn>{"BM_HouqinSqlite", BM_HouqinSqlite},
                            {"BM_PeerVictoriaMetrics", BM_PeerVictoriaMetrics}})
    for (const auto& c : chosen)
      for (auto v : {Variant::aligned, Variant::jittered})
        benchmark::RegisterBenchmark((family + ("/" + c.name + "/" + std::string(name(v)))).c_str(),
                                     fn, c, v)
            ->Unit(benchmark::kMillisecond)
            ->UseManualTime()
            ->Iterations(1);
  houqin::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (g_failed || !print_summary(chosen)) {
    std::printf("density_bench: FAILED (a benchmark above reported an error or did not run)\n");
    return 1;
  }
  return 0;
}
