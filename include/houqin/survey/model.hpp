// Satisfaction surveys (满意度测评) as entities: versioned questionnaires of Likert, NPS, choice
// and text questions, each with the dimension it measures and the service or team it rates; surveys
// that send one questionnaire revision to clinical staff chosen by a rule; the invitations sent;
// the one-time ballots that let each invitee answer once; and the responses. In an anonymous
// survey a response carries nothing that leads back to its invitee: a random id, the day, the
// invitee's cohort (a department with enough invitees, or the pooled rest) and the answers.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/time.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::survey {

/// likert: 1..points, points the best (weights give each point's score in %); nps: 0..10 (how
/// likely to recommend); single_choice / multiple_choice: among options; text: free text.
BOOST_DEFINE_ENUM_CLASS(QuestionKind, likert, nps, single_choice, multiple_choice, text)
/// A questionnaire revision: draft (editable), published (fixed; surveys use it), retired.
BOOST_DEFINE_ENUM_CLASS(RevisionStatus, draft, published, retired)
/// A survey: draft (not sent), open (sent, taking answers), closed.
BOOST_DEFINE_ENUM_CLASS(SurveyStatus, draft, open, closed)

/// Shown only when the answer to an earlier question is one of `any_of` (a Likert or NPS point as
/// its number, "3"; a choice as its option text).
struct Condition {
  static constexpr std::array<std::string_view, 2> required_fields{"question", "any_of"};
  std::string question{};
  std::vector<std::string> any_of{};
};
BOOST_DESCRIBE_STRUCT(Condition, (), (question, any_of))

struct Question {
  static constexpr std::array<std::string_view, 3> required_fields{"key", "text", "kind"};
  std::string key{};  // stable across revisions: trends compare answers by key
  std::string text{};
  QuestionKind kind = QuestionKind::likert;
  std::int32_t points = 5;  // likert: 5 or 7
  /// likert: the score in % of each point, worst first; empty for the defaults (5 points: 0, 30,
  /// 60, 80, 100; 7 points evenly from 0 to 100).
  std::vector<double> weights{};
  std::vector<std::string> options{};  // single_choice, multiple_choice
  bool allow_dont_know = false;        // "不了解 don't know": counted, never scored
  bool required = false;
  std::string dimension{};  // what it measures: attitude, quality, timeliness, ...
  std::string service{};    // the logistics service rated: repair, cleaning, transport, ...
  std::string team{};       // the team rated, when one is
  double weight = 1.0;      // the item's weight in composite scores
  std::optional<Condition> show_if{};
};
BOOST_DESCRIBE_STRUCT(Question, (),
                      (key, text, kind, points, weights, options, allow_dont_know, required,
                       dimension, service, team, weight, show_if))

/// One revision of a questionnaire. A published revision never changes; editing it makes the
/// next revision.
struct Questionnaire {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // the questionnaire across its revisions, e.g. "LOGISTICS-Q"
  std::int32_t revision = 1;
  std::string title;
  std::string introduction;
  bool anonymous = true;
  std::vector<Question> questions;
  RevisionStatus status = RevisionStatus::draft;
  Timestamp changed_at{};
  HOUQIN_EXPORT void validate() const;
};
BOOST_DESCRIBE_STRUCT(Questionnaire, (),
                      (id, version, code, revision, title, introduction, anonymous, questions,
                       status, changed_at))

/// Who a survey goes to: active staff of clinical (and medical-technical) departments who match
/// every rule given. No rule: all of them.
struct Audience {
  std::vector<Id> department_ids;   // in one of these departments
  std::vector<std::string> titles;  // with one of these titles (护士长, 主任, ...)
  /// Who reported a repair work order (of this category, "" any) in the last `requested_days`
  /// days: the recent requesters of the service. 0: not a rule.
  std::int32_t requested_days = 0;
  std::string requested_category;
  bool include_medical_technical = true;
};
BOOST_DESCRIBE_STRUCT(Audience, (),
                      (department_ids, titles, requested_days, requested_category,
                       include_medical_technical))

/// One round of a questionnaire: who it goes to, the period it rates, until when it is open.
struct Survey {
  Id id = 0;
  std::int64_t version = 0;
  std::string code;  // e.g. "SV-2026Q4"
  std::string title;
  Id questionnaire_id = 0;  // the revision sent
  bool anonymous = true;    // the questionnaire's, fixed when sent
  Audience audience;
  Date period_from{};  // the period the answers rate (work-order ratings of it are included)
  Date period_to{};    // exclusive
  Timestamp closes_at{};
  std::int32_t remind_every_days = 3;  // 0: no reminders
  SurveyStatus status = SurveyStatus::draft;
  std::int64_t invited = 0;
  std::int32_t reminders_sent = 0;
  std::optional<Timestamp> opened_at;
  std::optional<Timestamp> last_reminded_at;
  std::optional<Timestamp> closed_at;
  std::string created_by;
};
BOOST_DESCRIBE_STRUCT(Survey, (),
                      (id, version, code, title, questionnaire_id, anonymous, audience, period_from,
                       period_to, closes_at, remind_every_days, status, invited, reminders_sent,
                       opened_at, last_reminded_at, closed_at, created_by))

/// One invitee of a survey. In an anonymous survey it is never touched again after sending: it
/// does not say whether, when or how its invitee answered.
struct Invitation {
  Id id = 0;
  std::int64_t version = 0;
  Id survey_id = 0;
  Id staff_id = 0;
  std::string cohort;  // the cohort the invitee's answers are counted in
  std::optional<Id> message_id;
  // A named survey only: when the invitee answered.
  std::optional<Timestamp> answered_at;
};
BOOST_DESCRIBE_STRUCT(Invitation, (),
                      (id, version, survey_id, staff_id, cohort, message_id, answered_at))

/// The right to answer once: the hash of the link's token. Ballots are written in a shuffled order
/// apart from the invitations and deleted when used, so an anonymous ballot leads to nobody and a
/// response to no ballot.
struct Ballot {
  Id id = 0;
  std::int64_t version = 0;
  Id survey_id = 0;
  std::string token_hash;  // BLAKE2b-256 hex of the token
  std::string cohort;
  std::optional<Id> invitation_id;  // a named survey only
};
BOOST_DESCRIBE_STRUCT(Ballot, (), (id, version, survey_id, token_hash, cohort, invitation_id))

struct Answer {
  static constexpr std::array<std::string_view, 1> required_fields{"question"};
  std::string question;         // the question's key
  std::optional<double> value;  // likert point, nps 0..10
  std::vector<std::string> choices;
  std::string text;
  bool dont_know = false;
};
BOOST_DESCRIBE_STRUCT(Answer, (), (question, value, choices, text, dont_know))

/// One submitted questionnaire. Its id is random (not in submission order) and it keeps only the
/// day it was submitted; in a named survey it also says who answered.
struct Response {
  Id id = 0;
  std::int64_t version = 0;
  Id survey_id = 0;
  Id questionnaire_id = 0;
  std::string cohort;
  Date day{};
  std::vector<Answer> answers;
  std::optional<Id> invitation_id;        // named surveys only
  std::optional<Id> respondent_staff_id;  // named surveys only
};
BOOST_DESCRIBE_STRUCT(Response, (),
                      (id, version, survey_id, questionnaire_id, cohort, day, answers,
                       invitation_id, respondent_staff_id))

/// The named defaults a hospital overrides (one row, collection "survey_rules").
struct Rules {
  Id id = 0;
  std::int64_t version = 0;
  /// No result of fewer responses is shown (every cell of every report), and no cohort of fewer
  /// invitees is kept apart.
  std::int32_t min_responses = 5;
  /// The link in an invitation: this text followed by the token.
  std::string link_base = "https://houqin.local/s/";
  /// A shown score below this (weighted %) raises SurveyLowScore at close.
  double low_score_percent = 60.0;
  /// An NPS below this raises SurveyLowScore at close.
  double low_nps = 0.0;
  /// The hospital's local time: the day kept with a response.
  std::int32_t utc_offset_minutes = 480;
};
BOOST_DESCRIBE_STRUCT(Rules, (),
                      (id, version, min_responses, link_base, low_score_percent, low_nps,
                       utc_offset_minutes))

}  // namespace houqin::survey

template <>
struct houqin::entity_traits<houqin::survey::Questionnaire> {
  static constexpr std::string_view table = "survey_questionnaire";
  static constexpr std::string_view collection = "survey_questionnaires";
};
template <>
struct houqin::entity_traits<houqin::survey::Survey> {
  static constexpr std::string_view table = "survey";
  static constexpr std::string_view collection = "surveys";
  static constexpr std::array<std::string_view, 1> unique{"code"};
  static constexpr auto references =
      std::tuple{ref<survey::Questionnaire>(&survey::Survey::questionnaire_id)};
};
template <>
struct houqin::entity_traits<houqin::survey::Invitation> {
  static constexpr std::string_view table = "survey_invitation";
  static constexpr std::string_view collection = "survey_invitations";
  static constexpr auto references = std::tuple{ref<survey::Survey>(&survey::Invitation::survey_id),
                                                ref<site::Staff>(&survey::Invitation::staff_id)};
};
template <>
struct houqin::entity_traits<houqin::survey::Ballot> {
  static constexpr std::string_view table = "survey_ballot";
  static constexpr std::string_view collection = "survey_ballots";
  static constexpr std::array<std::string_view, 1> unique{"token_hash"};
  static constexpr auto references = std::tuple{ref<survey::Survey>(&survey::Ballot::survey_id)};
};
template <>
struct houqin::entity_traits<houqin::survey::Response> {
  static constexpr std::string_view table = "survey_response";
  static constexpr std::string_view collection = "survey_responses";
  static constexpr auto references =
      std::tuple{ref<survey::Survey>(&survey::Response::survey_id),
                 ref<survey::Questionnaire>(&survey::Response::questionnaire_id)};
};
template <>
struct houqin::entity_traits<houqin::survey::Rules> {
  static constexpr std::string_view table = "survey_rules";
  static constexpr std::string_view collection = "survey_rules";
};

// Instantiated once, in libhouqin (src/survey/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::survey::Questionnaire)
HOUQIN_EXTERN_ENTITY(houqin::survey::Survey)
HOUQIN_EXTERN_ENTITY(houqin::survey::Invitation)
HOUQIN_EXTERN_ENTITY(houqin::survey::Ballot)
HOUQIN_EXTERN_ENTITY(houqin::survey::Response)
HOUQIN_EXTERN_ENTITY(houqin::survey::Rules)
