// ./dev.sh demo, satisfaction: two quarters of 满意度测评 in the sample hospital on a manual clock.
// The logistics office publishes an anonymous questionnaire (repair attitude and timeliness,
// cleaning, transport, an NPS item, a follow-up question shown only after a poor score, and free
// text) and sends it each quarter to the clinical staff; each invitee's phone gets a one-time link
// and about three in four answer through it. The survey closes, the scores come out per
// dimension, service, team and department with small groups withheld, low scores are raised, and
// the report (HTML with charts and the trend, CSV) is written.
//   survey_demo HOSPITAL.json OUTPUT_DIR
#include <houqin/houqin.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>

#include "demo_store.hpp"

namespace {

using namespace houqin;
using store::Repository;
using survey::Answer;
using survey::QuestionKind;

// The invitees' phones: the last link each number got.
class Phones final : public notify::Channel {
 public:
  explicit Phones(std::string base) : base_(std::move(base)) {}
  void send(const notify::Message& m) override {
    if (auto at = m.body.find(base_); at != std::string::npos)
      links[m.address] = m.body.substr(at + base_.size(), 32);
  }
  std::map<std::string, std::string> links;

 private:
  std::string base_;
};

survey::QuestionnaireInput questionnaire() {
  survey::QuestionnaireInput in;
  in.code = "LOGISTICS-Q";
  in.title = "后勤服务满意度测评";
  in.introduction = "请为本季度的后勤服务打分。";
  in.anonymous = true;
  auto likert = [](const char* key, const char* text, const char* dimension, const char* service,
                   const char* team) {
    return survey::Question{.key = key,
                            .text = text,
                            .kind = QuestionKind::likert,
                            .allow_dont_know = true,
                            .required = true,
                            .dimension = dimension,
                            .service = service,
                            .team = team};
  };
  in.questions = {
      likert("repair_attitude", "维修人员服务态度", "attitude", "repair", "维修班"),
      likert("repair_speed", "报修响应及时性", "timeliness", "repair", "维修班"),
      likert("cleaning", "病区保洁质量", "quality", "cleaning", "保洁组"),
      likert("transport", "标本与物资运送及时性", "timeliness", "transport", "运送组"),
      survey::Question{.key = "why",
                       .text = "不满意的主要原因",
                       .kind = QuestionKind::multiple_choice,
                       .options = {"响应慢", "修不好", "态度差", "沟通不畅"},
                       .show_if = survey::Condition{"repair_speed", {"1", "2"}}},
      survey::Question{.key = "nps",
                       .text = "您向同事推荐后勤服务的可能性",
                       .kind = QuestionKind::nps,
                       .dimension = "loyalty",
                       .service = "logistics"},
      survey::Question{.key = "advice", .text = "意见和建议", .kind = QuestionKind::text},
  };
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: survey_demo HOSPITAL.json OUTPUT_DIR\n";
    return 2;
  }
  try {
    std::filesystem::path out_dir = argv[2];
    demo::DemoStore demo(out_dir, "survey", argv[1], parse_timestamp("2026-06-20T01:00:00Z"));
    auto& clock = demo.clock;
    auto& store = demo.store;
    // The sample hospital lists few clinical staff; its four largest wards get their nursing teams
    // (six each), so the report can show departments next to the pooled rest.
    {
      auto wards = Repository<site::Department>(*store).find(
          store::Query<site::Department>()
              .where(&site::Department::kind, store::Op::eq, site::DepartmentKind::clinical)
              .order_by(&site::Department::code)
              .limit(4));
      int n = 0;
      for (const auto& w : wards)
        for (int i = 0; i < 6; ++i, ++n) {
          site::Staff st;
          st.employee_no = "DEMO-N" + std::to_string(100 + n);
          st.name = w.name + "护士" + std::to_string(i + 1);
          st.department_id = w.id;
          st.title = i == 0 ? "护士长" : "护士";
          st.phone = "1370000" + std::to_string(1000 + n);
          Repository<site::Staff>(*store).insert(st);
        }
    }
    const auto office =
        auth::Actor::service("logistics-office", {"survey.manage", "survey.read", "notify.send"});

    survey::Surveys surveys(*store);
    const auto rules = store::settings<survey::Rules>(*store);
    auto q = surveys.save_questionnaire(office, questionnaire());
    surveys.publish(office, {q.code, q.revision});
    std::cout << "questionnaire " << q.code << " revision " << q.revision << ": "
              << q.questions.size() << " questions, anonymous\n";

    std::map<std::string, std::string> phone_cohort;  // for the demo's answers only
    std::mt19937 rng(2026);
    std::vector<survey::SurveyLowScore> low;
    auto sub = store->events().subscribe<survey::SurveyLowScore>(
        [&](const survey::SurveyLowScore& e) { low.push_back(e); });
    struct Quarter {
      const char* code;
      const char* title;
      const char* from;
      const char* to;
      const char* start;
      double mood;  // how the quarter went: the mean point the staff lean to
    };
    const Quarter quarters[] = {
        {"SV-2026Q2", "2026 年二季度后勤满意度", "2026-04-01", "2026-07-01", "2026-06-20T01:00:00Z",
         3.4},
        {"SV-2026Q3", "2026 年三季度后勤满意度", "2026-07-01", "2026-10-01", "2026-09-20T01:00:00Z",
         3.9},
    };
    for (const auto& quarter : quarters) {
      clock.set(parse_timestamp(quarter.start));
      survey::CreateInput in;
      in.code = quarter.code;
      in.title = quarter.title;
      in.questionnaire = q.code;
      in.period_from = parse_date(quarter.from);
      in.period_to = parse_date(quarter.to);
      in.closes_at = clock.now() + std::chrono::days(10);
      surveys.create(office, in);
      auto d = surveys.distribute(office, quarter.code);
      auto phones = std::make_shared<Phones>(rules.link_base);
      notify::Notifier notifier(*store, notify::Channels{phones, nullptr, nullptr});
      while (notifier.deliver_due(office, {}, 1000).sent > 0) {
      }
      std::cout << "\n"
                << quarter.code << ": sent to " << d.invited << " clinical staff in "
                << d.cohorts.size() << " cohorts (" << d.pooled << " of small departments pooled, "
                << d.unreachable << " without a phone)\n";
      // About three in four answer, over the next days.
      std::bernoulli_distribution answers(0.75);
      std::normal_distribution<double> lean(quarter.mood, 0.9);
      auto point = [&](double shift) {
        return std::clamp(std::round(lean(rng) + shift), 1.0, 5.0);
      };
      std::int64_t answered = 0;
      for (const auto& [phone, token] : phones->links) {
        if (!answers(rng)) continue;
        clock.advance(std::chrono::minutes(7));
        std::vector<Answer> a;
        auto put = [&](const char* key, double v) {
          Answer x;
          x.question = key;
          x.value = v;
          a.push_back(x);
        };
        put("repair_attitude", point(0.5));
        const double speed = point(-0.2);
        put("repair_speed", speed);
        put("cleaning", point(0.3));
        put("transport", point(-0.4));
        if (speed <= 2) {
          Answer why;
          why.question = "why";
          why.choices = {speed == 1 ? "修不好" : "响应慢"};
          a.push_back(why);
        }
        put("nps", std::clamp(std::round(lean(rng) * 2.2), 0.0, 10.0));
        if (answered % 9 == 0) {
          Answer advice;
          advice.question = "advice";
          advice.text = answered % 2 ? "夜间报修响应偏慢" : "运送高峰期人手不足";
          a.push_back(advice);
        }
        surveys.respond({token, a, false});
        ++answered;
      }
      clock.set(in.closes_at);
      auto sc = surveys.close(office, quarter.code);
      std::cout << std::fixed << std::setprecision(1) << "  " << answered << " answered ("
                << sc.overall.response_rate.value_or(0) * 100 << " %), score "
                << sc.overall.score.value_or(0) << " % ± " << sc.overall.ci95.value_or(0)
                << ", NPS " << sc.overall.nps.value_or(0) << "\n";
      for (const auto& c : sc.dimensions) {
        std::cout << "  dimension " << std::left << std::setw(20) << c.name << std::right;
        if (c.withheld)
          std::cout << "withheld\n";
        else if (c.score)
          std::cout << *c.score << " %\n";
        else
          std::cout << "NPS " << c.nps.value_or(0) << "\n";
      }
      int shown = 0, withheld = 0;
      for (const auto& c : sc.cohorts) ++(c.withheld ? withheld : shown);
      std::cout << "  departments: " << shown << " shown, " << withheld << " withheld (fewer than "
                << sc.min_responses << " answers, or they would "
                << "give a small group away)\n";
    }
    std::cout << "\nlow scores raised for BI: " << low.size() << "\n";
    for (const auto& e : low)
      if (e.kind != "item") std::cout << "  " << e.code << " " << e.kind << " " << e.name << "\n";

    auto last = surveys.scores("SV-2026Q3");
    auto trend = surveys.trend(q.code);
    std::ofstream(out_dir / "survey.html") << survey::to_html(last, trend);
    std::ofstream(out_dir / "survey.csv") << survey::to_csv(last);
    std::cout << "\nsurvey " << last.survey.code << " report written to "
              << (out_dir / "survey.html").string() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "error (" << to_string(e.code()) << "): " << e.what() << "\n";
    return 1;
  }
}
