// Waiting for new events without a busy loop: on PostgreSQL the waker LISTENs on the log's channel
// (writers NOTIFY at commit, store/event_log.hpp) and sleeps in poll() on the connection's socket;
// on a SQLite file it watches the database's write-ahead log with inotify and confirms with
// PRAGMA data_version, which changes exactly when another connection commits. Either way wait()
// returns within a millisecond or so of another process's commit, and otherwise sleeps until its
// timeout. A spurious wake-up is allowed (the caller reads the log and finds nothing new).
#pragma once

#include <chrono>
#include <memory>

#include "houqin/core/export.hpp"
#include "houqin/store/store.hpp"

namespace houqin::host {

class HOUQIN_EXPORT Waker {
 public:
  /// Watches `store`'s database; the store must stay open while the waker lives and should be a
  /// connection of its own (a host's), used by one thread at a time together with the waker.
  explicit Waker(store::Store& store);
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  /// True when something was committed since the last wait (or the construction), false after
  /// `timeout` without.
  bool wait(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace houqin::host
