// File: fuzz/internal/environment.h
//
// What every fuzz target shares: the reference configured for fuzzing
// (synchronous sessions, short completion timeouts), a log of the sessions
// the reference reported, and the balance checks run after each input (no
// COM object, task-memory block, handler or session left behind).
//
// Example:
//   const Balance before = TakeBalance();
//   ... drive the reference ...
//   JoinHandlerThreads();
//   CheckBalanced(before, "after UpdateItems");
#ifndef SYNCMGR_FUZZ_INTERNAL_ENVIRONMENT_H_
#define SYNCMGR_FUZZ_INTERNAL_ENVIRONMENT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/mobsync/mobsync.h"
#include "reference/sync_manager.h"

namespace syncmgr::fuzz {

// How long the manager waits for a completion. A scripted handler that never
// completes costs this much per step, so fuzz builds keep it short; the
// differential fuzzer uses its own, longer one (it compares outcomes that
// depend on the wait).
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
inline constexpr std::chrono::milliseconds kCompletionTimeout{5};
#else
inline constexpr std::chrono::milliseconds kCompletionTimeout{100};
#endif

// The reference's options for fuzzing: synchronous mode, kCompletionTimeout.
reference::Options FuzzOptions();

// A summary of one SessionReport (copying whole reports would cost more
// than the session).
struct SessionSummary {
  std::uint64_t id = 0;
  GUID clsid{};
  bool from_update_all = false;
  reference::Outcome outcome = reference::Outcome::kCompleted;
  HRESULT result = S_OK;
  DWORD syncmgr_flags = 0;
  DWORD cookie_size = 0;
  std::vector<BYTE> cookie;             // only up to kRecordedCookieBytes
  std::vector<std::string> violations;  // requirement IDs
  ULONG final_release = 0;
  int synchronize_calls = 0;
};

// Installs the session observer (again after ResetForTesting) and clears
// the log.
void InstallSessionLog();
// The sessions reported since the last call.
std::vector<SessionSummary> TakeSessions();
bool HasViolation(const SessionSummary& session, const char* requirement);
std::string DescribeSession(const SessionSummary& session);

// Counters that must come back to where they were after every input.
struct Balance {
  long com_objects = 0;      // live COM objects of this module
  long task_memory = 0;      // CoTaskMemAlloc blocks not freed
  long handler_objects = 0;  // scripted handlers and enumerators
};
Balance TakeBalance();
// Aborts with a message naming `when` if a counter differs from `before`,
// or if the reference started more sessions than it ended.
void CheckBalanced(const Balance& before, const char* when);

}  // namespace syncmgr::fuzz

#endif  // SYNCMGR_FUZZ_INTERNAL_ENVIRONMENT_H_
