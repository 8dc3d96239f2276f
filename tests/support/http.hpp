// A hand-written HTTP/1.1 client over loopback for the HTTP binding's tests: it can also send
// what no client library would (half a request, a forged header), and every read gives up after
// 5 s so a test never hangs.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "houqin/core/json.hpp"

namespace houqin::testing {

struct Reply {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json::Json json() const { return json::parse(body, "reply"); }
};

/// One HTTP/1.1 connection to 127.0.0.1.
class Connection {
 public:
  /// `receive_buffer` > 0 sets SO_RCVBUF (a small one makes a slow reader).
  explicit Connection(int port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect failed");
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Connection() { ::close(fd_); }

  void send(const std::string& raw) {
    std::size_t at = 0;
    while (at < raw.size()) {
      auto n = ::send(fd_, raw.data() + at, raw.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close early (413): what it said is still readable
      at += static_cast<std::size_t>(n);
    }
  }

  Reply request(const std::string& method, const std::string& target, const std::string& body = "",
                const std::vector<std::string>& headers = {}) {
    send_request(method, target, body, headers);
    return read();
  }

  /// Sends a request without waiting for the reply (read() it later).
  void send_request(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::vector<std::string>& headers = {}) {
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers) raw += h + "\r\n";
    if (!body.empty() || method == "POST") {
      bool typed = false;
      for (const auto& h : headers) typed = typed || h.starts_with("Content-Type");
      if (!typed) raw += "Content-Type: application/json\r\n";
      raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    raw += "\r\n" + body;
    send(raw);
  }

  Reply read() {
    while (buffer_.find("\r\n\r\n") == std::string::npos)
      if (!fill()) throw std::runtime_error("connection closed before a reply: " + buffer_);
    auto end = buffer_.find("\r\n\r\n");
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    Reply r;
    std::size_t line_end = head.find("\r\n");
    r.status = std::stoi(head.substr(9, 3));
    std::size_t length = 0;
    while (line_end != std::string::npos) {
      auto next = head.find("\r\n", line_end + 2);
      auto line = head.substr(line_end + 2,
                              next == std::string::npos ? std::string::npos : next - line_end - 2);
      auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(c));
      std::string value = line.substr(colon + 2);
      if (name == "content-length") length = std::stoul(value);
      r.headers.emplace(name, value);
      line_end = next;
    }
    while (buffer_.size() < length)
      if (!fill()) throw std::runtime_error("connection closed inside a body");
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  /// What arrives up to and including `needle` (an event stream's frames); throws when it has not
  /// come within `limit`.
  std::string read_until(const std::string& needle, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto at = buffer_.find(needle); at != std::string::npos) {
        auto out = buffer_.substr(0, at + needle.size());
        buffer_.erase(0, at + needle.size());
        return out;
      }
      if (std::chrono::steady_clock::now() >= deadline)
        throw std::runtime_error("'" + needle + "' did not come; got: " + buffer_);
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0 && !fill())
        throw std::runtime_error("closed before '" + needle + "'; got: " + buffer_);
    }
  }

  /// Whatever arrives within `span`.
  std::string read_for(std::chrono::milliseconds span) {
    auto deadline = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0 && !fill()) break;
    }
    return std::exchange(buffer_, {});
  }

  /// Whether the server closes the connection within `limit` (reading and dropping anything).
  bool closed_within(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char b[4096];
        auto n = ::recv(fd_, b, sizeof b, 0);
        if (n <= 0) return true;
      }
    }
    return false;
  }

 private:
  bool fill() {
    char b[65536];
    auto n = ::recv(fd_, b, sizeof b, 0);
    if (n <= 0) return false;
    buffer_.append(b, static_cast<std::size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace houqin::testing
