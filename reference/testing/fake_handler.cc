#include "reference/testing/fake_handler.h"

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/testing/item_list_enumerator.h"

namespace syncmgr::testing {

using syncmgr::com::ComPtr;

enum class CompletionKind { kPrepare, kSynchronize };

struct FakeHandler::State {
  GUID clsid{};
  Options options;
  std::vector<SYNCMGRITEM> items;

  std::atomic<std::int64_t> created{0};
  std::atomic<std::int64_t> alive{0};
  std::atomic<std::int64_t> synchronize_completed{0};
  std::atomic<std::int64_t> refused{0};
  std::atomic<DWORD> last_cookie_size{0};
  std::atomic<std::int64_t> calls{0};

  // Waiters of WaitForSynchronizeCompleted; completions lock `mu` only when
  // someone waits.
  std::atomic<int> waiters{0};
  std::mutex mu;
  std::condition_variable cv;

  // The completion thread (Completion::kOtherThread).
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<std::pair<ISyncMgrSynchronizeCallback*, CompletionKind>> queue;
  bool stop = false;
  std::thread completion_thread;

  void Count() {
    if (options.count_calls) calls.fetch_add(1, std::memory_order_relaxed);
  }

  // Calls the completion on this thread and records the manager's answer.
  void Complete(ISyncMgrSynchronizeCallback* callback, CompletionKind kind) {
    Count();
    const HRESULT hr = kind == CompletionKind::kPrepare
                           ? callback->PrepareForSyncCompleted(S_OK)
                           : callback->SynchronizeCompleted(S_OK);
    if (FAILED(hr)) {
      refused.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (kind != CompletionKind::kSynchronize) return;
    synchronize_completed.fetch_add(1, std::memory_order_seq_cst);
    if (waiters.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard lock(mu);
      cv.notify_all();
    }
  }

  // Completes now or hands the completion to the completion thread.
  void Dispatch(ISyncMgrSynchronizeCallback* callback, CompletionKind kind) {
    if (options.completion == Completion::kInsideCall) {
      Complete(callback, kind);
      return;
    }
    callback->AddRef();  // released by the completion thread
    {
      std::lock_guard lock(queue_mu);
      queue.emplace_back(callback, kind);
    }
    queue_cv.notify_one();
  }

  void CompletionLoop() {
    std::unique_lock lock(queue_mu);
    for (;;) {
      queue_cv.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;  // stopping, nothing left
      auto [callback, kind] = queue.front();
      queue.pop_front();
      lock.unlock();
      Complete(callback, kind);
      callback->Release();
      lock.lock();
    }
  }
};

namespace {

using State = FakeHandler::State;

// IUnknown of com::Object, counted when State::options.count_calls is set.
template <typename Interface>
class Counted : public com::Object<Interface> {
 public:
  explicit Counted(std::shared_ptr<State> state) : state_(std::move(state)) {}
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    state_->Count();
    return com::Object<Interface>::QueryInterface(riid, ppv);
  }
  ULONG STDMETHODCALLTYPE AddRef() override {
    state_->Count();
    return com::Object<Interface>::AddRef();
  }
  ULONG STDMETHODCALLTYPE Release() override {
    state_->Count();
    return com::Object<Interface>::Release();
  }

 protected:
  std::shared_ptr<State> state_;
};

class ItemEnumerator final : public Counted<ISyncMgrEnumItems> {
 public:
  using Counted::Counted;
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    state_->Count();
    return NextFromList(state_->items, &position_, celt, rgelt, fetched);
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    state_->Count();
    return SkipInList(state_->items.size(), &position_, celt);
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    state_->Count();
    position_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    state_->Count();
    if (out == nullptr) return E_INVALIDARG;
    auto* clone = new (std::nothrow) ItemEnumerator(state_);
    if (clone == nullptr) return E_OUTOFMEMORY;
    clone->position_ = position_;
    *out = clone;
    return S_OK;
  }

 private:
  size_t position_ = 0;
};

class HandlerObject final : public Counted<ISyncMgrSynchronize> {
 public:
  explicit HandlerObject(std::shared_ptr<State> state)
      : Counted(std::move(state)) {
    state_->created.fetch_add(1, std::memory_order_relaxed);
    state_->alive.fetch_add(1, std::memory_order_relaxed);
  }
  ~HandlerObject() override {
    if (callback_ != nullptr) callback_->Release();
    state_->alive.fetch_sub(1, std::memory_order_relaxed);
  }

  HRESULT STDMETHODCALLTYPE Initialize(DWORD, DWORD, DWORD cb_cookie,
                                       const BYTE*) override {
    state_->Count();
    state_->last_cookie_size.store(cb_cookie, std::memory_order_relaxed);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** out) override {
    state_->Count();
    if (out == nullptr) return E_INVALIDARG;
    auto* info = static_cast<SYNCMGRHANDLERINFO*>(CoTaskMemAlloc(sizeof **out));
    if (info == nullptr) return E_OUTOFMEMORY;
    std::memset(info, 0, sizeof *info);
    info->cbSize = sizeof *info;
    const char16_t kName[] = u"Fake handler";
    std::memcpy(info->wszHandlerName, kName, sizeof kName);
    *out = info;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EnumSyncMgrItems(ISyncMgrEnumItems** out) override {
    state_->Count();
    if (out == nullptr) return E_INVALIDARG;
    *out = new (std::nothrow) ItemEnumerator(state_);
    return *out == nullptr ? E_OUTOFMEMORY : S_OK;
  }
  HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID, REFIID,
                                          void** ppv) override {
    state_->Count();
    if (ppv != nullptr) *ppv = nullptr;
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE ShowProperties(HWND, REFGUID) override {
    state_->Count();
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* callback) override {
    state_->Count();
    if (callback != nullptr) {
      state_->Count();
      callback->AddRef();
    }
    if (callback_ != nullptr) {
      state_->Count();
      callback_->Release();
    }
    callback_ = callback;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG, GUID*, HWND, DWORD) override {
    state_->Count();
    if (callback_ == nullptr) return E_UNEXPECTED;
    state_->Dispatch(callback_, CompletionKind::kPrepare);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    state_->Count();
    if (callback_ == nullptr) return E_UNEXPECTED;
    state_->Dispatch(callback_, CompletionKind::kSynchronize);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID, DWORD) override {
    state_->Count();
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE ShowError(HWND, REFGUID) override {
    state_->Count();
    return E_NOTIMPL;
  }

 private:
  ISyncMgrSynchronizeCallback* callback_ = nullptr;
};

class HandlerFactory final : public Counted<IClassFactory> {
 public:
  using Counted::Counted;
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    state_->Count();
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    auto* object = new (std::nothrow) HandlerObject(state_);
    if (object == nullptr) return E_OUTOFMEMORY;
    const HRESULT hr = object->QueryInterface(riid, ppv);
    object->Release();
    return hr;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL) override {
    state_->Count();
    return S_OK;
  }
};

}  // namespace

FakeHandler::FakeHandler(const GUID& clsid) : FakeHandler(clsid, Options()) {}

FakeHandler::FakeHandler(const GUID& clsid, const Options& options)
    : state_(std::make_shared<State>()) {
  state_->clsid = clsid;
  state_->options = options;
  for (int i = 0; i < options.items; ++i) {
    SYNCMGRITEM item;
    std::memset(&item, 0, sizeof item);
    item.cbSize = sizeof item;
    // Item IDs: the handler's CLSID with the item number in Data4.
    item.ItemID = clsid;
    item.ItemID.Data4[4] ^= static_cast<BYTE>((i >> 24) & 0xFF);
    item.ItemID.Data4[5] ^= static_cast<BYTE>((i >> 16) & 0xFF);
    item.ItemID.Data4[6] ^= static_cast<BYTE>((i >> 8) & 0xFF);
    item.ItemID.Data4[7] ^= static_cast<BYTE>((i + 1) & 0xFF);
    item.dwItemState = SYNCMGRITEMSTATE_CHECKED;
    const char16_t kName[] = u"Fake item";
    std::memcpy(item.wszItemName, kName, sizeof kName);
    state_->items.push_back(item);
  }
  if (options.completion == Completion::kOtherThread) {
    State* state = state_.get();
    state_->completion_thread =
        std::thread([state] { state->CompletionLoop(); });
  }
  ComPtr<IClassFactory> factory =
      ComPtr<IClassFactory>::Adopt(new HandlerFactory(state_));
  const HRESULT hr = CoRegisterClassObject(
      clsid, factory.Get(), CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie_);
  if (FAILED(hr)) cookie_ = 0;
  registration_hr_ = hr;
}

FakeHandler::~FakeHandler() {
  if (cookie_ != 0) CoRevokeClassObject(cookie_);
  if (state_->completion_thread.joinable()) {
    {
      std::lock_guard lock(state_->queue_mu);
      state_->stop = true;
    }
    state_->queue_cv.notify_all();
    state_->completion_thread.join();
  }
}

const GUID& FakeHandler::clsid() const { return state_->clsid; }
HRESULT FakeHandler::registration_result() const { return registration_hr_; }
std::int64_t FakeHandler::objects_created() const {
  return state_->created.load();
}
std::int64_t FakeHandler::objects_alive() const { return state_->alive.load(); }
std::int64_t FakeHandler::synchronize_completed() const {
  return state_->synchronize_completed.load();
}
std::int64_t FakeHandler::completions_refused() const {
  return state_->refused.load();
}
DWORD FakeHandler::last_cookie_size() const {
  return state_->last_cookie_size.load();
}
std::int64_t FakeHandler::calls() const { return state_->calls.load(); }

bool FakeHandler::WaitForSynchronizeCompleted(
    std::int64_t count, std::chrono::milliseconds timeout) {
  State& state = *state_;
  state.waiters.fetch_add(1, std::memory_order_seq_cst);
  bool done;
  {
    std::unique_lock lock(state.mu);
    done = state.cv.wait_for(lock, timeout, [&] {
      return state.synchronize_completed.load(std::memory_order_seq_cst) >=
             count;
    });
  }
  state.waiters.fetch_sub(1, std::memory_order_seq_cst);
  return done;
}

}  // namespace syncmgr::testing
