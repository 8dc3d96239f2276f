// Satisfaction surveys as one service: questionnaires are drafted and published as revisions; a
// survey sends one revision to the staff an audience rule picks, each invitee getting a one-time
// link through notify; the link opens the questionnaire and answers it once; reminders go out
// until the closing date; closing scores the answers. Scores are shown per item, dimension,
// service, team and cohort with the response rate and a 95 % confidence interval, trends follow a
// questionnaire over its surveys, and work-order ratings of the period join as a dimension. No
// cell of fewer than Rules::min_responses responses is shown, nor one that subtraction would give.
//
// Anonymity (docs/survey.md has the whole argument): answering an anonymous survey deletes the
// ballot and inserts a response with a random id, the day and the cohort, in one transaction that
// touches no invitation, appends no audit record and publishes no event; the invitation's message
// body (the only place the token was written) is redacted once delivered; closing re-deals the
// responses under new random ids in a shuffled order.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"
#include "houqin/survey/model.hpp"

namespace houqin::survey {

HOUQIN_EXPORT std::vector<store::Migration> migrations();

// ---- requests ----

struct QuestionnaireInput {
  static constexpr std::array<std::string_view, 3> required_fields{"code", "title", "questions"};
  std::string code;
  std::string title;
  std::string introduction;
  bool anonymous = true;
  std::vector<Question> questions;
};
BOOST_DESCRIBE_STRUCT(QuestionnaireInput, (), (code, title, introduction, anonymous, questions))

struct RevisionInput {
  static constexpr std::array<std::string_view, 2> required_fields{"code", "revision"};
  std::string code;
  std::int32_t revision = 0;
};
BOOST_DESCRIBE_STRUCT(RevisionInput, (), (code, revision))

struct CreateInput {
  static constexpr std::array<std::string_view, 6> required_fields{
      "code", "title", "questionnaire", "period_from", "period_to", "closes_at"};
  std::string code;
  std::string title;
  std::string questionnaire;             // its code: the latest published revision is sent
  std::optional<std::int32_t> revision;  // or this one
  Audience audience;
  Date period_from{};
  Date period_to{};
  Timestamp closes_at{};
  std::int32_t remind_every_days = 3;
};
BOOST_DESCRIBE_STRUCT(CreateInput, (),
                      (code, title, questionnaire, revision, audience, period_from, period_to,
                       closes_at, remind_every_days))

/// What distributing a survey did.
struct Distribution {
  Survey survey;
  std::int64_t invited = 0;
  std::vector<std::string> cohorts;  // the cohorts answers are counted in
  std::int64_t pooled = 0;           // invitees of small departments counted in "other"
  std::int64_t messages = 0;
  std::int64_t unreachable = 0;  // picked by the rule but without a phone: not invited
};
BOOST_DESCRIBE_STRUCT(Distribution, (), (survey, invited, cohorts, pooled, messages, unreachable))

struct TokenInput {
  static constexpr std::array<std::string_view, 1> required_fields{"token"};
  std::string token;
};
BOOST_DESCRIBE_STRUCT(TokenInput, (), (token))

/// What a link opens: the questionnaire to fill in and whether the answers are anonymous.
struct Form {
  std::string survey;
  std::string title;
  std::string introduction;
  bool anonymous = true;
  std::string notice;  // what happens to the answers, said before answering
  Timestamp closes_at{};
  std::vector<Question> questions;
};
BOOST_DESCRIBE_STRUCT(Form, (),
                      (survey, title, introduction, anonymous, notice, closes_at, questions))

struct RespondInput {
  static constexpr std::array<std::string_view, 2> required_fields{"token", "answers"};
  std::string token;
  std::vector<Answer> answers;
  /// A named survey: the respondent confirms having read that the answers carry the name.
  bool acknowledged_named = false;
};
BOOST_DESCRIBE_STRUCT(RespondInput, (), (token, answers, acknowledged_named))

/// What the respondent is told after answering: nothing that identifies the response.
struct Receipt {
  std::string survey;
  Date day{};
  bool anonymous = true;
};
BOOST_DESCRIBE_STRUCT(Receipt, (), (survey, day, anonymous))

/// What one tick of the survey job did: reminders sent and surveys closed.
struct TickReport {
  std::int64_t reminded = 0;
  std::int64_t closed = 0;
};
BOOST_DESCRIBE_STRUCT(TickReport, (), (reminded, closed))

// ---- scores ----

/// The answers to one choice option.
struct OptionCount {
  std::string option;
  std::int64_t count = 0;
};
BOOST_DESCRIBE_STRUCT(OptionCount, (), (option, count))

/// One cell of a report: a score over `responses` answers, or withheld (no numbers at all) when
/// they are too few or when subtraction from the others would give a small group.
struct Cell {
  std::string name{};   // the item's key, the dimension, service, team or cohort
  std::string label{};  // the item's text, the department's name
  bool withheld = false;
  std::optional<std::int64_t> responses{};  // answers counted (don't-knows apart)
  std::optional<std::int64_t> dont_know{};
  std::optional<double> score{};  // Likert: weighted %
  std::optional<double> ci95{};   // half-width of the 95 % interval of score
  std::optional<double> nps{};    // % promoters (9-10) - % detractors (0-6)
  std::optional<double> nps_ci95{};
  std::optional<double> promoters{};      // %
  std::optional<double> detractors{};     // %
  std::optional<double> response_rate{};  // cohorts: responses / invited
  std::vector<OptionCount> options{};     // choice items
  std::vector<std::string> texts{};       // text items, sorted (never in submission order)
};
BOOST_DESCRIBE_STRUCT(Cell, (),
                      (name, label, withheld, responses, dont_know, score, ci95, nps, nps_ci95,
                       promoters, detractors, response_rate, options, texts))

struct ScoresInput {
  static constexpr std::array<std::string_view, 1> required_fields{"survey"};
  std::string survey;  // its code
};
BOOST_DESCRIBE_STRUCT(ScoresInput, (), (survey))

struct Scores {
  Survey survey;
  std::string questionnaire;
  std::int32_t revision = 0;
  std::int32_t min_responses = 5;
  Cell overall;  // every Likert item together (composite), NPS items together
  std::vector<Cell> items;
  std::vector<Cell> dimensions;  // work_order_rating included: the period's repair ratings
  std::vector<Cell> services;
  std::vector<Cell> teams;
  std::vector<Cell> cohorts;
};
BOOST_DESCRIBE_STRUCT(Scores, (),
                      (survey, questionnaire, revision, min_responses, overall, items, dimensions,
                       services, teams, cohorts))

struct TrendInput {
  static constexpr std::array<std::string_view, 1> required_fields{"questionnaire"};
  std::string questionnaire;  // its code
};
BOOST_DESCRIBE_STRUCT(TrendInput, (), (questionnaire))

struct TrendPoint {
  std::string survey;
  Date period_from{};
  Date period_to{};
  std::int32_t revision = 0;
  std::int64_t invited = 0;
  Cell overall;
};
BOOST_DESCRIBE_STRUCT(TrendPoint, (), (survey, period_from, period_to, revision, invited, overall))

struct Trend {
  std::string questionnaire;
  std::vector<TrendPoint> points;  // by period
};
BOOST_DESCRIBE_STRUCT(Trend, (), (questionnaire, points))

// ---- events ----

/// A survey was sent.
struct SurveyOpened {
  static constexpr std::string_view aggregate = "survey";
  Id aggregate_id() const { return survey_id; }
  Id survey_id = 0;
  std::string code;
  std::int64_t invited = 0;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(SurveyOpened, (), (survey_id, code, invited, at))
/// A survey was closed (by hand or at its closing time), with its response count.
struct SurveyClosed {
  static constexpr std::string_view aggregate = "survey";
  Id aggregate_id() const { return survey_id; }
  Id survey_id = 0;
  std::string code;
  std::int64_t invited = 0;
  std::int64_t responses = 0;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(SurveyClosed, (), (survey_id, code, invited, responses, at))
/// At close, a shown cell scoring below the rules' threshold: for BI's warnings.
struct SurveyLowScore {
  static constexpr std::string_view aggregate = "survey";
  Id aggregate_id() const { return survey_id; }
  Id survey_id = 0;
  std::string code;
  std::string kind;  // overall, item, dimension, service, team, cohort
  std::string name;
  std::optional<double> score;
  std::optional<double> nps;
  std::int64_t responses = 0;
  Timestamp at{};
};
BOOST_DESCRIBE_STRUCT(SurveyLowScore, (), (survey_id, code, kind, name, score, nps, responses, at))

class HOUQIN_EXPORT Surveys {
 public:
  explicit Surveys(store::Store& store) : store_(store) {}

  /// Saves the draft revision of a questionnaire (a new revision when the latest is published).
  Questionnaire save_questionnaire(const auth::Actor& actor, const QuestionnaireInput& in);
  /// A draft revision becomes published (fixed) and the earlier published one retired.
  Questionnaire publish(const auth::Actor& actor, const RevisionInput& in);

  Survey create(const auth::Actor& actor, const CreateInput& in);
  /// Picks the audience, writes invitations and shuffled ballots and sends each invitee a link.
  Distribution distribute(const auth::Actor& actor, const std::string& code);
  /// What a link opens; Error(not_found) for a link that is unknown or used, failed_precondition
  /// when the survey is not open.
  Form open(const std::string& token);
  /// Answers once with a link. Validates every answer against the revision (kinds, ranges,
  /// options, required and conditional questions).
  Receipt respond(const RespondInput& in);
  /// Closes an open survey: re-deals anonymous responses, raises SurveyLowScore, SurveyClosed.
  Scores close(const auth::Actor& actor, const std::string& code);
  /// The survey job: reminders due, surveys past their closing time closed.
  TickReport tick(const auth::Actor& actor);

  Scores scores(const std::string& code);
  Trend trend(const std::string& questionnaire);

  Rules save_rules(const auth::Actor& actor, Rules rules);

 private:
  store::Store& store_;
};

HOUQIN_EXPORT std::string to_csv(const Scores& scores);
HOUQIN_EXPORT std::string to_html(const Scores& scores, const Trend& trend);

}  // namespace houqin::survey
