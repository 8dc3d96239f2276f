#include "houqin/notify/notifier.hpp"

#include <mutex>

#include "houqin/audit/call.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::notify {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered = store::register_tables<Template, Message>("notify");
[[maybe_unused]] const bool exposed =
    store::expose<Template, Message>({.read = "notify.send", .write = "", .read_personal = ""});

[[maybe_unused]] const bool permissions_defined = [] {
  auth::define_permission(
      {"notify.configure", auth::Duty::operations, "change notification templates"});
  return true;
}();

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

struct Defaults {
  std::mutex mutex;
  Channels channels;
};

Defaults& defaults() {
  static Defaults d;
  return d;
}

}  // namespace

void Template::validate() const {
  if (name.empty()) fail(ErrorCode::invalid_argument, "name: must not be empty");
  if (body.empty()) fail(ErrorCode::invalid_argument, "body: must not be empty");
  // Placeholders must be well formed; the values come later.
  for (std::size_t i = body.find("{{"); i != std::string::npos; i = body.find("{{", i + 2)) {
    auto close = body.find("}}", i + 2);
    if (close == std::string::npos ||
        trim(std::string_view(body).substr(i + 2, close - i - 2)).empty())
      fail(ErrorCode::invalid_argument,
           "body: the placeholder at offset " + std::to_string(i) + " is not {{name}}");
  }
}

std::string render(std::string_view name, std::string_view body, const Variables& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < body.size()) {
    auto open = body.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(body.substr(i));
      break;
    }
    out.append(body.substr(i, open - i));
    auto close = body.find("}}", open + 2);
    if (close == std::string_view::npos)
      fail(ErrorCode::invalid_argument, "template " + std::string(name) + ": '{{' at offset " +
                                            std::to_string(open) + " is not closed");
    auto key = trim(body.substr(open + 2, close - open - 2));
    if (key.empty())
      fail(ErrorCode::invalid_argument, "template " + std::string(name) +
                                            ": empty placeholder at offset " +
                                            std::to_string(open));
    auto it = vars.find(key);
    if (it == vars.end())
      fail(ErrorCode::invalid_argument,
           "template " + std::string(name) + ": variable '" + key + "' is missing");
    out += it->second;
    i = close + 2;
  }
  return out;
}

const std::map<std::string, Template, std::less<>>& default_templates() {
  static const auto table = [] {
    std::map<std::string, Template, std::less<>> t;
    auto add = [&](const char* name, const char* body, const char* description) {
      t[name] = Template{0, 0, name, body, description};
    };
    add("new_assignment",
        "【后勤】新工单 {{order_code}}：{{location}}，{{summary}}。请于 {{respond_by}} 前响应。",
        "to the technician a work order was assigned to");
    add("sla_warning",
        "【后勤】工单 {{order_code}} 将于 {{deadline}} 超过{{target}}时限，请尽快处理。",
        "before a response or resolution deadline");
    add("escalation",
        "【后勤】工单 {{order_code}} 已超时 {{overdue}}，升级至您（{{level}}）：{{location}}，"
        "{{summary}}。",
        "after a deadline, to the next person on the escalation chain");
    add("completion",
        "【后勤】您报修的工单 {{order_code}}（{{summary}}）已完成，请回复 1-5 为本次维修评分。",
        "to the reporter when the work is done: asks for a rating");
    add("waste_overdue",
        "【医废】{{code}}（{{category}}）已暂存 {{hours}} 小时，超过 {{limit}} 小时时限（第 "
        "{{level}} 级提醒），请尽快转运。",
        "a medical waste bag stored past the limit, escalating handler, head of logistics, "
        "administrator");
    add("waste_gap",
        "【医废】{{code}}（{{category}}）{{gap}}：已 {{hours}} 小时，超过 {{limit}} "
        "小时时限，请核查。",
        "a gap in a bag's chain of custody (unsealed, not collected, not stored, not "
        "transferred), to the waste handler");
    add("emergency_activated",
        "【应急】{{code}} 启动应急预案 {{plan}}（{{title}}），响应级别 {{level}}。请按职责"
        "（{{role}}）立即到位。",
        "an emergency plan activated, to everyone on its duty roster");
    add("emergency_due", "【应急】应急预案 {{plan}}（{{title}}）已到{{what}}期限 {{due}}，请安排。",
        "an emergency plan due for a drill or a review, to its owner");
    add("bi_warning",
        "【预警·{{severity}}】{{title}}：当前 {{value}}（阈值 {{limit}}），{{what}}。",
        "a BI warning rule that fired (or still fires past its escalation time), to the staff it "
        "names");
    add("survey_invitation",
        "【满意度调查】{{title}}：请于 {{closes}} 前填写（{{anonymity}}）。链接仅限本人使用一次："
        "{{link}}",
        "a satisfaction survey's one-time link, to each invitee (redacted once delivered)");
    add("survey_reminder",
        "【满意度调查】{{title}} 将于 {{closes}} 截止，请使用邀请短信中的链接填写；{{what}}。",
        "a reminder of an open satisfaction survey (an anonymous one reminds everyone invited)");
    add("patrol_missed", "【安全】{{area}} 的巡查 {{task}}（{{due}}）未按时完成，请核查。",
        "a patrol whose window closed undone, to the area's supervisor");
    add("hazard_overdue",
        "【安全】隐患 {{code}}（{{grade}}）{{title}}：{{what}}，请尽快处理（第 {{level}} "
        "级提醒）。",
        "a hazard not assigned in time, or past its rectification deadline, escalating assignee, "
        "safety officer, administrator");
    return t;
  }();
  return table;
}

std::chrono::seconds backoff(const RetryPolicy& p, int failed_attempts) {
  auto d = p.base;
  for (int i = 1; i < failed_attempts && d < p.cap; ++i) d *= 2;
  return std::min(d, p.cap);
}

void set_default_channels(Channels channels) {
  auto& d = defaults();
  std::lock_guard lock(d.mutex);
  d.channels = std::move(channels);
}

Channels default_channels() {
  auto& d = defaults();
  std::lock_guard lock(d.mutex);
  return d.channels;
}

std::vector<store::Migration> migrations() {
  return {
      {"notify", 1, "templates and the outbox",
       [](store::Store& s) {
         store::create_table<Template>(s);
         store::create_table<Message>(s);
         // The dispatcher's question: what is pending and due.
         s.execute(
             "CREATE INDEX IF NOT EXISTS notify_message_due ON notify_message (state, "
             "next_attempt_at)");
       }},
      {"notify", 2, "messages whose body is redacted once delivered",
       [](store::Store& s) { store::add_column(s, &Message::redact_after_delivery); }},
  };
}

Template Notifier::find_template(std::string_view name) {
  if (auto t = Repository<Template>(store_).find_one(
          Query<Template>().where(&Template::name, Op::eq, std::string(name))))
    return *t;
  auto& d = default_templates();
  if (auto it = d.find(name); it != d.end()) return it->second;
  fail(ErrorCode::not_found, "template " + std::string(name) + ": not found");
}

Template Notifier::save_template(const auth::Actor& actor, Template t) {
  return audit::audited(store_, actor, "notify.save_template", [&](audit::Call& call) {
    call.require("notify.configure");
    Repository<Template> repo(store_);
    auto old = repo.find_one(Query<Template>().where(&Template::name, Op::eq, t.name));
    if (old) {
      t.id = old->id;
      t.version = old->version;
      repo.update(t);
    } else {
      t.id = 0;
      repo.insert(t);
    }
    call.record(entity_traits<Template>::table, t.id,
                old ? std::optional(json::to_json(*old)) : std::nullopt, json::to_json(t));
    return t;
  });
}

Message Notifier::send(const auth::Actor& actor, const SendRequest& r) {
  return audit::audited(store_, actor, "notify.send", [&](audit::Call& call) {
    call.require("notify.send");
    Repository<Message> outbox(store_);
    if (r.dedupe_key) {
      if (r.dedupe_key->empty())
        fail(ErrorCode::invalid_argument, "dedupe_key: must not be empty when given");
      if (auto old = outbox.find_one(
              Query<Message>().where(&Message::dedupe_key, Op::eq, *r.dedupe_key))) {
        call.record(entity_traits<Message>::table, old->id, std::nullopt, std::nullopt,
                    "already queued under dedupe key " + *r.dedupe_key);
        return *old;
      }
    }
    auto t = find_template(r.template_name);
    Message m;
    m.channel = r.channel;
    m.template_name = t.name;
    m.body = render(t.name, t.body, r.variables);
    m.recipient_staff_id = r.recipient_staff_id;
    if (r.address) {
      m.address = *r.address;
    } else if (r.recipient_staff_id) {
      auto staff = Repository<site::Staff>(store_).require(*r.recipient_staff_id);
      // Reading a phone number is a read of personal data: audited with the send.
      call.record(entity_traits<site::Staff>::table, staff.id, std::nullopt, std::nullopt,
                  "read phone to notify");
      if (r.channel != ChannelKind::webhook) {
        if (!staff.phone || staff.phone->empty())
          fail(ErrorCode::failed_precondition,
               "staff " + staff.employee_no + " has no phone to notify");
        for (char c : *staff.phone)
          if (c != ' ' && c != '-') m.address += c;
      }
    }
    if (r.channel != ChannelKind::webhook && m.address.empty())
      fail(ErrorCode::invalid_argument, "address: an " + std::string(enum_name(r.channel)) +
                                            " message needs recipient_staff_id or address");
    const auto now = store_.clock().now();
    m.dedupe_key = r.dedupe_key;
    m.redact_after_delivery = r.redact_after_delivery;
    m.max_attempts = r.max_attempts.value_or(policy_.max_attempts);
    if (m.max_attempts < 1) fail(ErrorCode::invalid_argument, "max_attempts: must be at least 1");
    m.next_attempt_at = now;
    m.created_at = now;
    m.actor = actor.label();
    outbox.insert(m);
    call.record(entity_traits<Message>::table, m.id, std::nullopt, json::to_json(m));
    store_.events().publish(MessageQueued{m.id, m.channel}, actor.label());
    return m;
  });
}

Message Notifier::remind(const auth::Actor& actor, const RemindRequest& r) {
  SendRequest s;
  s.channel = r.channel;
  s.recipient_staff_id = r.recipient_staff_id;
  s.template_name = std::string(enum_name(r.kind));
  s.variables = r.variables;
  s.dedupe_key = r.dedupe_key;
  return send(actor, s);
}

DeliveryReport Notifier::deliver_due(const auth::Actor& actor, std::optional<Timestamp> at,
                                     std::size_t limit) {
  if (store_.transaction_depth() != 0)
    fail(ErrorCode::failed_precondition,
         "deliver_due sends messages: call it outside a transaction");
  const auto now = at.value_or(store_.clock().now());
  DeliveryReport report;
  auto due = audit::audited(store_, actor, "notify.deliver_due", [&](audit::Call& call) {
    call.require("notify.send");
    call.quiet();
    return Repository<Message>(store_).find(
        Query<Message>()
            .where(&Message::state, Op::eq, DeliveryState::pending)
            .where(&Message::next_attempt_at, Op::le, now)
            .order_by(&Message::next_attempt_at)
            .order_by(&Message::id)
            .limit(static_cast<std::int64_t>(limit)));
  });
  report.due = static_cast<std::int64_t>(due.size());
  for (auto& m : due) {
    // Claim: one more attempt, and out of everyone's way for the lease, committed before the
    // channel is called. A stale version means another dispatcher has it.
    try {
      store::in_transaction(store_, [&] {
        ++m.attempts;
        m.next_attempt_at = now + policy_.lease;
        Repository<Message>(store_).update(m);
      });
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict && e.code() != ErrorCode::not_found) throw;
      ++report.skipped;
      continue;
    }
    std::string error;
    if (auto* channel = channels_.get(m.channel)) {
      try {
        channel->send(m);
      } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "failed";
      }
    } else {
      error = "no " + std::string(enum_name(m.channel)) + " channel configured";
    }
    try {
      audit::audited(store_, actor, "notify.deliver", [&](audit::Call& call) {
        call.require("notify.send");
        auto before = json::to_json(m);
        if (error.empty()) {
          m.state = DeliveryState::sent;
          m.sent_at = now;
          m.last_error.clear();
        } else {
          m.last_error = error.substr(0, 500);
          if (m.attempts >= m.max_attempts) {
            m.state = DeliveryState::failed;
          } else {
            m.next_attempt_at = now + backoff(policy_, m.attempts);
          }
        }
        if (m.redact_after_delivery && m.state != DeliveryState::pending)
          m.body = std::string(redacted_body);
        Repository<Message>(store_).update(m);
        call.record(entity_traits<Message>::table, m.id, before, json::to_json(m),
                    error.empty() ? "sent by " + std::string(enum_name(m.channel))
                                  : "attempt " + std::to_string(m.attempts) + ": " + m.last_error);
        if (m.state == DeliveryState::sent)
          store_.events().publish(MessageDelivered{m.id, m.channel}, actor.label());
        else if (m.state == DeliveryState::failed)
          store_.events().publish(MessageFailed{m.id, m.channel, m.last_error}, actor.label());
      });
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict) throw;
      ++report.skipped;  // the lease ran out and another dispatcher took it over
      continue;
    }
    if (m.state == DeliveryState::sent) {
      ++report.sent;
    } else if (m.state == DeliveryState::failed) {
      ++report.failed;
    } else {
      ++report.retried;
    }
  }
  return report;
}

}  // namespace houqin::notify
