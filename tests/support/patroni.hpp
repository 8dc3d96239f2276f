// A Patroni cluster on loopback for failover tests and the failover benchmark: one etcd (Debian's
// etcd-server) as the distributed configuration store and two PostgreSQL 15 nodes run by Debian's
// patroni, in synchronous mode, tuned for a fast failover (docs/reliability.md). Everything lives
// in a temporary folder and is killed and removed by the destructor. As root the servers run as
// the postgres user (setpriv, which execs in place, so the pid kept is the server's own).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "houqin/core/process.hpp"
#include "net.hpp"
#include "pg_processes.hpp"

namespace houqin::testing {

class PatroniCluster {
 public:
  static constexpr const char* pg_bin = "/usr/lib/postgresql/15/bin";
  static bool available() {
    return std::filesystem::exists("/usr/bin/patroni") &&
           std::filesystem::exists("/usr/bin/etcd") &&
           std::filesystem::exists(std::string(pg_bin) + "/initdb");
  }

  /// `ttl`: how long the leader key outlives a node that stopped renewing it (seconds): the
  /// time a whole node's loss takes to notice. retry_timeout follows from it
  /// (loop_wait + 2 * retry_timeout <= ttl).
  explicit PatroniCluster(int nodes = 2, int ttl = 10) : ttl_(ttl) {
    static int serial = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("houqin-patroni-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (::geteuid() == 0)
      process::run({"chown", "postgres:", dir_.string()}, std::chrono::seconds(10));
    etcd_port_ = free_port();
    const int peer = free_port();
    etcd_ = std::make_unique<Daemon>(
        as_postgres({"/usr/bin/etcd", "--data-dir", (dir_ / "etcd").string(),
                     "--listen-client-urls", "http://127.0.0.1:" + std::to_string(etcd_port_),
                     "--advertise-client-urls", "http://127.0.0.1:" + std::to_string(etcd_port_),
                     "--listen-peer-urls", "http://127.0.0.1:" + std::to_string(peer),
                     "--initial-advertise-peer-urls", "http://127.0.0.1:" + std::to_string(peer),
                     "--initial-cluster", "default=http://127.0.0.1:" + std::to_string(peer)}),
        (dir_ / "etcd.log").string());
    wait_until([&] { return port_open(etcd_port_); }, std::chrono::seconds(20), "etcd to listen");
    for (int i = 0; i < nodes; ++i) {
      Node n;
      n.name = "node" + std::to_string(i);
      n.pg_port = free_port();
      n.api_port = free_port();
      n.data = (dir_ / n.name).string();
      nodes_.push_back(n);
    }
    // The first node bootstraps the cluster; the others are made from it by pg_basebackup.
    for (int i = 0; i < nodes; ++i) {
      start_node(i);
      if (i == 0)
        wait_until(
            [&] { return psql_value(nodes_[0].pg_port, "SELECT pg_is_in_recovery()") == "f"; },
            std::chrono::seconds(60), "the first node to become the primary");
    }
    if (nodes > 1)
      wait_until([&] { return synchronous(); }, std::chrono::seconds(60), "a synchronous standby");
  }
  ~PatroniCluster() {
    for (auto& n : nodes_) n.patroni.reset();  // SIGKILL: nothing restarts the servers now
    for (auto& n : nodes_) {
      if (!std::filesystem::exists(n.data + "/postmaster.pid")) continue;
      process::run(as_postgres({std::string(pg_bin) + "/pg_ctl", "-D", n.data, "-m", "immediate",
                                "-w", "stop"}),
                   std::chrono::seconds(30));
    }
    etcd_.reset();
    std::error_code ec;
    if (!std::getenv("HOUQIN_KEEP_PATRONI")) std::filesystem::remove_all(dir_, ec);
  }
  PatroniCluster(const PatroniCluster&) = delete;
  PatroniCluster& operator=(const PatroniCluster&) = delete;

  /// Every node in one URL: libpq keeps the one that takes writes.
  std::string url() const {
    std::string hosts;
    for (const auto& n : nodes_)
      hosts += (hosts.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(n.pg_port);
    return "postgresql://postgres@" + hosts +
           "/postgres?target_session_attrs=read-write&connect_timeout=1";
  }
  int size() const { return static_cast<int>(nodes_.size()); }
  int pg_port(int node) const { return nodes_.at(node).pg_port; }

  /// The node whose server takes writes, or -1.
  int leader() const {
    for (int i = 0; i < size(); ++i)
      if (psql_value(nodes_[i].pg_port, "SELECT pg_is_in_recovery()") == "f") return i;
    return -1;
  }
  /// The leader has a synchronous standby.
  bool synchronous() const {
    int l = leader();
    return l >= 0 &&
           psql_value(nodes_[l].pg_port,
                      "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") == "1";
  }

  /// The server of `node` crashes (SIGKILL to PostgreSQL only); its Patroni lives on.
  void crash_postgres(int node) {
    if (!kill_postgres(nodes_.at(node).data)) throw std::runtime_error("no server to kill");
  }
  /// The whole node is gone: its Patroni and its server, with SIGKILL.
  void lose_node(int node) {
    nodes_.at(node).patroni.reset();
    kill_postgres(nodes_.at(node).data);
  }

 private:
  struct Node {
    std::string name, data;
    int pg_port = 0, api_port = 0;
    std::shared_ptr<Daemon> patroni;
  };

  void start_node(int i) {
    auto& n = nodes_[i];
    const auto conf = (dir_ / (n.name + ".yml")).string();
    {
      std::ofstream f(conf);
      // loop_wait 1 s and primary_start_timeout 0 fail over at once when a primary's server
      // crashes; ttl bounds the loss of a whole node; synchronous_mode keeps every acknowledged
      // commit (docs/reliability.md).
      f << "scope: houqin-test\nname: " << n.name
        << "\nrestapi:\n  listen: 127.0.0.1:" << n.api_port
        << "\n  connect_address: 127.0.0.1:" << n.api_port
        << "\netcd3:\n  hosts: 127.0.0.1:" << etcd_port_
        << "\nbootstrap:\n  dcs:\n    ttl: " << ttl_
        << "\n    loop_wait: 1\n    retry_timeout: " << std::max(3, (ttl_ - 1) / 2) << "\n"
        << "    primary_start_timeout: 0\n    synchronous_mode: true\n"
        << "    postgresql:\n      use_pg_rewind: false\n      parameters:\n"
        << "        fsync: 'off'\n        max_connections: 60\n"
        // Dynamic shared memory as files in the data folder (see pg_pair.hpp).
        << "        dynamic_shared_memory_type: mmap\n"
        << "  initdb:\n  - encoding: UTF8\n  - no-locale\n"
        << "  pg_hba:\n  - host replication all 127.0.0.1/32 trust\n"
        << "  - host all all 127.0.0.1/32 trust\n  - local all all trust\n"
        << "postgresql:\n  listen: 127.0.0.1:" << n.pg_port
        << "\n  connect_address: 127.0.0.1:" << n.pg_port << "\n  data_dir: " << n.data
        << "\n  bin_dir: " << pg_bin << "\n  pgpass: " << (dir_ / (n.name + ".pgpass")).string()
        << "\n  parameters:\n    unix_socket_directories: " << dir_.string()
        << "\n  authentication:\n    superuser:\n      username: postgres\n"
        << "    replication:\n      username: postgres\n";
    }
    if (::geteuid() == 0) process::run({"chown", "postgres:", conf}, std::chrono::seconds(10));
    n.patroni = std::make_shared<Daemon>(as_postgres({"/usr/bin/patroni", conf}),
                                         (dir_ / (n.name + ".log")).string());
  }

  template <class F>
  static void wait_until(F done, std::chrono::seconds limit, const std::string& what) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("patroni cluster: timed out waiting for " + what);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::filesystem::path dir_;
  int ttl_ = 10;
  int etcd_port_ = 0;
  std::unique_ptr<Daemon> etcd_;
  std::vector<Node> nodes_;
};

}  // namespace houqin::testing
