// LISTEN/NOTIFY on PostgreSQL, inotify and data_version on SQLite (see waker.hpp).
#include "houqin/host/waker.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>

#include "houqin/core/error.hpp"
#include "houqin/store/event_log.hpp"

namespace houqin::host {

struct Waker::Impl {
  store::Store& store;
  int inotify_fd = -1;
  long long data_version = -1;
  std::uint64_t listening_on = 0;  // the connection generation LISTEN was sent on
  std::string schema;              // PostgreSQL: the schema whose commits wake this waker

  explicit Impl(store::Store& s) : store(s) {}
  ~Impl() {
    if (inotify_fd >= 0) ::close(inotify_fd);
  }

  // ---- PostgreSQL ----
  PGconn* pg() { return static_cast<PGconn*>(store.native_handle()); }
  /// Consumes every notification that has arrived; true if one was for this waker's schema
  /// (the payload writers send) or had no payload (a writer of an earlier version).
  bool drain_notifications() {
    if (!PQconsumeInput(pg()))
      fail(ErrorCode::unavailable, std::string("waker: ") + PQerrorMessage(pg()));
    bool any = false;
    while (PGnotify* n = PQnotifies(pg())) {
      const std::string_view payload = n->extra ? n->extra : "";
      if (payload.empty() || payload == schema) any = true;
      PQfreemem(n);
    }
    return any;
  }
  /// The schema this store's names resolve to (its search_path), which writers name in the NOTIFY.
  std::string current_schema() {
    PGresult* r = PQexec(pg(), "SELECT current_schema()");
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
      out = PQgetvalue(r, 0, 0);
    const bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!ok) fail(ErrorCode::unavailable, std::string("waker: ") + PQerrorMessage(pg()));
    return out;
  }
  void listen() {
    store.execute("LISTEN " + std::string(store::event_channel));
    schema = current_schema();
    listening_on = store.connection_generation();
  }
  bool wait_pg(std::chrono::milliseconds timeout) {
    // A connection opened again (a restart, a failover) listens again; what was committed
    // meanwhile was not told, so this counts as a wake-up.
    if (store.connection_lost() || store.connection_generation() != listening_on) {
      listen();
      return true;
    }
    if (drain_notifications()) return true;
    // Notifications for other schemas in the same database are consumed and waited past.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{PQsocket(pg()), POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno != EINTR) fail(ErrorCode::internal, "waker: poll failed");
      if (rc > 0 && drain_notifications()) return true;
    }
  }

  // ---- SQLite ----
  long long read_data_version() {
    sqlite3_stmt* st = nullptr;
    auto* db = static_cast<sqlite3*>(store.native_handle());
    if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, nullptr) != SQLITE_OK)
      fail(ErrorCode::internal, std::string("waker: ") + sqlite3_errmsg(db));
    long long v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
  }
  bool changed() {
    long long v = read_data_version();
    bool out = v != data_version;
    data_version = v;
    return out;
  }
  bool wait_sqlite(std::chrono::milliseconds timeout) {
    if (changed()) return true;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // A commit's last file write (a WAL frame) comes before it is visible: the wal-index it
    // updates last is shared memory, which inotify does not see. After an event that showed no
    // commit yet, look again every 10 ms for a while instead of sleeping to the next event.
    auto settling = std::chrono::steady_clock::time_point{};
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      if (left.count() <= 0) return false;
      if (inotify_fd >= 0) {
        pollfd p{inotify_fd, POLLIN, 0};
        const long long ms = now < settling ? std::min<long long>(left.count(), 10) : left.count();
        int rc = ::poll(&p, 1, static_cast<int>(ms));
        if (rc > 0) {
          char buf[4096];
          while (::read(inotify_fd, buf, sizeof buf) > 0) {
          }
          settling = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        }
      } else {
        // No file to watch (an in-memory database): only this process writes it; check often.
        ::usleep(static_cast<useconds_t>(std::min<long long>(left.count(), 20) * 1000));
      }
      if (changed()) return true;
    }
  }
};

Waker::Waker(store::Store& store) : impl_(std::make_unique<Impl>(store)) {
  if (store.dialect() == store::Dialect::postgresql) {
    impl_->listen();
    return;
  }
  impl_->data_version = impl_->read_data_version();
  auto* db = static_cast<sqlite3*>(store.native_handle());
  const char* file = sqlite3_db_filename(db, "main");
  if (!file || !*file) return;  // in memory
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return;  // falls back to checking data_version
  // Writers append to the -wal file (WAL mode; it may not exist yet) or rewrite the database
  // file itself: watch the folder, and let data_version tell a commit from other activity.
  std::string folder(file);
  auto slash = folder.rfind('/');
  folder = slash == std::string::npos ? "." : folder.substr(0, slash == 0 ? 1 : slash);
  if (::inotify_add_watch(fd, folder.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
    ::close(fd);
    return;
  }
  impl_->inotify_fd = fd;
}

Waker::~Waker() = default;

bool Waker::wait(std::chrono::milliseconds timeout) {
  if (impl_->store.dialect() == store::Dialect::postgresql) return impl_->wait_pg(timeout);
  return impl_->wait_sqlite(timeout);
}

}  // namespace houqin::host
