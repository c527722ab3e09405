// certify, run as a vendor runs it: on the sample handler (which must pass
// every requirement) and on each known-bad handler of
// conformance/handlers/testdata (each must fail exactly the requirements
// it breaks), plus the command line's answers to bad arguments.
//
// Arguments: the certify program, then the directory of the handlers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/report/child_process.h"
#include "reference/testing/requirement.h"

namespace syncmgr::conformance {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

std::string g_certify;
std::string g_handlers;
constexpr const char* kClsid = "{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE00001}";

struct Outcome {
  ChildResult run;
  json report;
  std::set<std::string> failed;  // requirement IDs
  std::set<std::string> failed_documented;
  std::set<std::string> failed_ours;
  std::set<std::string> passed;
};

// `handler` is a path under the handlers directory, without ".so".
Outcome Certify(const std::string& handler, std::vector<std::string> extra = {},
                const std::string& clsid = kClsid, int completion_ms = 500) {
  Outcome out;
  std::string name = handler;
  std::replace(name.begin(), name.end(), '/', '_');
  const std::string dir =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR")
                                             : "/tmp") +
      "/certify-" + name;
  std::vector<std::string> argv = {
      g_certify, "--handler=" + g_handlers + "/" + handler + ".so",
      "--clsid=" + clsid, "--report_dir=" + dir,
      "--completion_timeout_ms=" + std::to_string(completion_ms)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  out.run = RunChild(argv, {}, std::chrono::minutes(5));
  std::ifstream in(dir + "/report.json");
  if (in) out.report = json::parse(in, nullptr, false);
  if (out.report.is_object()) {
    for (const json& r : out.report["requirements"]) {
      const std::string status = r["status"];
      if (status == "fail") {
        out.failed.insert(r["id"].get<std::string>());
        (r["profile"] == "documented" ? out.failed_documented : out.failed_ours)
            .insert(r["id"].get<std::string>());
      }
      if (status == "pass") out.passed.insert(r["id"].get<std::string>());
    }
  }
  return out;
}

// The requirements a scenario could not observe on a handler, from its
// report.
std::set<std::string> NotRun(const Outcome& out) {
  std::set<std::string> ids;
  for (const json& r : out.report["requirements"]) {
    if (r["status"] == "not run") ids.insert(r["id"].get<std::string>());
  }
  return ids;
}

TEST(CertifySample, PassesEveryRequirement) {
  REQUIREMENT(
      "HS-004 HS-006 HS-008 HS-009 HS-011 HS-013 HS-017 HS-018 HS-113 HS-114 "
      "HS-117 HS-027 CB-004 CB-005 CB-010 CB-016 EN-002 HS-020");
  const Outcome out = Certify("sample_handler");
  EXPECT_EQ(out.run.exit_code, 0) << out.run.output;
  ASSERT_TRUE(out.report.is_object()) << out.run.output;
  EXPECT_EQ(out.report["verdict"], "PASS");
  EXPECT_THAT(out.failed, ::testing::IsEmpty());
  // Only what the sample never gives occasion for is left "not run": it
  // never refuses PrepareForSync, so CB-002 is never observed.
  EXPECT_EQ(NotRun(out), (std::set<std::string>{"CB-002"}));
  for (const char* id :
       {"HS-004",  "HS-008",  "HS-013",  "HS-017",  "HS-018",  "HS-105",
        "HS-107",  "HS-108",  "HS-011",  "HS-117",  "CB-004",  "CB-005",
        "CB-016",  "HS-020",  "HS-113",  "HS-114",  "HS-027",  "CB-010",
        "EN-002",  "COM-001", "COM-002", "COM-003", "COM-005", "COM-006",
        "COM-007", "ST-003"}) {
    EXPECT_TRUE(out.passed.count(id)) << id << " was not reported as passed";
  }
  std::ifstream html(std::string(std::getenv("TEST_TMPDIR")) +
                     "/certify-sample_handler/report.html");
  std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_THAT(page, HasSubstr("PASS"));
}

// conformance/handlers/outside: a second correct handler, written from the
// public pages alone, that decides the open points otherwise (a pass after
// Reset in reverse order, asynchronous completion, no more Progress after
// S_SYNCMGR_CANCELALL, no error that offers ShowError, an event code it does
// not recognise named as a manual synchronization).
TEST(CertifySecondOpinion, OutsideHandlerPasses) {
  REQUIREMENT("EN-002 CB-010 CB-016 HS-004 HS-017 HS-020");
  const Outcome out = Certify("outside/outside_handler", {},
                              "{0E75DE00-0000-4000-8000-0000000000A1}");
  EXPECT_EQ(out.run.exit_code, 0) << out.run.output;
  ASSERT_TRUE(out.report.is_object()) << out.run.output;
  EXPECT_EQ(out.report["verdict"], "PASS");
  EXPECT_THAT(out.failed_documented, ::testing::IsEmpty()) << out.run.output;
  EXPECT_THAT(out.failed_ours, ::testing::IsEmpty()) << out.run.output;
  // It offers no ShowError and never refuses PrepareForSync.
  EXPECT_EQ(NotRun(out), (std::set<std::string>{"CB-002", "CB-005"}));
  for (const char* id : {"HS-004", "HS-017", "CB-010"}) {
    EXPECT_TRUE(out.passed.count(id)) << id << " was not reported as passed";
  }
}

// conformance/handlers/testdata/worker_finishes_first_handler.cc: a correct
// handler whose worker reports and completes before Synchronize returns.
// The manager holds the worker's calls until it has sent SetItemStatus, so
// skip_item observes HS-020 in both session modes, every time (without the
// hold the window is closed before Synchronize returns: "not run").
TEST(CertifySkip, ObservedWhenTheWorkerFinishesFirst) {
  REQUIREMENT("HS-020");
  for (int i = 0; i < 20; ++i) {
    const Outcome out =
        Certify("worker_finishes_first_handler", {"--scenarios=skip_item/*"});
    EXPECT_EQ(out.run.exit_code, 0) << out.run.output;
    ASSERT_TRUE(out.report.is_object()) << out.run.output;
    EXPECT_TRUE(out.passed.count("HS-020")) << "run " << i << "\n"
                                            << out.report.dump(1);
    int observed = 0;
    for (const json& c : out.report["checks"]) {
      if (c["requirements"][0] != "HS-020") continue;
      EXPECT_EQ(c["result"], "passed") << "run " << i << ": " << c.dump(1);
      ++observed;
    }
    EXPECT_EQ(observed, 2) << out.report.dump(1);  // sync and async
  }
}

struct KnownBad {
  const char* handler;
  std::set<std::string> documented;  // documented requirements it breaks
  std::set<std::string> ours = {};   // OURS requirements it breaks
};

// The verdict (and exit status) is FAIL exactly when a documented
// requirement fails; OURS failures are reported beside it.
void ExpectFailsExactly(const KnownBad& bad) {
  const Outcome out = Certify(bad.handler);
  const bool fails = !bad.documented.empty();
  EXPECT_EQ(out.run.exit_code, fails ? 1 : 0) << out.run.output;
  ASSERT_TRUE(out.report.is_object()) << out.run.output;
  EXPECT_EQ(out.report["verdict"], fails ? "FAIL" : "PASS");
  EXPECT_EQ(out.failed_documented, bad.documented) << out.run.output;
  EXPECT_EQ(out.failed_ours, bad.ours) << out.run.output;
}

TEST(CertifyKnownBad, KeepingTheCookiePointer) {
  REQUIREMENT("HS-113");
  ExpectFailsExactly({"bad_keeps_cookie_pointer", {"HS-113"}});
}

TEST(CertifyKnownBad, NeverCompleting) {
  REQUIREMENT("HS-016");
  ExpectFailsExactly({"bad_never_completes", {"HS-016"}});
}

// A handler that never completes is waited for the full limit once per
// session mode; later runs in that mode wait less, and say so.
TEST(CertifyKnownBad, NeverCompletingCostsOneFullWaitPerMode) {
  REQUIREMENT("HS-016");
  const Outcome out = Certify("bad_never_completes", {}, kClsid, 2000);
  EXPECT_EQ(out.failed_documented, std::set<std::string>{"HS-016"});
  std::string notes;
  for (const json& note : out.report["notes"]) notes += note.dump() + "\n";
  EXPECT_THAT(notes, HasSubstr("a session never finished in "
                               "invoke_flags_none/sync: later runs in the "
                               "synchronous mode waited at most 1000 ms"));
  EXPECT_THAT(notes, HasSubstr("invoke_flags_none/async: later runs in the "
                               "asynchronous mode"));
  int shortened = 0, timeouts = 0;
  for (const json& c : out.report["checks"]) {
    const std::string message = c.value("message", "");
    shortened +=
        message.find("limits shortened to 1000 ms") != std::string::npos;
    if (c["result"] == "failed" && c["requirements"][0] == "HS-016") {
      ++timeouts;
      EXPECT_THAT(message, HasSubstr("--completion_timeout_ms"));
      EXPECT_THAT(message, HasSubstr("--timeout"));
    }
  }
  EXPECT_GT(shortened, 10) << out.run.output;
  EXPECT_GT(timeouts, 2);
}

TEST(CertifyKnownBad, CompletingTwice) {
  REQUIREMENT("HS-108");
  ExpectFailsExactly({"bad_completes_twice", {}, {"HS-108"}});
}

// A leaked object keeps DllCanUnloadNow at S_FALSE too: one finding,
// COM-003, not HS-110 beside it.
TEST(CertifyKnownBad, LeakingAReference) {
  REQUIREMENT("COM-003");
  ExpectFailsExactly({"bad_leaks_reference", {"COM-003"}});
}

TEST(CertifyKnownBad, ReturningAnUndocumentedHresult) {
  REQUIREMENT("HS-105");
  ExpectFailsExactly({"bad_undocumented_hresult", {}, {"HS-105"}});
}

TEST(CertifyKnownBad, CrashingOnAnEmptyCookie) {
  REQUIREMENT("HS-027");
  const Outcome out = Certify("bad_crashes_on_empty_cookie");
  EXPECT_EQ(out.failed, (std::set<std::string>{"HS-027"}));
  // The crash is reported (a signal, or a sanitizer's report), and the
  // certification went on.
  bool crashed = false;
  for (const json& c : out.report["checks"]) {
    if (c["name"] == "cookie_0/sync" && c["result"] == "crashed") {
      crashed = true;
    }
  }
  EXPECT_TRUE(crashed) << out.run.output;
  EXPECT_THAT(
      out.report.dump(),
      ::testing::AnyOf(HasSubstr("killed by SIGSEGV"), HasSubstr("SEGV")));
  EXPECT_TRUE(out.passed.count("HS-108"));
}

TEST(CertifyKnownBad, ReturningAMalformedItem) {
  REQUIREMENT("ST-003");
  ExpectFailsExactly({"bad_malformed_item", {"ST-003"}});
}

TEST(CertifyKnownBad, SharingTheEnumeratorAsClone) {
  REQUIREMENT("EN-002");
  ExpectFailsExactly({"bad_shared_clone", {"EN-002"}});
}

TEST(CertifyKnownBad, GetItemObjectFailing) {
  REQUIREMENT("HS-008");
  ExpectFailsExactly({"bad_get_item_object_fails", {"HS-008"}});
}

TEST(CertifyKnownBad, IgnoringCancellation) {
  REQUIREMENT("CB-016");
  ExpectFailsExactly({"bad_ignores_cancellation", {"CB-016"}});
}

TEST(CertifyKnownBad, IgnoringASkip) {
  REQUIREMENT("HS-020");
  ExpectFailsExactly({"bad_ignores_skip", {"HS-020"}});
}

TEST(CertifyKnownBad, KeepingTheCallbackWithoutAddRef) {
  REQUIREMENT("HS-009");
  ExpectFailsExactly({"bad_keeps_callback_without_addref", {"HS-009"}});
}

TEST(CertifyKnownBad, HandlerInfoFromMalloc) {
  REQUIREMENT("HS-006");
  ExpectFailsExactly({"bad_handler_info_from_malloc", {"HS-006"}});
}

TEST(CertifyKnownBad, LeavingPpvOnAFailedQueryInterface) {
  REQUIREMENT("COM-001");
  ExpectFailsExactly({"bad_leaves_ppv_on_failure", {"COM-001"}});
}

TEST(CertifyKnownBad, KeepingTheCallbackItReplaces) {
  REQUIREMENT("HS-009");
  ExpectFailsExactly({"bad_keeps_replaced_callback", {"HS-009"}});
}

TEST(CertifyKnownBad, WritingPastNextsArray) {
  REQUIREMENT("EN-001");
  ExpectFailsExactly({"bad_writes_past_celt", {"EN-001"}});
}

TEST(CertifyKnownBad, OverstatingFetched) {
  REQUIREMENT("EN-001");
  ExpectFailsExactly({"bad_overstates_fetched", {"EN-001"}});
}

TEST(CertifyKnownBad, SynchronizingUnpreparedItems) {
  REQUIREMENT("HS-011");
  ExpectFailsExactly({"bad_syncs_unprepared", {"HS-011"}});
}

TEST(CertifyKnownBad, CompletingAFailedShowErrorLate) {
  REQUIREMENT("CB-005");
  ExpectFailsExactly({"bad_completes_failed_show_error_late", {"CB-005"}});
}

TEST(CertifyKnownBad, CompletingAFailedShowProperties) {
  REQUIREMENT("CB-004");
  ExpectFailsExactly({"bad_completes_failed_show_properties", {"CB-004"}});
}

// Every object it hands out is already destroyed: com_rules names COM-003
// before calling it, and the crashes of every other scenario are charged to
// that finding, not to their own rules.
TEST(CertifyKnownBad, DestroyingAnObjectStillReferenced) {
  REQUIREMENT("COM-003");
  ExpectFailsExactly({"bad_releases_early", {"COM-003"}});
}

// A PrepareForSync that blocks breaks only our figure for "as soon as
// possible": the documented verdict passes. (Two scenarios: each session
// costs the handler's 1.2 s.)
TEST(CertifyKnownBad, BlockingInPrepareForSync) {
  REQUIREMENT("HS-117");
  const Outcome out = Certify("bad_blocks_in_prepare_for_sync",
                              {"--scenarios=invoke_flags_startsync/*"});
  EXPECT_EQ(out.run.exit_code, 0) << out.run.output;
  ASSERT_TRUE(out.report.is_object()) << out.run.output;
  EXPECT_EQ(out.report["verdict"], "PASS");
  EXPECT_THAT(out.failed_documented, ::testing::IsEmpty()) << out.run.output;
  EXPECT_EQ(out.failed_ours, (std::set<std::string>{"HS-117"}))
      << out.run.output;
}

// Every session crashes at the same place: one bug, so every crash is
// charged to the rule of the first (HS-016), not to each scenario's own.
TEST(CertifyKnownBad, CrashingInEverySession) {
  REQUIREMENT("HS-016");
  ExpectFailsExactly({"bad_crashes_in_prepare_for_sync", {"HS-016"}});
}

TEST(CertifyKnownBad, LeavingPpvOnAFailedCreateInstance) {
  REQUIREMENT("COM-001");
  ExpectFailsExactly({"bad_factory_leaves_ppv", {"COM-001"}});
}

TEST(CertifyKnownBad, LeavingPpvOnAFailedDllGetClassObject) {
  REQUIREMENT("COM-005");
  ExpectFailsExactly({"bad_class_object_leaves_ppv", {"COM-005"}});
}

TEST(CertifyKnownBad, UnloadableWhileObjectsLive) {
  REQUIREMENT("COM-006");
  ExpectFailsExactly({"bad_unloads_while_alive", {"COM-006"}});
}

TEST(CertifyKnownBad, RejectingAnUnknownEventCode) {
  REQUIREMENT("HS-004");
  ExpectFailsExactly({"bad_rejects_unknown_event_code", {"HS-004"}});
}

TEST(CertifyKnownBad, NeverReportingProgress) {
  REQUIREMENT("HS-017");
  ExpectFailsExactly({"bad_never_reports_progress", {"HS-017"}});
}

TEST(CertifyKnownBad, NoProgressForOneItem) {
  REQUIREMENT("CB-010");
  ExpectFailsExactly({"bad_no_progress_for_last_item", {"CB-010"}});
}

TEST(CertifyKnownBad, CloneStartingOver) {
  REQUIREMENT("EN-002");
  ExpectFailsExactly({"bad_clone_starts_over", {"EN-002"}});
}

TEST(CertifyKnownBad, SkipDoingNothing) {
  REQUIREMENT("EN-002");
  ExpectFailsExactly({"bad_skip_does_nothing", {"EN-002"}});
}

TEST(CertifyKnownBad, CompletingThenReturningSFalse) {
  REQUIREMENT("CB-003");
  ExpectFailsExactly({"bad_completes_then_returns_s_false", {"CB-003"}});
}

TEST(CertifyKnownBad, SynchronizeReturningSFalse) {
  REQUIREMENT("HS-018");
  ExpectFailsExactly({"bad_synchronize_returns_s_false", {"HS-018"}});
}

TEST(CertifyKnownBad, UnsolicitedShowPropertiesCompleted) {
  REQUIREMENT("CB-004");
  ExpectFailsExactly({"bad_unsolicited_show_properties_completed", {"CB-004"}});
}

TEST(CertifyKnownBad, CompletingSynchronizeUnasked) {
  REQUIREMENT("CB-003");
  ExpectFailsExactly({"bad_completes_synchronize_unasked", {"CB-003"}});
}

TEST(CertifyKnownBad, AskingForUiWithoutPermission) {
  REQUIREMENT("HS-013");
  ExpectFailsExactly({"bad_asks_for_ui_without_permission", {"HS-013"}});
}

TEST(CertifyKnownBad, WaiverTurnsAFailureIntoWaived) {
  REQUIREMENT("HS-016");
  const std::string waivers =
      std::string(std::getenv("TEST_TMPDIR")) + "/waivers.txt";
  std::ofstream(waivers) << "# known\nHS-016: vendor bug 123, fixed in 2.0\n";
  const Outcome out =
      Certify("bad_never_completes", {"--expectations=" + waivers});
  EXPECT_EQ(out.run.exit_code, 0) << out.run.output;
  ASSERT_TRUE(out.report.is_object());
  EXPECT_THAT(out.failed, ::testing::IsEmpty());
  EXPECT_THAT(out.report.dump(), HasSubstr("vendor bug 123"));
}

// Bad command lines: one clear line, exit status 2, never a crash.
TEST(CertifyCommandLine, BadArgumentsAreRefusedWithOneLine) {
  const std::string sample = g_handlers + "/sample_handler.so";
  const struct {
    std::vector<std::string> args;
    const char* says;
  } kCases[] = {
      {{"--handler=/nonexistent.so", std::string("--clsid=") + kClsid},
       "not a readable file"},
      {{"--handler=/etc/hostname", std::string("--clsid=") + kClsid},
       "cannot load"},
      {{"--handler=" + sample}, "needs --clsid"},
      {{"--handler=" + sample, "--clsid=not-a-guid"}, "--clsid"},
      {{"--handler=" + sample,
        "--clsid={00000000-0000-0000-0000-000000000001}"},
       "does not serve"},
      // The handler's DllGetClassObject crashes: certify itself does not.
      {{"--handler=" + g_handlers + "/bad_crashes_in_dll_get_class_object.so",
        std::string("--clsid=") + kClsid},
       "loading"},
      {{"--timeout=0"}, "--timeout"},
      {{"--scenarios=nothing_matches"}, "no scenario matches"},
      {{"--no_such_flag"}, "no_such_flag"},
  };
  for (const auto& c : kCases) {
    std::vector<std::string> argv = {g_certify};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const ChildResult r = RunChild(argv, {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args[0];
  }
}

// A hostile enumerator: Next answers S_OK with one item of cbSize 0, forever.
// The manager stops listening to it, so every scenario ends with a result
// of its own (none times out), and the report stays small.
TEST(CertifyKnownBad, EndlessMalformedItems) {
  REQUIREMENT("ST-003 HS-107 EN-101");
  const Outcome out = Certify("bad_endless_malformed_items");
  // certify ran to its end and gave a verdict (not a usage error, a crash or
  // its own time limit).
  EXPECT_FALSE(out.run.timed_out) << out.run.output;
  EXPECT_THAT(out.run.exit_code, ::testing::AnyOf(0, 1)) << out.run.output;
  ASSERT_TRUE(out.report.is_object()) << out.run.output;
  EXPECT_EQ(out.failed_documented, (std::set<std::string>{"ST-003"}))
      << out.run.output;
  EXPECT_EQ(out.failed_ours, (std::set<std::string>{"EN-101", "HS-107"}))
      << out.run.output;
  // Every scenario certify lists was reported, none timed out or crashed.
  const ChildResult list =
      RunChild({g_certify, "--list"}, {}, std::chrono::seconds(60));
  std::set<std::string> listed;
  std::istringstream lines(list.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != ' ') listed.insert(line);
  }
  std::set<std::string> reported;
  for (const json& c : out.report["checks"]) {
    reported.insert(c["name"].get<std::string>());
    EXPECT_NE(c["result"], "timed out") << c["name"];
    EXPECT_NE(c["result"], "crashed") << c["name"];
  }
  EXPECT_FALSE(listed.empty()) << list.output;
  EXPECT_EQ(reported, listed);
  const std::string json_path = std::string(std::getenv("TEST_TMPDIR")) +
                                "/certify-bad_endless_malformed_items/"
                                "report.json";
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(json_path, ec);
  EXPECT_FALSE(ec) << json_path << ": " << ec.message();
  EXPECT_LT(size, std::uintmax_t{2} << 20) << json_path;
}

}  // namespace
}  // namespace syncmgr::conformance

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: certify_test CERTIFY HANDLER_DIR\n");
    return 2;
  }
  syncmgr::conformance::g_certify = std::filesystem::absolute(argv[1]);
  syncmgr::conformance::g_handlers = std::filesystem::absolute(argv[2]);
  return RUN_ALL_TESTS();
}
