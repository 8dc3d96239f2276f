// The survey domain's operations in the service registry: questionnaires and their revisions,
// surveys sent, the link's two steps (open, respond; the link is the credential, so any signed-in
// actor -- a kiosk, the app's anonymous session -- may call them and nothing of the caller is
// kept), closing, the scores, the trend, the report documents, the rules and the timed job.
#include "houqin/audit/call.hpp"
#include "houqin/service/document.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/survey/surveys.hpp"

namespace houqin::survey {
namespace {

using service::CodeInput;
using service::Context;
using service::define;
using service::DocumentFormat;

struct ScoresDocumentInput {
  static constexpr std::array<std::string_view, 1> required_fields{"survey"};
  std::string survey;
  DocumentFormat format = DocumentFormat::html;
};
BOOST_DESCRIBE_STRUCT(ScoresDocumentInput, (), (survey, format))

// Reads of scores: authorised, a failure recorded; scores are aggregates with every small cell
// withheld, so a read of them is no read of personal data.
template <class F>
auto read_scores(Context& c, F&& f) {
  return audit::audited(c.store, c.actor, "survey.scores", [&](audit::Call& call) {
    call.require("survey.read");
    call.quiet();
    return f();
  });
}

[[maybe_unused]] const bool operations_registered[] = {
    define<QuestionnaireInput>(
        "survey.save_questionnaire", "survey.manage",
        "Save the draft revision of a questionnaire (a new revision once one is published)",
        [](Context& c, const QuestionnaireInput& in) {
          return Surveys(c.store).save_questionnaire(c.actor, in);
        }),
    define<RevisionInput>(
        "survey.publish", "survey.manage",
        "Publish a draft revision (it never changes again; the earlier one is retired)",
        [](Context& c, const RevisionInput& in) { return Surveys(c.store).publish(c.actor, in); }),
    define<CreateInput>(
        "survey.create", "survey.manage",
        "Create a survey of a published questionnaire: audience rule, period rated, closing time",
        [](Context& c, const CreateInput& in) { return Surveys(c.store).create(c.actor, in); }),
    define<CodeInput>("survey.distribute", "survey.manage",
                      "Send a survey: each invitee of the audience gets a one-time link by SMS "
                      "(needs notify.send too)",
                      [](Context& c, const CodeInput& in) {
                        return Surveys(c.store).distribute(c.actor, in.code);
                      }),
    define<TokenInput>(
        "survey.open", "",
        "What a survey link opens: the questions, and whether the answers are "
        "anonymous",
        [](Context& c, const TokenInput& in) { return Surveys(c.store).open(in.token); }),
    define<RespondInput>(
        "survey.respond", "",
        "Answer a survey once with its link; nothing of the caller is kept with the answers "
        "of an anonymous survey",
        [](Context& c, const RespondInput& in) { return Surveys(c.store).respond(in); }),
    define<CodeInput>(
        "survey.close", "survey.manage",
        "Close a survey: unused links die, low scores are raised, the scores "
        "returned",
        [](Context& c, const CodeInput& in) { return Surveys(c.store).close(c.actor, in.code); }),
    define<ScoresInput>("survey.scores", "survey.read",
                        "Scores by item, dimension, service, team and department with response "
                        "rates and 95 % intervals; small groups withheld",
                        [](Context& c, const ScoresInput& in) {
                          return read_scores(c, [&] { return Surveys(c.store).scores(in.survey); });
                        }),
    define<TrendInput>(
        "survey.trend", "survey.read", "A questionnaire's overall score and NPS over its surveys",
        [](Context& c, const TrendInput& in) {
          return read_scores(c, [&] { return Surveys(c.store).trend(in.questionnaire); });
        }),
    define<ScoresDocumentInput>(
        "survey.report_document", "survey.read",
        "A survey's scores as CSV an HTML page with charts and the trend, XLSX or PDF",
        [](Context& c, const ScoresDocumentInput& in) {
          return read_scores(c, [&] {
            Surveys surveys(c.store);
            auto s = surveys.scores(in.survey);
            return service::render(
                in.format, s, "满意度调查报告", [&] { return to_csv(s); },
                [&] { return to_html(s, surveys.trend(s.questionnaire)); });
          });
        }),
    define<Rules>(
        "survey.save_rules", "survey.manage",
        "Set the survey rules: minimum responses shown, the link, low-score thresholds",
        [](Context& c, const Rules& in) { return Surveys(c.store).save_rules(c.actor, in); }),
    define<service::NoInput>(
        "survey.tick", "survey.manage",
        "Send the reminders due and close surveys past their closing time "
        "(what the host's job survey.tick does)",
        [](Context& c, const service::NoInput&) { return Surveys(c.store).tick(c.actor); }),
};

}  // namespace
}  // namespace houqin::survey
