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
  /// Event streams (GET /api/v1/events): how often one reader polls the event log for all of
  /// them, how often each gets a comment line (so proxies keep it and dead peers are found), how
  /// many frames may wait for a slow client before it is disconnected (it resumes with
  /// Last-Event-ID; memory stays bounded), and how many events are replayed on resume before
  /// the stream says "reset" instead (the client reloads its state).
  std::chrono::milliseconds events_poll{250};
  std::chrono::milliseconds stream_keepalive{15000};
  std::int64_t stream_max_pending = 1000;
  std::int64_t stream_catch_up = 10000;
  /// The kernel's send buffer of a stream's socket (SO_SNDBUF), so that a thousand slow readers
  /// cost at most this much kernel memory each rather than what the kernel would grow it to.
  std::int64_t stream_send_buffer = 64 << 10;
  /// TLS (OpenSSL): the server's certificate chain and its private key, PEM files; both empty:
  /// plain HTTP (behind a TLS proxy, or on loopback). With them every connection must begin
  /// with a TLS 1.2 or 1.3 handshake, and session cookies are marked Secure.
  std::string tls_certificate;
  std::string tls_private_key;
  ApiConfig api;
};
BOOST_DESCRIBE_STRUCT(ServerConfig, (),
                      (address, port, io_threads, workers, max_body_bytes, max_header_bytes,
                       read_timeout, max_connections, queue_limit, drain_timeout, events_poll,
                       stream_keepalive, stream_max_pending, stream_catch_up, stream_send_buffer,
                       tls_certificate, tls_private_key, api))

/// What the server has done since it started; safe to read from any thread.
struct ServerStats {
  std::int64_t connections_open = 0;
  std::int64_t connections_accepted = 0;
  std::int64_t connections_refused = 0;  // over max_connections
  std::int64_t requests = 0;             // answered, whatever the status
  std::int64_t rejected_busy = 0;        // answered 503 because the queue was full
  std::int64_t queued = 0;               // waiting for a worker now
  std::int64_t streams_open = 0;         // event streams now
  std::int64_t streams_dropped = 0;      // disconnected for falling behind stream_max_pending
  std::int64_t events_read = 0;          // events the stream reader took from the log
};
BOOST_DESCRIBE_STRUCT(ServerStats, (),
                      (connections_open, connections_accepted, connections_refused, requests,
                       rejected_busy, queued, streams_open, streams_dropped, events_read))

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
