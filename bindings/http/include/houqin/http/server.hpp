// The HTTP server of houqin (docs/http.md): Boost.Beast on Asio. A few I/O threads hold every
// connection without a thread each (reading, writing, timeouts); requests that need the
// database go to a fixed pool of workers, each with a store connection of its own, through a
// bounded queue -- when it is full the request is answered 503 at once rather than queued without
// limit. Routing and everything an answer says is Api (api.hpp); this file is only the sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "houqin/http/api.hpp"

namespace houqin::http {

struct ServerConfig {
  std::string address = "127.0.0.1";      // where to listen; "::1" or "0.0.0.0" as needed
  int port = 8080;                        // 0: a free port chosen by the system (see Server::port)
  int io_threads = 1;                     // threads doing the socket work
  int workers = 2;                        // threads answering requests, one store connection each
  std::int64_t max_body_bytes = 1 << 20;  // a larger body is answered 413 without being read
  std::int64_t max_header_bytes = 16 << 10;  // larger request headers: 431
  /// A request must arrive whole (headers and body) within this time, counted from the moment
  /// the server starts waiting for it, so a slow client (slowloris) cannot hold a connection.
  std::chrono::milliseconds read_timeout{10000};
  std::int64_t max_connections = 4096;  // more are closed as soon as they are accepted
  std::int64_t queue_limit = 1024;      // requests waiting for a worker; more are answered 503
  /// stop() lets requests in flight finish for at most this long.
  std::chrono::milliseconds drain_timeout{10000};
  ApiConfig api;
};
BOOST_DESCRIBE_STRUCT(ServerConfig, (),
                      (address, port, io_threads, workers, max_body_bytes, max_header_bytes,
                       read_timeout, max_connections, queue_limit, drain_timeout, api))

/// What the server has done since it started; safe to read from any thread.
struct ServerStats {
  std::int64_t connections_open = 0;
  std::int64_t connections_accepted = 0;
  std::int64_t connections_refused = 0;  // over max_connections
  std::int64_t requests = 0;             // answered, whatever the status
  std::int64_t rejected_busy = 0;        // answered 503 because the queue was full
  std::int64_t queued = 0;               // waiting for a worker now
};
BOOST_DESCRIBE_STRUCT(ServerStats, (),
                      (connections_open, connections_accepted, connections_refused, requests,
                       rejected_busy, queued))

class HOUQIN_HTTP_EXPORT Server {
 public:
  /// Opens one store per worker (called on the thread that calls start()).
  using StoreFactory = std::function<std::unique_ptr<store::Store>()>;

  /// Error(invalid_argument) naming the bad setting (a port outside 0..65535, no workers, ...).
  Server(ServerConfig config, StoreFactory stores);
  /// stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Opens the workers' stores, binds and starts listening. Error(unavailable) when the address
  /// cannot be bound; a store that cannot be opened throws its own error. Nothing runs after a
  /// failed start.
  void start();
  /// The port listened on (the chosen one when the config said 0); 0 before start().
  int port() const noexcept;
  /// Stops accepting, answers the requests already read (Connection: close) for at most
  /// drain_timeout, then closes every connection and joins the threads. Idempotent.
  void stop();
  ServerStats stats() const;

  struct Impl;  // opaque: defined in server.cpp, where the connections reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace houqin::http
