// The conformance suite's program: runs every contract test of conformance/
// against one implementation of the Sync Manager (a plug-in shared object,
// the bundled reference by default), each test in a child process with a
// time limit, and writes the requirement-traced reports.
//
//   conformance_suite [--implementation=impl.so] [--report_dir=DIR]
//                     [--expectations=FILE] [--timeout=SECONDS]
//                     [--jobs=N] [--gtest_filter=PATTERN]
//                     [--profile=documented|strict]
//
// Exit status: 0 when no unwaived requirement of the documented contract
// fails (with --profile=strict: of this project's decisions either), 1 when
// one fails, 2 for a usage error (bad flag, unreadable file, implementation
// that cannot be loaded), 128 + the signal when a SIGINT or SIGTERM cut the
// run short (the reports are still written, for the tests that ran). `--worker`
// runs the tests in this process instead (what the children do; also handy
// under a debugger).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/report/child_process.h"
#include "conformance/report/report.h"
#include "conformance/testing/contract_test.h"
#include "conformance/testing/runfiles.h"

namespace syncmgr::conformance {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kReferencePlugin = "reference/syncmgr_reference.so";
constexpr const char* kSpecJson = "conformance/spec.json";

struct Flags {
  std::string implementation;
  std::string report_dir;
  std::string expectations;
  std::string gtest_filter = "*";
  double timeout_seconds = 60;
  int jobs = 2;
  int session_timeout_ms = 30000;
  int settle_ms = 100;
  std::string profile = "documented";
  bool worker = false;
  bool quiet = false;
};

// A SIGINT or SIGTERM (Ctrl-C, a CI's time limit) ends the run early but
// still writes the report: RunChild kills the running tests' process groups,
// then this handler records the signal; the supervisor starts no more tests
// and reports what ran. A second signal ends the program at once.
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void OnInterrupt(int sig) {
  if (g_interrupted != 0) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    return;
  }
  g_interrupted = sig;
}

int Interrupted() { return g_interrupted; }

const char* SignalName(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

// After a session that never started or never ended, later tests wait at
// most this long for a session, and run at most this long each: a subject
// that stalls costs seconds per test, not the full limits (the report says
// so).
constexpr int kStalledSessionMs = 2000;
constexpr double kStalledTestSeconds = 20;

// The tests matching the filter, as "Suite.Name", from a child listing them
// (GoogleTest applies its own filter syntax there).
bool ListTests(const Flags& flags, std::vector<std::string>* tests,
               std::string* error) {
  const ChildResult listing =
      RunChild({SelfPath(), "--worker", "--gtest_list_tests",
                "--gtest_filter=" + flags.gtest_filter},
               {}, std::chrono::seconds(60));
  if (!listing.started || listing.exit_code != 0) {
    *error = "listing the tests failed (" + listing.Describe() +
             "): " + listing.output;
    return false;
  }
  std::istringstream in(listing.output);
  std::string line, suite;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      suite = line.substr(0, line.find_first_of(" #"));
    } else {
      std::string name = line.substr(line.find_first_not_of(' '));
      name = name.substr(0, name.find_first_of(" #"));
      tests->push_back(suite + name);
    }
  }
  return true;
}

std::string LastLines(const std::string& text, size_t max_lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= max_lines && pos != std::string::npos && pos > 0;
       ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

// What one test's process reported in its requirement events file
// (reference/testing/requirement.h): what it declared, which requirements it
// checked, each failure with the requirement it belongs to.
struct TestEvents {
  std::vector<std::string> declared;
  std::vector<std::string> open;  // CHECKS scopes not left (innermost last)
  std::vector<std::string> checked;
  std::vector<std::string> scoped;  // every ID a CHECKS scope was opened for
  std::vector<std::string> seen;    // every ID, in order of appearance
  std::map<std::string, std::vector<std::string>> failures;
  std::map<std::string, std::string> not_applicable;
  std::map<std::string, std::string> not_observed;
  std::vector<std::string> unattributed;
  std::string waited_out;  // a wait for a session that ran to its limit
  bool ended = false;
  bool passed = false;  // GoogleTest's verdict on the whole test
  std::string skipped;  // the skip message, if the test skipped itself
};

TestEvents ReadEvents(const fs::path& path) {
  TestEvents e;
  auto see = [&e](const std::string& id) {
    if (!id.empty() &&
        std::find(e.seen.begin(), e.seen.end(), id) == e.seen.end()) {
      e.seen.push_back(id);
    }
  };
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const json event = json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) continue;  // torn line
    const std::string kind = event.value("event", "");
    const std::string id = event.value("requirement", "");
    if (kind == "declare") {
      for (const json& r : event.value("requirements", json::array())) {
        if (r.is_string()) {
          e.declared.push_back(r.get<std::string>());
          see(e.declared.back());
        }
      }
    } else if (kind == "checking") {
      e.scoped.push_back(id);
      e.open.push_back(id);
      see(id);
    } else if (kind == "checked") {
      auto it = std::find(e.open.rbegin(), e.open.rend(), id);
      if (it != e.open.rend()) e.open.erase(std::next(it).base());
      e.checked.push_back(id);
    } else if (kind == "failure") {
      const std::string message = event.value("message", "");
      if (id.empty()) {
        e.unattributed.push_back(message);
      } else {
        e.failures[id].push_back(message);
        see(id);
      }
    } else if (kind == "not_applicable") {
      e.not_applicable[id] = event.value("reason", "");
      see(id);
    } else if (kind == "not_observed") {
      e.not_observed[id] = event.value("reason", "");
      see(id);
    } else if (kind == "waited_out") {
      if (e.waited_out.empty()) e.waited_out = event.value("message", "");
    } else if (kind == "skip") {
      e.skipped = event.value("message", "");
    } else if (kind == "end") {
      e.ended = true;
      e.passed = event.value("passed", false);
    }
  }
  return e;
}

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// One check per requirement the test named or observed: a failure belongs to
// the requirement of the CHECKS scope it happened in; a crash or a hang to
// the scope that was open, else to the first unobserved declared
// requirement; what the test had checked before keeps its result; what it
// never reached is "not run", with the reason.
// How long one test may run and wait for a session.
struct Limits {
  double test_seconds;
  int session_ms;
};

// One test's checks, and what it says about the subject's pace: the wait
// that ran to its limit, or the time limit the test was killed at.
struct TestRun {
  std::vector<Check> checks;
  std::string stalled;
};

TestRun RunOne(const Flags& flags, const std::string& test,
               const fs::path& scratch, int index, const Limits& limits) {
  const fs::path events_path =
      scratch / ("test" + std::to_string(index) + ".events");
  std::vector<std::string> env = PluginChildEnvironment();
  env.push_back("SYNCMGR_REQUIREMENT_EVENTS=" + events_path.string());
  const ChildResult child = RunChild(
      {SelfPath(), "--worker", "--implementation=" + flags.implementation,
       "--gtest_filter=" + test,
       "--session_timeout_ms=" + std::to_string(limits.session_ms),
       "--settle_ms=" + std::to_string(flags.settle_ms)},
      env,
      std::chrono::milliseconds(
          static_cast<long long>(limits.test_seconds * 1000)));
  const TestEvents e = ReadEvents(events_path);
  TestRun run;
  run.stalled = child.timed_out ? "the test " + child.Describe() : e.waited_out;
  if (Interrupted() != 0) {
    Check c;
    c.name = test;
    c.result = Check::Result::kSkipped;
    c.message = "the run was interrupted while this test ran";
    c.seconds = child.seconds;
    for (const std::string& id : e.seen) {
      c.requirements = {id};
      run.checks.push_back(c);
    }
    return run;
  }
  const bool died = child.timed_out || child.signal != 0 || !e.ended;
  const std::string rerun =
      "conformance_suite --implementation=" + flags.implementation +
      " --gtest_filter=" + test;
  const std::string evidence = LastLines(child.output, 40);

  // Where a crash or a hang happened.
  std::string died_in;
  if (died) {
    if (!e.open.empty()) {
      died_in = e.open.back();
    } else {
      for (const std::string& id : e.declared) {
        if (!Contains(e.checked, id) && e.failures.count(id) == 0) {
          died_in = id;
          break;
        }
      }
      if (died_in.empty() && !e.declared.empty()) died_in = e.declared[0];
    }
  }
  std::vector<Check>& checks = run.checks;
  auto add = [&](std::vector<std::string> ids, Check::Result result,
                 std::string message) {
    Check c;
    c.name = test;
    c.requirements = std::move(ids);
    c.result = result;
    c.message = std::move(message);
    c.rerun = rerun;
    c.seconds = child.seconds;
    if (result != Check::Result::kPassed &&
        result != Check::Result::kNotApplicable &&
        result != Check::Result::kSkipped) {
      c.evidence = evidence;
    }
    checks.push_back(std::move(c));
  };
  // A test that opened no CHECKS scope for any requirement it declared
  // observes them all when it ends and passes (the fixture's own scopes
  // aside); one that failed elsewhere (e.g. a session never ended) never
  // reached them.
  bool declared_scoped = false;
  bool declared_failed = false;
  for (const std::string& id : e.declared) {
    declared_scoped |= Contains(e.scoped, id);
    declared_failed |= e.failures.count(id) > 0;
  }
  const bool implicit = !declared_scoped && e.ended;
  for (const std::string& id : e.seen) {
    auto failed = e.failures.find(id);
    auto na = e.not_applicable.find(id);
    if (died && id == died_in) {
      std::string message =
          "the test " + child.Describe() + " while checking " + id;
      if (failed != e.failures.end()) {
        message += ", after these failures:\n";
        for (const std::string& m : failed->second) message += m + "\n";
      }
      add({id},
          child.timed_out ? Check::Result::kTimedOut : Check::Result::kCrashed,
          message);
    } else if (failed != e.failures.end()) {
      std::string message;
      for (const std::string& m : failed->second) message += m + "\n";
      add({id}, Check::Result::kFailed, message);
    } else if (na != e.not_applicable.end()) {
      add({id}, Check::Result::kNotApplicable, na->second);
    } else if (e.not_observed.count(id) > 0) {
      add({id}, Check::Result::kSkipped,
          "not observed: " + e.not_observed.at(id));
    } else if (Contains(e.checked, id)) {
      add({id}, Check::Result::kPassed, "");
    } else if (implicit && e.passed && !declared_failed && e.skipped.empty() &&
               Contains(e.declared, id)) {
      add({id}, Check::Result::kPassed, "");
    } else {
      std::string why =
          !e.skipped.empty() ? "the test skipped: " + e.skipped
          : died     ? "the test " + child.Describe() + " before checking it"
          : implicit ? "the test failed (see its other checks) before it "
                       "reached a check of it"
                     : "the test stopped before reaching a check of it";
      add({id}, Check::Result::kSkipped, why);
    }
  }
  for (const std::string& m : e.unattributed) {
    add({}, Check::Result::kFailed, m);
  }
  if (died && died_in.empty()) {
    add({},
        child.timed_out ? Check::Result::kTimedOut : Check::Result::kCrashed,
        "the test " + child.Describe() +
            (e.ended ? " after it ended" : " before it checked anything"));
  } else if (!died && e.passed && child.exit_code != 0) {
    // Ended per GoogleTest, but the process failed afterwards (e.g. at exit,
    // in the implementation's static destructors).
    add({}, Check::Result::kCrashed,
        "the test ended, then the process " + child.Describe());
  }
  return run;
}

int Supervise(const Flags& flags) {
  std::string error;
  const std::string spec_json = Runfile(kSpecJson, "");
  std::vector<Requirement> spec;
  if (spec_json.empty() || !LoadRequirements(spec_json, &spec, &error)) {
    std::cerr << "conformance_suite: cannot read the requirements ("
              << kSpecJson << "): " << error << "\n";
    return 2;
  }
  std::vector<std::string> tests;
  if (!ListTests(flags, &tests, &error)) {
    std::cerr << "conformance_suite: " << error << "\n";
    return 2;
  }
  if (tests.empty()) {
    std::cerr << "conformance_suite: no test matches --gtest_filter="
              << flags.gtest_filter << "\n";
    return 2;
  }
  std::vector<Waiver> waivers;
  if (!flags.expectations.empty() &&
      !LoadWaivers(flags.expectations, spec, tests, &waivers, &error)) {
    std::cerr << "conformance_suite: " << error << "\n";
    return 2;
  }
  std::error_code ec;
  const fs::path scratch =
      fs::temp_directory_path(ec) /
      ("syncmgr-conformance-" + std::to_string(::getpid()));
  fs::create_directories(scratch, ec);
  if (ec) {
    std::cerr << "conformance_suite: cannot create " << scratch << ": "
              << ec.message() << "\n";
    return 2;
  }

  std::cout << "conformance_suite: " << tests.size() << " tests against "
            << flags.implementation << " (" << flags.jobs << " at a time, "
            << flags.timeout_seconds << " s limit each)\n"
            << std::flush;
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  std::vector<std::vector<Check>> per_test(tests.size());
  std::vector<bool> ran(tests.size(), false);
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards what follows, and the progress lines
  size_t done = 0;
  Limits limits{flags.timeout_seconds, flags.session_timeout_ms};
  std::string stalled_note;
  auto work = [&] {
    for (size_t i = next++; i < tests.size() && Interrupted() == 0;
         i = next++) {
      Limits mine;
      {
        std::lock_guard lock(mu);
        mine = limits;
      }
      TestRun run = RunOne(flags, tests[i], scratch, static_cast<int>(i), mine);
      std::lock_guard lock(mu);
      per_test[i] = std::move(run.checks);
      ran[i] = true;
      ++done;
      if (!run.stalled.empty() && stalled_note.empty() &&
          (limits.session_ms > kStalledSessionMs ||
           limits.test_seconds > kStalledTestSeconds)) {
        limits.session_ms = std::min(limits.session_ms, kStalledSessionMs);
        limits.test_seconds =
            std::min(limits.test_seconds, kStalledTestSeconds);
        stalled_note = "In " + tests[i] + ", " + run.stalled +
                       ". To keep the run short, the tests started after it "
                       "waited at most " +
                       std::to_string(limits.session_ms) +
                       " ms for a session and ran at most " +
                       std::to_string(static_cast<int>(limits.test_seconds)) +
                       " s each.";
        if (!flags.quiet) std::printf("note: %s\n", stalled_note.c_str());
      }
      if (!flags.quiet) {
        std::string failed;
        for (const Check& c : per_test[i]) {
          if (c.result == Check::Result::kFailed ||
              c.result == Check::Result::kCrashed ||
              c.result == Check::Result::kTimedOut) {
            failed += " " + (c.requirements.empty() ? std::string("(none)")
                                                    : c.requirements.front());
          }
        }
        std::printf("[%3zu/%zu] %-6s %s (%.1f s)%s%s\n", done, tests.size(),
                    failed.empty() ? "ok" : "FAIL", tests[i].c_str(),
                    per_test[i].empty() ? 0.0 : per_test[i].front().seconds,
                    failed.empty() ? "" : ": failed", failed.c_str());
        std::fflush(stdout);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < std::max(1, flags.jobs); ++j) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  fs::remove_all(scratch, ec);
  std::vector<Check> checks;
  size_t not_started = 0;
  for (size_t i = 0; i < tests.size(); ++i) {
    if (!ran[i]) {
      // Never started: "not run" under the test's name, so that its
      // requirements are not taken as passed.
      ++not_started;
      Check c;
      c.name = tests[i];
      c.result = Check::Result::kSkipped;
      c.message = "not started: the run was interrupted";
      checks.push_back(std::move(c));
    }
    for (Check& c : per_test[i]) checks.push_back(std::move(c));
  }

  Report report =
      BuildReport("conformance", flags.implementation, spec, std::move(checks),
                  std::move(waivers), flags.profile == "strict");
  report.notes.push_back(std::to_string(tests.size()) +
                         " tests, each in its own process");
  if (!stalled_note.empty()) report.notes.push_back(stalled_note);
  const int interrupted = Interrupted();
  if (interrupted != 0) {
    report.notes.push_back(
        std::string("The run was interrupted by ") + SignalName(interrupted) +
        " after " + std::to_string(done) + " of " +
        std::to_string(tests.size()) + " tests (" +
        std::to_string(not_started) +
        " never started): the verdict covers only what ran.");
  }
  std::cout << Summary(report);
  if (!flags.report_dir.empty()) {
    if (!WriteReports(report, flags.report_dir, &error)) {
      std::cerr << "conformance_suite: " << error << "\n";
      return 2;
    }
    std::cout << "Report: " << fs::absolute(flags.report_dir, ec).string()
              << "/report.html (also report.json, report.xml)\n";
  }
  if (interrupted != 0) return 128 + interrupted;
  return report.verdict_passed ? 0 : 1;
}

int Work(const Flags& flags) {
  GetSettings().implementation = flags.implementation;
  GetSettings().session_timeout =
      std::chrono::milliseconds(flags.session_timeout_ms);
  GetSettings().settle = std::chrono::milliseconds(flags.settle_ms);
  syncmgr::testing::InstallRequirementListener();
  if (!::testing::GTEST_FLAG(list_tests)) {
    std::string error;
    if (!LoadImplementation(flags.implementation, &error)) {
      std::cerr << "conformance_suite: cannot load the implementation: "
                << error << "\n";
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}

}  // namespace
}  // namespace syncmgr::conformance

int main(int argc, char** argv) {
  using syncmgr::conformance::Flags;
  ::testing::InitGoogleTest(&argc, argv);  // takes the --gtest_* flags
  Flags flags;
  flags.gtest_filter = ::testing::GTEST_FLAG(filter);
  // Paths are taken from where the command was typed (UserPath).
  const auto user_path = [](const std::string& p) {
    return syncmgr::conformance::UserPath(p);
  };
  CLI::App app{
      "Runs the Sync Manager conformance suite against an implementation "
      "(a plug-in shared object exporting DllGetClassObject for "
      "CLSID_SyncMgr; see README.md, 'The plug-in contract') and writes "
      "requirement-traced reports. GoogleTest flags (--gtest_filter=...) "
      "are accepted too.",
      "conformance_suite"};
  app.option_defaults()->always_capture_default();  // --help shows them
  app.add_option("--implementation", flags.implementation,
                 "The implementation's shared object (default: "
                 "$SYNCMGR_IMPLEMENTATION, else the bundled reference)")
      ->transform(user_path, "path");
  app.add_option("--report_dir", flags.report_dir,
                 "Write report.json, report.xml (JUnit) and report.html here "
                 "(default: $TEST_UNDECLARED_OUTPUTS_DIR under bazel test)")
      ->transform(user_path, "path");
  app.add_option("--expectations", flags.expectations,
                 "Known failures of this implementation: lines "
                 "'REQUIREMENT-OR-TEST: reason'")
      ->check(CLI::ExistingFile)
      ->transform(user_path, "path");
  app.add_option("--timeout", flags.timeout_seconds,
                 "Time limit of one test, in seconds; a test that runs "
                 "longer fails as timed out")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--jobs", flags.jobs, "Tests run at the same time")
      ->check(CLI::Range(1, 64));
  app.add_option("--session_timeout_ms", flags.session_timeout_ms,
                 "How long a test waits for a session to end")
      ->check(CLI::Range(100, 600000));
  app.add_option("--settle_ms", flags.settle_ms,
                 "How long a rejected call is watched for a handler being "
                 "created anyway")
      ->check(CLI::Range(0, 10000));
  app.add_option("--profile", flags.profile,
                 "What decides the exit status: 'documented' (Microsoft's "
                 "documented contract; this project's own decisions, OURS, "
                 "are reported beside it) or 'strict' (both)")
      ->check(CLI::IsMember({"documented", "strict"}));
  app.add_flag("--quiet", flags.quiet, "No progress line per test");
  app.add_flag("--worker", flags.worker,
               "Run the tests in this process (what each child does)")
      ->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (flags.implementation.empty()) {
    if (const char* env = std::getenv("SYNCMGR_IMPLEMENTATION")) {
      flags.implementation = env;
    }
  }
  if (flags.implementation.empty()) {
    flags.implementation = syncmgr::conformance::Runfile(
        syncmgr::conformance::kReferencePlugin, argv[0]);
    if (flags.implementation.empty()) {
      std::cerr << "conformance_suite: the bundled reference ("
                << syncmgr::conformance::kReferencePlugin
                << ") is not next to this program: pass --implementation\n";
      return 2;
    }
  }
  // Listing needs no implementation: GoogleTest prints the tests and exits.
  if (flags.worker || ::testing::GTEST_FLAG(list_tests)) {
    return syncmgr::conformance::Work(flags);
  }

  std::error_code ec;
  if (!std::filesystem::is_regular_file(flags.implementation, ec)) {
    std::cerr << "conformance_suite: --implementation: " << flags.implementation
              << " is not a readable file\n";
    return 2;
  }
  flags.implementation =
      std::filesystem::absolute(flags.implementation, ec).string();
  if (flags.report_dir.empty()) {
    if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      flags.report_dir = dir;
    }
  }
  // Fail early, in one line, on a file that is not a usable implementation.
  const auto probe = syncmgr::conformance::RunChild(
      {syncmgr::conformance::SelfPath(), "--worker",
       "--implementation=" + flags.implementation, "--gtest_filter=-*"},
      syncmgr::conformance::PluginChildEnvironment(), std::chrono::seconds(30));
  if (probe.exit_code != 0) {
    std::cerr << (probe.exit_code == 2
                      ? probe.output
                      : "conformance_suite: loading " + flags.implementation +
                            " " + probe.Describe() + "\n" + probe.output);
    return 2;
  }
  return syncmgr::conformance::Supervise(flags);
}
