// File: conformance/report/report.h
//
// The results of a conformance run or a certification, traced to the
// requirements of reference/SPEC.md, and the files written from them:
// report.json (machine readable), report.xml (JUnit, for CI) and
// report.html (for a person). Shared by //conformance:conformance_suite and
// //conformance:certify so that both read the same waiver files and write
// the same formats.
//
// A "check" is what one test (conformance) or one scenario (certify)
// observed of one requirement. A requirement passes when a check of it ran
// and none failed, fails when one failed, is "not applicable" when its
// checks could not judge this subject (it decided an open point otherwise),
// and is "not run" when nothing observed it. A waiver (known failure, with
// its reason) turns a failure into "waived"; a waived requirement that
// passes is reported as "stale".
//
// Requirements fall into two profiles with a verdict each: the documented
// contract (MUST/SHOULD/MAY), which decides the exit status, and the
// reference profile (OURS), reported beside it and gating only when strict.
//
// Example:
//   std::vector<Requirement> spec;
//   std::string error;
//   if (!LoadRequirements(path, &spec, &error)) { ... }
//   Report report = BuildReport("certify", "handler.so", spec, checks,
//                               waivers);
//   WriteReports(report, "out/", &error);
//   return report.verdict_passed ? 0 : 1;
#ifndef SYNCMGR_CONFORMANCE_REPORT_REPORT_H_
#define SYNCMGR_CONFORMANCE_REPORT_REPORT_H_

#include <cstddef>
#include <string>
#include <vector>

namespace syncmgr::conformance {

// One requirement of SPEC.md (from tools/spec_check.py --json).
struct Requirement {
  std::string id;
  std::string level;  // MUST, SHOULD, MAY, OURS
  std::string text;
  std::string area;  // the SPEC.md section
  std::vector<std::string> tests;
  std::string deferred;  // "out of scope: ..." / "pending #N", or empty
};

bool LoadRequirements(const std::string& json_path,
                      std::vector<Requirement>* requirements,
                      std::string* error);

// One check of one requirement by a test or a scenario, and how it went.
struct Check {
  std::string name;                       // the test or scenario
  std::vector<std::string> requirements;  // normally exactly one
  enum class Result {
    kPassed,
    kFailed,
    kSkipped,        // not run: the reason is in `message`
    kCrashed,        // the process died while checking it
    kTimedOut,       // the process was killed at the time limit
    kNotApplicable,  // the subject decided an open point otherwise
  };
  Result result = Result::kPassed;
  std::string message;   // failure messages, or why it was not run
  std::string evidence;  // e.g. the session's call trace
  std::string rerun;     // the command that reruns just this check
  double seconds = 0;
};
const char* CheckResultName(Check::Result result);

// A known failure: a requirement ID or a check name, with its reason.
struct Waiver {
  std::string target;
  std::string reason;
  int line = 0;
};

// Reads "TARGET: reason" lines ('#' starts a comment; blank lines are
// ignored). A line without a reason, or a target that is neither a
// requirement ID of `requirements` nor a check name in `check_names`, is an
// error naming the file and line.
bool LoadWaivers(const std::string& path,
                 const std::vector<Requirement>& requirements,
                 const std::vector<std::string>& check_names,
                 std::vector<Waiver>* waivers, std::string* error);

enum class Status {
  kPassed,
  kFailed,
  kWaived,
  kStale,
  kNotRun,
  kNotApplicable,
  kDeferred
};
const char* StatusName(Status status);

struct RequirementResult {
  Requirement requirement;
  Status status = Status::kNotRun;
  std::vector<std::string> checks;    // names of the checks that cover it
  std::vector<std::string> failures;  // "check: message" of failed checks
  std::vector<size_t> failed_checks;  // their indexes in Report::checks
  std::string waiver;                 // the waiver's reason, if waived/stale
  std::string not_applicable;         // why, when kNotApplicable
};

// Which verdict a requirement belongs to: the documented contract (MUST,
// SHOULD, MAY: what Microsoft's pages state) or the reference profile (OURS:
// this project's decisions where the pages are silent).
enum class Profile { kDocumented, kReference };
Profile ProfileOf(const Requirement& requirement);
const char* ProfileName(Profile profile);  // "documented", "reference"

// The counts and the verdict of one profile.
struct Tally {
  int passed = 0, failed = 0, waived = 0, stale = 0, not_run = 0,
      not_applicable = 0, deferred = 0;
  // No unwaived failure and something passed.
  bool verdict_passed = false;
};

struct Report {
  std::string tool;                // "conformance" or "certify"
  std::string subject;             // implementation or handler path
  std::string started;             // ISO 8601 UTC
  std::vector<std::string> notes;  // free lines shown under the verdict
  std::vector<RequirementResult> requirements;
  std::vector<Check> checks;
  std::vector<Waiver> waivers;
  // Whether the reference profile gates the verdict too (--profile=strict).
  bool strict = false;
  Tally documented, reference;
  // The verdict that decides the exit status: the documented contract's
  // (and the reference profile's too when strict), and no failed check that
  // covers no requirement.
  bool verdict_passed = false;
  int unattributed_failures = 0;
  // Totals over both profiles.
  int passed = 0, failed = 0, waived = 0, stale = 0, not_run = 0,
      not_applicable = 0, deferred = 0;
};

Report BuildReport(const std::string& tool, const std::string& subject,
                   const std::vector<Requirement>& requirements,
                   std::vector<Check> checks, std::vector<Waiver> waivers,
                   bool strict = false);

// Writes report.json, report.xml and report.html into `dir` (created if
// needed).
bool WriteReports(const Report& report, const std::string& dir,
                  std::string* error);

// A few lines for the terminal: both verdicts, counts, and each failed
// requirement with its failures.
std::string Summary(const Report& report);

// `text` for a reader: each run of one line repeated becomes that line once
// with "[repeated Nx]"; if it is still longer than `max_bytes`, its
// beginning and end with a note of how much was left out. The HTML and
// JUnit reports and the terminal show checks' texts abridged so; the JSON
// report keeps them whole.
std::string Abridge(const std::string& text, size_t max_bytes);

}  // namespace syncmgr::conformance

#endif  // SYNCMGR_CONFORMANCE_REPORT_REPORT_H_
