#include "reference/internal/session.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/internal/handler_registry.h"
#include "reference/internal/platform.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::reference::internal {
namespace {

thread_local int t_handler_call_depth = 0;
// Rule violations seen after their session had ended, by requirement (rare:
// under a lock).
std::mutex g_late_mu;
std::map<std::string, std::uint64_t> g_late_by_requirement;

// HRESULT_FROM_WIN32(ERROR_TIMEOUT): what a timed-out step ends with.
constexpr HRESULT kTimeoutResult = HResultFromU32(0x800705B4u);

// The codes each handler method may return, per its doc page (HS-105).
// The standard three are E_INVALIDARG, E_UNEXPECTED and E_OUTOFMEMORY.
bool IsDocumentedReturn(const char* method, HRESULT hr) {
  if (hr == S_OK || hr == E_INVALIDARG || hr == E_UNEXPECTED ||
      hr == E_OUTOFMEMORY) {
    return true;
  }
  const std::string m(method);
  if (m == "Initialize" || m == "PrepareForSync") return hr == S_FALSE;
  if (m == "EnumSyncMgrItems") return hr == S_SYNCMGR_MISSINGITEMS;
  if (m == "Synchronize") return hr == E_FAIL;
  // Enumerators follow the COM convention: S_FALSE when fewer were fetched.
  if (m == "Next") return hr == S_FALSE;
  return false;
}

size_t BoundedLength(const WCHAR* text, size_t max) {
  size_t n = 0;
  while (n < max && text[n] != 0) ++n;
  return n;
}

std::string Narrow(const WCHAR* text, size_t max) {
  std::string out;
  for (size_t i = 0; i < max && text[i] != 0; ++i) {
    out.push_back(text[i] < 0x80 ? static_cast<char>(text[i]) : '?');
  }
  return out;
}

std::string Hex(DWORD v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", static_cast<unsigned>(v));
  return buf;
}

bool IsKnownStatus(DWORD status) {
  return status <= SYNCMGRSTATUS_UPDATING_INDETERMINATE ||
         status == SYNCMGRSTATUS_DELETED;
}

bool Contains(const std::vector<GUID>& ids, const GUID& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A set of item IDs: a vector while small (one allocation, no hashing, as
// most sessions have a few items), indexed by a hash set once it grows, so
// that the duplicate check of an enumeration of kMaxEnumeratedItems items,
// and every Progress and LogError check, stay linear overall.
class IdSet {
 public:
  bool contains(const GUID& id) const {
    return index_.empty() ? Contains(ids_, id) : index_.count(id) != 0;
  }
  // Returns false when `id` was already there.
  bool insert(const GUID& id) {
    if (contains(id)) return false;
    if (index_.empty() && ids_.size() < kLinearSize) {
      ids_.push_back(id);
      return true;
    }
    if (index_.empty()) {
      index_.insert(ids_.begin(), ids_.end());
      ids_.clear();
      ids_.shrink_to_fit();
    }
    index_.insert(id);
    return true;
  }

 private:
  static constexpr size_t kLinearSize = 32;
  std::vector<GUID> ids_;
  std::unordered_set<GUID, GuidHash> index_;
};

// A session's violation records, bounded by kKeptViolationsPerRequirement.
class ViolationLog {
 public:
  // Keeps the record while fewer than kKeptViolationsPerRequirement records
  // of `requirement` were kept, or when `always`; counts it otherwise.
  void Add(const char* requirement, std::string message, bool always) {
    Count& count = CountFor(requirement);
    if (!always) {
      if (count.kept == kKeptViolationsPerRequirement) {
        ++count.dropped;
        return;
      }
      ++count.kept;
    }
    kept_.push_back({requirement, std::move(message)});
  }
  // The records, then one "and N more like it" per requirement that had
  // records dropped; the log is empty afterwards.
  std::vector<Violation> Take() {
    for (const Count& count : counts_) {
      if (count.dropped == 0) continue;
      kept_.push_back({count.requirement, "and " +
                                              std::to_string(count.dropped) +
                                              " more like it (not recorded)"});
    }
    counts_.clear();
    return std::exchange(kept_, {});
  }

 private:
  struct Count {
    std::string requirement;
    size_t kept = 0;
    std::uint64_t dropped = 0;
  };
  Count& CountFor(const char* requirement) {
    for (Count& count : counts_) {
      if (count.requirement == requirement) return count;
    }
    counts_.push_back({requirement});
    return counts_.back();
  }

  std::vector<Violation> kept_;
  std::vector<Count> counts_;  // a few requirements per session
};

// A session's trace, bounded: the first kTraceHeadLines lines, the last
// kTraceTailLines (a ring) and the number of lines between.
class TraceLog {
 public:
  void Add(std::string line) {
    if (head_.size() < kTraceHeadLines) {
      head_.push_back(std::move(line));
    } else if (tail_.size() < kTraceTailLines) {
      tail_.push_back(std::move(line));
    } else {
      tail_[next_] = std::move(line);  // overwrites the oldest
      next_ = (next_ + 1) % kTraceTailLines;
      ++dropped_;
    }
  }
  // The lines in order, with one line for those not recorded; the log is
  // empty afterwards.
  std::vector<std::string> Take() {
    std::vector<std::string> lines = std::exchange(head_, {});
    if (dropped_ > 0) {
      lines.push_back("... " + std::to_string(dropped_) +
                      " lines not recorded ...");
    }
    for (size_t i = 0; i < tail_.size(); ++i) {
      lines.push_back(std::move(tail_[(next_ + i) % tail_.size()]));
    }
    tail_.clear();
    next_ = 0;
    dropped_ = 0;
    return lines;
  }

 private:
  std::vector<std::string> head_;
  std::vector<std::string> tail_;
  size_t next_ = 0;  // the oldest line of a full tail_
  std::uint64_t dropped_ = 0;
};

}  // namespace

bool InsideHandlerCall() { return t_handler_call_depth > 0; }

std::uint64_t LateViolationCount() {
  std::lock_guard lock(g_late_mu);
  std::uint64_t total = 0;
  for (const auto& [requirement, count] : g_late_by_requirement) total += count;
  return total;
}

std::map<std::string, std::uint64_t> LateViolationsByRequirement() {
  std::lock_guard lock(g_late_mu);
  return g_late_by_requirement;
}

// ---- CookieCopy ----

void CookieCopy::Borrow(const BYTE* bytes, DWORD size) {
  if (data_ != nullptr && owned_) CoTaskMemFree(data_);
  data_ = size == 0 ? nullptr : const_cast<BYTE*>(bytes);
  size_ = size;
  owned_ = false;
}

bool CookieCopy::Assign(const BYTE* bytes, DWORD size) {
  if (data_ != nullptr && owned_) CoTaskMemFree(data_);
  owned_ = true;
  data_ = nullptr;
  size_ = 0;
  if (size == 0) return true;
  data_ = static_cast<BYTE*>(CoTaskMemAlloc(size));
  if (data_ == nullptr) return false;
  std::memcpy(data_, bytes, size);
  size_ = size;
  return true;
}

CookieCopy::CookieCopy(CookieCopy&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      owned_(std::exchange(other.owned_, true)) {}

CookieCopy& CookieCopy::operator=(CookieCopy&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr && owned_) CoTaskMemFree(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    owned_ = std::exchange(other.owned_, true);
  }
  return *this;
}

CookieCopy::~CookieCopy() {
  if (data_ != nullptr && owned_) CoTaskMemFree(data_);
}

// ---- The callback's shared state ----

enum class Phase {
  kIdle,            // no completion expected
  kPreparePending,  // PrepareForSync called, completion expected
  kPrepareDone,     // PrepareForSyncCompleted received
  kPrepareRefused,  // PrepareForSync returned non-S_OK
  kSyncPending,
  kSyncDone,
  kSyncRefused,
  kShowErrorPending,
  kShowErrorDone,
  kShowErrorRefused,
  kTimedOut,  // the manager stopped waiting
  kEnded,     // the session is over
};

// Everything the callback object and the session share. The callback may
// outlive the session (a handler that leaks it); it then answers
// E_UNEXPECTED.
class CallbackState {
 public:
  explicit CallbackState(std::shared_ptr<const Options> options)
      : options_(std::move(options)) {}

  std::mutex mu;
  std::condition_variable cv;
  Phase phase = Phase::kIdle;
  HRESULT completion = S_OK;
  bool completion_during_call = false;
  IdSet enumerated;
  IdSet prepared;  // the items of the latest PrepareForSync (HS-011)
  // Phases (as bits) the session entered because a method returned
  // non-S_OK: a completion that comes for it after the session ended
  // breaks that method's rule (CB-002, CB-003, CB-005), not only HS-111.
  unsigned refused_ever = 0;
  std::vector<GUID> retry_ids;
  std::vector<ProgressReport> progress;  // kMaxProgressRecords
  IdSet progress_items;                  // items with a record in progress
  std::uint64_t progress_dropped = 0;
  std::vector<LoggedError> errors;  // kMaxLoggedErrors
  std::uint64_t errors_dropped = 0;
  ViolationLog violations;
  TraceLog trace;
  // End() has taken the records into the session's report: later ones
  // (from a handler that kept the callback) are not kept, only counted as
  // late violations.
  bool records_taken = false;
  std::unordered_map<GUID, INT, GuidHash> max_values;
  // Calls that show the handler at work (Progress, LogError,
  // EstablishConnection): each restarts the wait for a completion.
  std::uint64_t activity = 0;
  // Options::skip_items: true from the moment the session's thread calls
  // PrepareForSync or Synchronize with an item to skip until it has sent
  // SetItemStatus in the window that call opens (or found the window
  // closed, or the call failed); see Enter().
  bool skip_pending = false;
  std::thread::id session_thread;  // the thread that calls the handler
  const Options& options() const { return *options_; }

  // Locks mu for a callback call. While a skip is pending, a call from any
  // thread but the session's (a handler's worker) waits until the manager
  // has sent SetItemStatus: a worker that reports or completes at once
  // cannot close the HS-019 window before the manager gets to use it, so
  // the skip reaches the handler (and HS-020 is observed) whatever the
  // threads' timing. Calls on the session's thread, made inside
  // PrepareForSync, Synchronize or SetItemStatus, are never held (that would
  // deadlock): a handler that completes inside the call still leaves no
  // window. The wait is bounded (kMaxSkipHold): a call that waited that long
  // ends the hold for every call (a handler whose Synchronize waits for its
  // own worker's callback call is delayed, never hung).
  std::unique_lock<std::mutex> Enter() {
    std::unique_lock lock(mu);
    if (skip_pending && std::this_thread::get_id() != session_thread &&
        !WaitFor(cv, lock, kMaxSkipHold, [&] { return !skip_pending; })) {
      EndSkipLocked();
    }
    return lock;
  }
  // Caller holds mu: the held calls go on.
  void EndSkipLocked() {
    if (!skip_pending) return;
    skip_pending = false;
    cv.notify_all();
  }

  // Caller holds mu: the method whose completion `refused` stands for
  // returned non-S_OK.
  void RefuseLocked(Phase refused) {
    phase = refused;
    refused_ever |= Bit(refused);
  }
  static unsigned Bit(Phase p) { return 1u << static_cast<unsigned>(p); }

  // Caller holds mu: the handler showed it is working.
  void ActiveLocked() {
    ++activity;
    cv.notify_all();
  }

  // HS-112: waits until `phase` is `done` while the handler is never silent
  // for completion_timeout, at most completion_limit in all. On false,
  // `*why` says which limit ran out.
  bool WaitForCompletion(std::unique_lock<std::mutex>& lock, Phase done,
                         std::string* why) {
    using std::chrono::milliseconds;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const std::uint64_t seen = activity;
      const auto spent = std::chrono::duration_cast<milliseconds>(
          std::chrono::steady_clock::now() - start);
      const milliseconds left = options_->completion_limit - spent;
      if (left <= milliseconds(0)) {
        *why = "not called within the " +
               std::to_string(options_->completion_limit.count()) +
               " ms limit, although the handler kept reporting";
        return false;
      }
      const milliseconds wait = std::min(options_->completion_timeout, left);
      WaitFor(cv, lock, wait,
              [&] { return phase == done || activity != seen; });
      if (phase == done) return true;
      if (activity != seen) continue;
      if (wait < options_->completion_timeout) {
        *why = "not called within the " +
               std::to_string(options_->completion_limit.count()) +
               " ms limit, although the handler kept reporting";
      } else {
        *why =
            "not called, and the handler silent (no Progress, LogError "
            "or EstablishConnection) for " +
            std::to_string(options_->completion_timeout.count()) + " ms";
      }
      return false;
    }
  }

  // Caller holds mu. `always`: exempt from kKeptViolationsPerRequirement.
  void ViolateLocked(const char* requirement, std::string message,
                     bool always = false) {
    if (phase == Phase::kEnded) {
      std::lock_guard late(g_late_mu);
      ++g_late_by_requirement[requirement];
    }
    if (records_taken) return;
    violations.Add(requirement, std::move(message), always);
  }
  // Callers test tracing() first, so that no trace line is built (and
  // allocated) when Options::record_trace is off.
  bool tracing() const { return options_->record_trace; }
  void TraceLocked(std::string line) {
    if (options_->record_trace && !records_taken) trace.Add(std::move(line));
  }

  // A completion callback: `pending` is the phase that expects it.
  HRESULT Complete(Phase pending, Phase done, Phase refused,
                   const char* requirement_refused, const char* name,
                   HRESULT hr) {
    const std::unique_lock lock = Enter();
    if (tracing()) {
      TraceLocked(std::string("  <- ") + name + "(" + DescribeHresult(hr) +
                  ")");
    }
    if (phase == pending) {
      completion = hr;
      phase = done;
      completion_during_call = true;
      cv.notify_all();
      return S_OK;
    }
    if (phase == Phase::kEnded && (refused_ever & Bit(refused))) {
      ViolateLocked(requirement_refused,
                    std::string(name) +
                        " called although the method returned non-S_OK (it "
                        "came after the session ended)");
    } else if (phase == Phase::kEnded) {
      ViolateLocked("HS-111",
                    std::string(name) + " called after the session ended");
    } else if (phase == Phase::kTimedOut) {
      ViolateLocked("HS-112", std::string(name) +
                                  " arrived after the manager stopped waiting");
    } else if (phase == done) {
      ViolateLocked("HS-108", std::string(name) + " called twice");
    } else if (phase == refused) {
      ViolateLocked(
          requirement_refused,
          std::string(name) + " called although the method returned non-S_OK");
    } else {
      ViolateLocked("CB-101", std::string(name) +
                                  " called when no such operation was pending");
    }
    return E_UNEXPECTED;
  }

 private:
  std::shared_ptr<const Options> options_;
};

namespace {

class Callback final : public com::Object<ISyncMgrSynchronizeCallback> {
 public:
  explicit Callback(std::shared_ptr<CallbackState> state)
      : state_(std::move(state)) {}

  // Wakes the session when the handler drops its last reference, so that
  // the end of a session can wait for a handler thread that is still
  // returning from a callback (HS-109).
  ULONG STDMETHODCALLTYPE Release() override {
    std::shared_ptr<CallbackState> state = state_;
    const ULONG left = Object::Release();
    if (left == 1) {
      std::lock_guard lock(state->mu);
      state->cv.notify_all();
    }
    return left;
  }

  HRESULT STDMETHODCALLTYPE ShowPropertiesCompleted(HRESULT hr) override {
    const std::unique_lock lock = state_->Enter();
    if (state_->tracing()) {
      state_->TraceLocked("  <- ShowPropertiesCompleted(" +
                          DescribeHresult(hr) + ")");
    }
    state_->ViolateLocked(
        "CB-004",
        "ShowPropertiesCompleted called, but the manager never "
        "called ShowProperties");
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSyncCompleted(HRESULT hr) override {
    return state_->Complete(Phase::kPreparePending, Phase::kPrepareDone,
                            Phase::kPrepareRefused, "CB-002",
                            "PrepareForSyncCompleted", hr);
  }
  HRESULT STDMETHODCALLTYPE SynchronizeCompleted(HRESULT hr) override {
    return state_->Complete(Phase::kSyncPending, Phase::kSyncDone,
                            Phase::kSyncRefused, "CB-003",
                            "SynchronizeCompleted", hr);
  }
  HRESULT STDMETHODCALLTYPE ShowErrorCompleted(
      HRESULT hr, ULONG cItems, SyncMgrItemIdsArg pItemIDs) override {
    std::vector<GUID> ids;
    if (hr == S_SYNCMGR_RETRYSYNC) {
      if (cItems > 0 && pItemIDs == nullptr) {
        const std::unique_lock lock = state_->Enter();
        state_->ViolateLocked("CB-103",
                              "ShowErrorCompleted(S_SYNCMGR_RETRYSYNC) with " +
                                  std::to_string(cItems) + " items and NULL");
        return E_INVALIDARG;
      }
      if (cItems > 0) ids.assign(pItemIDs, pItemIDs + cItems);  // CB-007
    }
    const HRESULT result = state_->Complete(
        Phase::kShowErrorPending, Phase::kShowErrorDone,
        Phase::kShowErrorRefused, "CB-005", "ShowErrorCompleted", hr);
    if (result == S_OK) {
      std::lock_guard lock(state_->mu);
      state_->retry_ids = std::move(ids);
    }
    return result;
  }
  HRESULT STDMETHODCALLTYPE EnableModeless(BOOL fEnable) override {
    const std::unique_lock lock = state_->Enter();
    if (state_->tracing()) {
      state_->TraceLocked(std::string("  <- EnableModeless(") +
                          (fEnable ? "TRUE" : "FALSE") + ")");
    }
    if (state_->phase == Phase::kEnded) {
      state_->ViolateLocked("HS-111", "EnableModeless after the session ended");
      return E_UNEXPECTED;
    }
    if (!fEnable) return S_OK;
    const bool in_show_error = state_->phase == Phase::kShowErrorPending ||
                               state_->phase == Phase::kShowErrorDone ||
                               state_->phase == Phase::kShowErrorRefused;
    if (!state_->options().may_bother_user) {
      // HS-013: without SYNCMGRFLAG_MAYBOTHERUSER a handler shows no UI, so
      // it has no dialog to ask about; ShowError may show UI regardless,
      // after asking EnableModeless (D:showerror, HS-023).
      if (!in_show_error) {
        state_->ViolateLocked("HS-013",
                              "EnableModeless(TRUE) although Initialize's "
                              "flags lacked SYNCMGRFLAG_MAYBOTHERUSER");
      }
      return S_FALSE;  // CB-106
    }
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Progress(REFGUID ItemID,
                                     SyncMgrProgressItemArg item) override {
    const std::unique_lock lock = state_->Enter();
    state_->ActiveLocked();
    if (state_->tracing()) {
      state_->TraceLocked("  <- Progress(" + FormatGuid(ItemID) + ")");
    }
    if (state_->phase == Phase::kEnded) {
      state_->ViolateLocked("HS-111", "Progress after the session ended");
      return E_UNEXPECTED;
    }
    if (item == nullptr) {
      state_->ViolateLocked("CB-102", "Progress with a NULL item");
      return E_INVALIDARG;
    }
    if (item->cbSize != sizeof(SYNCMGRPROGRESSITEM)) {
      state_->ViolateLocked(
          "CB-102",
          "Progress with cbSize " + std::to_string(item->cbSize) + ", not 32");
      return E_INVALIDARG;
    }
    if ((item->mask & ~0xFu) != 0) {
      state_->ViolateLocked("CB-102", "Progress mask " + Hex(item->mask) +
                                          " has bits outside 0xF");
      return E_INVALIDARG;
    }
    if (!state_->enumerated.contains(ItemID)) {
      state_->ViolateLocked("CB-107", "Progress for item " +
                                          FormatGuid(ItemID) +
                                          ", which was never enumerated");
      return E_INVALIDARG;
    }
    if ((item->mask & SYNCMGRPROGRESSITEM_STATUSTYPE) &&
        !IsKnownStatus(item->dwStatusType)) {
      state_->ViolateLocked("CB-102", "Progress status type " +
                                          Hex(item->dwStatusType) +
                                          " is not a SYNCMGRSTATUS value");
      return E_INVALIDARG;
    }
    // HS-011: Synchronize works on the items PrepareForSync was given; an
    // item reported as being synchronized (UPDATING, SUCCEEDED) during
    // Synchronize that was not among them was synchronized unasked.
    const bool synchronizing = state_->phase == Phase::kSyncPending ||
                               state_->phase == Phase::kSyncDone;
    if (synchronizing && (item->mask & SYNCMGRPROGRESSITEM_STATUSTYPE) &&
        (item->dwStatusType == SYNCMGRSTATUS_UPDATING ||
         item->dwStatusType == SYNCMGRSTATUS_SUCCEEDED) &&
        !state_->prepared.contains(ItemID)) {
      state_->ViolateLocked(
          "HS-011",
          "Progress reports item " + FormatGuid(ItemID) + " " +
              (item->dwStatusType == SYNCMGRSTATUS_UPDATING ? "UPDATING"
                                                            : "SUCCEEDED") +
              " during Synchronize, but PrepareForSync was not "
              "given it");
    }
    if (item->mask & SYNCMGRPROGRESSITEM_MAXVALUE) {
      if (item->iMaxValue < 0) {
        state_->ViolateLocked("CB-105", "Progress max value " +
                                            std::to_string(item->iMaxValue) +
                                            " is negative");
        return E_INVALIDARG;
      }
      state_->max_values[ItemID] = item->iMaxValue;
    }
    if (item->mask & SYNCMGRPROGRESSITEM_PROGVALUE) {
      auto max = state_->max_values.find(ItemID);
      if (item->iProgValue < 0 ||
          (max != state_->max_values.end() && item->iProgValue > max->second)) {
        state_->ViolateLocked(
            "CB-105", "Progress value " + std::to_string(item->iProgValue) +
                          " is outside 0.." +
                          (max == state_->max_values.end()
                               ? std::string("(no max)")
                               : std::to_string(max->second)));
        return E_INVALIDARG;
      }
    }
    // kMaxProgressRecords: beyond it, only an item's first report.
    const bool first_for_item = state_->progress_items.insert(ItemID);
    const bool full = state_->progress.size() >= kMaxProgressRecords;
    if (full && !first_for_item) {
      ++state_->progress_dropped;
      return state_->options().progress_answer;
    }
    ProgressReport report;
    report.item = ItemID;
    report.progress = *item;
    report.progress.lpcStatusText = nullptr;
    if ((item->mask & SYNCMGRPROGRESSITEM_STATUSTEXT) &&
        item->lpcStatusText != nullptr && !full) {
      report.status_text.assign(item->lpcStatusText,
                                BoundedLength(item->lpcStatusText, 1024));
    }
    state_->progress.push_back(std::move(report));
    return state_->options().progress_answer;  // CB-009
  }
  HRESULT STDMETHODCALLTYPE LogError(DWORD dwErrorLevel, LPCWSTR pszErrorText,
                                     SyncMgrLogErrorInfoArg info) override {
    const std::unique_lock lock = state_->Enter();
    state_->ActiveLocked();
    if (state_->tracing()) {
      state_->TraceLocked("  <- LogError(" + std::to_string(dwErrorLevel) +
                          ")");
    }
    if (state_->phase == Phase::kEnded) {
      state_->ViolateLocked("HS-111", "LogError after the session ended");
      return E_UNEXPECTED;
    }
    if (dwErrorLevel < SYNCMGRLOGLEVEL_INFORMATION ||
        dwErrorLevel > SYNCMGRLOGLEVEL_LOGLEVELMAX) {
      state_->ViolateLocked("CB-102", "LogError level " +
                                          std::to_string(dwErrorLevel) +
                                          " is outside 1..3");
      return E_INVALIDARG;
    }
    if (pszErrorText == nullptr) {
      state_->ViolateLocked("CB-102", "LogError with NULL text");
      return E_INVALIDARG;
    }
    LoggedError error;
    error.level = dwErrorLevel;
    error.text.assign(pszErrorText, BoundedLength(pszErrorText, 4096));
    if (info != nullptr) {
      if (info->cbSize != sizeof(SYNCMGRLOGERRORINFO)) {
        state_->ViolateLocked("CB-102", "LogError info cbSize " +
                                            std::to_string(info->cbSize) +
                                            ", not 44");
        return E_INVALIDARG;
      }
      if ((info->mask & ~0x7u) != 0) {
        state_->ViolateLocked(
            "CB-102",
            "LogError info mask " + Hex(info->mask) + " has bits outside 0x7");
        return E_INVALIDARG;
      }
      if ((info->mask & SYNCMGRLOGERROR_ITEMID) &&
          !state_->enumerated.contains(info->ItemID)) {
        state_->ViolateLocked("CB-107", "LogError for item " +
                                            FormatGuid(info->ItemID) +
                                            ", which was never enumerated");
        return E_INVALIDARG;
      }
      error.has_info = true;
      error.info = *info;
    }
    if (state_->errors.size() >= kMaxLoggedErrors) {
      ++state_->errors_dropped;  // checked and answered, not kept
      return S_OK;
    }
    state_->errors.push_back(std::move(error));
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DeleteLogError(REFGUID ErrorID,
                                           DWORD dwReserved) override {
    const std::unique_lock lock = state_->Enter();
    if (state_->tracing()) {
      state_->TraceLocked("  <- DeleteLogError(" + FormatGuid(ErrorID) + ")");
    }
    if (state_->phase == Phase::kEnded) {
      state_->ViolateLocked("HS-111", "DeleteLogError after the session ended");
      return E_UNEXPECTED;
    }
    if (dwReserved != 0) {
      state_->ViolateLocked(
          "CB-102", "DeleteLogError with dwReserved " + Hex(dwReserved));
      return E_INVALIDARG;
    }
    auto& errors = state_->errors;
    errors.erase(
        std::remove_if(errors.begin(), errors.end(),
                       [&](const LoggedError& e) {
                         return ErrorID == GUID_NULL ||  // CB-013
                                (e.has_info &&
                                 (e.info.mask & SYNCMGRLOGERROR_ERRORID) &&
                                 e.info.ErrorID == ErrorID);
                       }),
        errors.end());
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EstablishConnection(LPCWSTR pwszConnection,
                                                DWORD dwReserved) override {
    const std::unique_lock lock = state_->Enter();
    state_->ActiveLocked();
    if (state_->tracing()) {
      state_->TraceLocked(
          std::string("  <- EstablishConnection(") +
          (pwszConnection ? Narrow(pwszConnection, 256) : "NULL") + ")");
    }
    if (state_->phase == Phase::kEnded) {
      state_->ViolateLocked("HS-111",
                            "EstablishConnection after the session ended");
      return E_UNEXPECTED;
    }
    if (dwReserved != 0) {
      state_->ViolateLocked(
          "CB-102", "EstablishConnection with dwReserved " + Hex(dwReserved));
      return E_INVALIDARG;
    }
    return S_OK;  // CB-014: headless, every connection is "up"
  }

 protected:
  // Agile on Windows (IMarshal from the free-threaded marshaler): handlers
  // may marshal the callback to threads of their own.
  bool QueryOtherInterface(REFIID riid, void** ppv) override {
    return ftm_.Query(static_cast<ISyncMgrSynchronizeCallback*>(this), riid,
                      ppv);
  }

 private:
  std::shared_ptr<CallbackState> state_;
  FreeThreadedMarshaler ftm_;
};

}  // namespace

// ---- Session ----

Session::Session(std::uint64_t id, const GUID& clsid, DWORD invoke_flags,
                 CookieCopy cookie, std::shared_ptr<const Options> options,
                 bool from_update_all)
    : options_(std::move(options)), cookie_(std::move(cookie)) {
  report_.id = id;
  report_.clsid = clsid;
  report_.invoke_flags = invoke_flags;
  report_.from_update_all = from_update_all;
  state_ = std::make_shared<CallbackState>(options_);
}

Session::~Session() {
  if (!ended_) Abandon();
}

template <typename Call>
HRESULT Session::CallHandler(const char* method, const char* codes_key,
                             Call&& call) {
  ++t_handler_call_depth;
  const HRESULT hr = call();
  --t_handler_call_depth;
  if (options_->record_trace)
    Trace(std::string(method) + " -> " + DescribeHresult(hr));
  if (codes_key != nullptr && !IsDocumentedReturn(codes_key, hr)) {
    if (std::strcmp(codes_key, "Synchronize") == 0 && SUCCEEDED(hr)) {
      // A success code other than S_OK breaks Synchronize's page (HS-018);
      // an unusual error code only our list of codes (HS-105).
      Violate("HS-018", std::string(method) + " returned " +
                            DescribeHresult(hr) +
                            ": its page allows S_OK, E_FAIL or a standard "
                            "error, no other success code");
    } else {
      Violate("HS-105", std::string(method) + " returned " +
                            DescribeHresult(hr) +
                            ", which its documentation does not list");
    }
  }
  return hr;
}

void Session::Trace(std::string line) {
  std::lock_guard lock(state_->mu);
  state_->TraceLocked(std::move(line));
}

void Session::Violate(const char* requirement, std::string message) {
  std::lock_guard lock(state_->mu);
  state_->ViolateLocked(requirement, std::move(message));
}

void Session::ReportStop(const char* requirement, std::string message) {
  std::lock_guard lock(state_->mu);
  state_->ViolateLocked(requirement, std::move(message), /*always=*/true);
}

HRESULT Session::Activate() {
  activated_ = true;
  HRESULT hr;
  {
    ++t_handler_call_depth;  // the handler's constructor is handler code
    hr = CoCreateInstance(report_.clsid, nullptr, CLSCTX_INPROC_SERVER,
                          IID_ISyncMgrSynchronize,
                          reinterpret_cast<void**>(&handler_));
    --t_handler_call_depth;
  }
  if (options_->record_trace) {
    Trace("CoCreateInstance(" + FormatGuid(report_.clsid) + ") -> " +
          DescribeHresult(hr));
  }
  if (FAILED(hr) || handler_ == nullptr) {
    if (SUCCEEDED(hr)) {
      Violate("COM-004", "CoCreateInstance succeeded with a NULL object");
    }
    handler_ = nullptr;
    End(Outcome::kCreateFailed, FAILED(hr) ? hr : E_UNEXPECTED);
    return E_FAIL;  // UI-111
  }
  // UI-114: the INVOKE event code; MAYBOTHERUSER only when allowed.
  report_.syncmgr_flags =
      ((options_->faults & kFaultWrongEventCode) ? SYNCMGRFLAG_MANUAL
                                                 : SYNCMGRFLAG_INVOKE) |
      (options_->may_bother_user ? SYNCMGRFLAG_MAYBOTHERUSER : 0u);
  cookie_passed_ = true;
  if (!cookie_.owned()) {
    report_.cookie.assign(cookie_.data(), cookie_.data() + cookie_.size());
  }
  // Options::revoke_cookie_after_initialize: the pages Initialize sees
  // become inaccessible once it returns (kept mapped, never reused, until
  // the process ends: a handler may still hold the pointer).
  const BYTE* handed = cookie_.size() == 0 ? nullptr : cookie_.data();
  BYTE* revocable = nullptr;
  size_t revocable_size = 0;
  if (handed != nullptr && options_->revoke_cookie_after_initialize) {
    const size_t page = PageSize();
    revocable_size = (cookie_.size() + page - 1) / page * page;
    void* pages = MapPages(revocable_size);
    if (pages != nullptr) {
      // The cookie ends where the pages end, so reading past it faults too.
      revocable = static_cast<BYTE*>(pages) + revocable_size - cookie_.size();
      std::memcpy(revocable, cookie_.data(), cookie_.size());
      handed = revocable;
    }
  }
  hr = CallHandler("Initialize", "Initialize", [&] {
    // HS-002: dwReserved is 0. UI-102/UI-104: an empty cookie is (0, NULL).
    return handler_->Initialize(0, report_.syncmgr_flags, cookie_.size(),
                                handed);
  });
  if (revocable != nullptr) {
    std::memset(revocable, 0xDD, cookie_.size());
    ProtectNone(revocable + cookie_.size() - revocable_size, revocable_size);
    if (options_->record_trace) {
      Trace("cookie pages made inaccessible (HS-113)");
    }
  }
  if (hr == S_FALSE) {
    End(Outcome::kDeclined, hr);
    return S_OK;  // UI-112
  }
  if (hr != S_OK) {
    End(Outcome::kInitializeFailed, hr);
    return E_FAIL;  // UI-111
  }
  return S_OK;
}

void Session::ReadHandlerInfo() {
  SYNCMGRHANDLERINFO* info = nullptr;
  const HRESULT hr = CallHandler("GetHandlerInfo", "GetHandlerInfo", [&] {
    return handler_->GetHandlerInfo(&info);
  });
  if (hr != S_OK) {
    CoTaskMemFree(info);
    return;  // cosmetic: the session goes on
  }
  if (info == nullptr) {
    Violate("HS-106", "GetHandlerInfo returned S_OK with a NULL pointer");
    return;
  }
  if (!syncmgr::com::IsTaskMemBlock(info)) {
    Violate("HS-006",
            "the SYNCMGRHANDLERINFO was not allocated with CoTaskMemAlloc");
  }
  if (info->cbSize != sizeof(SYNCMGRHANDLERINFO)) {
    Violate("HS-106", "SYNCMGRHANDLERINFO.cbSize is " +
                          std::to_string(info->cbSize) + ", not 88");
  }
  if (BoundedLength(info->wszHandlerName, MAX_SYNCMGRHANDLERNAME) ==
      MAX_SYNCMGRHANDLERNAME) {
    Violate("HS-106", "wszHandlerName is not terminated within 32 WCHARs");
  }
  if ((info->SyncMgrHandlerFlags & ~DWORD{SYNCMGRHANDLERFLAG_MASK}) != 0) {
    Violate("HS-106", "SyncMgrHandlerFlags " + Hex(info->SyncMgrHandlerFlags) +
                          " has bits outside SYNCMGRHANDLERFLAG_MASK (0xF)");
  }
  report_.have_handler_info = true;
  report_.handler_info = *info;
  report_.handler_info.wszHandlerName[MAX_SYNCMGRHANDLERNAME - 1] = 0;
  CoTaskMemFree(info);  // HS-006: the caller frees it
}

bool Session::EnumerateItems() {
  ISyncMgrEnumItems* items = nullptr;
  HRESULT hr = CallHandler("EnumSyncMgrItems", "EnumSyncMgrItems",
                           [&] { return handler_->EnumSyncMgrItems(&items); });
  if (FAILED(hr) || items == nullptr) {
    if (SUCCEEDED(hr)) {
      Violate("HS-107", "EnumSyncMgrItems succeeded with a NULL enumerator");
      hr = E_UNEXPECTED;
    }
    End(Outcome::kHandlerFailed, hr);
    return false;
  }
  // Bounded (session.h): at most kMaxNextCalls calls of at most kNextBatch
  // items each; the items, the rejected items and the violation records it
  // keeps are capped too.
  // On the stack (no allocation), with kNextBatch more entries than Next is
  // given, filled with a pattern: a Next that writes past celt entries
  // (EN-001) is seen there instead of corrupting the manager. The entries
  // it is given hold another pattern: one it counts in *pceltFetched but
  // never wrote still holds it (EN-001: pceltFetched is the number of
  // entries it enumerated).
  std::array<SYNCMGRITEM, 2 * kNextBatch> batch;
  constexpr unsigned char kPastTheEnd = 0xA5;
  constexpr unsigned char kUnwritten = 0x5A;
  const auto holds = [](const SYNCMGRITEM* from, size_t n, unsigned char b) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(from);
    return std::all_of(bytes, bytes + n * sizeof(SYNCMGRITEM),
                       [b](unsigned char x) { return x == b; });
  };
  size_t calls = 0;
  int empty_batches = 0;
  size_t rejected = 0;
  bool failed = false;
  // HS-103: an item the manager ignores. Returns false when that was one
  // too many (kMaxRejectedItems): the enumeration stops, the session ends.
  auto reject = [&](std::string why) {
    Violate("HS-107", std::move(why));
    if (++rejected < kMaxRejectedItems) return true;
    ReportStop("HS-107", "the enumerator handed back " +
                             std::to_string(rejected) +
                             " items the manager had to ignore; stopped");
    return false;
  };
  for (;;) {
    if (calls == kMaxNextCalls) {
      ReportStop("EN-101", "Next called " + std::to_string(calls) +
                               " times without reaching the end; stopped");
      break;
    }
    ++calls;
    std::memset(batch.data(), kUnwritten, kNextBatch * sizeof(SYNCMGRITEM));
    std::memset(batch.data() + kNextBatch, kPastTheEnd,
                (batch.size() - kNextBatch) * sizeof(SYNCMGRITEM));
    ULONG fetched = 0;
    hr = CallHandler("ISyncMgrEnumItems::Next", "Next", [&] {
      return items->Next(kNextBatch, batch.data(), &fetched);
    });
    if (!holds(batch.data() + kNextBatch, batch.size() - kNextBatch,
               kPastTheEnd)) {
      Violate("EN-001", "Next wrote past the " + std::to_string(kNextBatch) +
                            " entries it was given (celt " +
                            std::to_string(kNextBatch) + ")");
      failed = true;  // nothing it handed back can be trusted
      break;
    }
    if (hr == E_NOTIMPL) {
      Violate("EN-001", "ISyncMgrEnumItems::Next returned E_NOTIMPL");
    }
    if (FAILED(hr)) {
      failed = true;  // EN-001: no entry is valid
      break;
    }
    if (fetched > kNextBatch) {
      Violate("EN-101", "Next fetched " + std::to_string(fetched) +
                            " items when asked for " +
                            std::to_string(kNextBatch));
      failed = true;
      break;
    }
    const auto unwritten = std::find_if(
        batch.begin(), batch.begin() + fetched,
        [&](const SYNCMGRITEM& e) { return holds(&e, 1, kUnwritten); });
    if (SUCCEEDED(hr) && unwritten != batch.begin() + fetched) {
      Violate("EN-001",
              "Next answered " + std::to_string(fetched) +
                  " fetched, but entry " +
                  std::to_string(unwritten - batch.begin()) +
                  " was never written (pceltFetched must count the entries "
                  "it enumerated)");
      failed = true;  // which entries are real cannot be told
      break;
    }
    if (hr == S_OK && fetched != kNextBatch) {
      Violate("EN-101", "Next returned S_OK with " + std::to_string(fetched) +
                            " of " + std::to_string(kNextBatch) + " items");
    }
    for (ULONG i = 0; i < fetched && !failed; ++i) {
      SYNCMGRITEM& item = batch[i];
      // Formatted only for a violation message.
      auto id = [&item] { return FormatGuid(item.ItemID); };
      if (item.cbSize != sizeof(SYNCMGRITEM)) {
        failed = !reject("item " + id() + " has cbSize " +
                         std::to_string(item.cbSize) + ", not 304");
        continue;  // HS-103: ignored
      }
      bool added;
      {
        std::lock_guard lock(state_->mu);
        added = state_->enumerated.insert(item.ItemID);
      }
      if (!added) {
        failed = !reject("item " + id() + " is enumerated twice");
        continue;  // HS-103: the first one wins
      }
      if (BoundedLength(item.wszItemName, MAX_SYNCMGRITEMNAME) ==
          MAX_SYNCMGRITEMNAME) {
        Violate("HS-107",
                "item " + id() + " name is not terminated within 128 WCHARs");
        item.wszItemName[MAX_SYNCMGRITEMNAME - 1] = 0;
      }
      if ((item.dwFlags & ~DWORD{SYNCMGRITEM_ITEMFLAGMASK}) != 0) {
        Violate("HS-107", "item " + id() + " flags " + Hex(item.dwFlags) +
                              " have bits outside 0x7F");
        item.dwFlags &= SYNCMGRITEM_ITEMFLAGMASK;
      }
      if (item.dwItemState > SYNCMGRITEMSTATE_CHECKED) {
        Violate("HS-107", "item " + id() + " state " + Hex(item.dwItemState) +
                              " is neither CHECKED nor UNCHECKED");
      }
      report_.items.push_back(item);
    }
    if (failed) {
      hr = E_UNEXPECTED;  // what the session ends with
      break;
    }
    if (report_.items.size() > kMaxEnumeratedItems) {
      ReportStop("EN-101", "more than " + std::to_string(kMaxEnumeratedItems) +
                               " items enumerated; stopped");
      break;
    }
    if (fetched == 0 && hr == S_OK && ++empty_batches > kMaxEmptyBatches) {
      ReportStop("EN-101", "Next keeps returning S_OK with no items; stopped");
      break;
    }
    if (hr != S_OK) break;  // S_FALSE (or another success code): the end
  }
  ++t_handler_call_depth;
  items->Release();
  --t_handler_call_depth;
  if (failed) {
    End(Outcome::kHandlerFailed, FAILED(hr) ? hr : E_UNEXPECTED);
    return false;
  }
  return true;
}

std::vector<GUID> Session::ChooseItems(bool* cancelled) {
  *cancelled = false;
  // UA-001: UpdateAll updates all items, checked or not, with no Choice.
  if (report_.from_update_all) {
    std::vector<GUID> all;
    for (const SYNCMGRITEM& item : report_.items) all.push_back(item.ItemID);
    return all;
  }
  std::vector<GUID> checked;
  for (const SYNCMGRITEM& item : report_.items) {
    if (item.dwItemState == SYNCMGRITEMSTATE_CHECKED) {
      checked.push_back(item.ItemID);
    }
  }
  // UI-004: STARTSYNC skips the Choice step.
  if ((report_.invoke_flags & SYNCMGRINVOKE_STARTSYNC) || !options_->choice) {
    return checked;
  }
  Choice choice = options_->choice(report_.invoke_flags, report_.items);
  if (choice.cancel) {
    *cancelled = true;
    return {};
  }
  std::vector<GUID> selected;
  for (const GUID& id : choice.selected) {
    if (state_->enumerated.contains(id) && !Contains(selected, id)) {
      selected.push_back(id);
    }
  }
  return selected;
}

void Session::Run() {
  ReadHandlerInfo();
  if (!EnumerateItems()) return;
  bool cancelled = false;
  std::vector<GUID> ids = ChooseItems(&cancelled);
  if (cancelled) return End(Outcome::kCancelled, S_OK);
  if (ids.empty()) return End(Outcome::kNothingSelected, S_OK);  // HS-014

  Callback* callback = new Callback(state_);
  callback_ = callback;
  callback_set_ = true;
  HRESULT hr = CallHandler("SetProgressCallback", "SetProgressCallback", [&] {
    return handler_->SetProgressCallback(callback_);
  });
  if (FAILED(hr)) return End(Outcome::kHandlerFailed, hr);
  {
    // HS-009: the handler AddRefs the callback it is given. (The manager
    // holds one reference; a handler thread may already hold another.)
    callback_->AddRef();
    const ULONG references = callback_->Release();
    if (references <= 1) {
      Violate("HS-009",
              "the handler holds no reference to the callback after "
              "SetProgressCallback returned S_OK (no AddRef)");
    }
  }
  report_.selected = ids;
  if (!PrepareAndSynchronize(std::move(ids))) return;
  if (options_->show_errors) {
    ShowErrors();
    if (ended_) return;
  }
  End(Outcome::kCompleted, S_OK);
}

bool Session::PrepareAndSynchronize(std::vector<GUID> ids) {
  // Options::skip_items: each window PrepareForSync and Synchronize open has
  // a SetItemStatus to send; until it is sent, the handler's other threads
  // wait in their callback calls (CallbackState::Enter).
  const bool skipping = std::any_of(
      ids.begin(), ids.end(),
      [&](const GUID& id) { return Contains(options_->skip_items, id); });
  auto begin = [&](Phase pending) {
    std::lock_guard lock(state_->mu);
    state_->phase = pending;
    state_->completion_during_call = false;
    state_->skip_pending = skipping;
    state_->session_thread = std::this_thread::get_id();
  };
  // After the call returned: non-S_OK means no completion may come.
  auto returned = [&](HRESULT hr, Phase done, Phase refused,
                      const char* requirement, const char* name) {
    std::lock_guard lock(state_->mu);
    if (hr == S_OK) return;
    if (state_->phase == done) {
      state_->ViolateLocked(requirement, std::string(name) + " returned " +
                                             DescribeHresult(hr) +
                                             " but its completion was called");
    }
    state_->RefuseLocked(refused);
  };
  // HS-117: the call returned promptly. Not judged while a skip is due:
  // the handler's own threads may then be held (kMaxSkipHold), and a call
  // that waits for them with it.
  auto prompt = [&](const char* name, auto call) {
    const auto start = std::chrono::steady_clock::now();
    const HRESULT hr = call();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (took > kPromptReturn && !skipping) {
      Violate("HS-117", std::string(name) + " took " +
                            std::to_string(took.count()) +
                            " ms to return (more than " +
                            std::to_string(kPromptReturn.count()) +
                            " ms): it should return at once and complete "
                            "later");
    }
    return hr;
  };
  // HS-112: a bounded wait for the completion.
  auto wait = [&](Phase done, HRESULT* completion, const char* name) {
    std::unique_lock lock(state_->mu);
    std::string why;
    if (!state_->WaitForCompletion(lock, done, &why)) {
      state_->phase = Phase::kTimedOut;
      state_->ViolateLocked("HS-112", std::string(name) + " " + why);
      return false;
    }
    *completion = state_->completion;
    state_->phase = Phase::kIdle;
    return true;
  };
  auto skip_items = [&](Phase pending) {
    for (const GUID& id : ids) {
      if (!Contains(options_->skip_items, id)) continue;
      {
        std::lock_guard lock(state_->mu);
        if (state_->phase != pending) break;  // HS-019: window closed
      }
      CallHandler("SetItemStatus(SKIPPED)", "SetItemStatus", [&] {
        return handler_->SetItemStatus(id, SYNCMGRSTATUS_SKIPPED);
      });
    }
    std::lock_guard lock(state_->mu);
    state_->EndSkipLocked();  // the held callback calls go on
  };

  begin(Phase::kPreparePending);
  {
    std::lock_guard lock(state_->mu);
    state_->prepared = IdSet();
    for (const GUID& id : ids) state_->prepared.insert(id);
  }
  HRESULT hr = prompt("PrepareForSync", [&] {
    return CallHandler("PrepareForSync", "PrepareForSync", [&] {
      return handler_->PrepareForSync(static_cast<ULONG>(ids.size()),
                                      ids.data(), nullptr, 0);
    });
  });
  returned(hr, Phase::kPrepareDone, Phase::kPrepareRefused, "CB-002",
           "PrepareForSync");
  if (hr != S_OK) {
    End(Outcome::kHandlerFailed, hr);  // HS-102
    return false;
  }
  skip_items(Phase::kPreparePending);
  HRESULT completion = S_OK;
  if (options_->faults & kFaultSkipPrepareWait) {
    std::lock_guard lock(state_->mu);
    state_->phase = Phase::kIdle;
  } else if (!wait(Phase::kPrepareDone, &completion,
                   "PrepareForSyncCompleted")) {
    End(Outcome::kTimedOut, kTimeoutResult);
    return false;
  }
  if (completion != S_OK) {
    End(Outcome::kHandlerFailed, completion);  // HS-015
    return false;
  }

  begin(Phase::kSyncPending);
  ++report_.synchronize_calls;
  hr = prompt("Synchronize", [&] {
    return CallHandler("Synchronize", "Synchronize",
                       [&] { return handler_->Synchronize(nullptr); });
  });
  returned(hr, Phase::kSyncDone, Phase::kSyncRefused, "CB-003", "Synchronize");
  if (hr != S_OK) {
    End(Outcome::kHandlerFailed, hr);
    return false;
  }
  skip_items(Phase::kSyncPending);
  if (!wait(Phase::kSyncDone, &completion, "SynchronizeCompleted")) {
    End(Outcome::kTimedOut, kTimeoutResult);
    return false;
  }
  if (completion != S_OK) {
    End(Outcome::kHandlerFailed, completion);
    return false;
  }
  if ((options_->faults & kFaultSetItemStatusAfterCompletion) && !ids.empty()) {
    CallHandler("SetItemStatus(SKIPPED)", "SetItemStatus", [&] {
      return handler_->SetItemStatus(ids.front(), SYNCMGRSTATUS_SKIPPED);
    });
  }
  return true;
}

void Session::ShowErrors() {
  std::vector<GUID> error_ids;
  {
    std::lock_guard lock(state_->mu);
    for (const LoggedError& e : state_->errors) {
      if (e.has_info && (e.info.mask & SYNCMGRLOGERROR_ERRORID) &&
          (e.info.mask & SYNCMGRLOGERROR_ERRORFLAGS) &&
          (e.info.dwSyncMgrErrorFlags & SYNCMGRERRORFLAG_ENABLEJUMPTEXT)) {
        error_ids.push_back(e.info.ErrorID);
      }
    }
  }
  int retries = 0;
  for (const GUID& error_id : error_ids) {
    {
      std::lock_guard lock(state_->mu);
      state_->phase = Phase::kShowErrorPending;
      state_->retry_ids.clear();
    }
    const HRESULT hr = CallHandler("ShowError", "ShowError", [&] {
      return handler_->ShowError(nullptr, error_id);
    });
    {
      std::lock_guard lock(state_->mu);
      if (hr != S_OK) {
        if (state_->phase == Phase::kShowErrorDone) {
          state_->ViolateLocked("CB-005",
                                "ShowError returned " + DescribeHresult(hr) +
                                    " but ShowErrorCompleted was called");
        }
        state_->RefuseLocked(Phase::kShowErrorRefused);
        continue;
      }
    }
    std::unique_lock lock(state_->mu);
    std::string why;
    if (!state_->WaitForCompletion(lock, Phase::kShowErrorDone, &why)) {
      state_->phase = Phase::kTimedOut;
      state_->ViolateLocked("HS-112", "ShowErrorCompleted " + why);
      lock.unlock();
      End(Outcome::kTimedOut, kTimeoutResult);
      return;
    }
    const HRESULT completion = state_->completion;
    std::vector<GUID> retry = std::move(state_->retry_ids);
    state_->phase = Phase::kIdle;
    lock.unlock();
    if (completion == S_SYNCMGR_RETRYSYNC && retries < options_->max_retries) {
      ++retries;  // CB-006; CB-103: no ids means the original selection
      if (!PrepareAndSynchronize(retry.empty() ? report_.selected : retry)) {
        return;
      }
    }
  }
}

void Session::End(Outcome outcome, HRESULT result) {
  if (ended_) return;
  ended_ = true;
  report_.outcome = outcome;
  report_.result = result;
  {
    std::lock_guard lock(state_->mu);
    state_->phase = Phase::kEnded;
    state_->EndSkipLocked();
  }
  if (handler_ != nullptr) {
    if (callback_set_ && !(options_->faults & kFaultNoCallbackReset)) {
      // HS-010: SetProgressCallback(NULL) before the final Release.
      CallHandler("SetProgressCallback(NULL)", "SetProgressCallback",
                  [&] { return handler_->SetProgressCallback(nullptr); });
    }
    ++t_handler_call_depth;
    report_.final_release =
        (options_->faults & kFaultLeakHandler) ? 1u : handler_->Release();
    --t_handler_call_depth;
    handler_ = nullptr;
    if (options_->record_trace) {
      Trace("Release -> " + std::to_string(report_.final_release));
    }
    // A non-zero answer is not judged here: a handler thread may still hold
    // the object for a moment. Leaks are judged where the object's end can
    // be observed (DllCanUnloadNow, certify's HS-110).
  }
  if (callback_ != nullptr) {
    // A handler thread may still be returning from a callback call: give it
    // a moment to drop its reference before calling it a leak.
    auto held_by_handler = [&] {
      callback_->AddRef();
      return callback_->Release() - 1;  // minus the manager's own
    };
    ULONG held = held_by_handler();
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::min<std::chrono::milliseconds>(options_->completion_timeout,
                                            std::chrono::seconds(2));
    while (held != 0 && std::chrono::steady_clock::now() < deadline) {
      {
        std::unique_lock lock(state_->mu);
        state_->cv.wait_until(
            lock, std::min(deadline, std::chrono::steady_clock::now() +
                                         std::chrono::milliseconds(5)));
      }
      held = held_by_handler();
    }
    if (held != 0) {
      Violate("HS-109", "the handler still holds " + std::to_string(held) +
                            " reference(s) to the progress callback after "
                            "SetProgressCallback(NULL) and Release");
    }
    callback_->Release();
    callback_ = nullptr;
  }
  std::lock_guard lock(state_->mu);
  if (state_->tracing() && state_->progress_dropped > 0) {
    state_->TraceLocked(std::to_string(state_->progress_dropped) +
                        " Progress reports not recorded (at most " +
                        std::to_string(kMaxProgressRecords) +
                        " per session, then each item's first)");
  }
  if (state_->tracing() && state_->errors_dropped > 0) {
    state_->TraceLocked(std::to_string(state_->errors_dropped) +
                        " LogError records not kept (at most " +
                        std::to_string(kMaxLoggedErrors) + " at a time)");
  }
  report_.violations = state_->violations.Take();
  report_.progress = std::move(state_->progress);
  state_->progress.clear();
  report_.errors = std::move(state_->errors);
  state_->errors.clear();
  report_.trace = state_->trace.Take();
  state_->records_taken = true;
}

void Session::CopyCookieToReport() {
  if (!cookie_passed_ || !cookie_.owned()) return;  // nothing, or done
  report_.cookie.assign(cookie_.data(), cookie_.data() + cookie_.size());
}

void Session::Abandon() { End(Outcome::kAbandoned, E_UNEXPECTED); }

}  // namespace syncmgr::reference::internal
