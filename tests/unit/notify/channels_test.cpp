// Notification channels and templates without a store: {{name}} rendering and its errors, the
// default reminder templates, backoff arithmetic, real gammu-smsd-inject output through its files
// backend, Asterisk call files (content, and never half a file in the spool), and the webhook
// client against a loopback HTTP server.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../../support/expect.hpp"
#include "houqin/notify/notifier.hpp"
#include "loopback_server.hpp"

namespace houqin {
namespace {

namespace fs = std::filesystem;
using notify::Message;
using testing::expect_error;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("houqin-notify-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

Message message(std::string address, std::string body, Id id = 7) {
  Message m;
  m.id = id;
  m.address = std::move(address);
  m.body = std::move(body);
  m.template_name = "new_assignment";
  m.recipient_staff_id = 3;
  return m;
}

TEST(NotifyTemplates, RenderFillsPlaceholdersAndNamesWhatIsMissing) {
  EXPECT_EQ(
      notify::render("t", "Hi {{ name }}, order {{order}}.", {{"name", "Li"}, {"order", "7"}}),
      "Hi Li, order 7.");
  EXPECT_EQ(notify::render("t", "no placeholders", {}), "no placeholders");
  expect_error(
      [] {
        notify::render("t", "order {{order}} at {{room}}", {{"order", "7"}});
      },
      ErrorCode::invalid_argument, "template t: variable 'room' is missing");
  expect_error(
      [] {
        notify::render("t", "ab {{order", {{"order", "7"}});
      },
      ErrorCode::invalid_argument, "template t: '{{' at offset 3 is not closed");
  expect_error([] { notify::render("t", "x {{ }}", {}); }, ErrorCode::invalid_argument,
               "template t: empty placeholder at offset 2");
  expect_error(
      [] {
        notify::Template{0, 0, "t", "a {{b", ""}.validate();
      },
      ErrorCode::invalid_argument, "body: the placeholder at offset 2 is not {{name}}");
}

TEST(NotifyTemplates, EveryReminderHasADefaultTemplate) {
  notify::Variables all{{"order_code", "WO-1"},  {"location", "A-3-0312"}, {"summary", "leak"},
                        {"respond_by", "10:30"}, {"deadline", "11:00"},    {"target", "响应"},
                        {"overdue", "30 分钟"},  {"level", "班组长"}};
  for (auto n : enum_names<notify::Reminder>()) {
    auto name = std::string(n);
    auto it = notify::default_templates().find(name);
    ASSERT_NE(it, notify::default_templates().end()) << name;
    auto text = notify::render(name, it->second.body, all);
    EXPECT_NE(text.find("WO-1"), std::string::npos) << name;
    EXPECT_EQ(text.find("{{"), std::string::npos) << name;
  }
  EXPECT_NE(notify::default_templates().at("completion").body.find("1-5"), std::string::npos)
      << "asks the reporter to rate";
}

TEST(NotifyTemplates, BackoffDoublesUpToTheCap) {
  notify::RetryPolicy p;
  p.base = std::chrono::seconds(30);
  p.cap = std::chrono::seconds(300);
  EXPECT_EQ(notify::backoff(p, 1).count(), 30);
  EXPECT_EQ(notify::backoff(p, 2).count(), 60);
  EXPECT_EQ(notify::backoff(p, 3).count(), 120);
  EXPECT_EQ(notify::backoff(p, 4).count(), 240);
  EXPECT_EQ(notify::backoff(p, 5).count(), 300);
  EXPECT_EQ(notify::backoff(p, 40).count(), 300);
}

/// A gammu-smsd configuration with the files backend in `dir`.
fs::path gammu_config(const fs::path& dir) {
  for (auto sub : {"inbox", "outbox", "sent", "error"}) fs::create_directories(dir / sub);
  auto path = dir / "smsdrc";
  std::ofstream(path) << "[gammu]\ndevice = /dev/null\nconnection = at\n"
                      << "[smsd]\nservice = files\nPIN = 0000\n"
                      << "inboxpath = " << (dir / "inbox").string() << "/\n"
                      << "outboxpath = " << (dir / "outbox").string() << "/\n"
                      << "sentsmspath = " << (dir / "sent").string() << "/\n"
                      << "errorsmspath = " << (dir / "error").string() << "/\n";
  return path;
}

/// The text of a gammu backup file: the UTF-16BE hex of every Text line, decoded to UTF-8.
std::string gammu_text(const std::string& file) {
  std::u16string units;
  std::istringstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Text", 0) != 0) continue;
    auto hex = line.substr(line.find("= ") + 2);
    for (std::size_t i = 0; i + 4 <= hex.size(); i += 4)
      units.push_back(static_cast<char16_t>(std::stoul(hex.substr(i, 4), nullptr, 16)));
  }
  std::string out;
  for (char16_t u : units) {  // the test texts stay in the basic multilingual plane
    if (u < 0x80) {
      out += static_cast<char>(u);
    } else if (u < 0x800) {
      out += static_cast<char>(0xC0 | (u >> 6));
      out += static_cast<char>(0x80 | (u & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (u >> 12));
      out += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (u & 0x3F));
    }
  }
  return out;
}

TEST(NotifyChannels, GammuInjectWritesTheSmsToTheFilesBackendOutbox) {
  auto dir = fresh_dir("gammu");
  notify::GammuSms sms({"gammu-smsd-inject", gammu_config(dir).string()});
  const std::string body = "【后勤】新工单 WO-1：A-3-0312 漏水";
  sms.send(message("13812341234", body));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "outbox")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  auto text = slurp(files[0]);
  EXPECT_NE(text.find("Number = \"13812341234\""), std::string::npos) << text;
  EXPECT_NE(text.find("Coding = Unicode"), std::string::npos) << text;
  EXPECT_EQ(gammu_text(text), body);

  // A long text becomes one multipart message, not a cut one.
  std::string long_body;
  for (int i = 0; i < 40; ++i) long_body += "维修";
  sms.send(message("+8613812341234", long_body));
  files.clear();
  for (const auto& e : fs::directory_iterator(dir / "outbox")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 2u);
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return fs::file_size(a) < fs::file_size(b);
  });
  EXPECT_EQ(gammu_text(slurp(files[1])), long_body);

  expect_error([&] { sms.send(message("138 1234; rm -rf /", "x")); }, ErrorCode::invalid_argument,
               "address: '138 1234; rm -rf /' is not a phone number");
  notify::GammuSms broken({"gammu-smsd-inject", (dir / "missing.rc").string()});
  expect_error([&] { broken.send(message("13812341234", "x")); }, ErrorCode::unavailable,
               "gammu-smsd-inject exited with");
  notify::GammuSms absent({"/nonexistent/gammu-smsd-inject", "x"});
  expect_error([&] { absent.send(message("13812341234", "x")); }, ErrorCode::unavailable,
               "/nonexistent/gammu-smsd-inject: cannot run");
  fs::remove_all(dir);
}

notify::AsteriskOptions asterisk_options(const fs::path& dir) {
  notify::AsteriskOptions o;
  o.spool_dir = dir / "outgoing";
  o.temp_dir = dir / "tmp";
  fs::create_directories(o.spool_dir);
  fs::create_directories(o.temp_dir);
  o.channel = "PJSIP/{{number}}@pbx";
  o.caller_id = "\"Houqin\" <8000>";
  return o;
}

TEST(NotifyChannels, AsteriskCallFileHasEveryFieldAndLandsWhole) {
  auto dir = fresh_dir("asterisk");
  notify::AsteriskCall call(asterisk_options(dir));
  call.send(message("13812341234", "工单 WO-1\n超时"));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "outgoing")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].extension(), ".call");
  EXPECT_EQ(slurp(files[0]),
            "Channel: PJSIP/13812341234@pbx\n"
            "CallerID: \"Houqin\" <8000>\n"
            "MaxRetries: 2\n"
            "RetryTime: 60\n"
            "WaitTime: 45\n"
            "Context: houqin-notify\n"
            "Extension: s\n"
            "Priority: 1\n"
            "Set: HQ_MESSAGE_ID=7\n"
            "Set: HQ_MESSAGE_PARTS=1\n"
            "Set: HQ_MESSAGE_1=工单 WO-1 超时\n");
  // What Asterisk would read as a comment is escaped; long texts are split into lines that fit
  // its 256-byte line buffer, between characters.
  auto text = call.call_file(message("8000", "a;b #c WO#1"));
  EXPECT_NE(text.find("Set: HQ_MESSAGE_1=a\\;b ＃c WO#1\n"), std::string::npos) << text;
  std::string long_body;
  for (int i = 0; i < 100; ++i) long_body += "维修";  // 600 bytes
  text = call.call_file(message("8000", long_body));
  EXPECT_NE(text.find("Set: HQ_MESSAGE_PARTS=4\n"), std::string::npos)
      << text;  // 66 characters a part
  std::string joined;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size() + 1, 255u);
    if (line.rfind("Set: HQ_MESSAGE_", 0) == 0 && line.find("PARTS") == std::string::npos &&
        line.find("_ID=") == std::string::npos)
      joined += line.substr(line.find('=') + 1);
  }
  EXPECT_EQ(joined, long_body);
  EXPECT_TRUE(fs::is_empty(dir / "tmp")) << "the temporary file was moved, not copied";
  expect_error([&] { call.send(message("8000\nChannel: Local/666", "x")); },
               ErrorCode::invalid_argument, "address: '8000");

  // A watcher that reads every file the moment it appears never sees a partial one.
  fs::remove_all(dir / "outgoing");
  fs::create_directories(dir / "outgoing");
  const std::string big(64 * 1024, 'x');  // far more than one write() of a small file
  const auto last_line = [&] {
    auto full = call.call_file(message("13812341234", big, 0));
    return full.substr(full.rfind('\n', full.size() - 2) + 1);
  }();
  std::atomic<bool> done{false};
  std::atomic<int> partial{0}, seen{0};
  std::thread watcher([&] {
    std::set<std::string> checked;
    while (!done) {
      for (const auto& e : fs::directory_iterator(dir / "outgoing")) {
        auto name = e.path().filename().string();
        if (checked.count(name)) continue;
        auto got = slurp(e.path());
        ++seen;
        checked.insert(name);
        if (got.rfind("Channel: ", 0) != 0 || got.size() < big.size() ||
            got.compare(got.size() - last_line.size(), last_line.size(), last_line) != 0)
          ++partial;
      }
    }
  });
  const int n = 60;
  for (int i = 0; i < n; ++i) call.send(message("13812341234", big, i));
  done = true;
  watcher.join();
  EXPECT_EQ(partial.load(), 0);
  EXPECT_GT(seen.load(), 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "outgoing"), fs::directory_iterator()), n);
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));

  // A temporary folder on another filesystem is refused (rename would not be atomic).
  struct stat shm {
  }, tmp{};
  if (::stat("/dev/shm", &shm) == 0 && ::stat(dir.c_str(), &tmp) == 0 && shm.st_dev != tmp.st_dev) {
    auto o = asterisk_options(dir);
    o.temp_dir = "/dev/shm";
    expect_error([&] { notify::AsteriskCall(o).send(message("13812341234", "x")); },
                 ErrorCode::failed_precondition, "temp_dir /dev/shm is not on the filesystem");
  }
  fs::remove_all(dir);
}

TEST(NotifyChannels, WebhookPostsJsonAndTreatsNon2xxAsUnavailable) {
  testing::LoopbackServer server({204, 500});
  notify::Webhook hook({server.url(), std::chrono::milliseconds(2000), {{"X-Token", "s3"}}});
  auto m = message("", "工单 WO-1 完成");
  hook.send(m);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].head.rfind("POST /hook HTTP/1.1\r\n", 0), 0u) << reqs[0].head;
  EXPECT_NE(reqs[0].head.find("Content-Type: application/json"), std::string::npos);
  EXPECT_NE(reqs[0].head.find("X-Token: s3"), std::string::npos);
  auto j = json::parse(reqs[0].body, "body");
  EXPECT_EQ(j["message_id"], 7);
  EXPECT_EQ(j["body"], "工单 WO-1 完成");
  EXPECT_EQ(j["recipient_staff_id"], 3);
  EXPECT_EQ(j["template"], "new_assignment");

  expect_error([&] { hook.send(m); }, ErrorCode::unavailable,
               "webhook " + server.url() + " answered 500 Scripted");
  int port = 0;
  {
    testing::LoopbackServer gone({200});
    port = gone.port();
  }
  notify::Webhook refused("http://127.0.0.1:" + std::to_string(port) + "/x");
  expect_error([&] { refused.send(m); }, ErrorCode::unavailable, "webhook http://127.0.0.1:");
  expect_error([&] { notify::Webhook(std::string("https://example.org/x")).send(m); },
               ErrorCode::unimplemented, "webhook https://example.org/x: https is not supported");
  expect_error([&] { notify::Webhook(std::string("ftp://x")).send(m); },
               ErrorCode::invalid_argument, "url: 'ftp://x' is not an http:// URL");
}

}  // namespace
}  // namespace houqin
