#include "fuzz/internal/environment.h"

#include <mutex>
#include <utility>

#include "fuzz/internal/check.h"
#include "fuzz/internal/scripted_handler.h"
#include "reference/com/com.h"
#include "reference/com/object.h"

namespace syncmgr::fuzz {
namespace {

std::mutex g_sessions_mu;
std::vector<SessionSummary> g_sessions;

void Observe(const reference::SessionReport& report) {
  SessionSummary s;
  s.id = report.id;
  s.clsid = report.clsid;
  s.from_update_all = report.from_update_all;
  s.outcome = report.outcome;
  s.result = report.result;
  s.syncmgr_flags = report.syncmgr_flags;
  s.cookie_size = static_cast<DWORD>(report.cookie.size());
  if (report.cookie.size() <= kRecordedCookieBytes) s.cookie = report.cookie;
  s.final_release = report.final_release;
  s.synchronize_calls = report.synchronize_calls;
  for (const reference::Violation& v : report.violations) {
    s.violations.push_back(v.requirement);
  }
  std::lock_guard lock(g_sessions_mu);
  g_sessions.push_back(std::move(s));
}

}  // namespace

reference::Options FuzzOptions() {
  reference::Options options;
  options.mode = reference::Mode::kSynchronous;
  options.completion_timeout = kCompletionTimeout;
  return options;
}

void InstallSessionLog() {
  reference::SetSessionObserver(Observe);
  std::lock_guard lock(g_sessions_mu);
  g_sessions.clear();
}

std::vector<SessionSummary> TakeSessions() {
  std::lock_guard lock(g_sessions_mu);
  return std::exchange(g_sessions, {});
}

bool HasViolation(const SessionSummary& session, const char* requirement) {
  for (const std::string& v : session.violations) {
    if (v == requirement) return true;
  }
  return false;
}

std::string DescribeSession(const SessionSummary& s) {
  std::string text = "session " + std::to_string(s.id) + " of " +
                     FormatGuid(s.clsid) + ": " +
                     reference::OutcomeName(s.outcome) + " (" + Hr(s.result) +
                     "), violations:";
  for (const std::string& v : s.violations) text += " " + v;
  return text;
}

Balance TakeBalance() {
  Balance b;
  b.com_objects = com::LiveObjects();
  b.task_memory = com::OutstandingTaskMemAllocations();
  b.handler_objects = LiveHandlerObjects();
  return b;
}

void CheckBalanced(const Balance& before, const char* when) {
  const Balance now = TakeBalance();
  FUZZ_CHECK(now.handler_objects == before.handler_objects, when, ": ",
             now.handler_objects - before.handler_objects,
             " handler or enumerator object(s) never released (COM-003)");
  FUZZ_CHECK(now.com_objects == before.com_objects, when, ": ",
             now.com_objects - before.com_objects,
             " COM object(s) leaked or over-released");
  FUZZ_CHECK(now.task_memory == before.task_memory, when, ": ",
             now.task_memory - before.task_memory,
             " CoTaskMemAlloc block(s) not freed (HS-006, UI-108)");
  const reference::Statistics stats = reference::GetStatistics();
  FUZZ_CHECK(stats.sessions_started == stats.sessions_ended, when, ": ",
             stats.sessions_started, " sessions started but ",
             stats.sessions_ended, " ended (UI-118)");
}

}  // namespace syncmgr::fuzz
