#include "conformance/report/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace syncmgr::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<Requirement> Spec() {
  auto req = [](const char* id, const char* area) {
    Requirement r;
    r.id = id;
    r.level = "MUST";
    r.text = std::string("text of ") + id;
    r.area = area;
    return r;
  };
  std::vector<Requirement> spec = {req("AA-001", "A"), req("AA-002", "A"),
                                   req("AA-003", "A"), req("AA-004", "B"),
                                   req("AA-005", "B"), req("AA-006", "B"),
                                   req("AA-007", "B")};
  spec[6].deferred = "out of scope: no UI";
  return spec;
}

Check MakeCheck(const char* name, std::vector<std::string> ids,
                Check::Result result, const char* message = "") {
  Check c;
  c.name = name;
  c.requirements = std::move(ids);
  c.result = result;
  c.message = message;
  return c;
}

std::string TempDir(const char* name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

Status StatusOf(const Report& report, const std::string& id) {
  for (const RequirementResult& r : report.requirements) {
    if (r.requirement.id == id) return r.status;
  }
  ADD_FAILURE() << id << " not in report";
  return Status::kNotRun;
}

TEST(BuildReport, EveryStatus) {
  using R = Check::Result;
  std::vector<Check> checks = {
      MakeCheck("T.Pass", {"AA-001"}, R::kPassed),
      MakeCheck("T.Fail", {"AA-002"}, R::kFailed, "expected X"),
      MakeCheck("T.AlsoPass", {"AA-002"}, R::kPassed),
      MakeCheck("T.WaivedById", {"AA-003"}, R::kCrashed, "SIGSEGV"),
      MakeCheck("T.WaivedByName", {"AA-004"}, R::kTimedOut, "hung"),
      MakeCheck("T.StalePass", {"AA-005"}, R::kPassed),
      MakeCheck("T.Skipped", {"AA-006"}, R::kSkipped, "not supported"),
      MakeCheck("T.Unknown", {"ZZ-999"}, R::kPassed),
  };
  std::vector<Waiver> waivers = {{"AA-003", "bug 1", 1},
                                 {"T.WaivedByName", "bug 2", 2},
                                 {"AA-005", "bug 3", 3}};
  const Report report =
      BuildReport("conformance", "impl.so", Spec(), checks, waivers);
  EXPECT_EQ(StatusOf(report, "AA-001"), Status::kPassed);
  EXPECT_EQ(StatusOf(report, "AA-002"), Status::kFailed);
  EXPECT_EQ(StatusOf(report, "AA-003"), Status::kWaived);
  EXPECT_EQ(StatusOf(report, "AA-004"), Status::kWaived);
  EXPECT_EQ(StatusOf(report, "AA-005"), Status::kStale);
  EXPECT_EQ(StatusOf(report, "AA-006"), Status::kNotRun);
  EXPECT_EQ(StatusOf(report, "AA-007"), Status::kDeferred);
  EXPECT_EQ(report.passed, 1);
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.waived, 2);
  EXPECT_EQ(report.stale, 1);
  EXPECT_EQ(report.not_run, 1);
  EXPECT_EQ(report.deferred, 1);
  EXPECT_FALSE(report.verdict_passed);
  EXPECT_THAT(report.notes, ElementsAre(HasSubstr("ZZ-999")));
  EXPECT_THAT(report.requirements[1].failures,
              ElementsAre("T.Fail: expected X"));
  EXPECT_THAT(Summary(report), HasSubstr("FAIL AA-002"));
  EXPECT_THAT(Summary(report), HasSubstr("STALE WAIVER AA-005"));
}

TEST(BuildReport, VerdictPassesWithOnlyWaivedFailures) {
  std::vector<Check> checks = {
      MakeCheck("T.Pass", {"AA-001"}, Check::Result::kPassed),
      MakeCheck("T.Fail", {"AA-002"}, Check::Result::kFailed, "x")};
  Report report =
      BuildReport("certify", "h.so", Spec(), checks, {{"AA-002", "known", 1}});
  EXPECT_TRUE(report.verdict_passed);
  report = BuildReport("certify", "h.so", Spec(), checks, {});
  EXPECT_FALSE(report.verdict_passed);
  // Nothing checked is not a pass.
  EXPECT_FALSE(BuildReport("certify", "h.so", Spec(), {}, {}).verdict_passed);
}

TEST(Abridge, FoldsRepeatedLinesAndKeepsBothEnds) {
  EXPECT_EQ(Abridge("a\nb", 100), "a\nb");
  EXPECT_EQ(Abridge("a\nb\n", 100), "a\nb\n");
  EXPECT_EQ(Abridge("x\nx\nx\ny\n", 100), "x  [repeated 3x]\ny\n");
  std::string big;
  for (int i = 0; i < 1000; ++i) big += "line " + std::to_string(i) + "\n";
  const std::string cut = Abridge(big, 300);
  EXPECT_LT(cut.size(), 400u);
  EXPECT_THAT(cut, HasSubstr("line 0\n"));
  EXPECT_THAT(cut, HasSubstr("line 999\n"));
  EXPECT_THAT(cut, HasSubstr("bytes left out; report.json has the full text"));
}

// A handler that repeats one violation thousands of times gets a report.html
// of bounded size; report.json keeps every byte.
TEST(WriteReports, HtmlStaysSmallForHugeChecks) {
  std::string message;
  for (int i = 0; i < 20000; ++i) {
    message += "Progress: E_INVALIDARG " + std::to_string(i) + "\n";
  }
  std::vector<Check> checks;
  for (int i = 0; i < 40; ++i) {
    checks.push_back(MakeCheck(("T.Fail" + std::to_string(i)).c_str(),
                               {"AA-001"}, Check::Result::kFailed,
                               message.c_str()));
    checks.back().evidence = message;
  }
  const Report report = BuildReport("certify", "h.so", Spec(), checks, {});
  const std::string dir = TempDir("huge");
  std::string error;
  ASSERT_TRUE(WriteReports(report, dir, &error)) << error;
  EXPECT_LT(std::filesystem::file_size(dir + "/report.html"), 256u * 1024);
  EXPECT_GT(std::filesystem::file_size(dir + "/report.json"),
            40u * message.size());
  const std::string summary = Summary(report);
  EXPECT_LT(summary.size(), 8u * 1024);
  EXPECT_THAT(summary, HasSubstr("and 37 more failed checks"));
}

TEST(LoadWaivers, ReadsTargetsAndReasons) {
  const std::string dir = TempDir("waivers_ok");
  std::ofstream(dir + "/w.txt") << "# known failures\n\n"
                                   "AA-001: bug 7  # trailing comment\n"
                                   "  T.Check : flaky on CI\n";
  std::vector<Waiver> waivers;
  std::string error;
  ASSERT_TRUE(
      LoadWaivers(dir + "/w.txt", Spec(), {"T.Check"}, &waivers, &error))
      << error;
  ASSERT_EQ(waivers.size(), 2u);
  EXPECT_EQ(waivers[0].target, "AA-001");
  EXPECT_EQ(waivers[0].reason, "bug 7");
  EXPECT_EQ(waivers[1].target, "T.Check");
  EXPECT_EQ(waivers[1].line, 4);
}

TEST(LoadWaivers, RejectsBadLinesWithTheirPlace) {
  const std::string dir = TempDir("waivers_bad");
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"AA-001\n", "w.txt:1: expected \"REQUIREMENT-OR-CHECK: reason\""},
      {"\nAA-001:   \n", "w.txt:2: expected"},
      {"ZZ-001: why\n", "\"ZZ-001\" is neither a requirement"},
  };
  for (const auto& c : cases) {
    std::ofstream(dir + "/w.txt") << c.text;
    std::vector<Waiver> waivers;
    std::string error;
    EXPECT_FALSE(LoadWaivers(dir + "/w.txt", Spec(), {}, &waivers, &error));
    EXPECT_THAT(error, HasSubstr(c.error)) << c.text;
  }
  std::vector<Waiver> waivers;
  std::string error;
  EXPECT_FALSE(LoadWaivers(dir + "/missing.txt", Spec(), {}, &waivers, &error));
  EXPECT_THAT(error, HasSubstr("cannot read"));
}

TEST(LoadRequirements, ReadsSpecJsonAndRejectsGarbage) {
  const std::string dir = TempDir("requirements");
  std::ofstream(dir + "/ok.json")
      << R"([{"id":"UI-001","level":"MUST","text":"t","area":"a",)"
      << R"("tests":["S.T"],"deferred":null},)"
      << R"({"id":"HS-005","level":"MAY","text":"u","area":"b","tests":[],)"
      << R"("deferred":"out of scope: UI"}])";
  std::vector<Requirement> spec;
  std::string error;
  ASSERT_TRUE(LoadRequirements(dir + "/ok.json", &spec, &error)) << error;
  ASSERT_EQ(spec.size(), 2u);
  EXPECT_THAT(spec[0].tests, ElementsAre("S.T"));
  EXPECT_EQ(spec[1].deferred, "out of scope: UI");
  std::ofstream(dir + "/bad.json") << "[{\"id\": 1}";
  EXPECT_FALSE(LoadRequirements(dir + "/bad.json", &spec, &error));
  EXPECT_THAT(error, HasSubstr("bad.json"));
  std::ofstream(dir + "/empty.json") << "[]";
  EXPECT_FALSE(LoadRequirements(dir + "/empty.json", &spec, &error));
}

TEST(WriteReports, WritesJsonJUnitAndHtml) {
  std::vector<Check> checks = {
      MakeCheck("T.Pass", {"AA-001"}, Check::Result::kPassed),
      MakeCheck("T.Fail <&>", {"AA-002"}, Check::Result::kFailed,
                "got \"E_FAIL\" \x01 <b>")};
  checks[1].evidence = "Initialize -> S_OK";
  const Report report = BuildReport("certify", "h.so", Spec(), checks, {});
  const std::string dir = TempDir("reports") + "/nested/out";
  std::string error;
  ASSERT_TRUE(WriteReports(report, dir, &error)) << error;
  std::ifstream json_file(dir + "/report.json");
  const nlohmann::json doc = nlohmann::json::parse(json_file);
  EXPECT_EQ(doc["verdict"], "FAIL");
  EXPECT_EQ(doc["counts"]["failed"], 1);
  EXPECT_EQ(doc["requirements"][1]["status"], "fail");
  std::stringstream xml, html;
  xml << std::ifstream(dir + "/report.xml").rdbuf();
  html << std::ifstream(dir + "/report.html").rdbuf();
  EXPECT_THAT(xml.str(), HasSubstr("name=\"T.Fail &lt;&amp;&gt; [AA-002]\""));
  EXPECT_THAT(xml.str(), HasSubstr("<failure"));
  EXPECT_THAT(xml.str(), ::testing::Not(HasSubstr("\x01")));
  EXPECT_THAT(html.str(), HasSubstr("vFAIL"));
  EXPECT_THAT(html.str(), HasSubstr("Initialize -&gt; S_OK"));
  EXPECT_THAT(html.str(), HasSubstr("&quot;E_FAIL&quot; ? &lt;b&gt;"));
  EXPECT_FALSE(WriteReports(report, "/proc/forbidden", &error));
}

TEST(BuildReport, FailedCheckCoveringNoRequirementFailsTheVerdict) {
  const Report report = BuildReport(
      "conformance", "impl.so", Spec(),
      {MakeCheck("T.Pass", {"AA-001"}, Check::Result::kPassed),
       MakeCheck("T.Untraced", {}, Check::Result::kCrashed, "SIGSEGV"),
       MakeCheck("T.Unknown", {"ZZ-999"}, Check::Result::kPassed)},
      {});
  EXPECT_FALSE(report.verdict_passed);
  EXPECT_EQ(report.unattributed_failures, 1);
  EXPECT_THAT(Summary(report), HasSubstr("T.Untraced"));
}

TEST(WriteReports, NotRunRequirementsSayWhereTheyAreChecked) {
  std::vector<Requirement> spec = Spec();
  spec[2].tests = {"UnitTests.CheckIt"};
  const Report report = BuildReport(
      "conformance", "impl.so", spec,
      {MakeCheck("T.Pass", {"AA-001"}, Check::Result::kPassed),
       MakeCheck("T.Skip", {"AA-002"}, Check::Result::kSkipped, "no hook")},
      {});
  const std::string dir = TempDir("not_run");
  std::string error;
  ASSERT_TRUE(WriteReports(report, dir, &error)) << error;
  std::stringstream html, xml;
  html << std::ifstream(dir + "/report.html").rdbuf();
  xml << std::ifstream(dir + "/report.xml").rdbuf();
  EXPECT_THAT(html.str(), HasSubstr("not checked by conformance; SPEC.md "
                                    "lists: UnitTests.CheckIt"));
  EXPECT_THAT(html.str(), HasSubstr("not observed: T.Skip: no hook"));
  EXPECT_THAT(xml.str(), HasSubstr("SPEC.md lists: UnitTests.CheckIt"));
}

// OURS requirements form the reference profile: reported beside the
// documented contract, gating only when strict.
TEST(BuildReport, TwoProfilesTwoVerdicts) {
  std::vector<Requirement> spec = Spec();
  spec[1].level = "OURS";  // AA-002
  spec[2].level = "OURS";  // AA-003
  const std::vector<Check> checks = {
      MakeCheck("T.Doc", {"AA-001"}, Check::Result::kPassed),
      MakeCheck("T.Ours", {"AA-002"}, Check::Result::kFailed, "E_FAIL"),
      MakeCheck("T.Ours2", {"AA-003"}, Check::Result::kPassed)};
  Report report = BuildReport("conformance", "impl.so", spec, checks, {});
  EXPECT_TRUE(report.verdict_passed);
  EXPECT_TRUE(report.documented.verdict_passed);
  EXPECT_FALSE(report.reference.verdict_passed);
  EXPECT_EQ(report.documented.passed, 1);
  EXPECT_EQ(report.reference.failed, 1);
  EXPECT_EQ(report.reference.passed, 1);
  EXPECT_THAT(Summary(report), HasSubstr("DIFFERS (OURS) AA-002"));
  EXPECT_THAT(Summary(report), ::testing::Not(HasSubstr("  FAIL AA-002")));
  report = BuildReport("conformance", "impl.so", spec, checks, {},
                       /*strict=*/true);
  EXPECT_FALSE(report.verdict_passed);
  // A documented failure fails either way.
  report = BuildReport(
      "conformance", "impl.so", spec,
      {MakeCheck("T.Doc", {"AA-001"}, Check::Result::kFailed, "no")}, {});
  EXPECT_FALSE(report.verdict_passed);
  EXPECT_THAT(Summary(report), HasSubstr("  FAIL AA-001"));
}

// A profile in which nothing was observed is NOT RUN: neither a pass (it
// does not gate as one) nor a failure of the subject.
TEST(BuildReport, ProfileWithNothingObservedIsNotRun) {
  std::vector<Requirement> spec = Spec();
  spec[1].level = "OURS";  // AA-002
  const std::vector<Check> checks = {
      MakeCheck("T.Doc", {"AA-001"}, Check::Result::kPassed),
      MakeCheck("T.Ours", {"AA-002"}, Check::Result::kSkipped, "not reached")};
  const auto written = [](const Report& report, const char* name) {
    const std::string dir = TempDir(name);
    std::string error;
    EXPECT_TRUE(WriteReports(report, dir, &error)) << error;
    std::ifstream json_file(dir + "/report.json");
    std::stringstream html;
    html << std::ifstream(dir + "/report.html").rdbuf();
    return std::make_pair(nlohmann::json::parse(json_file), html.str());
  };
  Report report = BuildReport("certify", "h.so", spec, checks, {});
  EXPECT_TRUE(report.verdict_passed);
  EXPECT_FALSE(report.reference.verdict_passed);
  EXPECT_THAT(Summary(report), HasSubstr("documented contract: PASS"));
  EXPECT_THAT(Summary(report), HasSubstr("not gating): NOT RUN"));
  auto [doc, html] = written(report, "not_run");
  EXPECT_EQ(doc["verdicts"]["reference"]["verdict"], "NOT RUN");
  EXPECT_EQ(doc["verdicts"]["documented"]["verdict"], "PASS");
  EXPECT_THAT(html, HasSubstr("vNOTRUN"));
  // Strict, the unobserved profile keeps the run from passing, as NOT RUN.
  report = BuildReport("certify", "h.so", spec, checks, {}, /*strict=*/true);
  EXPECT_FALSE(report.verdict_passed);
  EXPECT_EQ(written(report, "not_run_strict").first["verdict"], "NOT RUN");
  // Nothing at all: NOT RUN, not FAIL.
  report = BuildReport("certify", "h.so", spec, {}, {});
  EXPECT_FALSE(report.verdict_passed);
  EXPECT_THAT(Summary(report), HasSubstr("certify: NOT RUN"));
}

// A requirement only checks marked not applicable: "not applicable", never
// "passed"; one check that observed it decides.
TEST(BuildReport, NotApplicableOnlyWithoutAnObservation) {
  const std::vector<Check> checks = {
      MakeCheck("T.NA", {"AA-001"}, Check::Result::kNotApplicable,
                "decided otherwise"),
      MakeCheck("T.NA", {"AA-002"}, Check::Result::kNotApplicable, "x"),
      MakeCheck("T.Fail", {"AA-002"}, Check::Result::kFailed, "E_FAIL"),
      MakeCheck("T.Pass", {"AA-003"}, Check::Result::kPassed)};
  const Report report =
      BuildReport("conformance", "impl.so", Spec(), checks, {});
  EXPECT_EQ(StatusOf(report, "AA-001"), Status::kNotApplicable);
  EXPECT_EQ(report.requirements[0].not_applicable, "T.NA: decided otherwise");
  EXPECT_EQ(StatusOf(report, "AA-002"), Status::kFailed);
  EXPECT_EQ(report.documented.not_applicable, 1);
}

// The HTML report leads with the failures, each with its rerun command.
TEST(WriteReports, HtmlLeadsWithFailuresAndTheirRerunCommand) {
  std::vector<Check> checks = {
      MakeCheck("T.Pass", {"AA-001"}, Check::Result::kPassed),
      MakeCheck("T.Fail", {"AA-002"}, Check::Result::kFailed, "expected S_OK")};
  checks[1].rerun = "conformance_suite --gtest_filter=T.Fail";
  const Report report =
      BuildReport("conformance", "impl.so", Spec(), checks, {});
  const std::string dir = TempDir("failures_first");
  std::string error;
  ASSERT_TRUE(WriteReports(report, dir, &error)) << error;
  std::stringstream html;
  html << std::ifstream(dir + "/report.html").rdbuf();
  const std::string text = html.str();
  const size_t failures = text.find("Breaks the documented contract");
  const size_t every = text.find("Every requirement");
  ASSERT_NE(failures, std::string::npos);
  EXPECT_LT(failures, every);
  EXPECT_THAT(text, HasSubstr("conformance_suite --gtest_filter=T.Fail"));
}

}  // namespace
}  // namespace syncmgr::conformance
