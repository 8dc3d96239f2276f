// A PostgreSQL primary and a synchronous standby on loopback, for failover tests: initdb, streaming
// replication set up with pg_basebackup, synchronous_standby_names so that a COMMIT returns only
// once the standby has the WAL. kill_primary() kills the primary's postmaster and every backend
// with SIGKILL (the machine is gone); promote_standby() is what Patroni does after its leader key
// expires (pg_ctl promote). Everything lives in a temporary folder and is stopped and removed by
// the destructor. As root the server programs run as the postgres user, as in ./dev.sh.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/process.hpp"
#include "net.hpp"
#include "pg_processes.hpp"

namespace houqin::testing {

class PgPair {
 public:
  static constexpr const char* bin = "/usr/lib/postgresql/15/bin/";
  static bool available() { return std::filesystem::exists(std::string(bin) + "initdb"); }

  PgPair() {
    dir_ = std::filesystem::temp_directory_path() /
           ("houqin-ha-" + std::to_string(::getpid()) + "-" + std::to_string(serial()++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (::geteuid() == 0) run({"chown", "postgres:", dir_.string()});
    primary_port = free_port();
    standby_port = free_port();
    while (standby_port == primary_port) standby_port = free_port();
    as_pg({std::string(bin) + "initdb", "-D", primary_dir(), "-U", "postgres", "-A", "trust", "-E",
           "UTF8", "--no-locale"});
    {
      std::ofstream conf(primary_dir() + "/postgresql.conf", std::ios::app);
      conf << "listen_addresses = '127.0.0.1'\nunix_socket_directories = '" << dir_.string()
           << "'\nwal_level = replica\nmax_wal_senders = 4\nmax_connections = 60\n"
           << "synchronous_standby_names = 'houqin_standby'\nsynchronous_commit = on\n"
           << "fsync = off\nshared_buffers = 16MB\n"
           // Dynamic shared memory as files in the data folder: a server these tests kill with
           // SIGKILL leaves no POSIX segments behind in /dev/shm (about 1 MB each).
           << "dynamic_shared_memory_type = mmap\n";
    }
    start(primary_dir(), primary_port);
    as_pg({std::string(bin) + "pg_basebackup", "-D", standby_dir(), "-h", "127.0.0.1", "-p",
           std::to_string(primary_port), "-U", "postgres", "-X", "stream", "-R"});
    {
      std::ofstream conf(standby_dir() + "/postgresql.auto.conf", std::ios::app);
      conf << "primary_conninfo = 'host=127.0.0.1 port=" << primary_port
           << " user=postgres application_name=houqin_standby'\n"
           // Promoted, it has no standby of its own to wait for (Patroni manages this itself).
           << "synchronous_standby_names = ''\n";
    }
    start(standby_dir(), standby_port);
    // Synchronous from here on: a COMMIT on the primary waits for the standby.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (query(primary_port, "SELECT sync_state FROM pg_stat_replication") != "sync") {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("the standby did not become synchronous");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~PgPair() {
    for (const auto& d : {primary_dir(), standby_dir()}) {
      if (!std::filesystem::exists(d + "/postmaster.pid")) continue;
      try {
        as_pg({std::string(bin) + "pg_ctl", "-D", d, "-m", "immediate", "-w", "stop"});
      } catch (...) {
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgPair(const PgPair&) = delete;
  PgPair& operator=(const PgPair&) = delete;

  /// Both servers in one URL: libpq tries them in order and keeps the one that takes writes.
  std::string url(int connect_timeout_s = 2) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(primary_port) +
           ",127.0.0.1:" + std::to_string(standby_port) +
           "/postgres?target_session_attrs=read-write&connect_timeout=" +
           std::to_string(connect_timeout_s);
  }

  /// SIGKILL to the primary's postmaster and all its processes: nothing is flushed or said.
  void kill_primary() {
    if (!kill_postgres(primary_dir())) throw std::runtime_error("the primary is not running");
    std::filesystem::remove(primary_dir() + "/postmaster.pid");  // it will not be started again
  }

  /// The primary crashes (SIGKILL, as kill_primary()) and is started again on its own data: crash
  /// recovery, no failover. Returns once it takes connections.
  void restart_primary() {
    if (!kill_postgres_and_wait(primary_dir()))
      throw std::runtime_error("the primary is not running or did not die");
    std::filesystem::remove(primary_dir() + "/postmaster.pid");
    start(primary_dir(), primary_port);
  }

  /// The standby becomes the primary (and takes writes once this returns).
  void promote_standby() {
    as_pg({std::string(bin) + "pg_ctl", "-D", standby_dir(), "-w", "-t", "30", "promote"});
  }

  /// One value of a query on the server at `port` (psql -At), or "" when it fails.
  std::string query(int port, const std::string& sql) const { return psql_value(port, sql); }

  int primary_port = 0;
  int standby_port = 0;

 private:
  static int& serial() {
    static int n = 0;
    return n;
  }
  std::string primary_dir() const { return (dir_ / "primary").string(); }
  std::string standby_dir() const { return (dir_ / "standby").string(); }
  void start(const std::string& data, int port) {
    as_pg({std::string(bin) + "pg_ctl", "-D", data, "-l", data + ".log", "-w", "-t", "60", "-o",
           "-c port=" + std::to_string(port), "start"});
  }
  static void run(const std::vector<std::string>& args) {
    auto out = process::run(args, std::chrono::seconds(90));
    if (out.status != 0) throw std::runtime_error(args.front() + " failed: " + out.output);
  }
  static void as_pg(std::vector<std::string> args) { run(as_postgres(std::move(args))); }

  std::filesystem::path dir_;
};

}  // namespace houqin::testing
