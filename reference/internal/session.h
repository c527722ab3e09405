// One synchronization session: the manager's side of a handler's lifecycle
// (SPEC.md HS-101), and the ISyncMgrSynchronizeCallback the handler reports
// to. A session is activated (handler created and initialized) and then run;
// it always ends with SetProgressCallback(NULL) (when a callback was set),
// the handler's final Release and one SessionReport.
#ifndef SYNCMGR_REFERENCE_INTERNAL_SESSION_H_
#define SYNCMGR_REFERENCE_INTERNAL_SESSION_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reference/mobsync/mobsync.h"
#include "reference/sync_manager.h"

namespace syncmgr::reference::internal {

// Bounds on what one session spends on a handler's answers, in calls and in
// the memory of its report, so that a handler that never stops answering
// (an enumerator that never ends, a callback called in a loop) costs the
// manager a bounded amount of time and memory whatever it does.
//
// Items one enumeration keeps (SPEC.md EN-101); the enumeration stops there
// and the session goes on with them.
inline constexpr size_t kMaxEnumeratedItems = 100000;
// Items asked for per ISyncMgrEnumItems::Next call.
inline constexpr ULONG kNextBatch = 16;
// Next calls per enumeration. A conforming enumerator reaches
// kMaxEnumeratedItems in 6,250 calls; even one that hands out a single item
// per call (an EN-101 violation) has all of them read. The enumeration stops
// there and the session goes on.
inline constexpr size_t kMaxNextCalls = kMaxEnumeratedItems;
// Next calls that answered S_OK with no item; the enumeration stops after
// one more and the session goes on.
inline constexpr int kMaxEmptyBatches = 1000;
// Items the manager had to ignore (HS-103: a wrong cbSize, a duplicate ID).
// A correct handler hands back none; at this many the enumeration stops at
// once and the session ends as the handler's failure.
inline constexpr size_t kMaxRejectedItems = 100;
// Violation records per requirement per session: the first ones keep their
// messages, the rest are counted and reported as one "and N more like it"
// record of the same requirement when the session ends. The records that
// say why the manager stopped listening to the handler are always kept.
inline constexpr size_t kKeptViolationsPerRequirement = 10;
// Trace lines per session (Options::record_trace): the first
// kTraceHeadLines and the last kTraceTailLines, with one line counting
// those between.
inline constexpr size_t kTraceHeadLines = 200;
inline constexpr size_t kTraceTailLines = 100;
// Progress reports kept per session. Beyond it only an item's first report
// is kept (without its status text), so that every item that was reported
// on still has a record; the others are counted in the trace.
inline constexpr size_t kMaxProgressRecords = 1000;
// LogError records held at once per session (each up to 4096 WCHARs); a
// LogError beyond it answers S_OK, is not kept (nor shown, HS-022) and is
// counted in the trace.
inline constexpr size_t kMaxLoggedErrors = 256;

// Options::skip_items: how long a callback call from a thread of the
// handler's own is held at most while the manager still has to send
// SetItemStatus(SKIPPED) in the window PrepareForSync or Synchronize opened
// (CallbackState::Enter in session.cc). Once one held call has waited this
// long, no call is held any more in that window.
inline constexpr std::chrono::milliseconds kMaxSkipHold{2000};

// HS-117: how long PrepareForSync and Synchronize may take to return (the
// pages: "as soon as possible", "returns quickly"); the completion may come
// later.
inline constexpr std::chrono::milliseconds kPromptReturn{1000};

// True while this thread is inside a call from the manager into handler
// code (SPEC.md UI-116: such calls are re-entrant requests).
bool InsideHandlerCall();

// Rule violations seen after their session had ended (a handler calling a
// callback it should have released, HS-111), process-wide.
std::uint64_t LateViolationCount();
// The same, by the requirement each broke.
std::map<std::string, std::uint64_t> LateViolationsByRequirement();

// Owns a cookie copy made with CoTaskMemAlloc (UI-108).
class CookieCopy {
 public:
  CookieCopy() = default;
  // Copies `size` bytes; returns false when the allocator failed.
  bool Assign(const BYTE* bytes, DWORD size);
  // Refers to the caller's buffer without copying (kFaultKeepCookiePointer).
  void Borrow(const BYTE* bytes, DWORD size);
  CookieCopy(CookieCopy&& other) noexcept;
  CookieCopy& operator=(CookieCopy&& other) noexcept;
  CookieCopy(const CookieCopy&) = delete;
  CookieCopy& operator=(const CookieCopy&) = delete;
  ~CookieCopy();
  const BYTE* data() const { return data_; }
  DWORD size() const { return size_; }
  bool owned() const { return owned_; }

 private:
  BYTE* data_ = nullptr;
  DWORD size_ = 0;
  bool owned_ = true;
};

class CallbackState;

class Session {
 public:
  Session(std::uint64_t id, const GUID& clsid, DWORD invoke_flags,
          CookieCopy cookie, std::shared_ptr<const Options> options,
          bool from_update_all);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const GUID& clsid() const { return report_.clsid; }
  const Options& options() const { return *options_; }

  // Creates the handler and calls Initialize. Returns S_OK when the session
  // should go on to Run(); otherwise the session is over (End() has been
  // called) and the result is what UpdateItems reports: S_OK when the
  // handler declined (UI-112), E_FAIL when it could not be created or
  // initialized (UI-111).
  HRESULT Activate();
  bool activated() const { return activated_; }

  // The rest of the lifecycle; always ends the session.
  void Run();

  // Ends a session that will never run (engine shut down).
  void Abandon();

  // The report, valid after the session ended.
  const SessionReport& report() const { return report_; }
  // Puts the cookie passed to Initialize into report().cookie. The engine
  // calls it only when an observer will read the report, which spares every
  // other session a second copy of the cookie (a borrowed cookie,
  // kFaultKeepCookiePointer, is copied at Initialize as before).
  void CopyCookieToReport();
  bool ended() const { return ended_; }

 private:
  template <typename Call>
  HRESULT CallHandler(const char* method, const char* documented_codes_key,
                      Call&& call);
  void Trace(std::string line);
  // Records a violation, subject to kKeptViolationsPerRequirement.
  void Violate(const char* requirement, std::string message);
  // Records the violation that made the manager stop listening to the
  // handler (a bound of the enumeration was reached): always kept.
  void ReportStop(const char* requirement, std::string message);
  void End(Outcome outcome, HRESULT result);
  void ReadHandlerInfo();
  bool EnumerateItems();
  std::vector<GUID> ChooseItems(bool* cancelled);
  // Calls PrepareForSync(ids) and Synchronize and waits for their
  // completions. Returns false when the session must end (End() called).
  bool PrepareAndSynchronize(std::vector<GUID> ids);
  void ShowErrors();

  std::shared_ptr<const Options> options_;
  CookieCopy cookie_;
  SessionReport report_;
  ISyncMgrSynchronize* handler_ = nullptr;
  ISyncMgrSynchronizeCallback* callback_ = nullptr;
  std::shared_ptr<CallbackState> state_;
  bool activated_ = false;
  bool ended_ = false;
  bool callback_set_ = false;
  bool cookie_passed_ = false;  // Initialize was called with cookie_
};

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_SESSION_H_
