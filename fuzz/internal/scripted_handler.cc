#include "fuzz/internal/scripted_handler.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "reference/com/com.h"
#include "reference/testing/item_list_enumerator.h"

namespace syncmgr::fuzz {
namespace {

using com::ComPtr;

std::atomic<long> g_live_objects{0};
std::atomic<std::uint64_t> g_initialize_sequence{0};

std::mutex g_threads_mu;
std::vector<std::thread> g_threads;

void StartThread(std::function<void()> work) {
  std::lock_guard lock(g_threads_mu);
  g_threads.emplace_back(std::move(work));
}

// The part of a handler object that its completion threads share with it:
// they may outlive the object.
struct Shared {
  std::mutex mu;
  std::shared_ptr<HandlerRecord> record;
  bool prepare_pending = false;
  // PrepareForSyncCompleted(S_OK) was called since the last PrepareForSync.
  bool prepare_ok = false;
  // Synchronize returned S_OK or is running; its completion is to come.
  bool synchronize_pending = false;
  // The windows in which the manager may call SetItemStatus (HS-019): the
  // method returned and its completion has not come yet.
  bool prepare_window = false;
  bool synchronize_window = false;
  // ErrorIDs the handler passed to LogError (HS-022).
  std::vector<GUID> logged_errors;
};

// `call`: HandlerRecord::Answer::call.
void Answered(const std::shared_ptr<Shared>& shared, int call, HRESULT answer) {
  std::lock_guard lock(shared->mu);
  shared->record->completion_answers.push_back(answer);
  shared->record->answered.push_back({call, answer});
}

// Before a PrepareForSyncCompleted(hr) call: the manager may call
// Synchronize before the call returns.
void PrepareCompleting(const std::shared_ptr<Shared>& shared, HRESULT hr) {
  std::lock_guard lock(shared->mu);
  shared->prepare_pending = false;
  shared->prepare_window = false;
  if (hr == S_OK) shared->prepare_ok = true;
}

// Before a SynchronizeCompleted call.
void SynchronizeCompleting(const std::shared_ptr<Shared>& shared) {
  std::lock_guard lock(shared->mu);
  shared->synchronize_pending = false;
  shared->synchronize_window = false;
}

enum class Step { kPrepare, kSynchronize, kShowError };

// Calls the completion of `step` once.
void CallCompletion(const std::shared_ptr<Shared>& shared,
                    ISyncMgrSynchronizeCallback* callback, Step step,
                    HRESULT hr, const std::vector<GUID>& retry_ids,
                    ULONG retry_count, bool null_ids) {
  HRESULT answer = S_OK;
  int call = kPrepareCompletionCall;
  switch (step) {
    case Step::kPrepare:
      PrepareCompleting(shared, hr);
      answer = callback->PrepareForSyncCompleted(hr);
      break;
    case Step::kSynchronize:
      call = kSynchronizeCompletionCall;
      SynchronizeCompleting(shared);
      answer = callback->SynchronizeCompleted(hr);
      break;
    case Step::kShowError:
      call = kShowErrorCompletionCall;
      answer = callback->ShowErrorCompleted(
          hr, retry_count, null_ids ? nullptr : retry_ids.data());
      break;
  }
  Answered(shared, call, answer);
}

// Runs `completion` as the script's Completion says.
void Complete(const std::shared_ptr<Shared>& shared,
              const ComPtr<ISyncMgrSynchronizeCallback>& callback,
              Completion how, Step step, HRESULT hr,
              std::vector<GUID> retry_ids = {}, ULONG retry_count = 0,
              bool null_ids = false) {
  if (!callback || how == Completion::kNever) return;
  switch (how) {
    case Completion::kInline:
    case Completion::kTwice:
      CallCompletion(shared, callback.Get(), step, hr, retry_ids, retry_count,
                     null_ids);
      if (how == Completion::kTwice) {
        CallCompletion(shared, callback.Get(), step, hr, retry_ids, retry_count,
                       null_ids);
      }
      return;
    case Completion::kOtherThread:
    case Completion::kDelayed: {
      const bool delayed = how == Completion::kDelayed;
      StartThread([shared, callback, step, hr, ids = std::move(retry_ids),
                   retry_count, null_ids, delayed] {
        if (delayed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        CallCompletion(shared, callback.Get(), step, hr, ids, retry_count,
                       null_ids);
      });
      return;
    }
    case Completion::kNever:
      return;
  }
}

GUID ItemIdFor(const HandlerScript& script, int index) {
  if (index >= 0 && static_cast<size_t>(index) < script.items.size()) {
    return script.items[index].ItemID;
  }
  return FuzzGuid(0xEE);  // never enumerated
}

// The script's call number `index` on the callback; the answer is recorded.
void MakeCall(const std::shared_ptr<Shared>& shared,
              ISyncMgrSynchronizeCallback* callback,
              const HandlerScript& script, int index) {
  const CallbackCall& call = script.calls[index];
  const GUID item = ItemIdFor(script, call.item);
  const WCHAR* text = call.null_text ? nullptr : u"scripted text";
  HRESULT answer = S_OK;
  switch (call.kind) {
    case CallbackCall::kProgress: {
      SYNCMGRPROGRESSITEM progress;
      std::memset(&progress, 0, sizeof progress);
      progress.cbSize = call.cb_size;
      progress.mask = call.mask;
      progress.lpcStatusText = text;
      progress.dwStatusType = call.status;
      progress.iProgValue = call.value;
      progress.iMaxValue = call.max;
      answer = callback->Progress(item, call.null_struct ? nullptr : &progress);
      break;
    }
    case CallbackCall::kLogError: {
      SYNCMGRLOGERRORINFO info;
      std::memset(&info, 0, sizeof info);
      info.cbSize = call.cb_size;
      info.mask = call.mask;
      info.dwSyncMgrErrorFlags = call.status;
      info.ErrorID = FuzzGuid(0x80 + (call.item & 0x3F));
      info.ItemID = item;
      if (!call.null_struct && (call.mask & SYNCMGRLOGERROR_ERRORID)) {
        std::lock_guard lock(shared->mu);
        shared->logged_errors.push_back(info.ErrorID);
      }
      answer = callback->LogError(call.level, text,
                                  call.null_struct ? nullptr : &info);
      break;
    }
    case CallbackCall::kDeleteLogError:
      answer = callback->DeleteLogError(
          call.item < 0 ? GUID_NULL : FuzzGuid(0x80 + (call.item & 0x3F)),
          call.reserved);
      break;
    case CallbackCall::kEstablishConnection:
      answer = callback->EstablishConnection(text, call.reserved);
      break;
    case CallbackCall::kEnableModeless:
      answer = callback->EnableModeless(call.level != 0 ? TRUE : FALSE);
      break;
    case CallbackCall::kShowPropertiesCompleted:
      answer = callback->ShowPropertiesCompleted(call.hr);
      break;
    case CallbackCall::kShowErrorCompleted: {
      std::vector<GUID> ids(call.count, item);
      answer = callback->ShowErrorCompleted(
          call.hr, call.count, call.null_ids ? nullptr : ids.data());
      break;
    }
    case CallbackCall::kPrepareForSyncCompleted:
      PrepareCompleting(shared, call.hr);
      answer = callback->PrepareForSyncCompleted(call.hr);
      break;
    case CallbackCall::kSynchronizeCompleted:
      SynchronizeCompleting(shared);
      answer = callback->SynchronizeCompleted(call.hr);
      break;
  }
  Answered(shared, index, answer);
}

class ItemEnumerator final : public com::Object<ISyncMgrEnumItems> {
 public:
  explicit ItemEnumerator(std::shared_ptr<const HandlerScript> script)
      : script_(std::move(script)) {
    g_live_objects.fetch_add(1, std::memory_order_relaxed);
  }
  ~ItemEnumerator() override {
    g_live_objects.fetch_sub(1, std::memory_order_relaxed);
  }

  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    if (rgelt == nullptr && celt > 0) return E_INVALIDARG;
    const std::vector<SYNCMGRITEM>& items = script_->items;
    ULONG n = 0;
    switch (script_->next) {
      case HandlerScript::Next::kFail:
        return E_FAIL;
      case HandlerScript::Next::kNotImpl:
        return E_NOTIMPL;
      case HandlerScript::Next::kEmptyForever:
        if (fetched != nullptr) *fetched = 0;
        return S_OK;
      case HandlerScript::Next::kTooMany:
        // Claims one more than asked for; writes only what it may.
        while (n < celt && position_ < items.size()) {
          rgelt[n++] = items[position_++];
        }
        if (fetched != nullptr) *fetched = celt + 1;
        return S_OK;
      case HandlerScript::Next::kShortSOk:
      case HandlerScript::Next::kNormal: {
        const size_t before = position_;
        const HRESULT hr =
            testing::NextFromList(items, &position_, celt, rgelt, fetched);
        if (script_->next == HandlerScript::Next::kShortSOk &&
            position_ > before) {
          return S_OK;
        }
        return hr;
      }
    }
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    return testing::SkipInList(script_->items.size(), &position_, celt);
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    position_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    auto* clone = new ItemEnumerator(script_);
    clone->position_ = position_;
    *out = clone;
    return S_OK;
  }

 private:
  std::shared_ptr<const HandlerScript> script_;
  size_t position_ = 0;
};

class ScriptedHandler final : public com::Object<ISyncMgrSynchronize> {
 public:
  ScriptedHandler(std::shared_ptr<const HandlerScript> script,
                  std::shared_ptr<HandlerRecord> record)
      : script_(std::move(script)), shared_(std::make_shared<Shared>()) {
    shared_->record = std::move(record);
    g_live_objects.fetch_add(1, std::memory_order_relaxed);
  }
  ~ScriptedHandler() override {
    {
      std::lock_guard lock(shared_->mu);
      HandlerRecord& r = *shared_->record;
      r.destroyed = true;
      r.destroyed_without_reset = r.callback_set && !r.callback_reset;
    }
    callback_.Reset();  // a handler that was never told to let go
    g_live_objects.fetch_sub(1, std::memory_order_relaxed);
  }

  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags,
                                       DWORD cb_cookie,
                                       const BYTE* cookie) override {
    Entered(HandlerScript::Method::kInitialize);
    std::lock_guard lock(shared_->mu);
    HandlerRecord& r = *shared_->record;
    ++r.initialize_calls;
    r.reserved = reserved;
    r.flags = flags;
    r.cb_cookie = cb_cookie;
    r.cookie_null = cookie == nullptr;
    r.cookie_pointer = cookie;
    // HS-113: copy what we need now; the pointer is valid only here.
    if (cookie != nullptr && cb_cookie <= kRecordedCookieBytes) {
      r.cookie.assign(cookie, cookie + cb_cookie);
    }
    r.cookie_matches =
        cb_cookie == script_->expected_size &&
        (cb_cookie == 0 ||
         (cookie != nullptr && script_->expected_cookie != nullptr &&
          std::memcmp(cookie, script_->expected_cookie, cb_cookie) == 0));
    r.initialize_sequence = ++g_initialize_sequence;
    r.initialize_thread = std::this_thread::get_id();
    return script_->initialize;
  }

  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** out) override {
    Entered(HandlerScript::Method::kGetHandlerInfo);
    if (out == nullptr) return E_INVALIDARG;
    *out = nullptr;
    if (script_->get_handler_info != S_OK ||
        script_->info == HandlerScript::Info::kNull) {
      return script_->get_handler_info;
    }
    auto* info = static_cast<SYNCMGRHANDLERINFO*>(
        CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO)));
    if (info == nullptr) return E_OUTOFMEMORY;
    std::memset(info, 0, sizeof *info);
    info->cbSize = sizeof(SYNCMGRHANDLERINFO);
    const char16_t name[] = u"Fuzz handler";
    std::memcpy(info->wszHandlerName, name, sizeof name);
    switch (script_->info) {
      case HandlerScript::Info::kBadSize:
        info->cbSize = 0;
        break;
      case HandlerScript::Info::kUnterminated:
        for (WCHAR& c : info->wszHandlerName) c = u'A';
        break;
      case HandlerScript::Info::kBadFlags:
        info->SyncMgrHandlerFlags = 0xFFFFFFF0u;
        break;
      default:
        break;
    }
    *out = info;
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE EnumSyncMgrItems(ISyncMgrEnumItems** out) override {
    Entered(HandlerScript::Method::kEnumSyncMgrItems);
    if (out == nullptr) return E_INVALIDARG;
    *out = nullptr;
    if (FAILED(script_->enum_items) || script_->null_enumerator) {
      return script_->enum_items;
    }
    *out = new ItemEnumerator(script_);
    return script_->enum_items;
  }

  HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID, REFIID,
                                          void** ppv) override {
    if (ppv != nullptr) *ppv = nullptr;
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE ShowProperties(HWND, REFGUID) override {
    return E_NOTIMPL;
  }

  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* callback) override {
    {
      std::lock_guard lock(shared_->mu);
      HandlerRecord& r = *shared_->record;
      if (callback != nullptr) {
        r.callback_set = true;
      } else if (r.callback_set) {
        r.callback_reset = true;
      }
    }
    if (callback != nullptr && script_->on_callback) {
      script_->on_callback(callback);
    }
    // HS-009: AddRef the new one, release the old one.
    if (callback != nullptr) callback->AddRef();
    callback_ = ComPtr<ISyncMgrSynchronizeCallback>::Adopt(callback);
    return callback == nullptr ? S_OK : script_->set_progress_callback;
  }

  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND,
                                           DWORD) override {
    Entered(HandlerScript::Method::kPrepareForSync);
    {
      std::lock_guard lock(shared_->mu);
      HandlerRecord& r = *shared_->record;
      ++r.prepare_calls;
      r.prepare_count = count;
      r.prepare_ids.clear();
      if (ids != nullptr) {
        r.prepare_ids.assign(ids, ids + std::min(count, kRecordedPrepareIds));
      }
      shared_->prepare_pending = script_->prepare == S_OK;
      shared_->prepare_ok = false;
    }
    if (script_->prepare != S_OK) return script_->prepare;
    Complete(shared_, callback_, script_->prepare_completion, Step::kPrepare,
             script_->prepare_completion_hr);
    std::lock_guard lock(shared_->mu);
    shared_->prepare_window = shared_->prepare_pending;
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    Entered(HandlerScript::Method::kSynchronize);
    {
      std::lock_guard lock(shared_->mu);
      ++shared_->record->synchronize_calls;
      if (shared_->prepare_pending) {
        shared_->record->synchronize_before_prepare_completed = true;
      }
      if (!shared_->prepare_ok) {
        shared_->record->synchronize_without_prepare_ok = true;
      }
      shared_->synchronize_pending = script_->synchronize == S_OK;
    }
    if (script_->synchronize != S_OK) return script_->synchronize;
    if (callback_) {
      for (size_t i = 0; i < script_->calls.size(); ++i) {
        const int index = static_cast<int>(i);
        if (script_->calls[i].from_thread) {
          StartThread(
              [shared = shared_, callback = callback_, script = script_,
               index] { MakeCall(shared, callback.Get(), *script, index); });
        } else {
          MakeCall(shared_, callback_.Get(), *script_, index);
        }
      }
    }
    Complete(shared_, callback_, script_->sync_completion, Step::kSynchronize,
             script_->sync_completion_hr);
    std::lock_guard lock(shared_->mu);
    shared_->synchronize_window = shared_->synchronize_pending;
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID, DWORD status) override {
    std::lock_guard lock(shared_->mu);
    HandlerRecord& r = *shared_->record;
    ++r.set_item_status_calls;
    if (!shared_->prepare_window && !shared_->synchronize_window) {
      r.set_item_status_outside_windows = true;
    }
    if (status != SYNCMGRSTATUS_SKIPPED) r.set_item_status_not_skipped = true;
    return script_->set_item_status;
  }

  HRESULT STDMETHODCALLTYPE ShowError(HWND, REFGUID error_id) override {
    {
      std::lock_guard lock(shared_->mu);
      ++shared_->record->show_error_calls;
      const auto& logged = shared_->logged_errors;
      if (std::find(logged.begin(), logged.end(), error_id) == logged.end()) {
        shared_->record->show_error_unlogged = true;
      }
    }
    if (script_->show_error != S_OK) return script_->show_error;
    std::vector<GUID> ids;
    for (ULONG i = 0; i < script_->retry_count; ++i) {
      ids.push_back(ItemIdFor(*script_, static_cast<int>(i)));
    }
    Complete(shared_, callback_, script_->show_error_completion,
             Step::kShowError, script_->show_error_completion_hr,
             std::move(ids), script_->retry_count, script_->retry_null_ids);
    return S_OK;
  }

 private:
  void Entered(HandlerScript::Method method) {
    if (script_->on_method) script_->on_method(method);
  }

  std::shared_ptr<const HandlerScript> script_;
  std::shared_ptr<Shared> shared_;
  ComPtr<ISyncMgrSynchronizeCallback> callback_;
};

}  // namespace

HandlerClass::HandlerClass(const GUID& clsid)
    : clsid_(clsid), script_(std::make_shared<const HandlerScript>()) {
  factory_ = com::NewClassFactory([this] {
    auto record = std::make_shared<HandlerRecord>();
    auto* handler = new ScriptedHandler(CurrentScript(), record);
    // Published only now that the object counts as live: a fuzzer waiting
    // for "every recorded handler is gone" must not see it in between.
    AddRecord(std::move(record));
    return handler;
  });
  CoRegisterClassObject(clsid_, factory_, CLSCTX_INPROC_SERVER, 0,
                        &registration_);
}

HandlerClass::~HandlerClass() {
  CoRevokeClassObject(registration_);
  factory_->Release();
}

void HandlerClass::SetScript(const HandlerScript& script) {
  auto copy = std::make_shared<const HandlerScript>(script);
  std::lock_guard lock(mu_);
  script_ = std::move(copy);
}

std::shared_ptr<const HandlerScript> HandlerClass::CurrentScript() {
  std::lock_guard lock(mu_);
  return script_;
}

void HandlerClass::AddRecord(std::shared_ptr<HandlerRecord> record) {
  std::lock_guard lock(mu_);
  records_.push_back(std::move(record));
}

std::vector<std::shared_ptr<HandlerRecord>> HandlerClass::TakeRecords() {
  std::lock_guard lock(mu_);
  return std::exchange(records_, {});
}

int HandlerClass::RecordCount() {
  std::lock_guard lock(mu_);
  return static_cast<int>(records_.size());
}

void JoinHandlerThreads() {
  for (;;) {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(g_threads_mu);
      if (g_threads.empty()) return;
      threads.swap(g_threads);
    }
    for (std::thread& thread : threads) thread.join();
  }
}

long LiveHandlerObjects() {
  return g_live_objects.load(std::memory_order_relaxed);
}

std::uint64_t InitializeSequence() { return g_initialize_sequence.load(); }

SYNCMGRITEM MakeItem(const GUID& id, DWORD state) {
  SYNCMGRITEM item;
  std::memset(&item, 0, sizeof item);
  item.cbSize = sizeof(SYNCMGRITEM);
  item.ItemID = id;
  item.dwItemState = state;
  const char16_t name[] = u"Fuzz item";
  std::memcpy(item.wszItemName, name, sizeof name);
  return item;
}

GUID FuzzGuid(int n) {
  GUID g = {0xF022C1D0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
  g.Data4[6] = static_cast<BYTE>((n >> 8) & 0xFF);
  g.Data4[7] = static_cast<BYTE>(n & 0xFF);
  return g;
}

}  // namespace syncmgr::fuzz
