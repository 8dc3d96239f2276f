// Satisfaction surveys on every backend: questionnaire revisions validated and fixed once
// published; the audience rule (departments, titles, recent requesters) and cohorts that pool
// small departments; one-time links that answer once, with every kind of bad answer refused and
// nothing changed; named surveys that say so and record who answered; reminders and closing by
// the job; scores (weighted Likert %, NPS, intervals, response rates) with small groups and their
// complements withheld, work-order ratings as a dimension and low scores raised; the trend; and
// an attempt to de-anonymise an anonymous survey through every table, the operations and a
// backup file, which fails.
#include "houqin/survey/surveys.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include "../repair/fixture.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/event_log.hpp"

namespace houqin {
namespace {

using store::Repository;
using survey::Answer;
using survey::QuestionKind;
using testing::expect_error;

// The invitees' phones: every SMS delivered, by number.
class Phones final : public notify::Channel {
 public:
  void send(const notify::Message& m) override { inbox.emplace_back(m.address, m.body); }
  std::vector<std::pair<std::string, std::string>> inbox;
  // The token of the last link sent to `phone`.
  std::string token_for(const std::string& phone, const std::string& base) const {
    for (auto it = inbox.rbegin(); it != inbox.rend(); ++it) {
      if (it->first != phone) continue;
      auto at = it->second.find(base);
      if (at != std::string::npos) return it->second.substr(at + base.size(), 32);
    }
    return {};
  }
};

Answer point(const char* q, double v) {
  Answer a;
  a.question = q;
  a.value = v;
  return a;
}
Answer text(const char* q, std::string t) {
  Answer a;
  a.question = q;
  a.text = std::move(t);
  return a;
}
Answer choice(const char* q, std::vector<std::string> c) {
  Answer a;
  a.question = q;
  a.choices = std::move(c);
  return a;
}

class SurveyTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> office, reader;
  std::shared_ptr<Phones> phones = std::make_shared<Phones>();
  Id lab = 0;
  std::vector<Id> ward_staff, icu_staff, lab_staff;  // ward_staff[0] is site.nurse
  std::map<Id, std::string> phone_of;
  const std::string base = "https://houqin.local/s/";

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    site::Department l{0,  0,  "LAB", "检验科", site::DepartmentKind::medical_technical,
                       {}, {}, true};
    lab = Repository<site::Department>(*s).insert(l);
    auto add = [&](const std::string& no, Id dept, const char* title, bool phone = true) {
      site::Staff st{0, 0, no, "员工" + no, dept, title, std::nullopt, {}, true};
      if (phone) st.phone = "1390000" + std::to_string(1000 + phone_of.size());
      Id id = Repository<site::Staff>(*s).insert(st);
      if (st.phone) phone_of[id] = *st.phone;
      return id;
    };
    ward_staff.push_back(site.nurse);
    phone_of[site.nurse] = "13812345678";
    for (int i = 1; i <= 5; ++i)
      ward_staff.push_back(add("W" + std::to_string(i), site.ward, i == 1 ? "护士长" : "护士"));
    for (int i = 1; i <= 5; ++i)
      icu_staff.push_back(add("I" + std::to_string(i), site.icu, "护士"));
    for (int i = 1; i <= 2; ++i) lab_staff.push_back(add("L" + std::to_string(i), lab, "技师"));
    add("W9", site.ward, "护士", false);  // no phone: not reachable
    office =
        pf.user_with("office", "survey_office", {"survey.manage", "survey.read", "notify.send"});
    reader = pf.user_with("reader", "survey_reader", {"survey.read"});
  }

  survey::QuestionnaireInput questionnaire(bool anonymous = true) {
    survey::QuestionnaireInput in;
    in.code = "LOGISTICS-Q";
    in.title = "后勤服务满意度";
    in.anonymous = anonymous;
    survey::Question q1{.key = "q1",
                        .text = "维修服务态度",
                        .kind = QuestionKind::likert,
                        .required = true,
                        .dimension = "attitude",
                        .service = "repair",
                        .team = "electrical"};
    survey::Question q2{.key = "q2",
                        .text = "维修及时性",
                        .kind = QuestionKind::likert,
                        .allow_dont_know = true,
                        .dimension = "timeliness",
                        .service = "repair",
                        .team = "electrical",
                        .weight = 2.0};
    survey::Question q3{.key = "q3",
                        .text = "哪里不满意",
                        .kind = QuestionKind::multiple_choice,
                        .options = {"响应慢", "态度差", "没修好"},
                        .required = true,
                        .show_if = survey::Condition{"q1", {"1", "2"}}};
    survey::Question q4{.key = "q4",
                        .text = "推荐度",
                        .kind = QuestionKind::nps,
                        .dimension = "loyalty",
                        .service = "logistics"};
    survey::Question q5{.key = "q5", .text = "意见建议", .kind = QuestionKind::text};
    in.questions = {q1, q2, q3, q4, q5};
    return in;
  }

  // A published questionnaire and a survey of it, sent; the links delivered to the phones.
  survey::Distribution sent(bool anonymous = true, survey::Audience audience = {}) {
    survey::Surveys sv(*s);
    auto q = sv.save_questionnaire(*office, questionnaire(anonymous));
    sv.publish(*office, {q.code, q.revision});
    survey::CreateInput in;
    in.code = "SV-2026Q1";
    in.title = "2026 年一季度后勤满意度";
    in.questionnaire = "LOGISTICS-Q";
    in.audience = audience;
    in.period_from = parse_date("2026-01-01");
    in.period_to = parse_date("2026-04-01");
    in.closes_at = pf.clock.now() + std::chrono::days(7);
    sv.create(*office, in);
    auto d = sv.distribute(*office, "SV-2026Q1");
    deliver();
    return d;
  }
  void deliver() {
    notify::Notifier(*s, notify::Channels{phones, nullptr, nullptr}).deliver_due(*office);
  }
  std::string token(Id staff) { return phones->token_for(phone_of.at(staff), base); }
  survey::Receipt answer(Id staff, std::vector<Answer> answers, bool ack = false) {
    return survey::Surveys(*s).respond({token(staff), std::move(answers), ack});
  }
  std::int64_t ballots() { return Repository<survey::Ballot>(*s).count(); }
  std::int64_t responses() { return Repository<survey::Response>(*s).count(); }
};

TEST_P(SurveyTest, QuestionnairesAreValidatedAndARevisionIsFixedOncePublished) {
  HQ_REQUIRE_STORE(s);
  survey::Surveys sv(*s);
  auto in = questionnaire();
  auto q = sv.save_questionnaire(*office, in);
  EXPECT_EQ(q.revision, 1);
  EXPECT_EQ(q.status, survey::RevisionStatus::draft);
  in.title = "后勤服务满意度（修订）";
  q = sv.save_questionnaire(*office, in);  // the draft is edited in place
  EXPECT_EQ(q.revision, 1);
  EXPECT_EQ(q.title, in.title);
  q = sv.publish(*office, {"LOGISTICS-Q", 1});
  EXPECT_EQ(q.status, survey::RevisionStatus::published);
  expect_error(
      [&] {
        sv.publish(*office, {"LOGISTICS-Q", 1});
      },
      ErrorCode::failed_precondition, "questionnaire LOGISTICS-Q revision 1 is published");
  auto next = sv.save_questionnaire(*office, in);  // editing a published one: the next revision
  EXPECT_EQ(next.revision, 2);
  sv.publish(*office, {"LOGISTICS-Q", 2});
  EXPECT_EQ(Repository<survey::Questionnaire>(*s).require(q.id).status,
            survey::RevisionStatus::retired);

  auto bad = [&](auto change, const std::string& start) {
    auto b = questionnaire();
    b.code = "BAD";
    change(b);
    const auto before = Repository<survey::Questionnaire>(*s).count();
    expect_error([&] { sv.save_questionnaire(*office, b); }, ErrorCode::invalid_argument, start);
    EXPECT_EQ(Repository<survey::Questionnaire>(*s).count(), before);
  };
  bad([](auto& b) { b.questions[0].points = 6; }, "questions[0].points: a Likert item has 5 or 7");
  bad([](auto& b) { b.questions[0].weights = {0, 50, 100}; }, "questions[0].weights: 5 are needed");
  bad([](auto& b) { b.questions[2].options = {"只有一个"}; },
      "questions[2].options: a choice needs at least two");
  bad([](auto& b) { b.questions[1].key = "q1"; }, "questions[1].key: 'q1' is used twice");
  bad([](auto& b) { b.questions[2].show_if->question = "q4"; },
      "questions[2].show_if.question: 'q4' is not an earlier question");
  bad([](auto& b) { b.questions[2].show_if->any_of = {"6"}; },
      "questions[2].show_if.any_of: '6' is no answer of 'q1'");
  bad([](auto& b) { b.questions.clear(); }, "questions: at least one is needed");
  // A survey needs a published revision.
  auto draft = questionnaire();
  draft.code = "DRAFT-ONLY";
  sv.save_questionnaire(*office, draft);
  survey::CreateInput c;
  c.code = "SV-X";
  c.title = "x";
  c.questionnaire = "DRAFT-ONLY";
  c.period_from = parse_date("2026-01-01");
  c.period_to = parse_date("2026-02-01");
  c.closes_at = pf.clock.now() + std::chrono::days(1);
  expect_error([&] { sv.create(*office, c); }, ErrorCode::failed_precondition,
               "questionnaire DRAFT-ONLY: no published revision");
  expect_error([&] { sv.create(*reader, c); }, ErrorCode::permission_denied, "");
}

TEST_P(SurveyTest, TheAudienceRulePicksStaffAndSmallDepartmentsArePooled) {
  HQ_REQUIRE_STORE(s);
  auto d = sent();
  // Ward 6 and ICU 5 and the lab 2 (medical-technical) are reached; logistics is not clinical; a
  // ward nurse without a phone is counted, not invited. The lab's 2 are fewer than 5, so the
  // pool takes the next smallest department (ICU) too.
  EXPECT_EQ(d.invited, 13);
  EXPECT_EQ(d.unreachable, 1);
  EXPECT_EQ(d.messages, 13);
  EXPECT_EQ(d.pooled, 7);
  EXPECT_EQ(d.cohorts, (std::vector<std::string>{"WARD1", "other"}));
  EXPECT_EQ(d.survey.status, survey::SurveyStatus::open);
  EXPECT_EQ(ballots(), 13);
  // Each link went by SMS, and the body with it is gone from the outbox once delivered.
  EXPECT_EQ(phones->inbox.size(), 13u);
  EXPECT_NE(phones->inbox[0].second.find("匿名"), std::string::npos);
  EXPECT_EQ(token(site.nurse).size(), 32u);
  for (const auto& m : Repository<notify::Message>(*s).find()) {
    EXPECT_EQ(m.state, notify::DeliveryState::sent);
    EXPECT_EQ(m.body, notify::redacted_body);
  }
  // Titles and recent requesters narrow it.
  survey::Surveys sv(*s);
  repair::WorkOrders(*s).report(testing::desk(), testing::light_report(site));  // by site.nurse
  survey::CreateInput c;
  c.code = "SV-REQ";
  c.title = "维修回访";
  c.questionnaire = "LOGISTICS-Q";
  c.audience.requested_days = 30;
  c.period_from = parse_date("2026-02-01");
  c.period_to = parse_date("2026-03-01");
  c.closes_at = pf.clock.now() + std::chrono::days(3);
  sv.create(*office, c);
  auto req = sv.distribute(*office, "SV-REQ");
  EXPECT_EQ(req.invited, 1);
  EXPECT_EQ(req.cohorts, (std::vector<std::string>{"other"}));
  c.code = "SV-HEAD";
  c.audience = {};
  c.audience.titles = {"护士长"};
  c.audience.department_ids = {site.ward};
  sv.create(*office, c);
  EXPECT_EQ(sv.distribute(*office, "SV-HEAD").invited, 1);
  c.code = "SV-NOBODY";
  c.audience.titles = {"院长"};
  sv.create(*office, c);
  expect_error([&] { sv.distribute(*office, "SV-NOBODY"); }, ErrorCode::failed_precondition,
               "survey SV-NOBODY: the audience rule picks nobody");
  expect_error([&] { sv.distribute(*office, "SV-HEAD"); }, ErrorCode::failed_precondition,
               "survey SV-HEAD is open: only a draft is sent");
}

TEST_P(SurveyTest, ALinkOpensTheFormAndAnswersOnceAndBadAnswersChangeNothing) {
  HQ_REQUIRE_STORE(s);
  sent();
  survey::Surveys sv(*s);
  auto form = sv.open(token(site.nurse));
  EXPECT_TRUE(form.anonymous);
  EXPECT_NE(form.notice.find("Anonymous"), std::string::npos);
  EXPECT_EQ(form.questions.size(), 5u);
  auto bad = [&](std::vector<Answer> answers, const std::string& start) {
    expect_error([&] { answer(site.nurse, answers); }, ErrorCode::invalid_argument, start);
    EXPECT_EQ(ballots(), 13);
    EXPECT_EQ(responses(), 0);
  };
  bad({point("q1", 6)}, "answers[0].value: 6 is not a whole number in 1..5");
  bad({point("q1", 4.5)}, "answers[0].value: 4.5 is not a whole number in 1..5");
  bad({point("q9", 4)}, "answers[0].question: no question 'q9' in LOGISTICS-Q revision 1");
  bad({point("q1", 4), point("q1", 5)}, "answers[1]: question 'q1' answered twice");
  bad({point("q2", 4)}, "question 'q1' is required");
  bad({point("q1", 1)}, "question 'q3' is required");  // shown: q1 is 1
  bad({point("q1", 5), choice("q3", {"响应慢"})}, "question 'q3' is not shown");
  bad({point("q1", 1), choice("q3", {"太贵"})}, "answers[1].choices: '太贵' is not an option");
  bad({point("q1", 4), point("q4", 11)}, "answers[1].value: 11 is not a whole number in 0..10");
  bad({point("q1", 4), text("q4", "10")}, "answers[1].value: question 'q4' takes a point");
  Answer dk;
  dk.question = "q1";
  dk.dont_know = true;
  bad({dk}, "answers[0].dont_know: question 'q1' has no \"don't know\"");
  dk.question = "q2";
  dk.value = 3;
  bad({point("q1", 4), dk}, "answers[1]: \"don't know\" takes no value");
  // Through the registry: unknown fields and wrong types are refused by name too.
  expect_error(
      [&] {
        service::call(
            *s, *reader, "survey.respond",
            {{"token", token(site.nurse)}, {"answers", json::Json::array()}, {"extra", 1}});
      },
      ErrorCode::invalid_argument, "survey.respond");

  dk.value.reset();
  auto receipt = answer(site.nurse, {point("q1", 4), dk, point("q4", 9), text("q5", "好")});
  EXPECT_EQ(receipt.survey, "SV-2026Q1");
  EXPECT_EQ(format_date(receipt.day), "2026-03-02");  // the local day
  EXPECT_EQ(ballots(), 12);
  EXPECT_EQ(responses(), 1);
  expect_error([&] { answer(site.nurse, {point("q1", 4)}); }, ErrorCode::not_found,
               "survey link: unknown, or already used");
  expect_error([&] { sv.open(token(site.nurse)); }, ErrorCode::not_found, "survey link");
  expect_error([&] { sv.open("not-a-token"); }, ErrorCode::not_found, "survey link");
  // Past the closing time a link answers nothing.
  pf.clock.advance(std::chrono::days(8));
  expect_error([&] { answer(ward_staff[1], {point("q1", 4)}); }, ErrorCode::failed_precondition,
               "survey SV-2026Q1: closed");
  EXPECT_EQ(responses(), 1);
}

TEST_P(SurveyTest, ANamedSurveySaysSoAndKeepsWhoAnsweredAndRemindsOnlyTheOthers) {
  HQ_REQUIRE_STORE(s);
  sent(false);
  survey::Surveys sv(*s);
  auto form = sv.open(token(site.nurse));
  EXPECT_FALSE(form.anonymous);
  EXPECT_NE(form.notice.find("your name is kept"), std::string::npos);
  EXPECT_NE(phones->inbox[0].second.find("实名"), std::string::npos);
  expect_error([&] { answer(site.nurse, {point("q1", 5)}); }, ErrorCode::failed_precondition,
               "survey SV-2026Q1 is not anonymous");
  EXPECT_EQ(responses(), 0);
  answer(site.nurse, {point("q1", 5)}, true);
  auto r = Repository<survey::Response>(*s).find();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].respondent_staff_id, site.nurse);
  auto inv = Repository<survey::Invitation>(*s).find(store::Query<survey::Invitation>().where(
      &survey::Invitation::staff_id, store::Op::eq, site.nurse));
  ASSERT_EQ(inv.size(), 1u);
  EXPECT_TRUE(inv[0].answered_at);
  // Three days on, the job reminds the twelve who have not answered, once.
  pf.clock.advance(std::chrono::days(3));
  auto before = phones->inbox.size();
  EXPECT_EQ(sv.tick(*office).reminded, 12);
  EXPECT_EQ(sv.tick(*office).reminded, 0);
  deliver();
  EXPECT_EQ(phones->inbox.size(), before + 12);
  for (auto i = before; i < phones->inbox.size(); ++i) {
    EXPECT_NE(phones->inbox[i].first, "13812345678");
    EXPECT_EQ(phones->inbox[i].second.find(base), std::string::npos);  // no link again
  }
}

TEST_P(SurveyTest, TheJobRemindsEveryoneOfAnAnonymousSurveyAndClosesItOnTime) {
  HQ_REQUIRE_STORE(s);
  sent();
  answer(site.nurse, {point("q1", 5)});
  pf.clock.advance(std::chrono::days(3));
  std::vector<survey::SurveyClosed> closed;
  auto sub =
      s->events().subscribe<survey::SurveyClosed>([&](const auto& e) { closed.push_back(e); });
  auto host = houqin::make_host(*s);
  host->run_once();
  auto sv = Repository<survey::Survey>(*s).find().front();
  EXPECT_EQ(sv.reminders_sent, 1);
  // Nobody can know who answered: all 13 are reminded.
  EXPECT_EQ(Repository<notify::Message>(*s).count(store::Query<notify::Message>().where(
                &notify::Message::template_name, store::Op::eq, std::string("survey_reminder"))),
            13);
  pf.clock.advance(std::chrono::days(5));
  host->run_once();
  sv = Repository<survey::Survey>(*s).find().front();
  EXPECT_EQ(sv.status, survey::SurveyStatus::closed);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].responses, 1);
  EXPECT_EQ(ballots(), 0);  // unused links died with it
  expect_error([&] { survey::Surveys(*s).close(*office, "SV-2026Q1"); },
               ErrorCode::failed_precondition, "survey SV-2026Q1 is closed");
}

TEST_P(SurveyTest, ScoresAreWeightedWithIntervalsAndSmallGroupsAndTheirComplementsAreWithheld) {
  HQ_REQUIRE_STORE(s);
  sent();
  survey::Surveys sv(*s);
  // Six ward answers and three of the pooled cohort.
  const double q1[] = {5, 5, 4, 4, 3, 5, 4, 2, 1};
  const double q4[] = {10, 9, 8, 7, 6, 10, 0, 9, 5};
  std::vector<Id> who(ward_staff.begin(), ward_staff.end());
  who.insert(who.end(), {icu_staff[0], icu_staff[1], lab_staff[0]});
  for (std::size_t i = 0; i < who.size(); ++i) {
    std::vector<Answer> a{point("q1", q1[i]), point("q4", q4[i])};
    if (q1[i] <= 2) a.push_back(choice("q3", {"响应慢"}));
    answer(who[i], a);
  }
  auto sc = sv.scores("SV-2026Q1");
  // Likert 5 weights 0/30/60/80/100: (100+100+80+80+60+100+80+30+0)/9 = 70.
  ASSERT_TRUE(sc.items[0].score);
  EXPECT_NEAR(*sc.items[0].score, 70.0, 1e-9);
  EXPECT_EQ(sc.items[0].responses, 9);
  // NPS: 4 promoters, 3 detractors of 9.
  ASSERT_TRUE(sc.items[3].nps);
  EXPECT_NEAR(*sc.items[3].nps, 100.0 * (4 - 3) / 9, 1e-9);
  EXPECT_NEAR(*sc.items[3].promoters, 100.0 * 4 / 9, 1e-9);
  // The interval: 1.96 s / sqrt(n), corrected for 9 of 13 invited.
  {
    std::vector<double> xs{100, 100, 80, 80, 60, 100, 80, 30, 0};
    double ss = 0;
    for (double x : xs) ss += (x - 70) * (x - 70);
    const double hw = 1.959964 * std::sqrt(ss / 8) / 3 * std::sqrt((13.0 - 9) / 12);
    EXPECT_NEAR(*sc.items[0].ci95, hw, 1e-6);
  }
  // q3 had 2 answers: withheld with no numbers at all; q2 and q5 none.
  EXPECT_TRUE(sc.items[2].withheld);
  EXPECT_FALSE(sc.items[2].responses);
  EXPECT_TRUE(sc.items[2].options.empty());
  // Overall: 9 of 13 answered.
  EXPECT_FALSE(sc.overall.withheld);
  EXPECT_NEAR(*sc.overall.response_rate, 9.0 / 13, 1e-9);
  EXPECT_NEAR(*sc.overall.score, 70.0, 1e-9);  // q1 alone is the Likert composite
  // Cohorts: the pool has 3 (< 5), so it is withheld; the ward's 6 would give it by subtraction
  // from the total, so the ward is withheld too.
  ASSERT_EQ(sc.cohorts.size(), 2u);
  EXPECT_TRUE(sc.cohorts[0].withheld);
  EXPECT_TRUE(sc.cohorts[1].withheld);
  EXPECT_FALSE(sc.cohorts[0].responses);
  EXPECT_FALSE(sc.cohorts[0].response_rate);
  // Two more of the pool: 5 there, both cohorts shown with their response rates.
  answer(icu_staff[2], {point("q1", 5)});
  answer(icu_staff[3], {point("q1", 5)});
  sc = sv.scores("SV-2026Q1");
  EXPECT_FALSE(sc.cohorts[0].withheld);
  EXPECT_FALSE(sc.cohorts[1].withheld);
  EXPECT_EQ(sc.cohorts[0].name, "WARD1");
  EXPECT_NEAR(*sc.cohorts[0].response_rate, 1.0, 1e-9);
  EXPECT_NEAR(*sc.cohorts[1].response_rate, 5.0 / 7, 1e-9);
  // Dimensions, services and teams; q2 (timeliness) has no answers: withheld.
  auto cell = [](const std::vector<survey::Cell>& cells, const std::string& name) {
    auto it = std::find_if(cells.begin(), cells.end(), [&](auto& c) { return c.name == name; });
    EXPECT_NE(it, cells.end()) << name;
    return it == cells.end() ? survey::Cell{} : *it;
  };
  EXPECT_FALSE(cell(sc.dimensions, "attitude").withheld);
  EXPECT_TRUE(cell(sc.dimensions, "timeliness").withheld);
  EXPECT_FALSE(cell(sc.services, "repair").withheld);
  EXPECT_FALSE(cell(sc.teams, "electrical").withheld);
  EXPECT_TRUE(cell(sc.dimensions, "work_order_rating").withheld);  // no ratings in the period

  // Closing raises low scores (overall below 80 with this rule) for BI.
  survey::Rules rules;
  rules.low_score_percent = 80;
  sv.save_rules(*office, rules);
  std::vector<survey::SurveyLowScore> low;
  auto sub =
      s->events().subscribe<survey::SurveyLowScore>([&](const auto& e) { low.push_back(e); });
  sv.close(*office, "SV-2026Q1");
  EXPECT_TRUE(std::any_of(low.begin(), low.end(),
                          [](auto& e) { return e.kind == "overall" && e.score && *e.score < 80; }));
  EXPECT_TRUE(std::none_of(low.begin(), low.end(), [](auto& e) { return e.name == "timeliness"; }));
  expect_error([&] { sv.save_rules(*office, survey::Rules{.min_responses = 2}); },
               ErrorCode::invalid_argument, "min_responses: 2 is outside 3..100");
}

TEST_P(SurveyTest, WorkOrderRatingsOfThePeriodAreADimensionAndTheTrendFollowsTheSurveys) {
  HQ_REQUIRE_STORE(s);
  sent();
  // Five ratings in the period, one outside.
  repair::WorkOrders wo(*s);
  const int scores[] = {5, 4, 4, 3, 5, 1};
  for (int i = 0; i < 6; ++i) {
    auto o = wo.report(testing::desk(), testing::light_report(site));
    repair::Rating r{0,
                     0,
                     o.id,
                     scores[i],
                     "",
                     "nurse",
                     parse_timestamp(i < 5 ? "2026-02-10T02:00:00Z" : "2026-04-02T02:00:00Z")};
    Repository<repair::Rating>(*s).insert(r);
  }
  for (std::size_t i = 0; i < 5; ++i) answer(ward_staff[i], {point("q1", 4), point("q4", 10)});
  survey::Surveys sv(*s);
  auto sc = sv.scores("SV-2026Q1");
  auto it = std::find_if(sc.dimensions.begin(), sc.dimensions.end(),
                         [](auto& c) { return c.name == "work_order_rating"; });
  ASSERT_NE(it, sc.dimensions.end());
  EXPECT_FALSE(it->withheld);
  EXPECT_EQ(it->responses, 5);
  EXPECT_NEAR(*it->score, (100.0 + 80 + 80 + 60 + 100) / 5, 1e-9);
  sv.close(*office, "SV-2026Q1");
  // A second quarter: the trend has both, in period order.
  survey::CreateInput c;
  c.code = "SV-2026Q2";
  c.title = "二季度";
  c.questionnaire = "LOGISTICS-Q";
  c.period_from = parse_date("2026-04-01");
  c.period_to = parse_date("2026-07-01");
  c.closes_at = pf.clock.now() + std::chrono::days(5);
  sv.create(*office, c);
  sv.distribute(*office, "SV-2026Q2");
  deliver();
  for (std::size_t i = 0; i < 5; ++i) answer(ward_staff[i], {point("q1", 5), point("q4", 6)});
  auto t = sv.trend("LOGISTICS-Q");
  ASSERT_EQ(t.points.size(), 2u);
  EXPECT_EQ(t.points[0].survey, "SV-2026Q1");
  EXPECT_NEAR(*t.points[0].overall.score, 80.0, 1e-9);
  EXPECT_NEAR(*t.points[1].overall.score, 100.0, 1e-9);
  EXPECT_NEAR(*t.points[0].overall.nps, 100.0, 1e-9);
  EXPECT_NEAR(*t.points[1].overall.nps, -100.0, 1e-9);
  // The documents: CSV rows per cell, an HTML page with charts and the trend.
  auto doc = service::call(*s, *reader, "survey.report_document",
                           {{"survey", "SV-2026Q2"}, {"format", "html"}});
  const auto html = doc["data"].get<std::string>();
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Trend of LOGISTICS-Q"), std::string::npos);
  auto csv = service::call(*s, *reader, "survey.report_document",
                           {{"survey", "SV-2026Q2"}, {"format", "csv"}});
  EXPECT_EQ(csv["data"].get<std::string>().rfind("kind,name,label,withheld", 0), 0u);
}

// Every row of every catalogued table, sealed values opened, as text.
std::vector<std::pair<std::string, std::string>> every_row(store::Store& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : store::catalog()) {
    if (!s.table_exists(entry.table->name)) continue;
    s.select_rows(*entry.table, store::by_id(), [&](std::span<const store::Cell> row) {
      std::string text;
      for (const auto& c : row) text += (c.null ? "null" : c.s + "|" + std::to_string(c.i)) + "\t";
      out.emplace_back(entry.table->name, std::move(text));
    });
  }
  return out;
}

TEST_P(SurveyTest, NobodyCanTellWhoGaveAnAnonymousAnswerFromTablesOperationsOrABackup) {
  HQ_REQUIRE_STORE(s);
  sent();
  // What the attacker knows: who was invited (all names, numbers, ids) and all the keys.
  std::vector<std::string> identities;
  for (const auto& st : Repository<site::Staff>(*s).find()) {
    identities.push_back(st.employee_no);
    identities.push_back(st.name);
    if (st.phone) identities.push_back(*st.phone);
  }
  std::vector<std::string> tokens, hashes;
  std::vector<Id> who(ward_staff.begin(), ward_staff.end());
  who.insert(who.end(), icu_staff.begin(), icu_staff.end());
  for (Id id : who) tokens.push_back(token(id));
  std::vector<auth::Actor> accounts;
  for (std::size_t i = 0; i < who.size(); ++i)
    accounts.push_back(pf.user_with("u" + std::to_string(i), "respondent", {}));
  const auto invitations_before = every_row(*s);
  const auto audit_before = Repository<audit::Record>(*s).count();
  const auto events_before = Repository<store::StoredEvent>(*s).count();
  // Each answers with a marker only they could have written, each through their own account.
  std::map<std::string, Id> marker_of;
  for (std::size_t i = 0; i < who.size(); ++i) {
    const auto marker = "MARK-" + std::to_string(1000 + i * 7);
    marker_of[marker] = who[i];
    service::call(*s, accounts[i], "survey.respond",
                  {{"token", tokens[i]},
                   {"answers", json::Json::array({{{"question", "q1"}, {"value", 3 + i % 3}},
                                                  {{"question", "q5"}, {"text", marker}}})}});
  }
  // Answering wrote no audit record and no event, and touched no invitation.
  EXPECT_EQ(Repository<audit::Record>(*s).count(), audit_before);
  EXPECT_EQ(Repository<store::StoredEvent>(*s).count(), events_before);
  auto rows_of = [](const auto& rows, const std::string& table) {
    std::vector<std::string> out;
    for (const auto& [t, text] : rows)
      if (t == table) out.push_back(text);
    return out;
  };
  EXPECT_EQ(rows_of(every_row(*s), "survey_invitation"),
            rows_of(invitations_before, "survey_invitation"));
  // Response ids are random, not in the order of answering.
  auto rs = Repository<survey::Response>(*s).find();
  ASSERT_EQ(rs.size(), who.size());
  std::map<std::string, Id> id_of_marker;
  for (const auto& r : rs) id_of_marker[r.answers.back().text] = r.id;
  std::vector<Id> in_order;
  for (std::size_t i = 0; i < who.size(); ++i)
    in_order.push_back(id_of_marker["MARK-" + std::to_string(1000 + i * 7)]);
  EXPECT_FALSE(std::is_sorted(in_order.begin(), in_order.end()));
  EXPECT_FALSE(std::is_sorted(in_order.rbegin(), in_order.rend()));
  for (const auto& r : rs) {
    EXPECT_FALSE(r.invitation_id);
    EXPECT_FALSE(r.respondent_staff_id);
  }
  survey::Surveys(*s).close(*office, "SV-2026Q1");
  // Closing re-dealt them: the same answers under new ids.
  std::set<Id> old_ids, new_ids;
  std::set<std::string> old_texts, new_texts;
  for (const auto& r : rs) {
    old_ids.insert(r.id);
    old_texts.insert(r.answers.back().text);
  }
  for (const auto& r : Repository<survey::Response>(*s).find()) {
    EXPECT_FALSE(old_ids.count(r.id)) << r.id;
    new_ids.insert(r.id);
    new_texts.insert(r.answers.back().text);
  }
  EXPECT_EQ(new_ids.size(), old_ids.size());
  EXPECT_EQ(new_texts, old_texts);
  // The response table's columns: nothing but the survey, revision, cohort, day and answers.
  std::vector<std::string> columns;
  for (const auto& c : store::table_info<survey::Response>().columns) columns.push_back(c.name);
  EXPECT_EQ(columns,
            (std::vector<std::string>{"id", "version", "survey_id", "questionnaire_id", "cohort",
                                      "day", "answers", "invitation_id", "respondent_staff_id"}));

  // The attack on stored rows: wherever a marker is, nothing names or points to a person.
  auto attack = [&](store::Store& st, const std::string& where) {
    int found = 0;
    for (const auto& [table, text] : every_row(st)) {
      for (const auto& t : tokens)
        EXPECT_EQ(text.find(t), std::string::npos) << where << ": a token in " << table;
      bool marked = false;
      for (const auto& [marker, _] : marker_of)
        marked = marked || text.find(marker) != std::string::npos;
      if (!marked) continue;
      ++found;
      EXPECT_EQ(table, "survey_response") << where;
      for (const auto& id : identities)
        EXPECT_EQ(text.find(id), std::string::npos) << where << ": " << id << " beside an answer";
    }
    EXPECT_EQ(found, static_cast<int>(who.size())) << where;
  };
  attack(*s, "database");

  // Through the operations: what they return with an answer in it names nobody.
  auto all = pf.user_with("all", "everything", {"survey.read", "survey.manage"});
  for (const auto& [name, input] : std::vector<std::pair<std::string, json::Json>>{
           {"survey.scores", {{"survey", "SV-2026Q1"}}},
           {"survey.trend", {{"questionnaire", "LOGISTICS-Q"}}},
           {"survey.report_document", {{"survey", "SV-2026Q1"}, {"format", "csv"}}},
           {"survey.report_document", {{"survey", "SV-2026Q1"}, {"format", "html"}}}}) {
    const auto out = service::call(*s, all, name, input).dump();
    for (const auto& id : identities)
      EXPECT_EQ(out.find(id), std::string::npos) << name << " names " << id;
  }
  auto sc = survey::Surveys(*s).scores("SV-2026Q1");
  EXPECT_TRUE(std::is_sorted(sc.items[4].texts.begin(), sc.items[4].texts.end()));
  // Raw responses and ballots are no entity collection a host can read.
  for (const auto& name : store::entities().names()) {
    EXPECT_NE(name, "survey_responses");
    EXPECT_NE(name, "survey_ballots");
  }

  // A backup file: no token in its bytes, and its tables fare no better than the database's.
  auto ops = pf.user_with("ops", "ops", {"protect.backup"});
  const auto file = std::filesystem::temp_directory_path() /
                    ("houqin-survey-" + std::to_string(::getpid()) + "-" + GetParam() + ".hqb");
  std::filesystem::remove(file);
  protect::backup(*s, ops, file);
  {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty());
    for (const auto& t : tokens)
      EXPECT_EQ(bytes.find(t), std::string::npos) << "a token in the backup";
    store::StoreOptions o;
    o.keys = testing::test_keyring();
    auto copy = store::Store::open("sqlite:" + file.string(), o);
    attack(*copy, "backup");
  }
  std::filesystem::remove(file);
}

INSTANTIATE_TEST_SUITE_P(Backends, SurveyTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
