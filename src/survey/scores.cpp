// Survey scores (see surveys.hpp): items, dimensions, services, teams and cohorts; Likert as a
// weighted %, NPS as % promoters - % detractors, each with its 95 % interval (corrected for the
// finite number invited); the period's work-order ratings as a dimension; cells of fewer than the
// minimum withheld, and more cohorts withheld when the total minus the shown ones would give a
// small group; trends over a questionnaire's surveys; CSV and an HTML page with charts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "houqin/core/chart.hpp"
#include "houqin/core/csv.hpp"
#include "houqin/core/html.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/survey/surveys.hpp"

namespace houqin::survey {
namespace {

using store::Op;
using store::Query;
using store::Repository;

constexpr double z95 = 1.959964;

double likert_score(const Question& q, double point) {
  const auto i = static_cast<std::size_t>(point) - 1;
  if (!q.weights.empty()) return q.weights[i];
  if (q.points == 5) {
    static constexpr double five[] = {0, 30, 60, 80, 100};  // domain.md's documented weights
    return five[i];
  }
  return 100.0 * static_cast<double>(i) / static_cast<double>(q.points - 1);
}

double nps_value(double point) {
  return point >= 9 ? 100.0 : point <= 6 ? -100.0 : 0.0;
}

// The mean and the half-width of its 95 % interval; with `population` (> 0) the finite
// population correction for n of N answering.
std::pair<double, std::optional<double>> mean_ci(const std::vector<double>& xs,
                                                 std::int64_t population) {
  const auto n = static_cast<double>(xs.size());
  double sum = 0;
  for (double x : xs) sum += x;
  const double mean = sum / n;
  if (xs.size() < 2) return {mean, std::nullopt};
  double ss = 0;
  for (double x : xs) ss += (x - mean) * (x - mean);
  double hw = z95 * std::sqrt(ss / (n - 1)) / std::sqrt(n);
  if (population > 1 && static_cast<double>(population) >= n)
    hw *= std::sqrt((static_cast<double>(population) - n) / static_cast<double>(population - 1));
  return {mean, hw};
}

void withhold(Cell& c) {
  Cell w;
  w.name = std::move(c.name);
  w.label = std::move(c.label);
  w.withheld = true;
  c = std::move(w);
}

// Likert and NPS composites of one response over a set of questions.
struct Composite {
  std::optional<double> likert;
  std::optional<double> nps;
};

Composite composite(const Questionnaire& q, const Response& r,
                    const std::function<bool(const Question&)>& in_group) {
  double weighted = 0, weights = 0, nps_sum = 0;
  int nps_n = 0;
  for (const auto& a : r.answers) {
    if (a.dont_know || !a.value) continue;
    const Question* question = nullptr;
    for (const auto& x : q.questions)
      if (x.key == a.question) question = &x;
    if (!question || !in_group(*question)) continue;
    if (question->kind == QuestionKind::likert) {
      weighted += question->weight * likert_score(*question, *a.value);
      weights += question->weight;
    } else if (question->kind == QuestionKind::nps) {
      nps_sum += nps_value(*a.value);
      ++nps_n;
    }
  }
  Composite c;
  if (weights > 0) c.likert = weighted / weights;
  if (nps_n > 0) c.nps = nps_sum / nps_n;
  return c;
}

// A group's cell from its responses' composites; withheld below k.
Cell group_cell(std::string name, std::string label, const Questionnaire& q,
                const std::vector<const Response*>& responses, std::int64_t population,
                std::int64_t k, const std::function<bool(const Question&)>& in_group) {
  Cell c;
  c.name = std::move(name);
  c.label = std::move(label);
  std::vector<double> likert, nps;
  std::int64_t counted = 0;
  for (const auto* r : responses) {
    auto comp = composite(q, *r, in_group);
    if (comp.likert) likert.push_back(*comp.likert);
    if (comp.nps) nps.push_back(*comp.nps);
    if (comp.likert || comp.nps) ++counted;
  }
  c.responses = counted;
  if (counted < k) {
    withhold(c);
    return c;
  }
  if (static_cast<std::int64_t>(likert.size()) >= k) {
    auto [m, hw] = mean_ci(likert, population);
    c.score = m;
    c.ci95 = hw;
  }
  if (static_cast<std::int64_t>(nps.size()) >= k) {
    auto [m, hw] = mean_ci(nps, population);
    c.nps = m;
    c.nps_ci95 = hw;
    const auto n = static_cast<double>(nps.size());
    c.promoters = 100.0 * static_cast<double>(std::count(nps.begin(), nps.end(), 100.0)) / n;
    c.detractors = 100.0 * static_cast<double>(std::count(nps.begin(), nps.end(), -100.0)) / n;
  }
  return c;
}

Cell item_cell(const Question& q, const std::vector<Response>& responses, std::int64_t population,
               std::int64_t k) {
  Cell c;
  c.name = q.key;
  c.label = q.text;
  std::vector<double> xs;
  std::int64_t dont_know = 0, answered = 0;
  std::map<std::string, std::int64_t> options;
  for (const auto& o : q.options) options[o] = 0;
  std::vector<std::string> texts;
  for (const auto& r : responses)
    for (const auto& a : r.answers) {
      if (a.question != q.key) continue;
      if (a.dont_know) {
        ++dont_know;
        continue;
      }
      ++answered;
      if (q.kind == QuestionKind::likert && a.value) xs.push_back(likert_score(q, *a.value));
      if (q.kind == QuestionKind::nps && a.value) xs.push_back(nps_value(*a.value));
      for (const auto& choice : a.choices) ++options[choice];
      if (q.kind == QuestionKind::text) texts.push_back(a.text);
    }
  if (answered < k) {
    withhold(c);
    return c;
  }
  c.responses = answered;
  c.dont_know = dont_know;
  if (q.kind == QuestionKind::likert) {
    auto [m, hw] = mean_ci(xs, population);
    c.score = m;
    c.ci95 = hw;
  } else if (q.kind == QuestionKind::nps) {
    auto [m, hw] = mean_ci(xs, population);
    c.nps = m;
    c.nps_ci95 = hw;
    const auto n = static_cast<double>(xs.size());
    c.promoters = 100.0 * static_cast<double>(std::count(xs.begin(), xs.end(), 100.0)) / n;
    c.detractors = 100.0 * static_cast<double>(std::count(xs.begin(), xs.end(), -100.0)) / n;
  }
  for (const auto& o : q.options) c.options.push_back({o, options[o]});
  std::sort(texts.begin(), texts.end());  // never the order they came in
  c.texts = std::move(texts);
  return c;
}

// Cohort cells partition the responses: with the total shown, the withheld cells together must
// hold none or at least k responses, else subtraction gives a small group; the smallest shown
// cells are withheld until they do.
void suppress_complement(std::vector<Cell>& cells, const std::vector<std::int64_t>& counts,
                         std::int64_t k) {
  std::int64_t withheld_total = 0;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (cells[i].withheld) withheld_total += counts[i];
  while (withheld_total > 0 && withheld_total < k) {
    std::optional<std::size_t> smallest;
    for (std::size_t i = 0; i < cells.size(); ++i)
      if (!cells[i].withheld && (!smallest || counts[i] < counts[*smallest])) smallest = i;
    if (!smallest) break;
    withhold(cells[*smallest]);
    withheld_total += counts[*smallest];
  }
}

// A flat row per cell, for CSV and the HTML tables.
struct CellRow {
  std::string kind;
  std::string name;
  std::string label;
  bool withheld = false;
  std::optional<std::int64_t> responses;
  std::optional<std::int64_t> dont_know;
  std::optional<double> score;
  std::optional<double> ci95;
  std::optional<double> nps;
  std::optional<double> nps_ci95;
  std::optional<double> response_rate;
};
BOOST_DESCRIBE_STRUCT(CellRow, (),
                      (kind, name, label, withheld, responses, dont_know, score, ci95, nps,
                       nps_ci95, response_rate))

std::optional<double> rounded(std::optional<double> v) {
  if (!v) return v;
  return std::round(*v * 10.0) / 10.0;
}

std::vector<CellRow> rows(const Scores& s) {
  std::vector<CellRow> out;
  auto add = [&](std::string_view kind, const Cell& c) {
    out.push_back({std::string(kind), c.name, c.label, c.withheld, c.responses, c.dont_know,
                   rounded(c.score), rounded(c.ci95), rounded(c.nps), rounded(c.nps_ci95),
                   c.response_rate ? rounded(*c.response_rate * 100.0) : std::nullopt});
  };
  add("overall", s.overall);
  for (const auto& c : s.items) add("item", c);
  for (const auto& c : s.dimensions) add("dimension", c);
  for (const auto& c : s.services) add("service", c);
  for (const auto& c : s.teams) add("team", c);
  for (const auto& c : s.cohorts) add("cohort", c);
  return out;
}

std::vector<chart::Bar> score_bars(const std::vector<Cell>& cells) {
  std::vector<chart::Bar> bars;
  for (const auto& c : cells)
    if (c.score) bars.push_back({c.label.empty() ? c.name : c.label, *c.score});
  return bars;
}

}  // namespace

Scores Surveys::scores(const std::string& code) {
  Scores out;
  auto found =
      Repository<Survey>(store_).find_one(Query<Survey>().where(&Survey::code, Op::eq, code));
  if (!found) fail(ErrorCode::not_found, "survey " + code + ": not found");
  out.survey = std::move(*found);
  const auto& sv = out.survey;
  const auto q = Repository<Questionnaire>(store_).require(sv.questionnaire_id);
  const auto rules = store::settings<Rules>(store_);
  const std::int64_t k = std::max(1, rules.min_responses);
  out.questionnaire = q.code;
  out.revision = q.revision;
  out.min_responses = rules.min_responses;
  const auto responses = Repository<Response>(store_).find(
      Query<Response>().where(&Response::survey_id, Op::eq, sv.id));
  const std::int64_t invited = sv.invited;
  std::vector<const Response*> all;
  for (const auto& r : responses) all.push_back(&r);
  auto scored = [](const Question& x) {
    return x.kind == QuestionKind::likert || x.kind == QuestionKind::nps;
  };

  out.overall = group_cell("overall", sv.title, q, all, invited, k, scored);
  const auto total = static_cast<std::int64_t>(responses.size());
  if (total < k) {
    withhold(out.overall);
  } else {
    if (out.overall.withheld) out.overall = Cell{.name = "overall", .label = sv.title};
    out.overall.responses = total;
    if (invited > 0)
      out.overall.response_rate = static_cast<double>(total) / static_cast<double>(invited);
  }
  for (const auto& question : q.questions)
    out.items.push_back(item_cell(question, responses, invited, k));

  // Dimensions, services and teams: the scored items that name one, in first-seen order.
  auto groups = [&](std::string Question::*member, std::vector<Cell>& cells) {
    std::vector<std::string> names;
    for (const auto& question : q.questions)
      if (scored(question) && !(question.*member).empty() &&
          std::find(names.begin(), names.end(), question.*member) == names.end())
        names.push_back(question.*member);
    for (const auto& name : names)
      cells.push_back(group_cell(name, name, q, all, invited, k, [&](const Question& x) {
        return scored(x) && x.*member == name;
      }));
  };
  groups(&Question::dimension, out.dimensions);
  groups(&Question::service, out.services);
  groups(&Question::team, out.teams);

  // The period's work-order ratings (1-5) as a dimension of their own.
  {
    const auto offset = std::chrono::minutes(rules.utc_offset_minutes);
    const Timestamp from = Timestamp(sv.period_from) - offset,
                    to = Timestamp(sv.period_to) - offset;
    std::vector<double> xs;
    Question five;
    for (const auto& r :
         Repository<repair::Rating>(store_).find(Query<repair::Rating>()
                                                     .where(&repair::Rating::rated_at, Op::ge, from)
                                                     .where(&repair::Rating::rated_at, Op::lt, to)))
      if (r.score >= 1 && r.score <= 5) xs.push_back(likert_score(five, r.score));
    Cell c;
    c.name = "work_order_rating";
    c.label = "工单评价 work-order ratings";
    c.responses = static_cast<std::int64_t>(xs.size());
    if (static_cast<std::int64_t>(xs.size()) < k) {
      withhold(c);
    } else {
      auto [m, hw] = mean_ci(xs, 0);
      c.score = m;
      c.ci95 = hw;
    }
    out.dimensions.push_back(std::move(c));
  }

  // Cohorts: the response rate and the composite of each.
  std::map<std::string, std::int64_t> invited_in;
  for (const auto& inv : Repository<Invitation>(store_).find(
           Query<Invitation>().where(&Invitation::survey_id, Op::eq, sv.id)))
    ++invited_in[inv.cohort];
  std::map<std::string, std::string> department_name;
  for (const auto& d : Repository<site::Department>(store_).find())
    department_name[d.code] = d.name;
  std::vector<std::int64_t> counts;
  for (const auto& [cohort, n_invited] : invited_in) {
    std::vector<const Response*> members;
    for (const auto& r : responses)
      if (r.cohort == cohort) members.push_back(&r);
    const auto label =
        cohort == "other" ? std::string("其他科室 other departments") : department_name[cohort];
    auto c = group_cell(cohort, label, q, members, n_invited, k, scored);
    const auto n = static_cast<std::int64_t>(members.size());
    if (n < k) {
      withhold(c);
    } else {
      c.responses = n;
      c.response_rate = static_cast<double>(n) / static_cast<double>(n_invited);
    }
    counts.push_back(n);
    out.cohorts.push_back(std::move(c));
  }
  suppress_complement(out.cohorts, counts, k);
  if (out.overall.withheld)  // fewer than k in all: nothing at all is shown
    for (auto* cells : {&out.items, &out.dimensions, &out.services, &out.teams, &out.cohorts})
      for (auto& c : *cells)
        if (c.name != "work_order_rating") withhold(c);
  return out;
}

Trend Surveys::trend(const std::string& questionnaire) {
  Trend t;
  t.questionnaire = questionnaire;
  std::vector<Id> revisions;
  for (const auto& q : Repository<Questionnaire>(store_).find(
           Query<Questionnaire>().where(&Questionnaire::code, Op::eq, questionnaire)))
    revisions.push_back(q.id);
  if (revisions.empty())
    fail(ErrorCode::not_found, "questionnaire " + questionnaire + ": not found");
  std::vector<Survey> surveys;
  for (auto& sv : Repository<Survey>(store_).find(Query<Survey>().order_by(&Survey::period_from)))
    if (sv.status != SurveyStatus::draft &&
        std::find(revisions.begin(), revisions.end(), sv.questionnaire_id) != revisions.end())
      surveys.push_back(std::move(sv));
  for (const auto& sv : surveys) {
    auto s = scores(sv.code);
    t.points.push_back(
        TrendPoint{sv.code, sv.period_from, sv.period_to, s.revision, sv.invited, s.overall});
  }
  return t;
}

std::string to_csv(const Scores& scores) {
  const auto r = rows(scores);
  return csv::write(std::span<const CellRow>(r));
}

std::string to_html(const Scores& s, const Trend& trend) {
  std::string out = html::page_start("满意度测评 " + s.survey.code,
                                     "满意度测评 Satisfaction — " + s.survey.title);
  char line[256];
  std::snprintf(line, sizeof line,
                "<p>%s revision %d; period %s — %s; %s; invited %lld; no result of fewer than %d "
                "responses is shown.</p>\n",
                html_escape(s.questionnaire).c_str(), s.revision,
                format_date(s.survey.period_from).c_str(), format_date(s.survey.period_to).c_str(),
                s.survey.anonymous ? "anonymous" : "named",
                static_cast<long long>(s.survey.invited), s.min_responses);
  out += line;
  if (s.overall.withheld) {
    out += "<p><b>Fewer than " + std::to_string(s.min_responses) +
           " responses: results are withheld.</b></p>\n";
  } else {
    std::snprintf(
        line, sizeof line, "<p>responses %lld (%.1f %%); score %.1f %%%s</p>\n",
        static_cast<long long>(s.overall.responses.value_or(0)),
        s.overall.response_rate.value_or(0) * 100.0, s.overall.score.value_or(0),
        s.overall.nps
            ? (", NPS " + std::to_string(static_cast<int>(std::lround(*s.overall.nps)))).c_str()
            : "");
    out += line;
  }
  for (const auto& [caption, cells] : {std::pair{"Score by dimension (weighted %)", &s.dimensions},
                                       std::pair{"Score by service (weighted %)", &s.services},
                                       std::pair{"Score by team (weighted %)", &s.teams},
                                       std::pair{"Score by department (weighted %)", &s.cohorts}}) {
    auto bars = score_bars(*cells);
    if (!bars.empty()) out += chart::figure(caption, chart::bars(bars));
  }
  if (trend.points.size() > 1) {
    chart::Series score{"score %", "#2b7bb9", {}, {}};
    chart::Series nps{"NPS", "#d9534f", {}, {}};
    chart::LineOptions options;
    options.y_title = "%";
    for (std::size_t i = 0; i < trend.points.size(); ++i) {
      const auto& p = trend.points[i];
      options.x_labels.push_back(p.survey);
      if (p.overall.score) {
        score.x.push_back(static_cast<double>(i));
        score.y.push_back(*p.overall.score);
      }
      if (p.overall.nps) {
        nps.x.push_back(static_cast<double>(i));
        nps.y.push_back(*p.overall.nps);
      }
    }
    std::vector<chart::Series> series;
    if (!score.x.empty()) series.push_back(score);
    if (!nps.x.empty()) series.push_back(nps);
    if (!series.empty())
      out += chart::figure("Trend of " + trend.questionnaire, chart::lines(series, {}, options));
  }
  const auto r = rows(s);
  out += "<h2>Scores</h2>\n" + html::table(std::span<const CellRow>(r));
  for (const auto& c : s.items)
    if (!c.texts.empty()) {
      out += "<h2>" + html_escape(c.label) + "</h2>\n<ul>";
      for (const auto& text : c.texts) out += "<li>" + html_escape(text) + "</li>";
      out += "</ul>\n";
    }
  return out + html::page_end();
}

}  // namespace houqin::survey
