// The conformance suite's program: runs every contract test of conformance/
// against one implementation of the Sync Manager (a plug-in shared object,
// the bundled reference by default), each test in a child process with a
// time limit, and writes the requirement-traced reports.
//
//   conformance_suite [--implementation=impl.so] [--report_dir=DIR]
//                     [--expectations=FILE] [--timeout=SECONDS]
//                     [--jobs=N] [--gtest_filter=PATTERN]
//
// Exit status: 0 when every unwaived requirement passes, 1 when one fails,
// 2 for a usage error (bad flag, unreadable file, implementation that cannot
// be loaded). `--worker` runs the tests in this process instead (what the
// children do; also handy under a debugger).
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
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
  bool worker = false;
  bool quiet = false;
};

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

// The requirement IDs a test announced on stderr ("[ REQUIREMENTS ] ..."),
// for tests that crashed or timed out before GoogleTest wrote its result.
std::vector<std::string> AnnouncedRequirements(const std::string& output) {
  static const std::regex kLine(R"(\[ REQUIREMENTS \] ([A-Z0-9 \-]+))");
  std::vector<std::string> ids;
  for (std::sregex_iterator it(output.begin(), output.end(), kLine), end;
       it != end; ++it) {
    std::istringstream words((*it)[1].str());
    for (std::string id; words >> id;) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        ids.push_back(id);
      }
    }
  }
  return ids;
}

std::string LastLines(const std::string& text, size_t max_lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= max_lines && pos != std::string::npos && pos > 0;
       ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

Check RunOne(const Flags& flags, const std::string& test,
             const fs::path& scratch, int index) {
  Check check;
  check.name = test;
  const fs::path result_json =
      scratch / ("test" + std::to_string(index) + ".json");
  const ChildResult child = RunChild(
      {SelfPath(), "--worker", "--implementation=" + flags.implementation,
       "--gtest_filter=" + test, "--gtest_output=json:" + result_json.string(),
       "--session_timeout_ms=" + std::to_string(flags.session_timeout_ms),
       "--settle_ms=" + std::to_string(flags.settle_ms)},
      PluginChildEnvironment(),
      std::chrono::milliseconds(
          static_cast<long long>(flags.timeout_seconds * 1000)));
  check.seconds = child.seconds;
  check.requirements = AnnouncedRequirements(child.output);

  json doc;
  std::ifstream in(result_json);
  const bool have_json =
      in && !child.timed_out && child.signal == 0 &&
      (doc = json::parse(in, nullptr, false), !doc.is_discarded());
  if (!have_json) {
    check.result =
        child.timed_out ? Check::Result::kTimedOut : Check::Result::kCrashed;
    check.message = "the test " + child.Describe();
    check.evidence = LastLines(child.output, 40);
    return check;
  }
  for (const json& suite : doc.value("testsuites", json::array())) {
    for (const json& t : suite.value("testsuite", json::array())) {
      if (t.contains("requirements")) {
        std::istringstream words(t["requirements"].get<std::string>());
        check.requirements.clear();
        for (std::string id; words >> id;) check.requirements.push_back(id);
      }
      std::string messages;
      for (const json& f : t.value("failures", json::array())) {
        messages += f.value("failure", "") + "\n";
      }
      if (!messages.empty()) {
        check.result = Check::Result::kFailed;
        check.message = messages;
      } else if (t.value("result", "") == "SKIPPED") {
        check.result = Check::Result::kSkipped;
        check.message = "skipped: " + LastLines(child.output, 5);
      }
    }
  }
  if (check.result == Check::Result::kPassed && child.exit_code != 0) {
    // Passed per GoogleTest, but the process failed afterwards (e.g. at
    // exit, in the implementation's static destructors).
    check.result = Check::Result::kCrashed;
    check.message = "the test passed, then the process " + child.Describe();
  }
  if (check.result != Check::Result::kPassed) {
    check.evidence = LastLines(child.output, 40);
  }
  return check;
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
  std::vector<Check> checks(tests.size());
  std::atomic<size_t> next{0};
  std::mutex print_mu;
  size_t done = 0;
  auto work = [&] {
    for (size_t i = next++; i < tests.size(); i = next++) {
      checks[i] = RunOne(flags, tests[i], scratch, static_cast<int>(i));
      std::lock_guard lock(print_mu);
      ++done;
      if (!flags.quiet) {
        std::printf("[%3zu/%zu] %-8s %s (%.1f s)\n", done, tests.size(),
                    CheckResultName(checks[i].result), tests[i].c_str(),
                    checks[i].seconds);
        std::fflush(stdout);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < std::max(1, flags.jobs); ++j) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  fs::remove_all(scratch, ec);

  Report report = BuildReport("conformance", flags.implementation, spec,
                              std::move(checks), std::move(waivers));
  report.notes.push_back(std::to_string(tests.size()) +
                         " tests, each in its own process");
  std::cout << Summary(report);
  if (!flags.report_dir.empty()) {
    if (!WriteReports(report, flags.report_dir, &error)) {
      std::cerr << "conformance_suite: " << error << "\n";
      return 2;
    }
    std::cout << "Report: " << fs::absolute(flags.report_dir, ec).string()
              << "/report.html (also report.json, report.xml)\n";
  }
  return report.verdict_passed ? 0 : 1;
}

int Work(const Flags& flags) {
  GetSettings().implementation = flags.implementation;
  GetSettings().session_timeout =
      std::chrono::milliseconds(flags.session_timeout_ms);
  GetSettings().settle = std::chrono::milliseconds(flags.settle_ms);
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
