// An HTTP receiver on 127.0.0.1 for webhook tests: it records each request and answers from a
// script of statuses. Plain sockets (TLS with OpenSSL when given a certificate) on a thread of
// its own; every wait is bounded.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace houqin::testing {

/// What the receiver read of one request. Header names are lower case.
struct Received {
  std::string method, target, body;
  std::map<std::string, std::string> headers;
};

/// An HTTP receiver on 127.0.0.1 (a port of its own): answers each request with the next status
/// of its script (200 when the script is empty; 0: never answers, holds the connection until the
/// client gives up) and records it.
class Receiver {
 public:
  /// With a certificate and its key (PEM files): https, every connection a TLS server's.
  explicit Receiver(const std::string& certificate = {}, const std::string& key = {}) {
    if (!certificate.empty()) {
      ::signal(SIGPIPE, SIG_IGN);  // SSL_write to a client that went away
      tls_ = SSL_CTX_new(TLS_server_method());
      if (!tls_ || SSL_CTX_use_certificate_chain_file(tls_, certificate.c_str()) != 1 ||
          SSL_CTX_use_PrivateKey_file(tls_, key.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("receiver: cannot use " + certificate);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0)
      throw std::runtime_error("receiver: cannot listen");
    socklen_t n = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
    thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
  }
  ~Receiver() {
    thread_.request_stop();
    thread_.join();
    ::close(fd_);
    if (tls_) SSL_CTX_free(tls_);
  }
  std::string url(const std::string& path = "/hook") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  /// Connections whose TLS handshake failed (the client refused the certificate).
  int failed_handshakes() const {
    std::lock_guard lock(mutex_);
    return failed_handshakes_;
  }
  void script(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    script_.assign(statuses.begin(), statuses.end());
  }
  std::vector<Received> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void loop(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      SSL* ssl = nullptr;
      if (tls_) {
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssl = SSL_new(tls_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) != 1) {
          std::lock_guard lock(mutex_);
          ++failed_handshakes_;
          SSL_free(ssl);
          ::close(c);
          continue;
        }
      }
      serve(c, ssl, stop);
      if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
      ::close(c);
    }
  }
  void serve(int c, SSL* ssl, const std::stop_token& stop) {
    auto recv = [&](int fd, char* into, std::size_t size, int flags) -> long {
      if (ssl) return SSL_read(ssl, into, static_cast<int>(size));
      return ::recv(fd, into, size, flags);
    };
    auto send = [&](int fd, const char* from, std::size_t size, int flags) -> long {
      if (ssl) return SSL_write(ssl, from, static_cast<int>(size));
      return ::send(fd, from, size, flags);
    };
    timeval tv{2, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string data;
    char buf[4096];
    std::size_t head_end = std::string::npos, length = 0;
    for (int i = 0; i < 1000; ++i) {  // bounded: a request is a few reads
      if (head_end != std::string::npos && data.size() >= head_end + 4 + length) break;
      auto n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
      if (head_end == std::string::npos &&
          (head_end = data.find("\r\n\r\n")) != std::string::npos) {
        auto lower = data.substr(0, head_end);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (auto at = lower.find("content-length:"); at != std::string::npos)
          length = std::stoul(lower.substr(at + 15));
      }
    }
    Received r;
    std::istringstream head(data.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> r.method >> r.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      auto name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    r.body = data.substr(head_end + 4, length);
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      if (!script_.empty()) {
        status = script_.front();
        script_.pop_front();
      }
      requests_.push_back(std::move(r));
    }
    if (status == 0) {  // never answer: wait (bounded) until the client closes
      for (int i = 0; i < 100 && !stop.stop_requested(); ++i) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0 && recv(c, buf, sizeof buf, 0) <= 0) return;
      }
      return;
    }
    auto answer = "HTTP/1.1 " + std::to_string(status) +
                  " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
  }

  SSL_CTX* tls_ = nullptr;
  int failed_handshakes_ = 0;
  int fd_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::deque<int> script_;
  std::vector<Received> requests_;
  std::jthread thread_;
};

}  // namespace houqin::testing
