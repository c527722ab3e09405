// File: conformance/testdata/outside_manager/outside_manager.cc
//
// A second Synchronization Manager (CLSID_SyncMgr), written as an outside
// vendor would write one: from Microsoft's public mobsync documentation only,
// without the project's reference. Where the documentation is silent it
// decides differently from the reference, so that running the conformance
// suite against it shows whether the suite fails a correct implementation.
//
// Its choices on the undocumented points:
//   * ISyncMgrRegister lives on its own object: CoCreateInstance for
//     IID_ISyncMgrRegister makes a registrar, anything else makes an invoke
//     object, and neither answers QueryInterface for the other's interface.
//     Registrations are shared by the whole process.
//   * UpdateItems and UpdateAll only queue: every session (one handler
//     instance) runs on its own worker thread, also after the last manager
//     object is released. The module stays alive until the sessions end.
//   * There is no user interface: no Choice dialog, no ShowProperties, no
//     ShowError, no SetItemStatus. UpdateItems synchronizes the items a
//     handler reports as SYNCMGRITEMSTATE_CHECKED, UpdateAll all of them.
//   * A handler that never completes PrepareForSync or Synchronize is
//     abandoned after OUTSIDE_MANAGER_TIMEOUT_MS milliseconds (default
//     10000).
//
// Built with one of these defines, it is a known-bad implementation with one
// bug (conformance/known_bad.bzl, OUTSIDE_MANAGER_BUGS):
//   SYNCMGR_BUG_INITIALIZE_TWICE  an UpdateItems session whose Initialize
//       fails asks the same handler object again (HS-003: once per object);
//   SYNCMGR_BUG_MISSING_ITEMS_IS_FAILURE  EnumSyncMgrItems'
//       S_SYNCMGR_MISSINGITEMS ends the session like an error (HS-007);
//   SYNCMGR_BUG_USES_FAILED_NEXT_ITEMS  the entries a failing
//       ISyncMgrEnumItems::Next hands back are synchronized (EN-001);
//   SYNCMGR_BUG_NEVER_STARTS  UpdateItems accepts a registered CLSID and
//       returns S_OK without starting anything (UI-001);
//   SYNCMGR_BUG_NEVER_RELEASES  the handler is never released at the end of
//       a session (COM-003);
//   SYNCMGR_BUG_LEAKS_HANDLER_INFO  the SYNCMGRHANDLERINFO from
//       GetHandlerInfo is never freed (HS-006);
//   SYNCMGR_BUG_TRUNCATES_COOKIE  Initialize gets one cookie byte less than
//       the caller gave (UI-006);
//   SYNCMGR_BUG_PROGRESS_ANSWERS_S_FALSE  Progress answers S_FALSE, which
//       its page does not list (CB-009);
//   SYNCMGR_BUG_LOG_ERROR_FAILS  LogError answers E_FAIL instead of logging
//       (CB-011).
//
// Example (what the conformance suite does with it):
//   bazel run //conformance:conformance_suite --
//       --implementation=$PWD/bazel-bin/conformance/testdata/outside_manager/outside_manager.so

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace outside_manager {
namespace {

using syncmgr::com::CreateObject;
using syncmgr::com::Object;
using syncmgr::com::ThisModule;

// UpdateItems refuses larger cookies with E_OUTOFMEMORY.
constexpr DWORD kMaxCookieBytes = 16u << 20;
// Enumeration stops after this many items.
constexpr ULONG kMaxEnumeratedItems = 100000;
// Strings a caller hands us are copied up to this many characters.
constexpr size_t kMaxTextChars = 1 << 16;
constexpr long kDefaultTimeoutMs = 10000;

struct GuidLess {
  bool operator()(const GUID& a, const GUID& b) const {
    return std::memcmp(&a, &b, sizeof(GUID)) < 0;
  }
};

// A caller's NUL-terminated string, cut at kMaxTextChars; NULL gives "".
std::u16string CopyText(LPCWSTR text) {
  std::u16string copy;
  if (text == nullptr) return copy;
  for (size_t i = 0; i < kMaxTextChars && text[i] != u'\0'; ++i) {
    copy.push_back(text[i]);
  }
  return copy;
}

// How long a session waits for PrepareForSyncCompleted or
// SynchronizeCompleted: OUTSIDE_MANAGER_TIMEOUT_MS, a positive number of
// milliseconds, or kDefaultTimeoutMs.
long CompletionTimeoutMs() {
  const char* text = std::getenv("OUTSIDE_MANAGER_TIMEOUT_MS");
  if (text == nullptr || *text == '\0') return kDefaultTimeoutMs;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  return (*end == '\0' && value > 0) ? value : kDefaultTimeoutMs;
}

// ---- Handler registrations, one table for the whole process ----

class Registry {
 public:
  // Never destroyed: worker threads may still use it while the process
  // exits.
  static Registry& Get() {
    static Registry* const registry = new Registry;
    return *registry;
  }

  HRESULT Register(REFCLSID clsid, LPCWSTR description, DWORD flags) {
    try {
      Registration registration{flags, CopyText(description)};
      std::lock_guard<std::mutex> lock(mu_);
      handlers_[clsid] = std::move(registration);
    } catch (const std::bad_alloc&) {
      return E_OUTOFMEMORY;
    }
    return S_OK;
  }

  void Unregister(REFCLSID clsid) {
    std::lock_guard<std::mutex> lock(mu_);
    handlers_.erase(clsid);
  }

  // True if registered; then *flags (if not null) gets its flags.
  bool Lookup(REFCLSID clsid, DWORD* flags) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = handlers_.find(clsid);
    if (it == handlers_.end()) return false;
    if (flags != nullptr) *flags = it->second.flags;
    return true;
  }

  std::vector<CLSID> All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<CLSID> all;
    for (const auto& entry : handlers_) all.push_back(entry.first);
    return all;
  }

 private:
  struct Registration {
    DWORD flags;
    std::u16string description;
  };
  std::mutex mu_;
  std::map<CLSID, Registration, GuidLess> handlers_;
};

// ---- One session: one handler instance driven through one update ----

// The session is also the ISyncMgrSynchronizeCallback its handler gets, so
// every callback is tied to the handler instance it was given to.
class Session final : public Object<ISyncMgrSynchronizeCallback> {
 public:
  // `all_items`: synchronize every item the handler reports (UpdateAll),
  // not only the checked ones.
  Session(const CLSID& handler, std::vector<BYTE> cookie, bool all_items)
      : handler_clsid_(handler),
        cookie_(std::move(cookie)),
        all_items_(all_items) {}

  // The whole session, on the calling (worker) thread.
  void Run() {
    timeout_ms_ = CompletionTimeoutMs();
    const bool com_initialized =
        SUCCEEDED(CoInitializeEx(nullptr, COINIT_MULTITHREADED));
    ISyncMgrSynchronize* handler = nullptr;
    if (SUCCEEDED(CoCreateInstance(
            handler_clsid_, nullptr, CLSCTX_INPROC_SERVER,
            IID_ISyncMgrSynchronize, reinterpret_cast<void**>(&handler))) &&
        handler != nullptr) {
      Drive(handler);
    }
    End();
    if (com_initialized) CoUninitialize();
  }

  // ISyncMgrSynchronizeCallback. ShowProperties and ShowError are never
  // called, so their completions are never expected.
  HRESULT STDMETHODCALLTYPE ShowPropertiesCompleted(HRESULT) override {
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSyncCompleted(HRESULT hr) override {
    return Complete(Phase::kPreparing, hr);
  }
  HRESULT STDMETHODCALLTYPE SynchronizeCompleted(HRESULT hr) override {
    return Complete(Phase::kSynchronizing, hr);
  }
  HRESULT STDMETHODCALLTYPE ShowErrorCompleted(HRESULT, ULONG,
                                               SyncMgrItemIdsArg) override {
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE EnableModeless(BOOL) override { return S_OK; }
  HRESULT STDMETHODCALLTYPE Progress(REFGUID,
                                     SyncMgrProgressItemArg progress) override {
#ifdef SYNCMGR_BUG_PROGRESS_ANSWERS_S_FALSE
    return S_FALSE;  // the bug: an answer Progress's page does not list
#endif
    if (progress == nullptr) return E_INVALIDARG;
    std::lock_guard<std::mutex> lock(mu_);
    // Nothing is left to continue once the session is over.
    if (phase_ == Phase::kEnded) return S_SYNCMGR_CANCELALL;
    if (progress->cbSize < sizeof(SYNCMGRPROGRESSITEM)) return S_OK;
    const UINT mask = progress->mask;
    try {
      if (mask & SYNCMGRPROGRESSITEM_STATUSTEXT) {
        status_.text = CopyText(progress->lpcStatusText);
      }
    } catch (const std::bad_alloc&) {
      status_.text.clear();
    }
    if (mask & SYNCMGRPROGRESSITEM_STATUSTYPE) {
      status_.type = progress->dwStatusType;
    }
    if (mask & SYNCMGRPROGRESSITEM_PROGVALUE) {
      status_.value = progress->iProgValue;
    }
    if (mask & SYNCMGRPROGRESSITEM_MAXVALUE) {
      status_.max_value = progress->iMaxValue;
    }
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE LogError(DWORD level, LPCWSTR text,
                                     SyncMgrLogErrorInfoArg info) override {
#ifdef SYNCMGR_BUG_LOG_ERROR_FAILS
    return E_FAIL;  // the bug: nothing is ever logged
#endif
    try {
      LogEntry entry{level, GUID_NULL, CopyText(text)};
      if (info != nullptr && info->cbSize >= sizeof(SYNCMGRLOGERRORINFO) &&
          (info->mask & SYNCMGRLOGERROR_ERRORID)) {
        entry.error_id = info->ErrorID;
      }
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(std::move(entry));
    } catch (const std::bad_alloc&) {
      return E_OUTOFMEMORY;
    }
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DeleteLogError(REFGUID error_id, DWORD) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<LogEntry> kept;
    if (!IsEqualGUID(error_id, GUID_NULL)) {
      for (LogEntry& entry : log_) {
        if (!IsEqualGUID(entry.error_id, error_id)) {
          kept.push_back(std::move(entry));
        }
      }
    }
    log_.swap(kept);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EstablishConnection(LPCWSTR, DWORD) override {
    return S_OK;
  }

 private:
  // The call whose completion the session is waiting for.
  enum class Phase { kIdle, kPreparing, kSynchronizing, kEnded };

  struct LogEntry {
    DWORD level;
    GUID error_id;
    std::u16string text;
  };
  struct Status {
    std::u16string text;
    DWORD type = SYNCMGRSTATUS_PENDING;
    INT value = 0;
    INT max_value = 0;
  };

  // Initialize, item choice, PrepareForSync, Synchronize; releases handler.
  void Drive(ISyncMgrSynchronize* handler) {
    DWORD cookie_size = static_cast<DWORD>(cookie_.size());
#ifdef SYNCMGR_BUG_TRUNCATES_COOKIE
    if (cookie_size > 1) --cookie_size;  // the bug: the last byte is lost
#endif
    HRESULT init =
        handler->Initialize(0, SYNCMGRFLAG_INVOKE, cookie_size,
                            cookie_.empty() ? nullptr : cookie_.data());
#ifdef SYNCMGR_BUG_INITIALIZE_TWICE
    // The bug: a failure is taken for a passing one and asked again, of the
    // same object.
    if (FAILED(init) && !all_items_) {
      init = handler->Initialize(0, SYNCMGRFLAG_INVOKE,
                                 static_cast<DWORD>(cookie_.size()),
                                 cookie_.empty() ? nullptr : cookie_.data());
    }
#endif
    if (init != S_OK) {  // S_FALSE: the handler skips this event.
      handler->Release();
      return;
    }
    SYNCMGRHANDLERINFO* info = nullptr;
    if (SUCCEEDED(handler->GetHandlerInfo(&info)) && info != nullptr) {
#ifndef SYNCMGR_BUG_LEAKS_HANDLER_INFO  // the bug: the block is never freed
      CoTaskMemFree(info);              // Only a user interface would show it.
#endif
    }
    std::vector<GUID> items = ChosenItems(handler);
    if (!items.empty() && SUCCEEDED(handler->SetProgressCallback(this))) {
      const ULONG count = static_cast<ULONG>(items.size());
      if (Step(Phase::kPreparing, [&] {
            return handler->PrepareForSync(count, items.data(), nullptr, 0);
          })) {
        Step(Phase::kSynchronizing,
             [&] { return handler->Synchronize(nullptr); });
      }
    }
    End();
    handler->SetProgressCallback(nullptr);
#ifndef SYNCMGR_BUG_NEVER_RELEASES  // the bug: the handler is kept for ever
    handler->Release();
#endif
  }

  // The IDs of the handler's SYNCMGRITEMSTATE_CHECKED items (of all its
  // items for UpdateAll), each once, in enumeration order.
  std::vector<GUID> ChosenItems(ISyncMgrSynchronize* handler) {
    std::vector<GUID> checked;
    ISyncMgrEnumItems* items = nullptr;
    const HRESULT enumerated = handler->EnumSyncMgrItems(&items);
#ifdef SYNCMGR_BUG_MISSING_ITEMS_IS_FAILURE
    // The bug: only S_OK counts as success.
    if (enumerated == S_SYNCMGR_MISSINGITEMS) {
      if (items != nullptr) items->Release();
      return checked;
    }
#endif
    if (FAILED(enumerated) || items == nullptr) return checked;
    try {
      std::set<GUID, GuidLess> seen;
      for (ULONG received = 0; received < kMaxEnumeratedItems; ++received) {
        SYNCMGRITEM item;
        std::memset(&item, 0, sizeof item);
        ULONG fetched = 0;
        const HRESULT hr = items->Next(1, &item, &fetched);
#ifdef SYNCMGR_BUG_USES_FAILED_NEXT_ITEMS
        // The bug: an error with an entry is read as the last item.
        if (hr != S_OK && fetched == 0) break;
#else
        if (FAILED(hr) || (hr != S_OK && fetched == 0)) break;
#endif
        if (item.cbSize == sizeof item &&
            (all_items_ || item.dwItemState == SYNCMGRITEMSTATE_CHECKED) &&
            seen.insert(item.ItemID).second) {
          checked.push_back(item.ItemID);
        }
        if (hr != S_OK) break;
      }
    } catch (const std::bad_alloc&) {
      checked.clear();
    }
    items->Release();
    return checked;
  }

  // Makes `call` (PrepareForSync or Synchronize) and waits for its
  // completion. True if the call and its completion both gave S_OK.
  template <typename Call>
  bool Step(Phase phase, Call call) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      phase_ = phase;
      completed_ = false;
    }
    // The handler may complete before the call returns, on any thread.
    if (call() != S_OK) return false;
    std::unique_lock<std::mutex> lock(mu_);
    const bool done = cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms_),
                                   [this] { return completed_; });
    return done && completion_ == S_OK;
  }

  HRESULT Complete(Phase phase, HRESULT hr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ != phase || completed_) return E_UNEXPECTED;
    completed_ = true;
    completion_ = hr;
    cv_.notify_all();
    return S_OK;
  }

  void End() {
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = Phase::kEnded;
  }

  const CLSID handler_clsid_;
  const std::vector<BYTE> cookie_;
  const bool all_items_;
  long timeout_ms_ = kDefaultTimeoutMs;

  std::mutex mu_;
  std::condition_variable cv_;
  Phase phase_ = Phase::kIdle;
  bool completed_ = false;
  HRESULT completion_ = S_OK;
  Status status_;
  std::vector<LogEntry> log_;
};

// Queues a session on a worker thread of its own.
HRESULT StartSession(const CLSID& handler, std::vector<BYTE> cookie,
                     bool all_items) {
  Session* session =
      new (std::nothrow) Session(handler, std::move(cookie), all_items);
  if (session == nullptr) return E_OUTOFMEMORY;
  try {
    std::thread([session] {
      session->Run();
      session->Release();
    }).detach();
  } catch (const std::exception&) {
    session->Release();
    return E_OUTOFMEMORY;
  }
  return S_OK;
}

// ---- The objects CLSID_SyncMgr's class factory makes ----

class Invoke final : public Object<ISyncMgrSynchronizeInvoke> {
 public:
  // Of dwInvokeFlags, STARTSYNC skips the Choice dialog and MINIMIZED
  // minimizes it; without a user interface neither changes anything, and
  // other bits are ignored.
  HRESULT STDMETHODCALLTYPE UpdateItems(DWORD, REFCLSID clsid, DWORD cbCookie,
                                        const BYTE* pCookie) override {
    if (!Registry::Get().Lookup(clsid, nullptr)) return E_FAIL;
#ifdef SYNCMGR_BUG_NEVER_STARTS
    return S_OK;  // the bug: accepted, and nothing happens
#endif
    std::vector<BYTE> cookie;
    if (pCookie != nullptr && cbCookie > 0) {
      if (cbCookie > kMaxCookieBytes) return E_OUTOFMEMORY;
      try {
        cookie.assign(pCookie, pCookie + cbCookie);
      } catch (const std::bad_alloc&) {
        return E_OUTOFMEMORY;
      }
    }
    return StartSession(clsid, std::move(cookie), /*all_items=*/false);
  }

  HRESULT STDMETHODCALLTYPE UpdateAll() override {
    try {
      for (const CLSID& clsid : Registry::Get().All()) {
        StartSession(clsid, {}, /*all_items=*/true);
      }
    } catch (const std::bad_alloc&) {
      // UpdateAll has no failure code; the handlers not started are skipped.
    }
    return S_OK;
  }
};

class Registrar final : public Object<ISyncMgrRegister> {
 public:
  HRESULT STDMETHODCALLTYPE RegisterSyncMgrHandler(REFCLSID clsid,
                                                   LPCWSTR description,
                                                   DWORD flags) override {
    if (IsEqualCLSID(clsid, CLSID_NULL)) return E_INVALIDARG;
    return Registry::Get().Register(clsid, description,
                                    flags & SYNCMGRREGISTERFLAGS_MASK);
  }
  HRESULT STDMETHODCALLTYPE UnregisterSyncMgrHandler(REFCLSID clsid,
                                                     DWORD) override {
    Registry::Get().Unregister(clsid);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetHandlerRegistrationInfo(REFCLSID clsid,
                                                       LPDWORD flags) override {
    if (flags == nullptr) return E_INVALIDARG;
    return Registry::Get().Lookup(clsid, flags) ? S_OK : S_FALSE;
  }
};

class Factory final : public Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    if (IsEqualIID(riid, IID_ISyncMgrRegister)) {
      return CreateObject<Registrar>(riid, ppv);
    }
    return CreateObject<Invoke>(riid, ppv);
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    std::atomic<long>& locks = ThisModule().locks;
    if (lock) {
      locks.fetch_add(1);
      return S_OK;
    }
    // An unmatched unlock is ignored rather than counted below zero.
    long held = locks.load();
    while (held > 0 && !locks.compare_exchange_weak(held, held - 1)) {
    }
    return S_OK;
  }
};

}  // namespace
}  // namespace outside_manager

extern "C" HRESULT DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                     LPVOID* ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  if (!IsEqualCLSID(rclsid, CLSID_SyncMgr)) return CLASS_E_CLASSNOTAVAILABLE;
  return syncmgr::com::CreateObject<outside_manager::Factory>(riid, ppv);
}

extern "C" HRESULT DllCanUnloadNow() {
  return syncmgr::com::ModuleCanUnloadNow();
}
