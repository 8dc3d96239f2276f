// The service registry: operations by name with JSON in and out, typed input parsing that names
// the bad field and changes nothing, lookup errors that list the domain's operations, and the
// built-in platform operations run authorised and audited. Every backend.
#include "houqin/service/registry.hpp"

#include <gtest/gtest.h>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/auth/auth.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using testing::expect_error;

struct AddCampus {
  std::string code;
  std::string name;
};
BOOST_DESCRIBE_STRUCT(AddCampus, (), (code, name))

// A test operation defined the way domains define theirs.
[[maybe_unused]] const bool defined = service::define<AddCampus>(
    "testsvc.add_campus", "site.edit", "Adds a campus",
    [](service::Context& ctx, const AddCampus& in) {
      return audit::audited(ctx.store, ctx.actor, "testsvc.add_campus", [&](audit::Call& call) {
        call.require("site.edit");
        site::Campus c{0, 0, in.code, in.name, ""};
        store::Repository<site::Campus>(ctx.store).insert(c);
        call.record("site_campus", c.id, std::nullopt, json::to_json(c));
        return c;
      });
    });

TEST(ServiceRegistry, RefusesMalformedAndDuplicateDefinitions) {
  auto handler = [](service::Context&, const json::Json&) { return json::Json::object(); };
  auto any = json::Json::object();
  expect_error(
      [&] {
        service::define({"NoDot", "", "", any, any, handler});
      },
      ErrorCode::invalid_argument, "service operation name 'NoDot' is not");
  expect_error(
      [&] {
        service::define({"x.y", "", "", any, any, {}});
      },
      ErrorCode::invalid_argument, "service operation 'x.y' has no handler");
  expect_error(
      [&] {
        service::define({"x.y", "", "", any, nullptr, handler});
      },
      ErrorCode::invalid_argument, "service operation 'x.y' needs an input and an output schema");
  expect_error(
      [&] {
        service::define({"testsvc.add_campus", "", "", any, any, handler});
      },
      ErrorCode::already_exists, "service operation 'testsvc.add_campus' is already");
  expect_error([] { service::operation("testsvc.add_campos"); }, ErrorCode::not_found,
               "no service operation 'testsvc.add_campos' (known: testsvc.add_campus)");
  expect_error([] { service::operation("nothing.here"); }, ErrorCode::not_found,
               "no service operation 'nothing.here' (no operation in that domain)");
}

TEST(ServiceRegistry, ListsBuiltInOperationsSorted) {
  auto ops = service::operations();
  std::vector<std::string> names;
  for (auto* op : ops) names.push_back(op->name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (auto expected : {"audit.query", "audit.verify", "protect.check_integrity", "site.export"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  EXPECT_EQ(service::operation("audit.query").permission, "audit.read");
}

TEST(ServiceRegistry, OperationsPublishTheSchemasOfTheirInputAndOutput) {
  const auto& op = service::operation("testsvc.add_campus");
  EXPECT_EQ(op.input["title"], "AddCampus");
  EXPECT_EQ(op.input["properties"]["code"]["type"], "string");
  EXPECT_EQ(op.input["additionalProperties"], false);
  EXPECT_EQ(op.output["title"], "site.Campus");
  EXPECT_EQ(op.output["required"].size(), member_count<site::Campus>());
  EXPECT_EQ(service::operation("audit.verify").input["properties"], json::Json::object());
  for (const auto* o : service::operations()) {
    SCOPED_TRACE(o->name);
    EXPECT_EQ(o->input["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(o->input["type"], "object");  // every input is an object
    EXPECT_EQ(o->output["$schema"], "https://json-schema.org/draft/2020-12/schema");
    // The checker understands every schema the registry publishes.
    EXPECT_NO_THROW(json::conforms(o->input, json::Json::object()));
    EXPECT_NO_THROW(json::conforms(o->output, json::Json::object()));
  }
}

class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
};

TEST_P(ServiceTest, CallsParseInputRunTheServiceAndLeaveNothingOnBadInput) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  auto out = service::call(*s, editor, "testsvc.add_campus", {{"code", "C1"}, {"name", "North"}});
  EXPECT_EQ(out["code"], "C1");
  EXPECT_GT(out["id"].get<Id>(), 0);

  store::Repository<site::Campus> campuses(*s);
  auto before = campuses.count();
  expect_error(
      [&] {
        service::call(*s, editor, "testsvc.add_campus", {{"code", "C2"}, {"nmae", "x"}});
      },
      ErrorCode::invalid_argument, "testsvc.add_campus");
  expect_error(
      [&] {
        service::call(*s, editor, "testsvc.add_campus", {{"code", 7}, {"name", "x"}});
      },
      ErrorCode::invalid_argument, "testsvc.add_campus");
  auto nobody = pf.user_with("nobody", "nobody", {"bi.read"});
  expect_error(
      [&] {
        service::call(*s, nobody, "testsvc.add_campus", {{"code", "C3"}, {"name", "x"}});
      },
      ErrorCode::permission_denied, "");
  expect_error([&] { service::call(*s, editor, "testsvc.add_campus", nullptr); },
               ErrorCode::invalid_argument, "testsvc.add_campus: expected object, got null");
  EXPECT_EQ(campuses.count(), before);
}

TEST_P(ServiceTest, EveryCallIsTimedAndEveryFailureCountedByCode) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  auto admin = pf.actor("sysadmin");
  auto read = [&] { return service::call(*s, admin, "monitor.metrics", json::Json::object()); };
  auto histogram_count = [](const json::Json& snap, const std::string& name,
                            const std::string& label, const std::string& value) {
    for (const auto& h : snap["histograms"])
      if (h["name"] == name && h["labels"].value(label, "") == value)
        return h["count"].get<std::int64_t>();
    return std::int64_t{0};
  };
  auto value = [](const json::Json& snap, const std::string& name, const json::Json& labels) {
    for (const auto& v : snap["values"])
      if (v["name"] == name && v["labels"] == labels) return v["value"].get<double>();
    return 0.0;
  };
  const auto before = read();
  service::call(*s, editor, "testsvc.add_campus", {{"code", "M1"}, {"name", "North"}});
  expect_error(
      [&] {
        service::call(*s, editor, "testsvc.add_campus", {{"code", 7}});
      },
      ErrorCode::invalid_argument, "");
  const auto after = read();
  EXPECT_EQ(
      histogram_count(after, "houqin_operation_seconds", "operation", "testsvc.add_campus") -
          histogram_count(before, "houqin_operation_seconds", "operation", "testsvc.add_campus"),
      2);
  const json::Json labels = {{"code", "invalid_argument"}, {"operation", "testsvc.add_campus"}};
  EXPECT_EQ(value(after, "houqin_operation_errors_total", labels) -
                value(before, "houqin_operation_errors_total", labels),
            1);
  // Store calls are timed too: the insert of the campus among them.
  EXPECT_GT(histogram_count(after, "houqin_store_seconds", "call", "insert"),
            histogram_count(before, "houqin_store_seconds", "call", "insert"));
  // The Prometheus text of the same, and the permission it needs.
  auto text = service::call(*s, admin, "monitor.prometheus", json::Json::object());
  EXPECT_EQ(text["content_type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(text["data"].get<std::string>().find(
                "houqin_operation_seconds_count{operation=\"testsvc.add_campus\"}"),
            std::string::npos);
  expect_error([&] { service::call(*s, editor, "monitor.metrics", json::Json::object()); },
               ErrorCode::permission_denied, "");
}

TEST_P(ServiceTest, BuiltInOperationsAreAuthorised) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto auditor = pf.actor("auditor");
  auto v = service::call(*s, auditor, "audit.verify", json::Json::object());
  EXPECT_TRUE(v["ok"].get<bool>());
  auto recs = service::call(*s, auditor, "audit.query", {{"action", "audit.verify"}});
  EXPECT_EQ(recs["records"].size(), 1u);
  auto sys = pf.actor("sysadmin");
  expect_error([&] { service::call(*s, sys, "audit.query", json::Json::object()); },
               ErrorCode::permission_denied, "");
  auto findings = service::call(*s, sys, "protect.check_integrity", json::Json::object());
  EXPECT_TRUE(findings["findings"].empty()) << findings.dump();
  auto doc = service::call(*s, sys, "site.export", json::Json::object());
  EXPECT_TRUE(doc.contains("format"));
  expect_error(
      [&] {
        service::call(*s, sys, "site.export", {{"unexpected", 1}});
      },
      ErrorCode::invalid_argument, "site.export");
}

TEST_P(ServiceTest, AccountsAndRolesThroughTheRegistry) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto sys = pf.actor("sysadmin");
  auto sec = pf.actor("secadmin");
  auto made = service::call(*s, sys, "auth.create_user",
                            {{"login", "li"}, {"display_name", "Li"}, {"password", "Pa55-word"}});
  Id li = made["id"].get<Id>();
  expect_error(
      [&] {
        service::call(*s, sec, "auth.create_user", {{"login", "x"}});
      },
      ErrorCode::permission_denied, "");
  service::call(
      *s, sec, "auth.define_role",
      {{"name", "tech"}, {"description", "technician"}, {"permissions", {"repair.work"}}});
  expect_error(
      [&] {
        service::call(*s, sec, "auth.grant",
                      {{"user_id", li}, {"role", "tech"}, {"scope", "ward"}});
      },
      ErrorCode::invalid_argument, "auth.grant");
  service::call(*s, sec, "auth.grant", {{"user_id", li}, {"role", "tech"}});
  auto actor = pf.auth->resume(pf.auth->login("li", "Pa55-word").token);
  EXPECT_TRUE(actor.can("repair.work"));
  auto users = service::call(*s, sys, "auth.users", json::Json::object())["users"];
  EXPECT_EQ(users.size(), 4u);
  for (const auto& u : users) EXPECT_FALSE(u.contains("password_hash"));
}

// Every registered operation, whichever domain defines it: an actor holding every permission but
// the declared one is refused (permission_denied naming it, on record in the audit log) before
// its input is read, and an actor holding only the declared one is never refused: the
// declaration is what the handler needs.
TEST_P(ServiceTest, EveryOperationRequiresThePermissionItDeclares) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto auditor = pf.actor("auditor");
  std::vector<std::string> known;
  for (const auto& p : auth::permissions()) known.push_back(p.name);
  std::size_t gated = 0, succeeded = 0;
  for (const auto* op : service::operations()) {
    SCOPED_TRACE(op->name);
    if (!op->permission.empty()) {
      EXPECT_NO_THROW(auth::permission(op->permission)) << "declares an unknown permission";
      std::vector<std::string> others;
      for (const auto& p : known)
        if (p != op->permission) others.push_back(p);
      auto without = auth::Actor::service("without", others);
      expect_error([&] { service::call(*s, without, op->name, json::Json::object()); },
                   ErrorCode::permission_denied, "service:without lacks " + op->permission);
      auto denied =
          service::call(*s, auditor, "audit.query", {{"action", op->name}, {"outcome", "denied"}});
      EXPECT_EQ(denied["records"].size(), 1u) << denied.dump();
      ++gated;
    }
    std::vector<std::string> only;
    if (!op->permission.empty()) only.push_back(op->permission);
    auto holder = auth::Actor::service("holder", only);
    try {
      // What an operation returns is what its output schema says.
      auto out = service::call(*s, holder, op->name, json::Json::object());
      EXPECT_EQ(json::conforms(op->output, out), "") << out.dump();
      ++succeeded;
    } catch (const Error& e) {
      EXPECT_NE(e.code(), ErrorCode::permission_denied) << e.what();
      // Refused input is refused by the input schema too, unless the service refused it later.
      if (std::string(e.what()).find("required field is missing") != std::string::npos) {
        EXPECT_NE(json::conforms(op->input, json::Json::object()), "");
      }
    }
  }
  EXPECT_GT(gated, 30u);  // every domain's operations are registered and checked
  EXPECT_GT(succeeded, 10u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
