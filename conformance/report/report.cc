#include "conformance/report/report.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace syncmgr::conformance {
namespace {

// How much of one check's text the HTML and JUnit reports and the terminal
// show; report.json always holds all of it.
constexpr size_t kHtmlTextBytes = 16 * 1024;
constexpr size_t kJUnitTextBytes = 64 * 1024;
// Failed checks shown per requirement in HTML and in the terminal.
constexpr size_t kHtmlChecksPerRequirement = 5;
constexpr size_t kTerminalChecksPerRequirement = 3;

using nlohmann::json;

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool IsFailure(Check::Result result) {
  return result == Check::Result::kFailed ||
         result == Check::Result::kCrashed ||
         result == Check::Result::kTimedOut;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string EscapeXml(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' &&
            c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

bool WriteFile(const std::filesystem::path& path, const std::string& text,
               std::string* error) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    *error = "cannot write " + path.string();
    return false;
  }
  return true;
}

// A profile's verdict: PASS, FAIL, or NOT RUN when nothing in it was
// observed (no pass, no failure): not a pass, and not a fault of the subject.
std::string Verdict(const Tally& t, int unattributed_failures = 0) {
  if (t.verdict_passed) return "PASS";
  if (t.failed == 0 && t.passed == 0 && unattributed_failures == 0) {
    return "NOT RUN";
  }
  return "FAIL";
}

std::string Verdict(const Report& report) {
  if (report.verdict_passed) return "PASS";
  const bool failed =
      Verdict(report.documented, report.unattributed_failures) == "FAIL" ||
      (report.strict && Verdict(report.reference) == "FAIL");
  return failed ? "FAIL" : "NOT RUN";
}

// The CSS class of a verdict's badge.
std::string VerdictClass(const std::string& verdict) {
  return verdict == "NOT RUN" ? "vNOTRUN" : "v" + verdict;
}

json TallyJson(const Tally& t, int unattributed_failures = 0) {
  return {{"verdict", Verdict(t, unattributed_failures)},
          {"counts",
           {{"passed", t.passed},
            {"failed", t.failed},
            {"waived", t.waived},
            {"stale", t.stale},
            {"not_run", t.not_run},
            {"not_applicable", t.not_applicable},
            {"deferred", t.deferred}}}};
}

std::string ToJson(const Report& report) {
  json requirements = json::array();
  for (const RequirementResult& r : report.requirements) {
    json entry = {{"id", r.requirement.id},
                  {"level", r.requirement.level},
                  {"profile", ProfileName(ProfileOf(r.requirement))},
                  {"area", r.requirement.area},
                  {"text", r.requirement.text},
                  {"status", StatusName(r.status)},
                  {"checks", r.checks},
                  {"failures", r.failures}};
    if (!r.waiver.empty()) entry["waiver"] = r.waiver;
    if (!r.not_applicable.empty()) entry["not_applicable"] = r.not_applicable;
    if (!r.requirement.deferred.empty()) {
      entry["deferred"] = r.requirement.deferred;
    }
    requirements.push_back(entry);
  }
  json checks = json::array();
  for (const Check& c : report.checks) {
    checks.push_back({{"name", c.name},
                      {"requirements", c.requirements},
                      {"result", CheckResultName(c.result)},
                      {"message", c.message},
                      {"evidence", c.evidence},
                      {"rerun", c.rerun},
                      {"seconds", c.seconds}});
  }
  json waivers = json::array();
  for (const Waiver& w : report.waivers) {
    waivers.push_back({{"target", w.target}, {"reason", w.reason}});
  }
  json doc = {{"tool", report.tool},
              {"subject", report.subject},
              {"started", report.started},
              {"verdict", Verdict(report)},
              {"profile", report.strict ? "strict" : "documented"},
              {"verdicts",
               {{"documented",
                 TallyJson(report.documented, report.unattributed_failures)},
                {"reference", TallyJson(report.reference)}}},
              {"notes", report.notes},
              {"counts",
               {{"passed", report.passed},
                {"failed", report.failed},
                {"waived", report.waived},
                {"stale", report.stale},
                {"not_run", report.not_run},
                {"not_applicable", report.not_applicable},
                {"deferred", report.deferred}}},
              {"requirements", requirements},
              {"checks", checks},
              {"waivers", waivers}};
  // Bad UTF-8 from a handler must not make the dump throw.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

// Why a requirement has no result: none of this run's checks covers it
// (another tool does, per SPEC.md), or its checks could not observe it.
std::string NotRunReason(const RequirementResult& r, const Report& report) {
  if (!r.checks.empty()) {
    std::vector<std::string> why;
    for (const Check& c : report.checks) {
      if (c.result == Check::Result::kSkipped &&
          Contains(c.requirements, r.requirement.id)) {
        why.push_back(c.name + ": " + c.message);
      }
    }
    return "not observed: " + Join(why, "; ");
  }
  if (r.requirement.tests.empty()) {
    return "no check of " + report.tool + " covers it";
  }
  return "not checked by " + report.tool +
         "; SPEC.md lists: " + Join(r.requirement.tests, ", ");
}

// One JUnit suite per profile, one testcase per requirement.
void JUnitRequirements(std::ostringstream& x, const Report& report,
                       Profile profile, const Tally& tally) {
  const std::string name = profile == Profile::kDocumented
                               ? "documented contract"
                               : "reference profile (OURS)";
  int tests = 0;
  for (const RequirementResult& r : report.requirements) {
    tests += ProfileOf(r.requirement) == profile;
  }
  x << "  <testsuite name=\"" << EscapeXml(name) << "\" tests=\"" << tests
    << "\" failures=\"" << tally.failed << "\" skipped=\""
    << tally.not_run + tally.not_applicable + tally.deferred << "\">\n";
  for (const RequirementResult& r : report.requirements) {
    if (ProfileOf(r.requirement) != profile) continue;
    x << "    <testcase classname=\"" << EscapeXml(name) << "\" name=\""
      << EscapeXml(r.requirement.id + " " + r.requirement.text) << "\">\n";
    if (r.status == Status::kFailed) {
      x << "      <failure message=\"" << EscapeXml(r.requirement.text) << "\">"
        << EscapeXml(Join(r.failures, "\n")) << "</failure>\n";
    } else if (r.status == Status::kNotRun ||
               r.status == Status::kNotApplicable ||
               r.status == Status::kDeferred) {
      x << "      <skipped message=\""
        << EscapeXml(r.status == Status::kDeferred ? r.requirement.deferred
                     : r.status == Status::kNotApplicable
                         ? "not applicable: " + r.not_applicable
                         : NotRunReason(r, report))
        << "\"/>\n";
    }
    x << "    </testcase>\n";
  }
  x << "  </testsuite>\n";
}

std::string ToJUnit(const Report& report) {
  std::ostringstream x;
  int check_failures = 0, check_skipped = 0;
  double total = 0;
  for (const Check& c : report.checks) {
    check_failures += IsFailure(c.result);
    check_skipped += c.result == Check::Result::kSkipped ||
                     c.result == Check::Result::kNotApplicable;
    total += c.seconds;
  }
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"" << EscapeXml(report.tool) << "\" tests=\""
    << report.checks.size() + report.requirements.size() << "\" failures=\""
    << check_failures + report.failed << "\">\n";
  JUnitRequirements(x, report, Profile::kDocumented, report.documented);
  JUnitRequirements(x, report, Profile::kReference, report.reference);
  x << "  <testsuite name=\"checks\" tests=\"" << report.checks.size()
    << "\" failures=\"" << check_failures << "\" skipped=\"" << check_skipped
    << "\" time=\"" << total << "\">\n";
  for (const Check& c : report.checks) {
    x << "    <testcase classname=\"" << EscapeXml(report.tool) << "\" name=\""
      << EscapeXml(c.name + " [" + Join(c.requirements, " ") + "]")
      << "\" time=\"" << c.seconds << "\">\n";
    x << "      <properties><property name=\"requirements\" value=\""
      << EscapeXml(Join(c.requirements, " ")) << "\"/></properties>\n";
    if (IsFailure(c.result)) {
      x << "      <failure message=\"" << EscapeXml(CheckResultName(c.result))
        << "\">" << EscapeXml(Abridge(c.message, kJUnitTextBytes))
        << "</failure>\n";
    } else if (c.result == Check::Result::kSkipped ||
               c.result == Check::Result::kNotApplicable) {
      x << "      <skipped message=\""
        << EscapeXml(Abridge(c.message, kJUnitTextBytes)) << "\"/>\n";
    }
    if (!c.evidence.empty()) {
      x << "      <system-out>"
        << EscapeXml(Abridge(c.evidence, kJUnitTextBytes)) << "</system-out>\n";
    }
    x << "    </testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";
  return x.str();
}

const char* StatusClass(Status status) {
  switch (status) {
    case Status::kPassed:
      return "pass";
    case Status::kFailed:
      return "fail";
    case Status::kWaived:
    case Status::kStale:
      return "waived";
    default:
      return "none";
  }
}

}  // namespace

std::string Abridge(const std::string& text, size_t max_bytes) {
  // Runs of one line repeated become that line once, with its count.
  std::string folded;
  std::istringstream lines(text);
  std::string line, previous;
  size_t repeats = 0;
  const auto flush = [&] {
    if (repeats == 0) return;
    folded += previous;
    if (repeats > 1) folded += "  [repeated " + std::to_string(repeats) + "x]";
    folded += "\n";
  };
  while (std::getline(lines, line)) {
    if (repeats > 0 && line == previous) {
      ++repeats;
      continue;
    }
    flush();
    previous = line;
    repeats = 1;
  }
  flush();
  if (!text.empty() && text.back() != '\n' && !folded.empty()) {
    folded.pop_back();
  }
  if (folded.size() <= max_bytes) return folded;
  // The beginning and the end, which say what happened first and last.
  const size_t head = max_bytes * 2 / 3, tail = max_bytes - head;
  return folded.substr(0, head) + "\n[... " +
         std::to_string(folded.size() - head - tail) +
         " bytes left out; report.json has the full text ...]\n" +
         folded.substr(folded.size() - tail);
}

namespace {

// The failures of one profile, each with its rule, what was expected and
// observed, the call trace and the command that reruns it.
void HtmlFailures(std::ostringstream& h, const Report& report,
                  Profile profile) {
  bool any = false;
  for (const RequirementResult& r : report.requirements) {
    if (ProfileOf(r.requirement) != profile || r.status != Status::kFailed) {
      continue;
    }
    if (!any) {
      h << (profile == Profile::kDocumented
                ? "<h2>Breaks the documented contract</h2>\n"
                : "<h2>Differs from this project's decisions (reference "
                  "profile, OURS)</h2>\n<p>Where Microsoft's pages are "
                  "silent; see reference/SPEC.md for each decision.</p>\n");
    }
    any = true;
    h << "<div class=\"failure\"><h3><a href=\"#" << EscapeXml(r.requirement.id)
      << "\">" << EscapeXml(r.requirement.id) << "</a> ("
      << EscapeXml(r.requirement.level) << ") " << EscapeXml(r.requirement.text)
      << "</h3>\n";
    for (size_t i = 0; i < r.failed_checks.size(); ++i) {
      if (i == kHtmlChecksPerRequirement) {
        h << "<p>... and " << r.failed_checks.size() - i
          << " more failed checks of this requirement in report.json.</p>\n";
        break;
      }
      const Check& c = report.checks[r.failed_checks[i]];
      h << "<p><b>" << EscapeXml(c.name) << "</b> ("
        << CheckResultName(c.result) << ")</p>\n<pre>"
        << EscapeXml(Abridge(c.message, kHtmlTextBytes)) << "</pre>\n";
      if (!c.rerun.empty()) {
        h << "<p>Rerun: <code>" << EscapeXml(c.rerun) << "</code></p>\n";
      }
      if (!c.evidence.empty()) {
        h << "<details><summary>Call trace</summary><pre>"
          << EscapeXml(Abridge(c.evidence, kHtmlTextBytes))
          << "</pre></details>\n";
      }
    }
    h << "</div>\n";
  }
}

std::string TallyLine(const Tally& t) {
  std::ostringstream s;
  s << t.passed << " passed, " << t.failed << " failed, " << t.waived
    << " waived, " << t.stale << " stale waivers, " << t.not_run << " not run, "
    << t.not_applicable << " not applicable, " << t.deferred << " out of scope";
  return s.str();
}

std::string ToHtml(const Report& report) {
  std::ostringstream h;
  const std::string verdict = Verdict(report);
  const std::string documented =
      Verdict(report.documented, report.unattributed_failures);
  const std::string reference = Verdict(report.reference);
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    << "<title>" << EscapeXml(report.tool) << ": " << verdict << "</title>\n"
    << "<style>\n"
       "body{font-family:system-ui,sans-serif;margin:2em;max-width:72em;"
       "color:#222}\n"
       ".v{padding:.1em .5em;border-radius:.3em;color:#fff}\n"
       ".vPASS{background:#2a7d2a}.vFAIL{background:#b22222}"
       ".vNOTRUN{background:#777}\n"
       "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}\n"
       "td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;"
       "text-align:left}\n"
       "th{background:#f2f2f2}\n"
       ".pass{color:#2a7d2a;font-weight:bold}"
       ".fail{color:#b22222;font-weight:bold}"
       ".waived{color:#a66a00;font-weight:bold}.none{color:#777}\n"
       ".failure{border-left:4px solid #b22222;padding-left:1em;"
       "margin-bottom:1em}\n"
       "pre{background:#f7f7f7;padding:.6em;overflow-x:auto;"
       "white-space:pre-wrap}\n"
       "code{font-size:90%}\n"
       "</style></head><body>\n";
  h << "<h1>" << EscapeXml(report.tool) << " <span class=\"v "
    << VerdictClass(verdict) << "\">" << verdict << "</span></h1>\n";
  h << "<table><tr><th>Verdict</th><th></th><th>Requirements</th></tr>\n"
    << "<tr><td>Documented contract (Microsoft's pages: MUST, SHOULD)"
    << (report.strict ? "" : ", decides the result") << "</td><td><span "
    << "class=\"v " << VerdictClass(documented) << "\">" << documented
    << "</span></td><td>" << TallyLine(report.documented) << "</td></tr>\n"
    << "<tr><td>Reference profile (this project's decisions, OURS)"
    << (report.strict ? ", decides the result too (--profile=strict)"
                      : ", reported only")
    << "</td><td><span class=\"v " << VerdictClass(reference) << "\">"
    << reference << "</span></td><td>" << TallyLine(report.reference)
    << "</td></tr></table>\n";
  h << "<p><b>Subject:</b> <code>" << EscapeXml(report.subject)
    << "</code><br><b>Started:</b> " << EscapeXml(report.started) << "</p>\n";
  for (const std::string& note : report.notes) {
    h << "<p>" << EscapeXml(note) << "</p>\n";
  }
  HtmlFailures(h, report, Profile::kDocumented);
  HtmlFailures(h, report, Profile::kReference);
  // Every requirement: one table per SPEC.md area, in SPEC.md order.
  std::vector<std::string> areas;
  for (const RequirementResult& r : report.requirements) {
    if (!Contains(areas, r.requirement.area))
      areas.push_back(r.requirement.area);
  }
  h << "<h2>Every requirement</h2>\n";
  for (const std::string& area : areas) {
    h << "<h3>" << EscapeXml(area) << "</h3>\n<table><tr><th>ID</th>"
      << "<th>Level</th><th>Status</th><th>Requirement</th><th>Checks</th>"
      << "</tr>\n";
    for (const RequirementResult& r : report.requirements) {
      if (r.requirement.area != area) continue;
      h << "<tr id=\"" << EscapeXml(r.requirement.id) << "\"><td>"
        << EscapeXml(r.requirement.id) << "</td><td>"
        << EscapeXml(r.requirement.level) << "</td><td class=\""
        << StatusClass(r.status) << "\">" << StatusName(r.status) << "</td><td>"
        << EscapeXml(r.requirement.text);
      if (!r.waiver.empty()) {
        h << "<br><i>waiver: " << EscapeXml(r.waiver) << "</i>";
      }
      if (!r.requirement.deferred.empty()) {
        h << "<br><i>" << EscapeXml(r.requirement.deferred) << "</i>";
      }
      if (r.status == Status::kNotRun) {
        h << "<br><i>" << EscapeXml(NotRunReason(r, report)) << "</i>";
      }
      if (r.status == Status::kNotApplicable) {
        h << "<br><i>not applicable: " << EscapeXml(r.not_applicable) << "</i>";
      }
      h << "</td><td>";
      for (const std::string& c : r.checks) {
        h << "<code>" << EscapeXml(c) << "</code><br>";
      }
      h << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  if (!report.waivers.empty()) {
    h << "<h2>Waivers</h2>\n<table><tr><th>Target</th><th>Reason</th></tr>\n";
    for (const Waiver& w : report.waivers) {
      h << "<tr><td>" << EscapeXml(w.target) << "</td><td>"
        << EscapeXml(w.reason) << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "<h2>Checks</h2>\n<table><tr><th>Check</th><th>Requirement</th>"
    << "<th>Result</th><th>Seconds</th></tr>\n";
  for (const Check& c : report.checks) {
    h << "<tr><td><code>" << EscapeXml(c.name) << "</code></td><td>"
      << EscapeXml(Join(c.requirements, " ")) << "</td><td class=\""
      << (IsFailure(c.result)                  ? "fail"
          : c.result == Check::Result::kPassed ? "pass"
                                               : "none")
      << "\">" << CheckResultName(c.result) << "</td><td>" << c.seconds
      << "</td></tr>\n";
  }
  h << "</table>\n</body></html>\n";
  return h.str();
}

}  // namespace

const char* CheckResultName(Check::Result result) {
  switch (result) {
    case Check::Result::kPassed:
      return "passed";
    case Check::Result::kFailed:
      return "failed";
    case Check::Result::kSkipped:
      return "skipped";
    case Check::Result::kCrashed:
      return "crashed";
    case Check::Result::kTimedOut:
      return "timed out";
    case Check::Result::kNotApplicable:
      return "not applicable";
  }
  return "?";
}

Profile ProfileOf(const Requirement& requirement) {
  return requirement.level == "OURS" ? Profile::kReference
                                     : Profile::kDocumented;
}

const char* ProfileName(Profile profile) {
  return profile == Profile::kDocumented ? "documented" : "reference";
}

const char* StatusName(Status status) {
  switch (status) {
    case Status::kPassed:
      return "pass";
    case Status::kFailed:
      return "fail";
    case Status::kWaived:
      return "waived";
    case Status::kStale:
      return "stale waiver";
    case Status::kNotRun:
      return "not run";
    case Status::kNotApplicable:
      return "not applicable";
    case Status::kDeferred:
      return "deferred";
  }
  return "?";
}

bool LoadRequirements(const std::string& json_path,
                      std::vector<Requirement>* requirements,
                      std::string* error) {
  std::ifstream in(json_path);
  if (!in) {
    *error = "cannot read " + json_path;
    return false;
  }
  try {
    const json doc = json::parse(in);
    requirements->clear();
    for (const json& r : doc) {
      Requirement req;
      req.id = r.at("id").get<std::string>();
      req.level = r.at("level").get<std::string>();
      req.text = r.at("text").get<std::string>();
      req.area = r.at("area").get<std::string>();
      req.tests = r.at("tests").get<std::vector<std::string>>();
      if (!r.at("deferred").is_null()) {
        req.deferred = r.at("deferred").get<std::string>();
      }
      requirements->push_back(std::move(req));
    }
  } catch (const json::exception& e) {
    *error = json_path + ": " + e.what();
    return false;
  }
  if (requirements->empty()) {
    *error = json_path + ": no requirements";
    return false;
  }
  return true;
}

bool LoadWaivers(const std::string& path,
                 const std::vector<Requirement>& requirements,
                 const std::vector<std::string>& check_names,
                 std::vector<Waiver>* waivers, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read waiver file " + path;
    return false;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = Trim(line);
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    const size_t colon = line.find(':');
    if (colon == std::string::npos || Trim(line.substr(colon + 1)).empty()) {
      *error = where + "expected \"REQUIREMENT-OR-CHECK: reason\", got \"" +
               line + "\"";
      return false;
    }
    Waiver w;
    w.target = Trim(line.substr(0, colon));
    w.reason = Trim(line.substr(colon + 1));
    w.line = number;
    const bool is_requirement =
        std::any_of(requirements.begin(), requirements.end(),
                    [&](const Requirement& r) { return r.id == w.target; });
    if (!is_requirement && !Contains(check_names, w.target)) {
      *error = where + "\"" + w.target +
               "\" is neither a requirement of SPEC.md nor a check";
      return false;
    }
    waivers->push_back(std::move(w));
  }
  return true;
}

Report BuildReport(const std::string& tool, const std::string& subject,
                   const std::vector<Requirement>& requirements,
                   std::vector<Check> checks, std::vector<Waiver> waivers,
                   bool strict) {
  Report report;
  report.tool = tool;
  report.subject = subject;
  report.started = NowUtc();
  report.strict = strict;
  auto waiver_for = [&](const std::string& target) -> const Waiver* {
    for (const Waiver& w : waivers) {
      if (w.target == target) return &w;
    }
    return nullptr;
  };
  std::set<std::string> known;
  for (const Requirement& req : requirements) {
    known.insert(req.id);
    RequirementResult result;
    result.requirement = req;
    Tally& tally = ProfileOf(req) == Profile::kDocumented ? report.documented
                                                          : report.reference;
    if (!req.deferred.empty()) {
      result.status = Status::kDeferred;
      ++tally.deferred;
      report.requirements.push_back(std::move(result));
      continue;
    }
    bool ran = false, failed = false, unwaived_failure = false,
         waived_check = false;
    std::vector<std::string> not_applicable;
    for (size_t i = 0; i < checks.size(); ++i) {
      const Check& c = checks[i];
      if (!Contains(c.requirements, req.id)) continue;
      if (!Contains(result.checks, c.name)) result.checks.push_back(c.name);
      if (c.result == Check::Result::kSkipped) continue;
      if (c.result == Check::Result::kNotApplicable) {
        not_applicable.push_back(c.name + ": " + c.message);
        continue;
      }
      ran = true;
      const Waiver* check_waiver = waiver_for(c.name);
      waived_check |= check_waiver != nullptr;
      if (IsFailure(c.result)) {
        failed = true;
        result.failures.push_back(c.name + ": " + c.message);
        result.failed_checks.push_back(i);
        if (check_waiver == nullptr)
          unwaived_failure = true;
        else if (result.waiver.empty())
          result.waiver = check_waiver->reason;
      }
    }
    const Waiver* requirement_waiver = waiver_for(req.id);
    if (requirement_waiver != nullptr) {
      result.waiver = requirement_waiver->reason;
      unwaived_failure = false;
    }
    if (!ran && !not_applicable.empty()) {
      // Not applicable only when no check could judge it: one check that
      // observed it decides.
      result.status = Status::kNotApplicable;
      result.not_applicable = Join(not_applicable, "; ");
      ++tally.not_applicable;
    } else if (!ran) {
      result.status = Status::kNotRun;
      ++tally.not_run;
    } else if (failed && unwaived_failure) {
      result.status = Status::kFailed;
      ++tally.failed;
    } else if (failed) {
      result.status = Status::kWaived;
      ++tally.waived;
    } else if (requirement_waiver != nullptr || waived_check) {
      result.status = Status::kStale;
      ++tally.stale;
      if (result.waiver.empty() && waived_check) {
        result.waiver = "a check of it is waived but passed";
      }
    } else {
      result.status = Status::kPassed;
      ++tally.passed;
    }
    report.requirements.push_back(std::move(result));
  }
  for (const Check& c : checks) {
    for (const std::string& id : c.requirements) {
      if (known.count(id) == 0) {
        report.notes.push_back("check " + c.name + " names " + id +
                               ", which SPEC.md does not define");
      }
    }
  }
  // A failed check that covers no requirement of SPEC.md (a test without a
  // REQUIREMENT line, or naming only unknown IDs) still fails the run.
  for (const Check& c : checks) {
    if (!IsFailure(c.result) || waiver_for(c.name) != nullptr) continue;
    const bool attributed =
        std::any_of(c.requirements.begin(), c.requirements.end(),
                    [&](const std::string& id) { return known.count(id) > 0; });
    if (!attributed) {
      ++report.unattributed_failures;
      report.notes.push_back(
          "check " + c.name + " " + CheckResultName(c.result) +
          " and covers no requirement of SPEC.md: " + c.message);
    }
  }
  report.checks = std::move(checks);
  report.waivers = std::move(waivers);
  for (Tally* t : {&report.documented, &report.reference}) {
    t->verdict_passed = t->failed == 0;
    report.passed += t->passed;
    report.failed += t->failed;
    report.waived += t->waived;
    report.stale += t->stale;
    report.not_run += t->not_run;
    report.not_applicable += t->not_applicable;
    report.deferred += t->deferred;
  }
  // A profile passes only if something in it passed; the documented one
  // also needs every check to name a requirement.
  report.documented.verdict_passed &=
      report.documented.passed > 0 && report.unattributed_failures == 0;
  report.reference.verdict_passed &= report.reference.passed > 0;
  report.verdict_passed = report.documented.verdict_passed &&
                          (!strict || report.reference.verdict_passed);
  return report;
}

bool WriteReports(const Report& report, const std::string& dir,
                  std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  const std::filesystem::path base(dir);
  return WriteFile(base / "report.json", ToJson(report), error) &&
         WriteFile(base / "report.xml", ToJUnit(report), error) &&
         WriteFile(base / "report.html", ToHtml(report), error);
}

std::string Summary(const Report& report) {
  std::ostringstream s;
  s << report.tool << ": " << Verdict(report)
    << (report.strict ? " (strict: both profiles decide)"
                      : " (the documented contract decides)")
    << "\n  documented contract: "
    << Verdict(report.documented, report.unattributed_failures) << " ("
    << TallyLine(report.documented) << ")\n"
    << "  reference profile (OURS" << (report.strict ? "" : ", not gating")
    << "): " << Verdict(report.reference) << " (" << TallyLine(report.reference)
    << ")\n";
  for (Profile profile : {Profile::kDocumented, Profile::kReference}) {
    for (const RequirementResult& r : report.requirements) {
      if (ProfileOf(r.requirement) != profile) continue;
      if (r.status == Status::kFailed) {
        s << (profile == Profile::kDocumented ? "  FAIL " : "  DIFFERS (OURS) ")
          << r.requirement.id << " " << r.requirement.text << "\n";
        for (size_t i = 0; i < r.failed_checks.size(); ++i) {
          if (i == kTerminalChecksPerRequirement) {
            s << "       ... and " << r.failed_checks.size() - i
              << " more failed checks (see the report)\n";
            break;
          }
          const Check& c = report.checks[r.failed_checks[i]];
          s << "       " << c.name << " (" << CheckResultName(c.result)
            << "):\n";
          // Enough of the message for expected vs. actual.
          std::istringstream lines(Abridge(c.message, kHtmlTextBytes));
          int shown = 0;
          for (std::string line; std::getline(lines, line) && shown < 8;
               ++shown) {
            if (line.size() > 200) line = line.substr(0, 200) + "...";
            s << "         " << line << "\n";
          }
          if (!c.rerun.empty()) s << "       rerun: " << c.rerun << "\n";
        }
      } else if (r.status == Status::kStale) {
        s << "  STALE WAIVER " << r.requirement.id << " (" << r.waiver
          << "): it passes now\n";
      }
    }
  }
  for (const std::string& note : report.notes) {
    if (note.rfind("check ", 0) == 0) s << "  NOTE " << note << "\n";
  }
  if (report.passed == 0 && report.failed == 0) {
    s << "  nothing was checked\n";
  }
  return s.str();
}

}  // namespace syncmgr::conformance
