// Loopback networking for interop tests and benchmarks: a free TCP port on 127.0.0.1, a probe
// that a port accepts connections, and a mosquitto broker (Debian's /usr/sbin/mosquitto) on a
// free port, started and stopped by the test. Nothing here outlives its owner.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "process.hpp"

namespace houqin::testing {

/// A TCP port on 127.0.0.1 that nobody listened on a moment ago.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// Whether something accepts connections on 127.0.0.1:port.
inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// mosquitto on 127.0.0.1 at a free port, configured in `dir`. With `persistent`, sessions and
/// the messages queued for them survive stop() and start() (saved on SIGTERM), and survive kill()
/// as of the last save when `autosave_seconds` is set (mosquitto's autosave_interval).
class Mosquitto {
 public:
  static constexpr const char* binary = "/usr/sbin/mosquitto";

  explicit Mosquitto(const std::filesystem::path& dir, bool persistent = false,
                     int autosave_seconds = 0)
      : dir_(dir), port_(free_port()) {
    std::ofstream conf(dir_ / "mosquitto.conf");
    conf << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous true\n";
    if (persistent)
      conf << "persistence true\n"
           << "persistence_location " << (dir_ / "").string() << "\n";
    if (persistent && autosave_seconds > 0)  // and no cap on what waits for an offline client
      conf << "autosave_interval " << autosave_seconds << "\nmax_queued_messages 0\n";
    if (::geteuid() == 0) conf << "user root\n";
  }
  /// Starts the broker and waits (at most `timeout`) until it accepts connections; throws
  /// std::runtime_error when it does not.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    child_ = std::make_unique<Child>(
        std::vector<std::string>{binary, "-c", (dir_ / "mosquitto.conf").string()}, true);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!port_open(port_)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  /// SIGTERM (a persistent broker saves its state).
  void stop() { child_.reset(); }
  /// SIGKILL: the broker saves nothing, and whatever it held only in memory is gone.
  void kill() {
    if (child_) child_->kill();
    child_.reset();
  }
  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  int port_;
  std::unique_ptr<Child> child_;
};

}  // namespace houqin::testing
