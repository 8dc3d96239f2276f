// PostgreSQL server processes for the failover tests and benchmark (pg_pair.hpp, patroni.hpp):
// a server started with its output in a log file, the pids under a postmaster, SIGKILL to a
// server and everything it started, programs run as the postgres user when we are root, and one
// value read with psql.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/process.hpp"

extern "C" char** environ;

namespace houqin::testing {

/// A server process whose output goes to a log file; killed with SIGKILL when destroyed.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~Daemon() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

 private:
  pid_t pid_ = -1;
};

/// Every pid whose parent is `parent` (from /proc).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(e.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(std::stoi(e.path().filename().string()));
  }
  return out;
}

/// SIGKILL to the postmaster of `data_dir` and every process it started; false when none runs.
inline bool kill_postgres(const std::string& data_dir) {
  std::ifstream pidfile(data_dir + "/postmaster.pid");
  pid_t pid = 0;
  pidfile >> pid;
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  auto children = children_of(pid);
  ::kill(pid, SIGKILL);
  for (pid_t c : children) ::kill(c, SIGKILL);
  return true;
}

/// kill_postgres(), then waits (at most `timeout`) until the postmaster and its children are gone
/// and reaped: a server started again on the same data refuses while the old postmaster's PID or
/// shared memory is still in use.
inline bool kill_postgres_and_wait(const std::string& data_dir,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::ifstream pidfile(data_dir + "/postmaster.pid");
  pid_t pid = 0;
  pidfile >> pid;
  if (pid <= 0) return false;
  auto all = children_of(pid);
  all.push_back(pid);
  if (!kill_postgres(data_dir)) return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto alive = [&] {
    for (pid_t p : all)
      if (::kill(p, 0) == 0) return true;
    return false;
  };
  while (alive() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !alive();
}

/// argv run as the postgres user when we are root.
inline std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (::geteuid() == 0)
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                               "--init-groups", "--reset-env"});
  return argv;
}

/// One value of a query (psql -At) on 127.0.0.1:port, or "" when it fails.
inline std::string psql_value(int port, const std::string& sql) {
  auto out = process::run({"psql", "-h", "127.0.0.1", "-p", std::to_string(port), "-U", "postgres",
                           "-d", "postgres", "-Atc", sql, "-v", "ON_ERROR_STOP=1"},
                          std::chrono::seconds(10));
  if (out.status != 0) return "";
  auto s = out.output;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace houqin::testing
