// Boost.Beast under the HTTP binding: accept, read with limits and a deadline, hand the request
// to a worker with a store, write the answer, keep the connection alive or close it.
#include "houqin/http/server.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "houqin/core/error.hpp"
#include "houqin/store/event_log.hpp"

namespace houqin::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

/// Fixed workers, each with its own store, taking jobs from a bounded queue.
class Workers {
 public:
  using Job = std::function<void(store::Store&)>;

  void start(std::vector<std::unique_ptr<store::Store>> stores, std::size_t limit) {
    limit_ = limit;
    stores_ = std::move(stores);
    for (auto& s : stores_) threads_.emplace_back([this, st = s.get()] { run(*st); });
  }
  /// False when the queue is full (the caller answers 503).
  bool submit(Job job) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || jobs_.size() >= limit_) return false;
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
    return true;
  }
  std::size_t queued() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
  }
  /// Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    stores_.clear();
  }

 private:
  void run(store::Store& store) {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job(store);
    }
  }
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::size_t limit_ = 0;
  bool stopping_ = false;
  std::vector<std::unique_ptr<store::Store>> stores_;
  std::vector<std::thread> threads_;
};

}  // namespace

struct Server::Impl {
  // Declared before `io`: sessions still queued in the io_context touch them when it is
  // destroyed.
  ServerConfig config;
  StoreFactory factory;
  std::unique_ptr<Api> api;
  std::unique_ptr<ssl::context> tls;  // set when the config names a certificate
  std::atomic<int> port{0};
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  std::mutex stop_mutex;
  std::atomic<std::int64_t> open{0}, accepted{0}, refused{0}, requests{0}, busy{0}, in_flight{0};
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<class Session>> sessions;  // pruned as they end

  // ---- event streams: one reader of the log fans each event out to the streams that may see
  // it; `position` is the last sequence fanned out, moved under the same lock, so a stream that
  // subscribes at position P gets every event after P pushed and reads those up to P itself.
  struct Subscriber {
    std::weak_ptr<class Session> session;
    EventFilter filter;
  };
  std::mutex hub_mutex;
  std::vector<Subscriber> subscribers;
  std::int64_t position = 0;
  std::atomic<std::int64_t> streams{0}, dropped{0}, events_read{0};
  std::unique_ptr<store::Store> pump_store;
  std::mutex pump_mutex;
  std::condition_variable pump_wake;
  bool pump_stop = false;
  std::thread pump;

  std::int64_t subscribe(const std::shared_ptr<class Session>& session, EventFilter filter);
  void pump_loop();
  asio::io_context io;
  // Keeps io.run() going while a request is with a worker and nothing else is pending.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> io_threads;
  Workers workers;

  void accept();
  void close_sessions();
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
/// A connection's stream: plain TCP, or TLS over it when the server has a certificate.
using Stream = std::variant<beast::tcp_stream, TlsStream>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server)
      : stream_(server.tls ? Stream(std::in_place_type<TlsStream>, std::move(socket), *server.tls)
                           : Stream(std::in_place_type<beast::tcp_stream>, std::move(socket))),
        server_(server) {
    ++server_.open;
    beast::error_code ec;
    auto peer = lowest().socket().remote_endpoint(ec);
    if (!ec) client_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }
  ~Session() { --server_.open; }

  void start() {
    asio::dispatch(lowest().get_executor(), [self = shared_from_this()] {
      auto* tls = std::get_if<TlsStream>(&self->stream_);
      if (!tls) return self->read();
      // The handshake has the time a request has to arrive, like everything a client sends.
      self->lowest().expires_after(self->server_.config.read_timeout);
      tls->async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->close();  // not TLS, a bad handshake or too slow: nothing to say
        self->read();
      });
    });
  }
  /// Closes the connection from any thread (on its own strand).
  void shut() {
    asio::post(lowest().get_executor(), [self = shared_from_this()] { self->close(); });
  }

  /// A frame for the event stream (from the reader thread); `id` 0 for a keep-alive comment.
  using Frame = std::pair<std::int64_t, std::shared_ptr<const std::string>>;
  void push(Frame frame) {
    asio::post(lowest().get_executor(), [self = shared_from_this(), frame = std::move(frame)] {
      if (!self->subscribed_ || self->closed_) return;
      if (!self->streaming_ && frame.first == 0) return;  // no pings before the headers
      self->pending_.push_back(frame);
      if (static_cast<std::int64_t>(self->pending_.size()) >
          self->server_.config.stream_max_pending) {
        ++self->server_.dropped;
        return self->close();  // it resumes with Last-Event-ID, read from the log
      }
      if (self->streaming_) self->flush();
    });
  }

 private:
  /// The TCP stream under TLS or not: timeouts, the socket, the strand.
  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream_);
  }

  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(static_cast<std::uint64_t>(server_.config.max_body_bytes));
    parser_->header_limit(static_cast<std::uint32_t>(server_.config.max_header_bytes));
    lowest().expires_after(server_.config.read_timeout);
    std::visit(
        [&](auto& s) {
          bhttp::async_read(s, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_read(ec);
                            });
        },
        stream_);
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated)
      return close();
    if (ec == bhttp::error::body_limit)
      return refuse(413, "the body is larger than " +
                             std::to_string(server_.config.max_body_bytes) + " bytes");
    if (ec == bhttp::error::header_limit)
      return refuse(431, "the request headers are larger than " +
                             std::to_string(server_.config.max_header_bytes) + " bytes");
    if (ec) return refuse(400, "malformed HTTP request: " + ec.message());

    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    Request request;
    request.method = std::string(msg.method_string());
    request.target = std::string(msg.target());
    for (const auto& field : msg) add_header(request, field.name_string(), field.value());
    request.body = std::move(msg.body());
    request.client = client_;
    request.secure = std::holds_alternative<TlsStream>(stream_);
    ++server_.in_flight;
    lowest().expires_never();

    if (!Api::needs_store(request)) return write(server_.api->handle_static(request));
    auto self = shared_from_this();
    if (Api::is_stream(request)) return open_stream(std::move(request));
    bool queued = server_.workers.submit([self, request = std::move(request)](store::Store& st) {
      auto response = self->server_.api->handle(request, st);
      asio::post(self->lowest().get_executor(), [self, response = std::move(response)]() mutable {
        self->write(std::move(response));
      });
    });
    if (!queued) {
      ++server_.busy;
      auto r = problem(ErrorCode::unavailable, "the server is busy; retry shortly",
                       std::string(parser_->get().target()));
      r.headers.emplace_back("Retry-After", "1");
      write(std::move(r));
    }
  }

  /// GET /api/v1/events: authenticate and replay on a worker, then stream from the reader.
  void open_stream(Request request) {
    auto self = shared_from_this();
    bool queued = server_.workers.submit([self, request = std::move(request)](store::Store& st) {
      std::vector<Frame> replay;
      try {
        auto filter = self->server_.api->open_stream(request, st);
        auto after = filter.after;
        self->subscribed_ = true;
        auto position = self->server_.subscribe(self, filter);
        std::int64_t at = after.value_or(position);
        while (at < position) {
          auto events = store::read_events(st, at, 500);
          if (events.empty()) break;
          for (const auto& e : events) {
            if (e.id > position) {  // the rest is pushed by the reader; sequences have gaps
              at = position;
              break;
            }
            at = e.id;
            if (filter.visible(e.type))
              replay.emplace_back(e.id, std::make_shared<const std::string>(event_frame(e)));
          }
          if (static_cast<std::int64_t>(replay.size()) > self->server_.config.stream_catch_up) {
            replay.clear();
            replay.emplace_back(
                position, std::make_shared<const std::string>("id: " + std::to_string(position) +
                                                              "\nevent: reset\ndata: {\"after\": " +
                                                              std::to_string(position) + "}\n\n"));
            break;
          }
        }
      } catch (const Error& e) {
        self->subscribed_ = false;
        auto r = problem(e.code(), e.what(), "/api/v1/events");
        return asio::post(self->lowest().get_executor(),
                          [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
      }
      asio::post(self->lowest().get_executor(), [self, replay = std::move(replay)]() mutable {
        self->begin_stream(std::move(replay));
      });
    });
    if (!queued) {
      ++server_.busy;
      auto r =
          problem(ErrorCode::unavailable, "the server is busy; retry shortly", "/api/v1/events");
      r.headers.emplace_back("Retry-After", "1");
      write(std::move(r));
    }
  }

  void begin_stream(std::vector<Frame> replay) {
    --server_.in_flight;  // answered: the stream is not a request stop() waits for
    if (closed_) return;
    ++server_.requests;
    ++server_.streams;
    streaming_ = true;
    beast::error_code ignored;
    lowest().socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(server_.config.stream_send_buffer)),
        ignored);
    // The replay (events up to the subscription) goes before what was pushed meanwhile.
    pending_.insert(pending_.begin(), std::make_move_iterator(replay.begin()),
                    std::make_move_iterator(replay.end()));
    pending_.emplace(pending_.begin(), 0,
                     std::make_shared<const std::string>(
                         "HTTP/1.1 200 OK\r\nServer: houqin\r\nContent-Type: text/event-stream; "
                         "charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: "
                         "nosniff\r\nConnection: close\r\n\r\n: houqin events\n\n"));
    flush();
    watch();
  }

  /// While streaming, a read is always pending: it holds the session (the hub only has a weak
  /// reference) and sees the client hang up at once, not at the next keep-alive.
  void watch() {
    std::visit(
        [&](auto& s) {
          s.async_read_some(asio::buffer(sink_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->watch();  // whatever a client sends on a stream is dropped
                            });
        },
        stream_);
  }

  void flush() {
    if (writing_ || pending_.empty() || closed_) return;
    writing_ = true;
    out_.clear();
    for (auto& [id, frame] : pending_) out_ += *frame;
    pending_.clear();
    lowest().expires_after(std::chrono::seconds(30));  // a peer that stopped reading is dropped
    std::visit(
        [&](auto& s) {
          asio::async_write(s, asio::buffer(out_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) return self->close();
                              self->flush();
                            });
        },
        stream_);
  }

  /// Answers a request that could not be read whole, then closes.
  void refuse(int status, std::string detail) {
    auto r = problem(ErrorCode::invalid_argument, std::move(detail), "", status);
    keep_alive_ = false;
    version_ = 11;
    ++server_.in_flight;
    write(std::move(r));
  }

  void write(Response response) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(version_);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::server, "houqin");
    res->set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : response.headers) res->insert(name, value);
    res->body() = std::move(response.body);
    bool keep = keep_alive_ && !server_.stopping;
    res->keep_alive(keep);
    res->prepare_payload();
    ++server_.requests;
    lowest().expires_after(server_.config.read_timeout);
    std::visit(
        [&](auto& s) {
          bhttp::async_write(
              s, *res, [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
                --self->server_.in_flight;
                if (ec || !keep) return self->close();
                self->read();
              });
        },
        stream_);
  }

  void close() {
    if (streaming_ && !closed_) --server_.streams;
    closed_ = true;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  Stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string client_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  // event stream state, touched on the strand only (subscribed_ also by the worker first)
  std::atomic<bool> subscribed_{false};
  bool streaming_ = false;
  bool writing_ = false;
  bool closed_ = false;
  std::vector<Frame> pending_;
  std::string out_;
  std::array<char, 512> sink_{};
};

std::int64_t Server::Impl::subscribe(const std::shared_ptr<Session>& session, EventFilter filter) {
  std::lock_guard lock(hub_mutex);
  subscribers.push_back({session, std::move(filter)});
  return position;
}

void Server::Impl::pump_loop() {
  auto last_ping = std::chrono::steady_clock::now();
  for (;;) {
    std::size_t got = 0;
    try {
      std::int64_t from;
      {
        std::lock_guard lock(hub_mutex);
        from = position;
      }
      auto events = store::read_events(*pump_store, from, 500);
      got = events.size();
      events_read += static_cast<std::int64_t>(got);
      std::lock_guard lock(hub_mutex);
      std::erase_if(subscribers, [](const Subscriber& s) { return s.session.expired(); });
      for (const auto& e : events) {
        std::shared_ptr<const std::string> frame;
        for (const auto& sub : subscribers) {
          if (!sub.filter.visible(e.type)) continue;
          if (!frame) frame = std::make_shared<const std::string>(event_frame(e));
          if (auto s = sub.session.lock()) s->push({e.id, frame});
        }
        position = e.id;
      }
      if (std::chrono::steady_clock::now() - last_ping >= config.stream_keepalive) {
        last_ping = std::chrono::steady_clock::now();
        auto ping = std::make_shared<const std::string>(": keep-alive\n\n");
        for (const auto& sub : subscribers)
          if (auto s = sub.session.lock()) s->push({0, ping});
      }
    } catch (const std::exception&) {
      got = 0;  // the database is away: try again at the next poll; streams stay open
    }
    std::unique_lock lock(pump_mutex);
    if (got == 500) {
      if (pump_stop) return;
      continue;  // more are waiting
    }
    if (pump_wake.wait_for(lock, config.events_poll, [&] { return pump_stop; })) return;
  }
}

void Server::Impl::close_sessions() {
  std::lock_guard lock(sessions_mutex);
  for (auto& weak : sessions)
    if (auto s = weak.lock()) s->shut();
  sessions.clear();
}

void Server::Impl::accept() {
  acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping) return;
    } else if (open.load() >= config.max_connections) {
      ++refused;
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      ++accepted;
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mutex);
        std::erase_if(sessions, [](const auto& w) { return w.expired(); });
        sessions.push_back(session);
      }
      session->start();
    }
    if (!stopping) accept();
  });
}

Server::Server(ServerConfig config, StoreFactory stores) : impl_(std::make_unique<Impl>()) {
  auto bad = [](const std::string& what) { fail(ErrorCode::invalid_argument, "http: " + what); };
  if (config.port < 0 || config.port > 65535) bad("port: must be 0..65535");
  if (config.io_threads < 1 || config.io_threads > 64) bad("io_threads: must be 1..64");
  if (config.workers < 1 || config.workers > 256) bad("workers: must be 1..256");
  if (config.max_body_bytes < 0) bad("max_body_bytes: must be >= 0");
  if (config.max_header_bytes < 1024) bad("max_header_bytes: must be >= 1024");
  if (config.read_timeout.count() <= 0) bad("read_timeout: must be > 0");
  if (config.max_connections < 1) bad("max_connections: must be >= 1");
  if (config.queue_limit < 1) bad("queue_limit: must be >= 1");
  if (config.drain_timeout.count() < 0) bad("drain_timeout: must be >= 0");
  if (config.api.logins_per_minute < 1) bad("api.logins_per_minute: must be >= 1");
  if (config.events_poll.count() <= 0) bad("events_poll: must be > 0");
  if (config.stream_keepalive.count() <= 0) bad("stream_keepalive: must be > 0");
  if (config.stream_max_pending < 1) bad("stream_max_pending: must be >= 1");
  if (config.stream_catch_up < 0) bad("stream_catch_up: must be >= 0");
  if (config.stream_send_buffer < 1024) bad("stream_send_buffer: must be >= 1024");
  if (!stores) bad("no store factory");
  if (config.tls_certificate.empty() != config.tls_private_key.empty())
    bad("tls_certificate and tls_private_key: give both or neither");
  if (!config.tls_certificate.empty()) {
    auto tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    beast::error_code ec;
    tls->use_certificate_chain_file(config.tls_certificate, ec);
    if (ec) bad("tls_certificate: cannot use " + config.tls_certificate + ": " + ec.message());
    tls->use_private_key_file(config.tls_private_key, ssl::context::pem, ec);
    if (ec) bad("tls_private_key: cannot use " + config.tls_private_key + ": " + ec.message());
    if (SSL_CTX_check_private_key(tls->native_handle()) != 1)
      bad("tls_private_key: " + config.tls_private_key + " is not the key of " +
          config.tls_certificate);
    impl_->tls = std::move(tls);
  }
  impl_->config = std::move(config);
  impl_->factory = std::move(stores);
  impl_->api = std::make_unique<Api>(impl_->config.api);
}

Server::~Server() {
  stop();
}

void Server::start() {
  auto& m = *impl_;
  std::lock_guard lock(m.stop_mutex);
  if (m.started) fail(ErrorCode::failed_precondition, "http: the server was started already");
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < m.config.workers; ++i) stores.push_back(m.factory());
  m.pump_store = m.factory();
  m.position = store::last_event_seq(*m.pump_store);
  beast::error_code ec;
  auto address = asio::ip::make_address(m.config.address, ec);
  if (ec)
    fail(ErrorCode::invalid_argument,
         "http: address: '" + m.config.address + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(m.config.port));
  m.acceptor.emplace(m.io);
  auto check = [&](const char* step) {
    if (ec) {
      m.acceptor.reset();
      fail(ErrorCode::unavailable, "http: cannot " + std::string(step) + " " + m.config.address +
                                       ":" + std::to_string(m.config.port) + ": " + ec.message());
    }
  };
  m.acceptor->open(endpoint.protocol(), ec);
  check("open");
  m.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  check("configure");
  m.acceptor->bind(endpoint, ec);
  check("bind");
  m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  check("listen on");
  m.port = m.acceptor->local_endpoint().port();
  m.workers.start(std::move(stores), static_cast<std::size_t>(m.config.queue_limit));
  m.started = true;
  m.keep_running.emplace(m.io.get_executor());
  m.pump = std::thread([&m] { m.pump_loop(); });
  m.accept();
  for (int i = 0; i < m.config.io_threads; ++i) m.io_threads.emplace_back([&m] { m.io.run(); });
}

int Server::port() const noexcept {
  return impl_->port.load();
}

void Server::stop() {
  auto& m = *impl_;
  std::lock_guard lock(m.stop_mutex);
  if (!m.started || m.stopped) return;
  m.stopped = true;
  m.stopping = true;
  asio::post(m.io, [&m] {
    beast::error_code ec;
    m.acceptor->close(ec);
  });
  // Requests already read are answered (with Connection: close) ...
  auto until = [&](auto done, std::chrono::steady_clock::duration limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  until([&] { return m.in_flight.load() == 0; }, m.config.drain_timeout);
  // ... then the event reader stops and every connection still open (idle, half a request, an
  // event stream) is closed.
  {
    std::lock_guard pump_lock(m.pump_mutex);
    m.pump_stop = true;
  }
  m.pump_wake.notify_all();
  if (m.pump.joinable()) m.pump.join();
  m.close_sessions();
  until([&] { return m.open.load() == 0; }, std::chrono::seconds(1));
  m.keep_running.reset();
  m.io.stop();
  for (auto& t : m.io_threads) t.join();
  m.io_threads.clear();
  beast::error_code ec;
  if (m.acceptor) m.acceptor->close(ec);
  m.workers.stop();
  m.pump_store.reset();
}

ServerStats Server::stats() const {
  const auto& m = *impl_;
  ServerStats s;
  s.connections_open = m.open.load();
  s.connections_accepted = m.accepted.load();
  s.connections_refused = m.refused.load();
  s.requests = m.requests.load();
  s.rejected_busy = m.busy.load();
  s.queued = static_cast<std::int64_t>(m.workers.queued());
  s.streams_open = m.streams.load();
  s.streams_dropped = m.dropped.load();
  s.events_read = m.events_read.load();
  return s;
}

}  // namespace houqin::http
