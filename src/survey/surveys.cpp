// Satisfaction surveys (see surveys.hpp): questionnaires and their revisions, distribution with
// one-time links, answering, reminders and closing. Scores are in scores.cpp.
#include "houqin/survey/surveys.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "crypto/sodium.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/notify/notifier.hpp"
#include "houqin/repair/model.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::survey {
namespace {

using store::Op;
using store::Query;
using store::Repository;

[[maybe_unused]] const bool tables_registered =
    store::register_tables<Questionnaire, Survey, Invitation, Ballot, Response, Rules>("survey");
// Questionnaires, surveys and the rules are read with survey.read; who was invited with
// survey.manage. Ballots and responses are not exposed at all: raw answers would bypass the
// minimum count every report keeps.
[[maybe_unused]] const bool exposed =
    store::expose<Questionnaire, Survey, Rules>(
        {.read = "survey.read", .write = "", .read_personal = ""}) &&
    store::expose<Invitation>({.read = "survey.manage", .write = "", .read_personal = ""});

constexpr std::string_view other_cohort = "other";

// A uniform draw from [0, n) from the operating system's CSPRNG.
std::uint64_t uniform(std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    std::uint64_t v = 0;
    const auto bytes = crypto::random_bytes(sizeof v);
    std::memcpy(&v, bytes.data(), sizeof v);
    if (v < limit) return v % n;
  }
}

template <class T>
void shuffle(std::vector<T>& v) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform(i)]);
}

// A random positive id not in use: what a response is stored under.
template <class T>
Id random_id(Repository<T>& repo) {
  for (;;) {
    const auto id = static_cast<Id>(uniform(std::uint64_t{1} << 62)) + 1;
    if (!repo.get(id)) return id;
  }
}

std::string token_hash(std::string_view token) {
  return crypto::to_hex(crypto::blake2b(token));
}

Date local_day(Timestamp t, std::int32_t offset_minutes) {
  return std::chrono::floor<std::chrono::days>(t + std::chrono::minutes(offset_minutes));
}

// "2026-12-31 18:00" in the hospital's local time.
std::string local_text(Timestamp t, std::int32_t offset_minutes) {
  const auto local = t + std::chrono::minutes(offset_minutes);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(local - day).count();
  char hm[8];
  std::snprintf(hm, sizeof hm, " %02d:%02d", static_cast<int>(minutes / 60),
                static_cast<int>(minutes % 60));
  return format_date(day) + hm;
}

std::string point_text(double v) {
  return std::to_string(static_cast<long long>(v));
}

// 6 as "6", 4.5 as "4.5".
std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return point_text(v);
  return json::Json(v).dump();
}

bool is_integer_in(double v, double lo, double hi) {
  return std::isfinite(v) && v == std::floor(v) && v >= lo && v <= hi;
}

const Question* find_question(const Questionnaire& q, std::string_view key) {
  for (const auto& question : q.questions)
    if (question.key == key) return &question;
  return nullptr;
}

// Whether `answer` (to `q`) is one of the condition's values.
bool matches(const Question& q, const Answer& answer, const Condition& c) {
  if (answer.dont_know) return false;
  auto in = [&](const std::string& v) {
    return std::find(c.any_of.begin(), c.any_of.end(), v) != c.any_of.end();
  };
  switch (q.kind) {
    case QuestionKind::likert:
    case QuestionKind::nps:
      return answer.value && in(point_text(*answer.value));
    case QuestionKind::single_choice:
    case QuestionKind::multiple_choice:
      return std::any_of(answer.choices.begin(), answer.choices.end(), in);
    case QuestionKind::text:
      return false;
  }
  return false;
}

Survey require_survey(store::Store& s, const std::string& code) {
  auto found = Repository<Survey>(s).find_one(Query<Survey>().where(&Survey::code, Op::eq, code));
  if (!found) fail(ErrorCode::not_found, "survey " + code + ": not found");
  return std::move(*found);
}

Ballot require_ballot(store::Store& s, const std::string& token) {
  if (token.empty()) fail(ErrorCode::invalid_argument, "token: must not be empty");
  auto found = Repository<Ballot>(s).find_one(
      Query<Ballot>().where(&Ballot::token_hash, Op::eq, token_hash(token)));
  if (!found) fail(ErrorCode::not_found, "survey link: unknown, or already used");
  return std::move(*found);
}

void require_open(const Survey& sv, Timestamp now) {
  if (sv.status != SurveyStatus::open || now >= sv.closes_at)
    fail(ErrorCode::failed_precondition, "survey " + sv.code + ": closed (it took answers until " +
                                             format_timestamp(sv.closes_at) + ")");
}

// Every answer checked against the revision; the answers in the questionnaire's order.
std::vector<Answer> checked_answers(const Questionnaire& q, const std::vector<Answer>& in) {
  std::map<std::string, const Answer*, std::less<>> by_key;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto& a = in[i];
    const std::string where = "answers[" + std::to_string(i) + "]";
    const Question* question = find_question(q, a.question);
    if (!question)
      fail(ErrorCode::invalid_argument, where + ".question: no question '" + a.question + "' in " +
                                            q.code + " revision " + std::to_string(q.revision));
    if (!by_key.emplace(a.question, &a).second)
      fail(ErrorCode::invalid_argument, where + ": question '" + a.question + "' answered twice");
    const bool has_value = a.value.has_value(), has_choices = !a.choices.empty(),
               has_text = !a.text.empty();
    if (a.dont_know) {
      if (!question->allow_dont_know)
        fail(ErrorCode::invalid_argument,
             where + ".dont_know: question '" + a.question + "' has no \"don't know\"");
      if (has_value || has_choices || has_text)
        fail(ErrorCode::invalid_argument, where + ": \"don't know\" takes no value");
      continue;
    }
    switch (question->kind) {
      case QuestionKind::likert:
      case QuestionKind::nps: {
        const bool likert = question->kind == QuestionKind::likert;
        const double lo = likert ? 1 : 0, hi = likert ? question->points : 10;
        if (!has_value || has_choices || has_text)
          fail(ErrorCode::invalid_argument,
               where + ".value: question '" + a.question + "' takes a point (and nothing else)");
        if (!is_integer_in(*a.value, lo, hi))
          fail(ErrorCode::invalid_argument, where + ".value: " + number_text(*a.value) +
                                                " is not a whole number in " + point_text(lo) +
                                                ".." + point_text(hi));
        break;
      }
      case QuestionKind::single_choice:
      case QuestionKind::multiple_choice: {
        const bool single = question->kind == QuestionKind::single_choice;
        if (has_value || has_text || !has_choices || (single && a.choices.size() != 1))
          fail(ErrorCode::invalid_argument,
               where + ".choices: question '" + a.question + "' takes " +
                   (single ? "exactly one choice" : "one or more choices") + " (and nothing else)");
        std::set<std::string> seen;
        for (const auto& c : a.choices) {
          if (std::find(question->options.begin(), question->options.end(), c) ==
              question->options.end())
            fail(ErrorCode::invalid_argument,
                 where + ".choices: '" + c + "' is not an option of '" + a.question + "'");
          if (!seen.insert(c).second)
            fail(ErrorCode::invalid_argument, where + ".choices: '" + c + "' chosen twice");
        }
        break;
      }
      case QuestionKind::text:
        if (has_value || has_choices || !has_text)
          fail(ErrorCode::invalid_argument,
               where + ".text: question '" + a.question + "' takes text (and nothing else)");
        if (a.text.size() > 4000)
          fail(ErrorCode::invalid_argument, where + ".text: longer than 4000 bytes");
        break;
    }
  }
  // Shown or not, in order: a question is shown when its condition's earlier answer matches.
  std::vector<Answer> out;
  for (const auto& question : q.questions) {
    bool shown = true;
    if (question.show_if) {
      auto it = by_key.find(question.show_if->question);
      const Question* earlier = find_question(q, question.show_if->question);
      shown = it != by_key.end() && earlier && matches(*earlier, *it->second, *question.show_if);
    }
    auto it = by_key.find(question.key);
    if (!shown && it != by_key.end())
      fail(ErrorCode::invalid_argument, "question '" + question.key +
                                            "' is not shown with these answers (it depends on '" +
                                            question.show_if->question + "'): leave it out");
    if (shown && question.required && it == by_key.end())
      fail(ErrorCode::invalid_argument, "question '" + question.key + "' is required");
    if (it != by_key.end()) out.push_back(*it->second);
  }
  return out;
}

}  // namespace

void Questionnaire::validate() const {
  if (code.empty()) fail(ErrorCode::invalid_argument, "code: must not be empty");
  if (title.empty()) fail(ErrorCode::invalid_argument, "title: must not be empty");
  if (revision < 1) fail(ErrorCode::invalid_argument, "revision: must be at least 1");
  if (questions.empty()) fail(ErrorCode::invalid_argument, "questions: at least one is needed");
  std::set<std::string> keys;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const auto& q = questions[i];
    const std::string where = "questions[" + std::to_string(i) + "]";
    if (q.key.empty()) fail(ErrorCode::invalid_argument, where + ".key: must not be empty");
    if (q.text.empty()) fail(ErrorCode::invalid_argument, where + ".text: must not be empty");
    if (!std::isfinite(q.weight) || q.weight < 0 || q.weight > 100)
      fail(ErrorCode::invalid_argument, where + ".weight: must be in 0..100");
    const bool likert = q.kind == QuestionKind::likert;
    const bool choice =
        q.kind == QuestionKind::single_choice || q.kind == QuestionKind::multiple_choice;
    if (likert && q.points != 5 && q.points != 7)
      fail(ErrorCode::invalid_argument,
           where + ".points: a Likert item has 5 or 7 points, not " + std::to_string(q.points));
    if (!likert && !q.weights.empty())
      fail(ErrorCode::invalid_argument, where + ".weights: only a Likert item has weights");
    if (likert && !q.weights.empty()) {
      if (q.weights.size() != static_cast<std::size_t>(q.points))
        fail(ErrorCode::invalid_argument, where + ".weights: " + std::to_string(q.points) +
                                              " are needed, one per point, worst first");
      for (double w : q.weights)
        if (!std::isfinite(w) || w < 0 || w > 100)
          fail(ErrorCode::invalid_argument, where + ".weights: each must be in 0..100");
    }
    if (choice && q.options.size() < 2)
      fail(ErrorCode::invalid_argument, where + ".options: a choice needs at least two");
    if (!choice && !q.options.empty())
      fail(ErrorCode::invalid_argument, where + ".options: only a choice has options");
    std::set<std::string> options;
    for (const auto& o : q.options)
      if (o.empty() || !options.insert(o).second)
        fail(ErrorCode::invalid_argument, where + ".options: '" + o + "' is empty or given twice");
    if (q.show_if) {
      const auto& c = *q.show_if;
      const Question* earlier = nullptr;
      for (std::size_t j = 0; j < i; ++j)
        if (questions[j].key == c.question) earlier = &questions[j];
      if (!earlier)
        fail(ErrorCode::invalid_argument,
             where + ".show_if.question: '" + c.question + "' is not an earlier question");
      if (earlier->kind == QuestionKind::text)
        fail(ErrorCode::invalid_argument,
             where + ".show_if.question: a condition cannot be on a text answer");
      if (c.any_of.empty())
        fail(ErrorCode::invalid_argument, where + ".show_if.any_of: at least one value");
      for (const auto& v : c.any_of) {
        bool ok = false;
        if (earlier->kind == QuestionKind::likert || earlier->kind == QuestionKind::nps) {
          const double hi = earlier->kind == QuestionKind::nps ? 10 : earlier->points;
          const double lo = earlier->kind == QuestionKind::nps ? 0 : 1;
          for (double p = lo; p <= hi; ++p) ok = ok || v == point_text(p);
        } else {
          ok = std::find(earlier->options.begin(), earlier->options.end(), v) !=
               earlier->options.end();
        }
        if (!ok)
          fail(ErrorCode::invalid_argument,
               where + ".show_if.any_of: '" + v + "' is no answer of '" + c.question + "'");
      }
    }
    if (!keys.insert(q.key).second)
      fail(ErrorCode::invalid_argument, where + ".key: '" + q.key + "' is used twice");
  }
}

std::vector<store::Migration> migrations() {
  return {
      {"survey", 1, "questionnaires, surveys, invitations, ballots and responses",
       [](store::Store& s) {
         store::create_table<Questionnaire>(s);
         store::create_table<Survey>(s);
         store::create_table<Invitation>(s);
         store::create_table<Ballot>(s);
         store::create_table<Response>(s);
         store::create_table<Rules>(s);
         s.execute(
             "CREATE INDEX IF NOT EXISTS survey_invitation_survey ON survey_invitation "
             "(survey_id)");
         s.execute(
             "CREATE INDEX IF NOT EXISTS survey_response_survey ON survey_response (survey_id)");
       }},
  };
}

Questionnaire Surveys::save_questionnaire(const auth::Actor& actor, const QuestionnaireInput& in) {
  return audit::audited(store_, actor, "survey.save_questionnaire", [&](audit::Call& call) {
    call.require("survey.manage");
    Repository<Questionnaire> repo(store_);
    auto latest = repo.find_one(Query<Questionnaire>()
                                    .where(&Questionnaire::code, Op::eq, in.code)
                                    .order_by(&Questionnaire::revision, true));
    Questionnaire q;
    std::optional<json::Json> before;
    if (latest && latest->status == RevisionStatus::draft) {
      before = json::to_json(*latest);
      q = *latest;
    } else {
      q.revision = latest ? latest->revision + 1 : 1;
    }
    q.code = in.code;
    q.title = in.title;
    q.introduction = in.introduction;
    q.anonymous = in.anonymous;
    q.questions = in.questions;
    q.status = RevisionStatus::draft;
    q.changed_at = store_.clock().now();
    if (q.id) {
      repo.update(q);
    } else {
      repo.insert(q);
    }
    call.record(entity_traits<Questionnaire>::table, q.id, before, json::to_json(q));
    return q;
  });
}

Questionnaire Surveys::publish(const auth::Actor& actor, const RevisionInput& in) {
  return audit::audited(store_, actor, "survey.publish", [&](audit::Call& call) {
    call.require("survey.manage");
    Repository<Questionnaire> repo(store_);
    auto found = repo.find_one(Query<Questionnaire>()
                                   .where(&Questionnaire::code, Op::eq, in.code)
                                   .where(&Questionnaire::revision, Op::eq, in.revision));
    if (!found)
      fail(ErrorCode::not_found,
           "questionnaire " + in.code + " revision " + std::to_string(in.revision) + ": not found");
    auto q = std::move(*found);
    if (q.status != RevisionStatus::draft)
      fail(ErrorCode::failed_precondition,
           "questionnaire " + in.code + " revision " + std::to_string(in.revision) + " is " +
               std::string(enum_name(q.status)) + ": only a draft is published");
    const auto now = store_.clock().now();
    for (auto& old :
         repo.find(Query<Questionnaire>()
                       .where(&Questionnaire::code, Op::eq, in.code)
                       .where(&Questionnaire::status, Op::eq, RevisionStatus::published))) {
      auto before = json::to_json(old);
      old.status = RevisionStatus::retired;
      old.changed_at = now;
      repo.update(old);
      call.record(entity_traits<Questionnaire>::table, old.id, before, json::to_json(old));
    }
    auto before = json::to_json(q);
    q.status = RevisionStatus::published;
    q.changed_at = now;
    repo.update(q);
    call.record(entity_traits<Questionnaire>::table, q.id, before, json::to_json(q));
    return q;
  });
}

Survey Surveys::create(const auth::Actor& actor, const CreateInput& in) {
  return audit::audited(store_, actor, "survey.create", [&](audit::Call& call) {
    call.require("survey.manage");
    if (in.code.empty()) fail(ErrorCode::invalid_argument, "code: must not be empty");
    if (in.title.empty()) fail(ErrorCode::invalid_argument, "title: must not be empty");
    if (in.period_to <= in.period_from)
      fail(ErrorCode::invalid_argument, "period_to: must be after period_from");
    if (in.closes_at <= store_.clock().now())
      fail(ErrorCode::invalid_argument, "closes_at: must be in the future");
    if (in.remind_every_days < 0 || in.remind_every_days > 60)
      fail(ErrorCode::invalid_argument, "remind_every_days: must be in 0..60");
    if (in.audience.requested_days < 0 || in.audience.requested_days > 366)
      fail(ErrorCode::invalid_argument, "audience.requested_days: must be in 0..366");
    Repository<Survey> surveys(store_);
    if (surveys.find_one(Query<Survey>().where(&Survey::code, Op::eq, in.code)))
      fail(ErrorCode::already_exists, "survey " + in.code + ": already exists");
    for (Id d : in.audience.department_ids)
      if (!Repository<site::Department>(store_).get(d))
        fail(ErrorCode::invalid_argument,
             "audience.department_ids: no department " + std::to_string(d));
    Query<Questionnaire> query;
    query.where(&Questionnaire::code, Op::eq, in.questionnaire);
    if (in.revision) {
      query.where(&Questionnaire::revision, Op::eq, *in.revision);
    } else {
      query.where(&Questionnaire::status, Op::eq, RevisionStatus::published)
          .order_by(&Questionnaire::revision, true);
    }
    auto q = Repository<Questionnaire>(store_).find_one(query);
    if (!q || q->status == RevisionStatus::draft)
      fail(ErrorCode::failed_precondition,
           "questionnaire " + in.questionnaire +
               (in.revision ? " revision " + std::to_string(*in.revision) : std::string()) +
               ": no published revision to send");
    Survey sv;
    sv.code = in.code;
    sv.title = in.title;
    sv.questionnaire_id = q->id;
    sv.anonymous = q->anonymous;
    sv.audience = in.audience;
    sv.period_from = in.period_from;
    sv.period_to = in.period_to;
    sv.closes_at = in.closes_at;
    sv.remind_every_days = in.remind_every_days;
    sv.created_by = actor.label();
    surveys.insert(sv);
    call.record(entity_traits<Survey>::table, sv.id, std::nullopt, json::to_json(sv));
    return sv;
  });
}

Distribution Surveys::distribute(const auth::Actor& actor, const std::string& code) {
  return audit::audited(store_, actor, "survey.distribute", [&](audit::Call& call) {
    call.require("survey.manage");
    auto sv = require_survey(store_, code);
    if (sv.status != SurveyStatus::draft)
      fail(
          ErrorCode::failed_precondition,
          "survey " + code + " is " + std::string(enum_name(sv.status)) + ": only a draft is sent");
    const auto now = store_.clock().now();
    if (sv.closes_at <= now)
      fail(ErrorCode::failed_precondition, "survey " + code + ": its closing time has passed");
    const auto rules = store::settings<Rules>(store_);
    const auto& a = sv.audience;
    // The departments: those named, else every active clinical (and medical-technical) one.
    std::map<Id, site::Department> departments;
    for (auto& d : Repository<site::Department>(store_).find()) {
      const bool picked = a.department_ids.empty()
                              ? d.active && (d.kind == site::DepartmentKind::clinical ||
                                             (a.include_medical_technical &&
                                              d.kind == site::DepartmentKind::medical_technical))
                              : std::find(a.department_ids.begin(), a.department_ids.end(), d.id) !=
                                    a.department_ids.end();
      if (picked) departments.emplace(d.id, std::move(d));
    }
    std::set<Id> requesters;
    if (a.requested_days > 0) {
      Query<repair::WorkOrder> q;
      q.where(&repair::WorkOrder::reported_at, Op::ge, now - std::chrono::days(a.requested_days));
      if (!a.requested_category.empty())
        q.where(&repair::WorkOrder::category, Op::eq, a.requested_category);
      for (const auto& o : Repository<repair::WorkOrder>(store_).find(q))
        if (o.reporter_staff_id) requesters.insert(*o.reporter_staff_id);
    }
    std::vector<site::Staff> invitees;
    std::int64_t unreachable = 0;
    for (auto& st : Repository<site::Staff>(store_).find(Query<site::Staff>().order_by("id"))) {
      if (!st.active || !departments.count(st.department_id)) continue;
      if (!a.titles.empty() &&
          std::find(a.titles.begin(), a.titles.end(), st.title) == a.titles.end())
        continue;
      if (a.requested_days > 0 && !requesters.count(st.id)) continue;
      if (!st.phone || st.phone->empty()) {  // no number to send the link to
        ++unreachable;
        continue;
      }
      invitees.push_back(std::move(st));
    }
    if (invitees.empty())
      fail(ErrorCode::failed_precondition,
           "survey " + code + ": the audience rule picks nobody who can be reached");
    // Cohorts: a department of at least min_responses invitees is its own; the rest are pooled
    // in "other", and while the pool is smaller than that the smallest department joins it.
    const auto k = static_cast<std::size_t>(std::max(1, rules.min_responses));
    std::map<Id, std::size_t> per_department;
    for (const auto& st : invitees) ++per_department[st.department_id];
    std::set<Id> pooled;
    std::size_t pool = 0;
    for (auto [d, n] : per_department)
      if (n < k) {
        pooled.insert(d);
        pool += n;
      }
    while (pool > 0 && pool < k && pooled.size() < per_department.size()) {
      Id smallest = 0;
      std::size_t smallest_n = SIZE_MAX;
      for (auto [d, n] : per_department)
        if (!pooled.count(d) && n < smallest_n) {
          smallest = d;
          smallest_n = n;
        }
      pooled.insert(smallest);
      pool += smallest_n;
    }
    auto cohort_of = [&](Id d) {
      return pooled.count(d) ? std::string(other_cohort) : departments.at(d).code;
    };
    Distribution out;
    std::set<std::string> cohorts;
    Repository<Invitation> invitations(store_);
    std::vector<Ballot> ballots;
    std::vector<std::pair<Invitation, std::string>> sent;  // with its token
    for (const auto& st : invitees) {
      Invitation inv;
      inv.survey_id = sv.id;
      inv.staff_id = st.id;
      inv.cohort = cohort_of(st.department_id);
      invitations.insert(inv);
      cohorts.insert(inv.cohort);
      if (pooled.count(st.department_id)) ++out.pooled;
      auto token = crypto::to_hex(crypto::random_bytes(16));
      Ballot b;
      b.survey_id = sv.id;
      b.token_hash = token_hash(token);
      b.cohort = inv.cohort;
      if (!sv.anonymous) b.invitation_id = inv.id;
      ballots.push_back(std::move(b));
      sent.emplace_back(std::move(inv), std::move(token));
    }
    // Ballots in an order of their own: their ids follow no invitation's.
    shuffle(ballots);
    Repository<Ballot> ballot_repo(store_);
    for (auto& b : ballots) ballot_repo.insert(b);
    notify::Notifier notifier(store_);
    for (auto& [inv, token] : sent) {
      notify::SendRequest req;
      req.recipient_staff_id = inv.staff_id;
      req.template_name = "survey_invitation";
      req.variables = {{"title", sv.title},
                       {"closes", local_text(sv.closes_at, rules.utc_offset_minutes)},
                       {"link", rules.link_base + token},
                       {"anonymity", sv.anonymous ? "匿名，任何人都无法查出哪份答卷是您的"
                                                  : "实名，您的姓名将与回答一起保存"}};
      req.dedupe_key = "survey_invitation:" + std::to_string(sv.id) + ":" + std::to_string(inv.id);
      // The token is written nowhere else: once delivered, the body goes.
      req.redact_after_delivery = true;
      auto m = notifier.send(actor, req);
      crypto::wipe(token);
      inv.message_id = m.id;
      invitations.update(inv);
      ++out.messages;
    }
    auto before = json::to_json(sv);
    sv.status = SurveyStatus::open;
    sv.invited = static_cast<std::int64_t>(invitees.size());
    sv.opened_at = now;
    Repository<Survey>(store_).update(sv);
    call.record(entity_traits<Survey>::table, sv.id, before, json::to_json(sv),
                std::to_string(sv.invited) + " invited");
    store_.events().publish(SurveyOpened{sv.id, sv.code, sv.invited, now}, actor.label());
    out.survey = sv;
    out.invited = sv.invited;
    out.unreachable = unreachable;
    out.cohorts.assign(cohorts.begin(), cohorts.end());
    return out;
  });
}

Form Surveys::open(const std::string& token) {
  auto ballot = require_ballot(store_, token);
  auto sv = Repository<Survey>(store_).require(ballot.survey_id);
  require_open(sv, store_.clock().now());
  auto q = Repository<Questionnaire>(store_).require(sv.questionnaire_id);
  Form f;
  f.survey = sv.code;
  f.title = sv.title;
  f.introduction = q.introduction;
  f.anonymous = sv.anonymous;
  f.notice = sv.anonymous
                 ? "匿名问卷：答卷不与您的身份、邀请或提交时刻关联，任何人（包括管理员）都无法查出"
                   "哪份答卷是您的；结果只在至少 " +
                       std::to_string(store::settings<Rules>(store_).min_responses) +
                       " 份答卷的分组中显示。Anonymous: nobody, administrators included, can tell "
                       "which answers are yours."
                 : "实名问卷：您的姓名将与您的回答一起保存。Named: your name is kept with your "
                   "answers.";
  f.closes_at = sv.closes_at;
  f.questions = q.questions;
  return f;
}

Receipt Surveys::respond(const RespondInput& in) {
  // No audit record, no event and no actor: nothing of this call is kept but the response.
  return store::in_transaction(store_, [&] {
    auto ballot = require_ballot(store_, in.token);
    auto sv = Repository<Survey>(store_).require(ballot.survey_id);
    const auto now = store_.clock().now();
    require_open(sv, now);
    auto q = Repository<Questionnaire>(store_).require(sv.questionnaire_id);
    auto answers = checked_answers(q, in.answers);
    if (!sv.anonymous && !in.acknowledged_named)
      fail(ErrorCode::failed_precondition,
           "survey " + sv.code +
               " is not anonymous: the answers carry the respondent's name; set "
               "acknowledged_named to answer");
    // The ballot goes (a second use finds none, a concurrent one fails the version check).
    if (!Repository<Ballot>(store_).remove(ballot.id, ballot.version))
      fail(ErrorCode::not_found, "survey link: unknown, or already used");
    const auto rules = store::settings<Rules>(store_);
    Response r;
    r.survey_id = sv.id;
    r.questionnaire_id = q.id;
    r.cohort = ballot.cohort;
    r.day = local_day(now, rules.utc_offset_minutes);
    r.answers = std::move(answers);
    if (!sv.anonymous && ballot.invitation_id) {
      Repository<Invitation> invitations(store_);
      auto inv = invitations.require(*ballot.invitation_id);
      inv.answered_at = now;
      invitations.update(inv);
      r.invitation_id = inv.id;
      r.respondent_staff_id = inv.staff_id;
    }
    Repository<Response> responses(store_);
    responses.insert_with_id(r, random_id(responses));
    return Receipt{sv.code, r.day, sv.anonymous};
  });
}

Scores Surveys::close(const auth::Actor& actor, const std::string& code) {
  return audit::audited(store_, actor, "survey.close", [&](audit::Call& call) {
    call.require("survey.manage");
    auto sv = require_survey(store_, code);
    if (sv.status != SurveyStatus::open)
      fail(ErrorCode::failed_precondition, "survey " + code + " is " +
                                               std::string(enum_name(sv.status)) +
                                               ": only an open survey is closed");
    const auto now = store_.clock().now();
    Repository<Response> responses(store_);
    auto all = responses.find(Query<Response>().where(&Response::survey_id, Op::eq, sv.id));
    if (sv.anonymous) {
      // Re-deal: every response deleted and written again under a new random id, in a shuffled
      // order, in this one transaction -- nothing of the order of submission survives, not even
      // the database's own row order or transaction ids.
      for (const auto& r : all) responses.remove(r.id);
      shuffle(all);
      for (auto& r : all) responses.insert_with_id(r, random_id(responses));
    }
    // Links not used die with the survey.
    Repository<Ballot> ballots(store_);
    for (const auto& b : ballots.find(Query<Ballot>().where(&Ballot::survey_id, Op::eq, sv.id)))
      ballots.remove(b.id);
    auto before = json::to_json(sv);
    sv.status = SurveyStatus::closed;
    sv.closed_at = now;
    Repository<Survey>(store_).update(sv);
    call.record(entity_traits<Survey>::table, sv.id, before, json::to_json(sv),
                std::to_string(all.size()) + " responses");
    auto result = scores(code);
    const auto rules = store::settings<Rules>(store_);
    auto low = [&](std::string_view kind, const Cell& c) {
      if (c.withheld || !c.responses) return;
      const bool low_score = c.score && *c.score < rules.low_score_percent;
      const bool low_nps = c.nps && *c.nps < rules.low_nps;
      if (low_score || low_nps)
        store_.events().publish(SurveyLowScore{sv.id, sv.code, std::string(kind), c.name, c.score,
                                               c.nps, *c.responses, now},
                                actor.label());
    };
    low("overall", result.overall);
    for (const auto& [kind, cells] :
         {std::pair{"item", &result.items}, std::pair{"dimension", &result.dimensions},
          std::pair{"service", &result.services}, std::pair{"team", &result.teams},
          std::pair{"cohort", &result.cohorts}})
      for (const auto& c : *cells) low(kind, c);
    store_.events().publish(
        SurveyClosed{sv.id, sv.code, sv.invited, static_cast<std::int64_t>(all.size()), now},
        actor.label());
    return result;
  });
}

TickReport Surveys::tick(const auth::Actor& actor) {
  TickReport report;
  const auto now = store_.clock().now();
  auto open = Repository<Survey>(store_).find(
      Query<Survey>().where(&Survey::status, Op::eq, SurveyStatus::open).order_by("id"));
  for (auto& sv : open) {
    if (now >= sv.closes_at) {
      close(actor, sv.code);
      ++report.closed;
      continue;
    }
    if (sv.remind_every_days <= 0) continue;
    const auto last = sv.last_reminded_at.value_or(sv.opened_at.value_or(now));
    if (now < last + std::chrono::days(sv.remind_every_days)) continue;
    report.reminded += audit::audited(store_, actor, "survey.remind", [&](audit::Call& call) {
      call.require("survey.manage");
      const auto rules = store::settings<Rules>(store_);
      notify::Notifier notifier(store_);
      std::int64_t sent = 0;
      // A named survey reminds those who have not answered; an anonymous one cannot know who
      // they are, so it reminds everyone (and carries no link: the link was sent once).
      for (const auto& inv : Repository<Invitation>(store_).find(
               Query<Invitation>().where(&Invitation::survey_id, Op::eq, sv.id).order_by("id"))) {
        if (!sv.anonymous && inv.answered_at) continue;
        notify::SendRequest req;
        req.recipient_staff_id = inv.staff_id;
        req.template_name = "survey_reminder";
        req.variables = {{"title", sv.title},
                         {"closes", local_text(sv.closes_at, rules.utc_offset_minutes)},
                         {"what", sv.anonymous ? "如已填写请忽略，谢谢" : "请尽快填写"}};
        req.dedupe_key = "survey_reminder:" + std::to_string(sv.id) + ":" + std::to_string(inv.id) +
                         ":" + std::to_string(sv.reminders_sent + 1);
        notifier.send(actor, req);
        ++sent;
      }
      auto before = json::to_json(sv);
      ++sv.reminders_sent;
      sv.last_reminded_at = now;
      Repository<Survey>(store_).update(sv);
      call.record(entity_traits<Survey>::table, sv.id, before, json::to_json(sv),
                  "reminder " + std::to_string(sv.reminders_sent) + " to " + std::to_string(sent));
      return sent;
    });
  }
  return report;
}

Rules Surveys::save_rules(const auth::Actor& actor, Rules r) {
  return audit::audited(store_, actor, "survey.configure", [&](audit::Call& call) {
    call.require("survey.manage");
    if (r.min_responses < 3 || r.min_responses > 100)
      fail(ErrorCode::invalid_argument,
           "min_responses: " + std::to_string(r.min_responses) + " is outside 3..100");
    if (r.utc_offset_minutes < -840 || r.utc_offset_minutes > 840)
      fail(ErrorCode::invalid_argument, "utc_offset_minutes: outside -840..840");
    if (!std::isfinite(r.low_score_percent) || r.low_score_percent < 0 || r.low_score_percent > 100)
      fail(ErrorCode::invalid_argument, "low_score_percent: outside 0..100");
    if (!std::isfinite(r.low_nps) || r.low_nps < -100 || r.low_nps > 100)
      fail(ErrorCode::invalid_argument, "low_nps: outside -100..100");
    if (r.link_base.empty()) fail(ErrorCode::invalid_argument, "link_base: must not be empty");
    auto before = json::to_json(store::settings<Rules>(store_));
    store::save_settings(store_, r);
    call.record(entity_traits<Rules>::table, r.id, before, json::to_json(r));
    return r;
  });
}

}  // namespace houqin::survey
