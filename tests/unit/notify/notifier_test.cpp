// The notifier with a store: the outbox row is written in the caller's transaction with the
// staff phone read (and audited) through the keyring and sealed at rest; template errors change
// nothing; deliver_due sends through SMS (gammu files backend), Asterisk call files and a
// webhook, retries with exponential backoff, gives up after max attempts, and never sends a
// message twice. Deterministic with the manual clock. Every backend.
#include "houqin/notify/notifier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"
#include "loopback_server.hpp"

namespace houqin {
namespace {

namespace fs = std::filesystem;
using notify::ChannelKind;
using notify::DeliveryState;
using notify::Notifier;
using std::chrono::seconds;
using store::Repository;
using testing::expect_error;

class NotifierTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> sender;
  site::Staff tech;
  fs::path dir;

  bool open() {
    s = pf.open(GetParam());
    if (!s) return false;
    sender = pf.user_with("dispatcher", "dispatcher", {"notify.send"});
    site::Department d{0, 0, "ENG", "Engineering", site::DepartmentKind::logistics, {}, {}, true};
    Repository<site::Department>(*s).insert(d);
    tech = site::Staff{0, 0, "E001", "王师傅", d.id, "electrician", "138-1234-1234", {}, true};
    Repository<site::Staff>(*s).insert(tech);
    dir = fs::temp_directory_path() /
          ("houqin-notifier-" + std::to_string(::getpid()) + "-" + GetParam());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return true;
  }
  ~NotifierTest() override {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
  notify::Variables vars() {
    return {{"order_code", "WO-1"},
            {"location", "A-3-0312"},
            {"summary", "漏水"},
            {"respond_by", "10:30"}};
  }
  notify::Message queue_webhook(std::optional<int> max_attempts = std::nullopt,
                                bool redact = false) {
    notify::SendRequest r;
    r.redact_after_delivery = redact;
    r.channel = ChannelKind::webhook;
    r.recipient_staff_id = tech.id;
    r.template_name = "new_assignment";
    r.variables = vars();
    r.max_attempts = max_attempts;
    return Notifier(*s).send(*sender, r);
  }
  notify::Message reload(Id id) { return Repository<notify::Message>(*s).require(id); }
};

#define OPEN_OR_SKIP() \
  open();              \
  HQ_REQUIRE_STORE(s)

TEST_P(NotifierTest, RemindWritesTheOutboxSealedAndInTheCallersTransaction) {
  OPEN_OR_SKIP();
  Notifier n(*s);
  auto m = n.remind(*sender, notify::Reminder::new_assignment, tech.id, vars());
  EXPECT_EQ(m.address, "13812341234") << "the staff phone, without separators";
  EXPECT_EQ(m.body, "【后勤】新工单 WO-1：A-3-0312，漏水。请于 10:30 前响应。");
  EXPECT_EQ(m.state, DeliveryState::pending);
  EXPECT_EQ(m.next_attempt_at, pf.clock.now());
  EXPECT_EQ(reload(m.id).body, m.body);

  // Sealed at rest: the stored cells are not the plaintext.
  std::vector<store::Cell> raw;
  auto stored = store::as_stored(store::table_info<notify::Message>());
  ASSERT_TRUE(s->get_row(stored, m.id, raw));
  for (const auto* col : {"address", "body"}) {
    auto& cell = raw[stored.column_index(col)];
    EXPECT_EQ(cell.s.find("1381234"), std::string::npos) << col;
    EXPECT_EQ(cell.s.find("WO-1"), std::string::npos) << col;
  }
  // The phone read is audited with the send.
  auto reads = Repository<audit::Record>(*s).find(store::Query<audit::Record>().where(
      &audit::Record::entity, store::Op::eq, std::string("site_staff")));
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].action, "notify.send");
  EXPECT_EQ(reads[0].detail, "read phone to notify");

  // Written in the caller's transaction: rolled back with it.
  auto before = Repository<notify::Message>(*s).count();
  {
    store::Transaction tx(*s);
    n.remind(*sender, {notify::Reminder::completion,
                       tech.id,
                       {{"order_code", "WO-2"}, {"summary", "灯不亮"}},
                       ChannelKind::sms,
                       {}});
    EXPECT_EQ(Repository<notify::Message>(*s).count(), before + 1);
    tx.rollback();
  }
  EXPECT_EQ(Repository<notify::Message>(*s).count(), before);

  // A dedupe key queues one message however often it is asked.
  auto a = n.remind(*sender, {notify::Reminder::sla_warning,
                              tech.id,
                              {{"order_code", "WO-1"}, {"deadline", "11:00"}, {"target", "响应"}},
                              ChannelKind::sms,
                              std::string("sla_warning:WO-1:response")});
  auto b = n.remind(*sender, {notify::Reminder::sla_warning,
                              tech.id,
                              {{"order_code", "WO-1"}, {"deadline", "11:00"}, {"target", "响应"}},
                              ChannelKind::sms,
                              std::string("sla_warning:WO-1:response")});
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(Repository<notify::Message>(*s).count(), before + 1);
}

TEST_P(NotifierTest, BadSendsAreRefusedAndStoreNothing) {
  OPEN_OR_SKIP();
  Notifier n(*s);
  auto v = vars();
  v.erase("respond_by");
  expect_error(
      [&] {
        n.remind(*sender, {notify::Reminder::new_assignment, tech.id, v, ChannelKind::sms, {}});
      },
      ErrorCode::invalid_argument, "template new_assignment: variable 'respond_by' is missing");
  notify::SendRequest unknown;
  unknown.address = "13800000000";
  unknown.template_name = "no_such";
  expect_error([&] { n.send(*sender, unknown); }, ErrorCode::not_found,
               "template no_such: not found");
  auto outsider = pf.user_with("outsider", "outsider", {"asset.edit"});
  expect_error(
      [&] {
        n.remind(outsider,
                 {notify::Reminder::new_assignment, tech.id, vars(), ChannelKind::sms, {}});
      },
      ErrorCode::permission_denied, "user:outsider lacks notify.send");
  site::Staff nophone{0, 0, "E002", "李", tech.department_id, "", std::nullopt, {}, true};
  Repository<site::Staff>(*s).insert(nophone);
  expect_error(
      [&] {
        n.remind(*sender,
                 {notify::Reminder::new_assignment, nophone.id, vars(), ChannelKind::call, {}});
      },
      ErrorCode::failed_precondition, "staff E002 has no phone to notify");
  EXPECT_EQ(Repository<notify::Message>(*s).count(), 0);

  // A stored template replaces the default of the same name.
  auto boss = pf.user_with("boss", "boss", {"notify.configure", "notify.send"});
  n.save_template(boss, {0, 0, "new_assignment", "New order {{order_code}}", ""});
  auto m =
      n.remind(*sender, {notify::Reminder::new_assignment, tech.id, vars(), ChannelKind::sms, {}});
  EXPECT_EQ(m.body, "New order WO-1");
}

TEST_P(NotifierTest, DeliversThroughSmsCallAndWebhook) {
  OPEN_OR_SKIP();
  for (auto sub : {"inbox", "outbox", "sent", "error", "outgoing", "tmp"})
    fs::create_directories(dir / sub);
  std::ofstream(dir / "smsdrc") << "[gammu]\ndevice = /dev/null\n[smsd]\nservice = files\n"
                                << "outboxpath = " << (dir / "outbox").string() << "/\n"
                                << "inboxpath = " << (dir / "inbox").string() << "/\n"
                                << "sentsmspath = " << (dir / "sent").string() << "/\n"
                                << "errorsmspath = " << (dir / "error").string() << "/\n";
  testing::LoopbackServer server({200});
  notify::AsteriskOptions ao;
  ao.spool_dir = dir / "outgoing";
  ao.temp_dir = dir / "tmp";
  notify::Channels ch{std::make_shared<notify::GammuSms>(
                          notify::GammuOptions{"gammu-smsd-inject", (dir / "smsdrc").string()}),
                      std::make_shared<notify::AsteriskCall>(ao),
                      std::make_shared<notify::Webhook>(notify::WebhookOptions{server.url()})};
  Notifier n(*s, ch);
  for (auto kind : {ChannelKind::sms, ChannelKind::call, ChannelKind::webhook})
    n.remind(*sender, {notify::Reminder::new_assignment, tech.id, vars(), kind, {}});
  std::vector<notify::MessageDelivered> delivered;
  auto sub = s->events().subscribe<notify::MessageDelivered>(
      [&](const notify::MessageDelivered& e) { delivered.push_back(e); });
  auto report = n.deliver_due(*sender);
  EXPECT_EQ(report.due, 3);
  EXPECT_EQ(report.sent, 3);
  EXPECT_EQ(delivered.size(), 3u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "outbox"), fs::directory_iterator()), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "outgoing"), fs::directory_iterator()), 1);
  EXPECT_EQ(server.requests().size(), 1u);
  for (const auto& m : Repository<notify::Message>(*s).find()) {
    EXPECT_EQ(m.state, DeliveryState::sent);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.sent_at, pf.clock.now());
  }
  // Idempotent: nothing is due any more, nothing is sent again.
  pf.clock.advance(std::chrono::hours(24));
  EXPECT_EQ(n.deliver_due(*sender).due, 0);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "outbox"), fs::directory_iterator()), 1);
  expect_error(
      [&] {
        store::Transaction tx(*s);
        n.deliver_due(*sender);
      },
      ErrorCode::failed_precondition, "deliver_due sends messages: call it outside a transaction");
}

TEST_P(NotifierTest, RetriesWithExponentialBackoffUntilTheServerAnswers) {
  OPEN_OR_SKIP();
  testing::LoopbackServer server({500, 503, 200});  // fails twice, then accepts
  notify::Channels ch;
  ch.webhook = std::make_shared<notify::Webhook>(notify::WebhookOptions{server.url()});
  notify::RetryPolicy policy;
  policy.base = seconds(30);
  Notifier n(*s, ch, policy);
  auto m = queue_webhook();
  const auto t0 = pf.clock.now();

  auto r1 = n.deliver_due(*sender);
  EXPECT_EQ(r1.retried, 1);
  auto after1 = reload(m.id);
  EXPECT_EQ(after1.state, DeliveryState::pending);
  EXPECT_EQ(after1.attempts, 1);
  EXPECT_EQ(after1.next_attempt_at, t0 + seconds(30));
  EXPECT_EQ(after1.last_error, "webhook " + server.url() + " answered 500 Scripted");

  pf.clock.advance(seconds(29));
  EXPECT_EQ(n.deliver_due(*sender).due, 0) << "not before its time";
  pf.clock.advance(seconds(1));
  EXPECT_EQ(n.deliver_due(*sender).retried, 1);
  auto after2 = reload(m.id);
  EXPECT_EQ(after2.attempts, 2);
  EXPECT_EQ(after2.next_attempt_at, t0 + seconds(30 + 60)) << "doubled";
  EXPECT_EQ(after2.last_error, "webhook " + server.url() + " answered 503 Scripted");

  pf.clock.set(t0 + seconds(90));
  EXPECT_EQ(n.deliver_due(*sender).sent, 1);
  auto done = reload(m.id);
  EXPECT_EQ(done.state, DeliveryState::sent);
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(done.last_error, "");
  EXPECT_EQ(server.requests().size(), 3u);
  auto log = Repository<audit::Record>(*s).count(store::Query<audit::Record>().where(
      &audit::Record::action, store::Op::eq, std::string("notify.deliver")));
  EXPECT_EQ(log, 3) << "every delivery attempt is audited";
}

// A body holding a secret for the recipient alone is gone from the outbox once the message is
// sent or has failed for good -- not while it still waits for another attempt.
TEST_P(NotifierTest, ABodyMarkedSecretIsRedactedOnceDelivered) {
  OPEN_OR_SKIP();
  testing::LoopbackServer server({200, 200, 503, 503});
  notify::Channels ch;
  ch.webhook = std::make_shared<notify::Webhook>(notify::WebhookOptions{server.url()});
  auto secret = queue_webhook(std::nullopt, true);   // sent
  auto plain = queue_webhook();                      // sent, not marked
  auto failing = queue_webhook(1, true);             // fails for good
  auto waiting = queue_webhook(std::nullopt, true);  // fails, tried again later
  const auto body = reload(secret.id).body;
  ASSERT_NE(body, notify::redacted_body);
  Notifier(*s, ch).deliver_due(*sender);
  EXPECT_EQ(reload(secret.id).state, DeliveryState::sent);
  EXPECT_EQ(reload(secret.id).body, notify::redacted_body);
  EXPECT_EQ(reload(plain.id).body, body);
  EXPECT_EQ(reload(failing.id).state, DeliveryState::failed);
  EXPECT_EQ(reload(failing.id).body, notify::redacted_body);
  EXPECT_EQ(reload(waiting.id).state, DeliveryState::pending);
  EXPECT_EQ(reload(waiting.id).body, body);
  ASSERT_EQ(server.requests().size(), 4u);
  const auto first = server.requests()[0].body;  // the recipient got the body before it went
  EXPECT_NE(first.find("\"body\""), std::string::npos) << first;
  EXPECT_EQ(first.find("redacted"), std::string::npos) << first;
}

TEST_P(NotifierTest, FailsPermanentlyAfterMaxAttempts) {
  OPEN_OR_SKIP();
  testing::LoopbackServer server({503});
  notify::Channels ch;
  ch.webhook = std::make_shared<notify::Webhook>(notify::WebhookOptions{server.url()});
  Notifier n(*s, ch);
  auto m = queue_webhook(3);
  auto nocall = n.remind(*sender, {notify::Reminder::escalation,
                                   tech.id,
                                   {{"order_code", "WO-1"},
                                    {"overdue", "30 分钟"},
                                    {"level", "班组长"},
                                    {"location", "A"},
                                    {"summary", "漏水"}},
                                   ChannelKind::call,
                                   {}});
  std::vector<notify::MessageFailed> failed;
  auto sub = s->events().subscribe<notify::MessageFailed>(
      [&](const notify::MessageFailed& e) { failed.push_back(e); });
  for (int i = 0; i < 3; ++i) {
    n.deliver_due(*sender);
    pf.clock.advance(std::chrono::hours(2));
  }
  auto gone = reload(m.id);
  EXPECT_EQ(gone.state, DeliveryState::failed);
  EXPECT_EQ(gone.attempts, 3);
  EXPECT_EQ(gone.last_error, "webhook " + server.url() + " answered 503 Scripted");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].message_id, m.id);
  // Much later: a failed message is never tried again.
  pf.clock.advance(std::chrono::hours(24 * 30));
  n.deliver_due(*sender);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(reload(m.id).attempts, 3);
  // Without a call channel the call waits, each attempt noting why.
  auto waiting = reload(nocall.id);
  EXPECT_EQ(waiting.state, DeliveryState::pending) << "5 attempts by default, 4 made";
  EXPECT_EQ(waiting.attempts, 4);
  EXPECT_EQ(waiting.last_error, "no call channel configured");
}

TEST_P(NotifierTest, TwoDispatchersOnSeparateConnectionsSendEachMessageOnce) {
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  OPEN_OR_SKIP();
  testing::LoopbackServer server({200});
  notify::Channels ch;
  ch.webhook = std::make_shared<notify::Webhook>(server.url());
  const int n = 20;
  std::set<Id> ids;
  for (int i = 0; i < n; ++i) ids.insert(queue_webhook().id);
  std::atomic<std::int64_t> sent{0}, skipped{0};
  std::vector<std::string> errors;
  std::mutex m;
  std::vector<std::thread> pool;
  for (int t = 0; t < 2; ++t)
    pool.emplace_back([&] {
      try {
        store::StoreOptions o;
        o.clock = &pf.clock;
        o.keys = testing::test_keyring();
        auto conn = store::Store::open(pf.fx.url(), o);
        auto r = Notifier(*conn, ch).deliver_due(*sender);
        sent += r.sent;
        skipped += r.skipped;
      } catch (const std::exception& e) {
        std::lock_guard lock(m);
        errors.push_back(e.what());
      }
    });
  for (auto& t : pool) t.join();
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(sent.load(), n);
  std::multiset<Id> posted;
  for (const auto& r : server.requests())
    posted.insert(json::parse(r.body, "body")["message_id"].get<Id>());
  EXPECT_EQ(posted.size(), static_cast<std::size_t>(n)) << "no message posted twice";
  EXPECT_EQ(std::set<Id>(posted.begin(), posted.end()), ids);
  for (const auto& msg : Repository<notify::Message>(*s).find())
    EXPECT_EQ(msg.state, DeliveryState::sent);
}

TEST_P(NotifierTest, OperationsAreRegisteredAndMaskPersonalData) {
  OPEN_OR_SKIP();
  auto out = service::call(
      *s, *sender, "notify.remind",
      {{"kind", "new_assignment"}, {"recipient_staff_id", tech.id}, {"variables", vars()}});
  EXPECT_EQ(out["address"], "138****1234") << "masked for a caller without protect.unmask";
  EXPECT_EQ(out["state"], "pending");
  auto report = service::call(*s, *sender, "notify.deliver_due", json::Json::object());
  EXPECT_EQ(report["due"], 1);
  EXPECT_EQ(report["retried"], 1) << "no default sms channel configured";
  for (auto name : {"notify.send", "notify.save_template"})
    EXPECT_EQ(service::operation(name).name, name);
}

INSTANTIATE_TEST_SUITE_P(Backends, NotifierTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
