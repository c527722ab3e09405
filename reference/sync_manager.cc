#include "reference/sync_manager.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "reference/com/object.h"
#include "reference/internal/handler_registry.h"
#include "reference/internal/platform.h"
#include "reference/internal/session.h"

namespace syncmgr::reference {
namespace {

using internal::CookieCopy;
using internal::HandlerRegistry;
using internal::Session;

constexpr DWORD kValidInvokeFlags =
    SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED;

// The address behind a reference parameter: AddressOf(&clsid). A C caller
// can pass NULL for a REFCLSID (it is a pointer in the ABI); the barrier
// keeps the compiler from assuming that the address of a reference is never
// null. Takes the pointer, not the reference, so that no reference is bound
// to a null address.
template <typename T>
const T* AddressOf(const T* address) {
  asm volatile("" : "+r"(address));
  return address;
}

using Observer = std::function<void(const SessionReport&)>;

// The CLSIDs that have a session running (UI-115): a few at most, one per
// worker or synchronous caller. A vector keeps its capacity, so marking a
// CLSID allocates nothing once warmed up (a hash set allocates a node per
// insert).
class RunningSet {
 public:
  size_t count(const GUID& clsid) const {
    return std::find(clsids_.begin(), clsids_.end(), clsid) != clsids_.end()
               ? 1
               : 0;
  }
  // The caller checked count(clsid) == 0.
  void insert(const GUID& clsid) { clsids_.push_back(clsid); }
  void erase(const GUID& clsid) {
    auto it = std::find(clsids_.begin(), clsids_.end(), clsid);
    if (it == clsids_.end()) return;
    *it = clsids_.back();
    clsids_.pop_back();
  }

 private:
  std::vector<GUID> clsids_;
};

class Engine {
 public:
  static Engine& Instance() {
    static Engine* engine = new Engine();  // never destroyed: workers may run
    return *engine;
  }

  HRESULT UpdateItems(DWORD flags, const GUID* clsid, DWORD cb_cookie,
                      const BYTE* cookie);
  HRESULT UpdateAll();

  // Lock-free reads of state that every call checks, so that concurrent
  // callers do not serialise on mu_ (shutdown_ and options_ stay the
  // authority, under mu_; these mirror them).
  bool IsShutDown() { return shutdown_flag_.load(std::memory_order_acquire); }
  std::uint32_t CurrentFaults() {
    return faults_.load(std::memory_order_acquire);
  }
  void Configure(const Options& options) {
    auto copy = std::make_shared<const Options>(options);
    std::lock_guard lock(mu_);
    options_ = std::move(copy);
    faults_.store(options_->faults, std::memory_order_release);
  }
  Options Current() {
    std::lock_guard lock(mu_);
    return *options_;
  }
  void SetObserver(Observer observer) {
    auto shared = observer
                      ? std::make_shared<const Observer>(std::move(observer))
                      : nullptr;
    std::lock_guard lock(mu_);
    observer_ = std::move(shared);
  }
  bool WaitForIdle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return idle_cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; });
  }
  void Shutdown();
  void Reset();
  Statistics Stats() {
    std::lock_guard lock(mu_);
    return stats_;
  }

 private:
  Engine() : options_(std::make_shared<const Options>()) {}

  // Reserves a session id, or fails when shut down.
  HRESULT Begin(std::shared_ptr<const Options>* options, std::uint64_t* id);
  // Undoes Begin for a request that produced no session.
  void Cancel();
  void Enqueue(std::unique_ptr<Session> session);
  // Runs an activated (or not yet activated) session to its end on this
  // thread, holding its CLSID's slot (UI-115).
  void RunHere(std::unique_ptr<Session> session);
  // Runs queued sessions on this thread (synchronous mode).
  void Drain();
  void Finish(std::unique_ptr<Session> session);
  void WorkerLoop();
  // A session's steps, where its handler lives (apartments_): activation
  // (its result in *result), the rest of an activated or not yet activated
  // session, and abandoning it.
  void Activate(Session& session, HRESULT* result) {
    apartments_.Enter(&session, session.clsid());
    apartments_.Run(&session, [&] { *result = session.Activate(); });
  }
  void RunToEnd(Session& session) {
    if (!session.activated()) {
      HRESULT ignored;
      Activate(session, &ignored);
    }
    if (!session.ended()) apartments_.Run(&session, [&] { session.Run(); });
  }
  void Abandon(Session& session) {
    apartments_.Run(&session, [&] { session.Abandon(); });
  }
  // Pops the first queued session whose CLSID is free; caller holds mu_.
  std::unique_ptr<Session> PopRunnableLocked();
  // Whether a change of running_ can unblock anyone: a queued session (for
  // the workers) or a synchronous caller waiting for its CLSID. Idle
  // workers are not woken for nothing. Caller holds mu_.
  bool SomeoneWaitsForRunningLocked() const {
    return !queue_.empty() || slot_waiters_ > 0;
  }

  std::mutex mu_;
  std::condition_variable work_cv_;  // queue or running_ changed
  std::condition_variable idle_cv_;  // outstanding_ reached 0
  std::shared_ptr<const Options> options_;
  std::shared_ptr<const Observer> observer_;
  std::deque<std::unique_ptr<Session>> queue_;
  RunningSet running_;
  std::vector<std::thread> workers_;
  size_t outstanding_ = 0;
  int slot_waiters_ = 0;  // RunHere callers waiting for their CLSID
  bool shutdown_ = false;
  std::atomic<bool> shutdown_flag_{false};  // mirrors shutdown_
  std::atomic<std::uint32_t> faults_{0};    // mirrors options_->faults
  bool stop_workers_ = false;
  std::uint64_t next_id_ = 1;
  Statistics stats_;
  // Windows: the STA threads of sessions whose handler is apartment-
  // threaded (none on Linux).
  internal::SessionApartments apartments_;
};

HRESULT Engine::Begin(std::shared_ptr<const Options>* options,
                      std::uint64_t* id) {
  std::lock_guard lock(mu_);
  if (shutdown_) return E_UNEXPECTED;  // UI-110
  *options = options_;
  *id = next_id_++;
  ++outstanding_;
  ++stats_.sessions_started;
  return S_OK;
}

void Engine::Cancel() {
  std::lock_guard lock(mu_);
  --outstanding_;
  --stats_.sessions_started;
  if (outstanding_ == 0) idle_cv_.notify_all();
}

HRESULT Engine::UpdateItems(DWORD flags, const GUID* clsid, DWORD cb_cookie,
                            const BYTE* cookie) {
  // UI-113: state, flags, CLSID, cookie pointer, cap, allocation.
  if (IsShutDown()) return E_UNEXPECTED;  // UI-110
  const std::uint32_t faults = CurrentFaults();
  if ((flags & ~kValidInvokeFlags) != 0 &&
      !(faults & kFaultAcceptUnknownFlags)) {
    return E_INVALIDARG;  // UI-105
  }
  if (clsid == nullptr || IsEqualCLSID(*clsid, CLSID_NULL)) {
    return E_INVALIDARG;  // UI-109
  }
  if (!HandlerRegistry::Instance().Lookup(*clsid, nullptr)) {
    if (faults & kFaultAcceptUnregistered) return S_OK;
    return E_INVALIDARG;  // UI-002, UI-109
  }
  if (cb_cookie > 0 && cookie == nullptr) return E_INVALIDARG;  // UI-103

  std::shared_ptr<const Options> options;
  std::uint64_t id = 0;
  if (HRESULT hr = Begin(&options, &id); FAILED(hr)) return hr;
  if (cb_cookie > options->max_cookie_bytes) {  // UI-107
    Cancel();
    return E_OUTOFMEMORY;
  }
  if ((options->faults & kFaultReadPastCookie) && cb_cookie > 0) {
    const volatile BYTE* past = cookie + cb_cookie;
    static_cast<void>(*past);
  }
  CookieCopy copy;  // UI-108: copied before anything else happens
  if (options->faults & kFaultKeepCookiePointer) {
    copy.Borrow(cookie, cb_cookie);
  } else if (!copy.Assign(cookie, cb_cookie)) {
    Cancel();
    return E_OUTOFMEMORY;  // UI-107
  }
  std::unique_ptr<Session> session(new (std::nothrow) Session(
      id, *clsid, flags, std::move(copy), options, /*from_update_all=*/false));
  if (session == nullptr) {
    Cancel();
    return E_OUTOFMEMORY;
  }
  const bool synchronous = options->mode == Mode::kSynchronous;
  if (internal::InsideHandlerCall()) {
    // UI-116: a re-entrant request runs after the current session, never on
    // this stack. Synchronous mode drains it before the outer call returns.
    Enqueue(std::move(session));
    return S_OK;
  }
  HRESULT activation = S_OK;
  Activate(*session, &activation);
  if (session->ended()) {
    Finish(std::move(session));
    if (synchronous) Drain();
    return activation;  // S_OK (declined) or E_FAIL (UI-111, UI-112)
  }
  if (synchronous) {
    RunHere(std::move(session));
    Drain();
  } else {
    Enqueue(std::move(session));
  }
  return S_OK;
}

HRESULT Engine::UpdateAll() {
  if (IsShutDown()) return E_UNEXPECTED;
  if (CurrentFaults() & kFaultHangInUpdateAll) {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  const std::vector<GUID> clsids = HandlerRegistry::Instance().Snapshot();
  bool synchronous = false;
  for (const GUID& clsid : clsids) {
    std::shared_ptr<const Options> options;
    std::uint64_t id = 0;
    if (FAILED(Begin(&options, &id))) break;  // shut down meanwhile
    synchronous = options->mode == Mode::kSynchronous;
    std::unique_ptr<Session> session(new (std::nothrow) Session(
        id, clsid, 0, CookieCopy(), options, /*from_update_all=*/true));
    if (session == nullptr) {
      Cancel();
      continue;  // UA-101: each handler's failure stays its own
    }
    Enqueue(std::move(session));
  }
  if (synchronous && !internal::InsideHandlerCall()) Drain();
  return S_OK;  // UA-002, UA-101
}

void Engine::Enqueue(std::unique_ptr<Session> session) {
  std::unique_lock lock(mu_);
  if (stop_workers_) {
    lock.unlock();
    Abandon(*session);
    Finish(std::move(session));
    return;
  }
  const bool asynchronous = session->options().mode == Mode::kAsynchronous;
  queue_.push_back(std::move(session));
  if (asynchronous && workers_.empty()) {
    const int n = std::max(1, options_->workers);
    for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  }
  work_cv_.notify_one();
}

std::unique_ptr<Session> Engine::PopRunnableLocked() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (running_.count((*it)->clsid()) == 0) {
      std::unique_ptr<Session> session = std::move(*it);
      queue_.erase(it);
      running_.insert(session->clsid());
      return session;
    }
  }
  return nullptr;
}

void Engine::RunHere(std::unique_ptr<Session> session) {
  {
    // UI-115: one session per CLSID at a time, in arrival order.
    std::unique_lock lock(mu_);
    ++slot_waiters_;
    work_cv_.wait(lock, [&] { return running_.count(session->clsid()) == 0; });
    --slot_waiters_;
    running_.insert(session->clsid());
  }
  RunToEnd(*session);
  bool wake;
  {
    std::lock_guard lock(mu_);
    running_.erase(session->clsid());
    wake = SomeoneWaitsForRunningLocked();
  }
  if (wake) work_cv_.notify_all();
  Finish(std::move(session));
}

void Engine::Drain() {
  for (;;) {
    std::unique_ptr<Session> session;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty()) return;
      session = std::move(queue_.front());
      queue_.pop_front();
    }
    RunHere(std::move(session));
  }
}

void Engine::WorkerLoop() {
  [[maybe_unused]] const internal::WorkerThreadScope platform;  // Windows: MTA
  std::unique_lock lock(mu_);
  for (;;) {
    std::unique_ptr<Session> session;
    work_cv_.wait(lock, [&] {
      return stop_workers_ || (session = PopRunnableLocked()) != nullptr;
    });
    if (session == nullptr) return;  // stopping
    lock.unlock();
    RunToEnd(*session);
    lock.lock();
    running_.erase(session->clsid());
    if (SomeoneWaitsForRunningLocked()) work_cv_.notify_all();
    lock.unlock();
    Finish(std::move(session));
    lock.lock();
  }
}

void Engine::Finish(std::unique_ptr<Session> session) {
  std::shared_ptr<const Observer> observer;
  {
    std::lock_guard lock(mu_);
    observer = observer_;
    stats_.violations += session->report().violations.size();
  }
  if (observer) {
    session->CopyCookieToReport();
    (*observer)(session->report());
  }
  apartments_.Leave(session.get());
  session.reset();
  std::lock_guard lock(mu_);
  ++stats_.sessions_ended;
  if (--outstanding_ == 0) idle_cv_.notify_all();
}

void Engine::Shutdown() {
  std::deque<std::unique_ptr<Session>> abandoned;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    shutdown_flag_.store(true, std::memory_order_release);
    stop_workers_ = true;
    abandoned.swap(queue_);
    workers.swap(workers_);
  }
  work_cv_.notify_all();
  for (std::thread& worker : workers) worker.join();  // running ones finish
  for (auto& session : abandoned) {
    Abandon(*session);  // UI-110: queued handlers are released
    Finish(std::move(session));
  }
}

void Engine::Reset() {
  const std::chrono::milliseconds grace = Current().completion_timeout * 4;
  WaitForIdle(grace);
  Shutdown();
  WaitForIdle(grace);
  HandlerRegistry::Instance().Clear();
  std::lock_guard lock(mu_);
  shutdown_ = false;
  shutdown_flag_.store(false, std::memory_order_release);
  stop_workers_ = false;
  options_ = std::make_shared<const Options>();
  faults_.store(0, std::memory_order_release);
  observer_ = nullptr;
  stats_ = Statistics();
}

// ---- The CLSID_SyncMgr COM class ----

class SyncManager final
    : public com::Object<ISyncMgrSynchronizeInvoke, ISyncMgrRegister> {
 public:
  HRESULT STDMETHODCALLTYPE UpdateItems(DWORD dwInvokeFlags, REFCLSID clsid,
                                        DWORD cbCookie,
                                        const BYTE* pCookie) override {
    return Engine::Instance().UpdateItems(dwInvokeFlags, AddressOf(&clsid),
                                          cbCookie, pCookie);
  }
  HRESULT STDMETHODCALLTYPE UpdateAll() override {
    return Engine::Instance().UpdateAll();
  }

  HRESULT STDMETHODCALLTYPE
  RegisterSyncMgrHandler(REFCLSID clsidHandler, LPCWSTR pwszDescription,
                         DWORD dwSyncMgrRegisterFlags) override {
    if (Engine::Instance().IsShutDown()) return E_UNEXPECTED;
    const GUID* clsid = AddressOf(&clsidHandler);
    // REG-101: CLSID_NULL and unknown flag bits are refused.
    if (clsid == nullptr || IsEqualCLSID(*clsid, CLSID_NULL)) {
      return E_INVALIDARG;
    }
    if ((dwSyncMgrRegisterFlags & ~DWORD{SYNCMGRREGISTERFLAGS_MASK}) != 0) {
      return E_INVALIDARG;
    }
    try {
      std::basic_string<WCHAR> description;
      if (pwszDescription != nullptr) description = pwszDescription;  // REG-004
      HandlerRegistry::Instance().Register(*clsid, std::move(description),
                                           dwSyncMgrRegisterFlags);
    } catch (const std::bad_alloc&) {
      return E_OUTOFMEMORY;
    }
    return S_OK;  // REG-003
  }
  HRESULT STDMETHODCALLTYPE
  UnregisterSyncMgrHandler(REFCLSID clsidHandler, DWORD dwReserved) override {
    if (Engine::Instance().IsShutDown()) return E_UNEXPECTED;
    const GUID* clsid = AddressOf(&clsidHandler);
    // REG-102: reserved must be zero; unregistering twice is not an error.
    if (clsid == nullptr || IsEqualCLSID(*clsid, CLSID_NULL)) {
      return E_INVALIDARG;
    }
    if (dwReserved != 0) return E_INVALIDARG;
    HandlerRegistry::Instance().Unregister(*clsid);
    return S_OK;  // REG-006
  }
  HRESULT STDMETHODCALLTYPE GetHandlerRegistrationInfo(
      REFCLSID clsidHandler, LPDWORD pdwSyncMgrRegisterFlags) override {
    if (Engine::Instance().IsShutDown()) return E_UNEXPECTED;
    const GUID* clsid = AddressOf(&clsidHandler);
    // REG-103
    if (pdwSyncMgrRegisterFlags == nullptr || clsid == nullptr) {
      return E_INVALIDARG;
    }
    DWORD flags = 0;
    if (!HandlerRegistry::Instance().Lookup(*clsid, &flags)) {
      *pdwSyncMgrRegisterFlags = 0;
      return S_FALSE;  // REG-008
    }
    *pdwSyncMgrRegisterFlags = flags;  // REG-009
    return S_OK;
  }
};

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kCompleted:
      return "completed";
    case Outcome::kNothingSelected:
      return "nothing selected";
    case Outcome::kCancelled:
      return "cancelled";
    case Outcome::kDeclined:
      return "declined";
    case Outcome::kCreateFailed:
      return "handler could not be created";
    case Outcome::kInitializeFailed:
      return "Initialize failed";
    case Outcome::kHandlerFailed:
      return "handler failed";
    case Outcome::kTimedOut:
      return "timed out";
    case Outcome::kAbandoned:
      return "abandoned";
  }
  return "?";
}

void Configure(const Options& options) {
  Engine::Instance().Configure(options);
}
Options CurrentOptions() { return Engine::Instance().Current(); }
void SetSessionObserver(std::function<void(const SessionReport&)> observer) {
  Engine::Instance().SetObserver(std::move(observer));
}
HRESULT CreateSyncManager(REFIID riid, void** ppv) {
  return com::CreateObject<SyncManager>(riid, ppv);
}
HRESULT GetSyncManagerClassObject(REFCLSID clsid, REFIID riid, void** ppv) {
  return com::GetClassObjectFor<SyncManager>(CLSID_SyncMgr, clsid, riid, ppv);
}
bool WaitForIdle(std::chrono::milliseconds timeout) {
  return Engine::Instance().WaitForIdle(timeout);
}
void Shutdown() { Engine::Instance().Shutdown(); }
void ResetForTesting() { Engine::Instance().Reset(); }
Statistics GetStatistics() {
  Statistics stats = Engine::Instance().Stats();
  stats.late_violations = internal::LateViolationCount();
  stats.late_violations_by_requirement =
      internal::LateViolationsByRequirement();
  return stats;
}

}  // namespace syncmgr::reference
