// File: reference/sync_manager.h
//
// The reference Sync Manager: a portable implementation of what Windows'
// Synchronization Manager does behind CLSID_SyncMgr, as reference/SPEC.md
// states it. One COM class answers ISyncMgrSynchronizeInvoke (UpdateItems,
// UpdateAll) and ISyncMgrRegister (RegisterSyncMgrHandler, ...). Behind it is
// one process-wide engine, as on Windows where the registrations live in the
// system registry: every CLSID_SyncMgr object of a process sees the same
// handler registrations and the same sessions.
//
// Hosts that link the reference (its unit tests, certify, the fuzzers, the
// benchmarks) configure the engine and observe sessions through this header.
// Anything that must judge the reference as a client would (the conformance
// suite) reaches it only through COM.
//
// Example:
//   syncmgr::reference::Options options;
//   options.mode = syncmgr::reference::Mode::kSynchronous;
//   syncmgr::reference::Configure(options);
//   syncmgr::reference::SetSessionObserver(
//       [](const syncmgr::reference::SessionReport& report) { ... });
//   ComPtr<ISyncMgrSynchronizeInvoke> invoke;
//   syncmgr::reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
//                                         invoke.PutVoid());
//   invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid, 3, cookie);
//   syncmgr::reference::WaitForIdle(std::chrono::seconds(5));
#ifndef SYNCMGR_REFERENCE_SYNC_MANAGER_H_
#define SYNCMGR_REFERENCE_SYNC_MANAGER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "reference/mobsync/mobsync.h"

namespace syncmgr::reference {

// Where sessions run (SPEC.md UI-101).
enum class Mode {
  // The whole session runs inside UpdateItems / UpdateAll, on the caller's
  // thread (completions may still arrive from other threads): deterministic,
  // for tests and fuzzing.
  kSynchronous,
  // UpdateItems validates, copies the cookie, creates and initializes the
  // handler, then queues the rest of the session to the engine's workers
  // and returns; UpdateAll only queues. As on Windows.
  kAsynchronous,
};

// What the headless stand-in for the Choice dialog decides (SPEC.md
// UI-104). Called only when dwInvokeFlags lacks SYNCMGRINVOKE_STARTSYNC.
struct Choice {
  bool cancel = false;         // the user closed the dialog
  std::vector<GUID> selected;  // the items to synchronize
};
using ChoicePolicy =
    std::function<Choice(DWORD invoke_flags, const std::vector<SYNCMGRITEM>&)>;

struct Options {
  Mode mode = Mode::kAsynchronous;
  // Largest cookie UpdateItems accepts; above it, E_OUTOFMEMORY (UI-107).
  DWORD max_cookie_bytes = 1u << 20;
  // How long the manager waits for PrepareForSyncCompleted,
  // SynchronizeCompleted and ShowErrorCompleted while the handler is silent
  // before it ends the session as timed out (HS-112): each Progress,
  // LogError or EstablishConnection call starts the wait again, so a
  // handler that reports its work may take longer, up to completion_limit
  // for one completion.
  std::chrono::milliseconds completion_timeout{5000};
  std::chrono::milliseconds completion_limit{std::chrono::minutes(10)};
  // Worker threads of the asynchronous mode.
  int workers = 2;
  // Sets SYNCMGRFLAG_MAYBOTHERUSER in Initialize's flags, and makes
  // EnableModeless(TRUE) answer S_OK instead of S_FALSE.
  bool may_bother_user = false;
  // nullptr: select the items whose dwItemState is CHECKED.
  ChoicePolicy choice;
  // Items to skip: after PrepareForSync returns S_OK (if
  // PrepareForSyncCompleted has not come yet), and again after Synchronize
  // returns S_OK (if SynchronizeCompleted has not), the manager calls
  // SetItemStatus(id, SKIPPED) for each of these that was selected
  // (HS-019/HS-020). Until it has, callback calls from the handler's other
  // threads wait (at most internal::kMaxSkipHold), so that a worker that
  // completes at once cannot close the window first; calls made inside
  // PrepareForSync, Synchronize or SetItemStatus, on the manager's thread,
  // never wait (a handler that completes inside the call leaves no window).
  std::vector<GUID> skip_items;
  // What Progress answers: S_OK, S_SYNCMGR_CANCELITEM or S_SYNCMGR_CANCELALL
  // (CB-009).
  HRESULT progress_answer = S_OK;
  // After SynchronizeCompleted, call ShowError for every error the handler
  // logged with SYNCMGRERRORFLAG_ENABLEJUMPTEXT and an ErrorID, as a user
  // double-clicking it would (HS-022). A retry request
  // (S_SYNCMGR_RETRYSYNC) runs PrepareForSync and Synchronize again, at
  // most `max_retries` times per session.
  bool show_errors = false;
  int max_retries = 1;
  // Record every call of the session as text in SessionReport::trace.
  bool record_trace = false;
  // Certification (SPEC.md HS-113): Initialize gets the cookie in pages of
  // its own, which are overwritten and made inaccessible as soon as
  // Initialize returns, so that a handler that kept the pointer instead of
  // copying the bytes faults at its next read. This breaks UI-108 on
  // purpose; certify uses it in one scenario only.
  bool revoke_cookie_after_initialize = false;
  // Deliberate contract violations (Fault bits), only for the bundled
  // known-bad implementations that prove the suite can fail. Zero in any
  // normal use.
  std::uint32_t faults = 0;
};

// Bits of Options::faults: each breaks the requirement named.
enum Fault : std::uint32_t {
  // UI-108: Initialize gets the caller's buffer instead of a copy.
  kFaultKeepCookiePointer = 1u << 0,
  // UI-105: flags outside 0x6 are accepted.
  kFaultAcceptUnknownFlags = 1u << 1,
  // UI-109/UI-002: an unregistered CLSID returns S_OK (and runs nothing).
  kFaultAcceptUnregistered = 1u << 2,
  // UI-009: Initialize gets SYNCMGRFLAG_MANUAL instead of INVOKE.
  kFaultWrongEventCode = 1u << 3,
  // COM-003/UI-118: the handler is never released.
  kFaultLeakHandler = 1u << 4,
  // HS-010: no SetProgressCallback(NULL) before the final Release.
  kFaultNoCallbackReset = 1u << 5,
  // HS-015: Synchronize without waiting for PrepareForSyncCompleted.
  kFaultSkipPrepareWait = 1u << 6,
  // UA-003: UpdateAll never returns (a hang the suite must survive).
  kFaultHangInUpdateAll = 1u << 7,
  // HS-019: SetItemStatus(SKIPPED) after SynchronizeCompleted, outside
  // both of its windows.
  kFaultSetItemStatusAfterCompletion = 1u << 8,
  // UI-015: UpdateItems reads one byte past the cookie.
  kFaultReadPastCookie = 1u << 9,
};

// How a session ended.
enum class Outcome {
  kCompleted,         // SynchronizeCompleted(S_OK) or skipped by design
  kNothingSelected,   // no item selected: released without PrepareForSync
  kCancelled,         // the Choice policy cancelled
  kDeclined,          // Initialize returned S_FALSE
  kCreateFailed,      // CoCreateInstance of the handler failed
  kInitializeFailed,  // Initialize returned an error
  kHandlerFailed,     // a handler method or completion reported an error
  kTimedOut,          // a completion never came
  kAbandoned,         // the engine shut down before the session ran
};
const char* OutcomeName(Outcome outcome);

// A rule of SPEC.md the handler broke, as the manager saw it.
struct Violation {
  std::string requirement;  // e.g. "CB-002"
  std::string message;
};

struct LoggedError {
  DWORD level = 0;
  std::basic_string<WCHAR> text;
  bool has_info = false;
  SYNCMGRLOGERRORINFO info{};
};

struct ProgressReport {
  GUID item{};
  SYNCMGRPROGRESSITEM progress{};  // lpcStatusText is not kept
  std::basic_string<WCHAR> status_text;
};

struct SessionReport {
  std::uint64_t id = 0;
  GUID clsid{};
  DWORD invoke_flags = 0;
  DWORD syncmgr_flags = 0;   // as passed to Initialize
  std::vector<BYTE> cookie;  // as passed to Initialize
  bool from_update_all = false;
  Outcome outcome = Outcome::kCompleted;
  HRESULT result = S_OK;  // the HRESULT that decided the outcome
  bool have_handler_info = false;
  SYNCMGRHANDLERINFO handler_info{};
  std::vector<SYNCMGRITEM> items;  // as enumerated (well-formed ones)
  std::vector<GUID> selected;      // passed to PrepareForSync
  int synchronize_calls = 0;
  std::vector<ProgressReport> progress;
  std::vector<LoggedError> errors;
  std::vector<Violation> violations;
  std::vector<std::string> trace;  // only with Options::record_trace
  // Release's answer at the final release of the handler (0 = destroyed).
  ULONG final_release = 0;
};

// Applies to sessions started after the call.
void Configure(const Options& options);
Options CurrentOptions();

// Called once per session, after the handler's final Release, on the thread
// that ended the session. Pass nullptr to remove.
void SetSessionObserver(std::function<void(const SessionReport&)> observer);

// Creates a CLSID_SyncMgr object (IUnknown, ISyncMgrSynchronizeInvoke,
// ISyncMgrRegister).
HRESULT CreateSyncManager(REFIID riid, void** ppv);

// The class object for CLSID_SyncMgr (an IClassFactory), as an in-proc
// server's DllGetClassObject hands it out.
HRESULT GetSyncManagerClassObject(REFCLSID clsid, REFIID riid, void** ppv);

// Waits until no session is queued or running. Returns false on timeout.
bool WaitForIdle(std::chrono::milliseconds timeout);

// Starts shutting down (SPEC.md UI-110): new requests get E_UNEXPECTED,
// queued sessions are abandoned (their handlers released), running ones
// finish. Returns when the workers have stopped.
void Shutdown();

// Waits for idle (bounded by the completion timeout), then clears every
// registration, the shutdown state, the observer and the options (tests).
void ResetForTesting();

// Counters since the last reset.
struct Statistics {
  std::uint64_t sessions_started = 0;
  std::uint64_t sessions_ended = 0;
  std::uint64_t violations = 0;
  // Violations by handlers calling a session's callback after it ended
  // (process-wide, never reset).
  std::uint64_t late_violations = 0;
  // The same, by the requirement each broke: HS-111, or the rule of a
  // completion whose method had returned a failure (CB-002, CB-003, CB-005).
  std::map<std::string, std::uint64_t> late_violations_by_requirement;
};
Statistics GetStatistics();

}  // namespace syncmgr::reference

#endif  // SYNCMGR_REFERENCE_SYNC_MANAGER_H_
