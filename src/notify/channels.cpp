#include "houqin/notify/channels.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include "houqin/core/json.hpp"
#include "houqin/core/process.hpp"
#include "houqin/notify/notifier.hpp"

namespace houqin::notify {

Channel::~Channel() = default;

Channel* Channels::get(ChannelKind kind) const {
  switch (kind) {
    case ChannelKind::sms:
      return sms.get();
    case ChannelKind::call:
      return call.get();
    case ChannelKind::webhook:
      return webhook.get();
  }
  return nullptr;
}

namespace {

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (auto nl = text.rfind('\n'); nl != std::string::npos) text.erase(0, nl + 1);
  return text;
}

void require_number(const std::string& number) {
  if (number.empty() || number.size() > 32 ||
      number.find_first_not_of("+0123456789") != std::string::npos ||
      number.find('+', 1) != std::string::npos)
    fail(ErrorCode::invalid_argument, "address: '" + number + "' is not a phone number");
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

// ---- SMS: gammu-smsd-inject ----

void GammuSms::send(const Message& m) {
  require_number(m.address);
  if (m.body.empty()) fail(ErrorCode::invalid_argument, "body: an SMS needs text");
  std::vector<std::string> args{options_.inject_command, "-c", options_.config_path, "TEXT",
                                m.address};
  const bool ascii =
      std::all_of(m.body.begin(), m.body.end(), [](char c) { return (c & 0x80) == 0; });
  if (!ascii) args.push_back("-unicode");
  // -len lets gammu split a long text into a multipart message instead of cutting it at 160.
  args.push_back("-len");
  args.push_back(std::to_string(code_points(m.body)));
  args.push_back("-text");
  args.push_back(m.body);
  auto [status, output] = process::run(args, options_.timeout);
  if (status != 0)
    fail(ErrorCode::unavailable, options_.inject_command + " exited with " +
                                     std::to_string(status) + ": " + last_line(output));
}

// ---- phone calls: Asterisk call files ----

namespace {

/// One character of a Set: value as Asterisk's call-file reader needs it: its lines are cut at
/// ';' unless escaped, at '#' after a blank, and read into a 256-byte buffer.
std::string call_file_char(std::string_view body, std::size_t i, std::size_t len) {
  char c = body[i];
  if (c == '\n' || c == '\r' || c == '\t') return " ";
  if (c == ';') return "\\;";
  if (c == '#' && (i == 0 || body[i - 1] == ' ' || body[i - 1] == '\t' || body[i - 1] == '\n'))
    return "\xEF\xBC\x83";  // U+FF03, the full-width '#', which nothing reads as a comment
  return std::string(body.substr(i, len));
}

/// The body as Set: values of at most `max` bytes each, cut between UTF-8 characters.
std::vector<std::string> call_file_parts(std::string_view body, std::size_t max) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < body.size();) {
    std::size_t len = 1;
    while (i + len < body.size() && (static_cast<unsigned char>(body[i + len]) & 0xC0) == 0x80)
      ++len;
    auto piece = call_file_char(body, i, len);
    if (parts.back().size() + piece.size() > max) parts.emplace_back();
    parts.back() += piece;
    i += len;
  }
  return parts;
}

}  // namespace

std::string AsteriskCall::call_file(const Message& m) const {
  require_number(m.address);
  auto field = [](const char* name, std::string value) {
    for (char& c : value)
      if (c == '\n' || c == '\r') c = ' ';
    std::string line = std::string(name) + ": " + value + "\n";
    if (line.size() > 255)
      fail(ErrorCode::invalid_argument,
           std::string(name) + ": longer than an Asterisk call-file line (255 bytes)");
    return line;
  };
  std::string channel = options_.channel;
  if (auto p = channel.find("{{number}}"); p != std::string::npos)
    channel.replace(p, 10, m.address);
  std::string out;
  out += field("Channel", channel);
  out += field("CallerID", options_.caller_id);
  out += field("MaxRetries", std::to_string(options_.max_retries));
  out += field("RetryTime", std::to_string(options_.retry_time));
  out += field("WaitTime", std::to_string(options_.wait_time));
  out += field("Context", options_.context);
  out += field("Extension", options_.extension);
  out += field("Priority", std::to_string(options_.priority));
  out += field("Set", "HQ_MESSAGE_ID=" + std::to_string(m.id));
  auto parts = call_file_parts(m.body, 200);
  out += field("Set", "HQ_MESSAGE_PARTS=" + std::to_string(parts.size()));
  for (std::size_t i = 0; i < parts.size(); ++i)
    out += field("Set", "HQ_MESSAGE_" + std::to_string(i + 1) + "=" + parts[i]);
  return out;
}

void AsteriskCall::send(const Message& m) {
  namespace fs = std::filesystem;
  const auto text = call_file(m);
  struct stat a {
  }, b{};
  if (::stat(options_.spool_dir.c_str(), &a) != 0)
    fail(ErrorCode::unavailable, options_.spool_dir + ": " + std::strerror(errno));
  if (::stat(options_.temp_dir.c_str(), &b) != 0)
    fail(ErrorCode::unavailable, options_.temp_dir + ": " + std::strerror(errno));
  if (a.st_dev != b.st_dev)
    fail(ErrorCode::failed_precondition,
         "temp_dir " + options_.temp_dir + " is not on the filesystem of spool_dir " +
             options_.spool_dir + ": the move into the spool would not be atomic");
  static std::atomic<unsigned> counter{0};
  const auto name = "houqin-" + std::to_string(m.id) + "-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter++) + ".call";
  const auto tmp = std::filesystem::path(options_.temp_dir) / name;
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) fail(ErrorCode::unavailable, tmp.string() + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < text.size()) {
      auto n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(ErrorCode::unavailable, tmp.string() + ": " + std::strerror(e));
      }
      done += static_cast<std::size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(tmp.c_str(), (std::filesystem::path(options_.spool_dir) / name).c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    fail(ErrorCode::unavailable,
         "moving the call file into " + options_.spool_dir + ": " + std::strerror(e));
  }
}

// ---- webhook: HTTP/1.1 POST ----

std::string Webhook::payload(const Message& m) {
  json::Json j = {{"message_id", m.id},
                  {"channel", std::string(enum_name(m.channel))},
                  {"template", m.template_name},
                  {"body", m.body},
                  {"created_at", format_timestamp(m.created_at)}};
  if (m.recipient_staff_id) j["recipient_staff_id"] = *m.recipient_staff_id;
  if (!m.address.empty()) j["address"] = m.address;
  return j.dump();
}

namespace {

struct Url {
  std::string host, port = "80", path = "/";
};

Url parse_url(const std::string& url) {
  if (url.rfind("https://", 0) == 0)
    fail(ErrorCode::unimplemented, "webhook " + url + ": https is not supported; use a relay");
  if (url.rfind("http://", 0) != 0)
    fail(ErrorCode::invalid_argument, "url: '" + url + "' is not an http:// URL");
  Url u;
  auto rest = url.substr(7);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.path = rest.substr(slash);
  if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    u.port = authority.substr(colon + 1);
    authority.resize(colon);
  }
  u.host = authority;
  if (u.host.empty()) fail(ErrorCode::invalid_argument, "url: '" + url + "' has no host");
  for (char c : u.path + u.host)
    if (c == '\r' || c == '\n' || c == ' ')
      fail(ErrorCode::invalid_argument, "url: '" + url + "' holds spaces or line breaks");
  return u;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void Webhook::send(const Message& m) {
  const auto u = parse_url(options_.url);
  const auto where = "webhook " + options_.url;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0)
    fail(ErrorCode::unavailable, where + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(options_.timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((options_.timeout.count() % 1000) * 1000);
  int fd = -1;
  std::string connect_error = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // On Linux SO_SNDTIMEO also bounds connect().
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    connect_error = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) fail(ErrorCode::unavailable, where + ": " + connect_error);
  Socket sock(fd);
  const auto body = payload(m);
  std::string request = "POST " + u.path + " HTTP/1.1\r\nHost: " + u.host +
                        (u.port == "80" ? "" : ":" + u.port) +
                        "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n";
  for (const auto& [k, v] : options_.headers) request += k + ": " + v + "\r\n";
  request += "\r\n" + body;
  std::size_t done = 0;
  while (done < request.size()) {
    auto n = ::send(sock.fd(), request.data() + done, request.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(ErrorCode::unavailable, where + ": sending: " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  // The status line is all we need; read until it is complete or the peer closes.
  std::string answer;
  char buf[1024];
  while (answer.find("\r\n") == std::string::npos && answer.size() < 8192) {
    auto n = ::recv(sock.fd(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      fail(ErrorCode::unavailable,
           where +
               ": no answer: " + std::string(errno == EAGAIN ? "timed out" : std::strerror(errno)));
    if (n == 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  auto eol = answer.find("\r\n");
  auto status_line = answer.substr(0, eol);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
    fail(ErrorCode::unavailable, where + ": not an HTTP answer");
  int code = std::atoi(status_line.substr(9, 3).c_str());
  if (code < 200 || code > 299)
    fail(ErrorCode::unavailable, where + " answered " + status_line.substr(9));
}

Channels make_channels(const ChannelSettings& settings) {
  Channels c;
  if (settings.sms) c.sms = std::make_shared<GammuSms>(*settings.sms);
  if (settings.call) c.call = std::make_shared<AsteriskCall>(*settings.call);
  if (settings.webhook) c.webhook = std::make_shared<Webhook>(*settings.webhook);
  return c;
}

}  // namespace houqin::notify
