// Known-bad handlers: the sample handler with one deliberate contract
// violation each, selected at build time with -DBAD_HANDLER=<name>
// (conformance/handlers/BUILD.bazel). They prove that certify fails a
// handler exactly on the requirements it breaks
// (//conformance:certify_test).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "conformance/handlers/sample_handler.h"

namespace syncmgr::sample {
namespace {

using syncmgr::com::ComPtr;

// HS-113: keeps lpCookie instead of copying the bytes, and reads it later.
class KeepsCookiePointer final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags, DWORD cb,
                                       const BYTE* cookie) override {
    kept_ = cookie;
    kept_size_ = cb;
    return SampleHandler::Initialize(reserved, flags, cb, cookie);
  }
  HRESULT STDMETHODCALLTYPE Synchronize(HWND parent) override {
    std::uint32_t sum = 0;
    for (DWORD i = 0; i < kept_size_; ++i) sum += kept_[i];
    checksum_ = sum;
    return SampleHandler::Synchronize(parent);
  }

 private:
  const BYTE* kept_ = nullptr;
  DWORD kept_size_ = 0;
  std::atomic<std::uint32_t> checksum_{0};
};

// HS-108: Synchronize returns S_OK and SynchronizeCompleted never comes.
class NeverCompletes final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override { return S_OK; }
};

// HS-108 (OURS): synchronizes as the sample does, inside the call, then
// calls SynchronizeCompleted a second time.
class CompletesTwice final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    SynchronizeItems(callback);
    callback->SynchronizeCompleted(S_OK);
    return S_OK;
  }
};

// COM-003: AddRefs itself in Initialize and never releases.
class LeaksReference final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags, DWORD cb,
                                       const BYTE* cookie) override {
    AddRef();
    return SampleHandler::Initialize(reserved, flags, cb, cookie);
  }
};

// HS-105: PrepareForSync answers E_NOTIMPL, a code its page does not list.
class UndocumentedHresult final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG, GUID*, HWND, DWORD) override {
    return E_NOTIMPL;
  }
};

// HS-114: reads the first cookie byte without looking at cbCookie.
class CrashesOnEmptyCookie final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags, DWORD cb,
                                       const BYTE* cookie) override {
    const volatile BYTE* first = cookie;
    version_ = *first;  // NULL when the cookie is empty
    return SampleHandler::Initialize(reserved, flags, cb, cookie);
  }

 private:
  BYTE version_ = 0;
};

// Wraps the sample's enumerator to break one enumerator rule.
class BrokenEnumerator final : public syncmgr::com::Object<ISyncMgrEnumItems> {
 public:
  enum class Fault {
    kZeroSizedItem,
    kSharedClone,
    kEndlessZeroSizedItems,
    kCloneStartsOver,
    kSkipDoesNothing,
    kWritesPastCelt,
    kOverstatesFetched
  };
  BrokenEnumerator(ComPtr<ISyncMgrEnumItems> inner, Fault fault)
      : inner_(std::move(inner)), fault_(fault) {}
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    if (fault_ == Fault::kEndlessZeroSizedItems) {
      // One item of cbSize 0 per call, with S_OK, forever: a manager that
      // only stops at the end of the enumeration or after N valid items
      // never stops.
      if (celt == 0 || rgelt == nullptr) return E_INVALIDARG;
      rgelt[0] = SYNCMGRITEM{};
      if (fetched != nullptr) *fetched = 1;
      return S_OK;
    }
    const HRESULT hr = inner_->Next(celt, rgelt, fetched);
    if (fault_ == Fault::kZeroSizedItem && SUCCEEDED(hr) && celt > 0) {
      rgelt[0].cbSize = 0;
    }
    if (fault_ == Fault::kWritesPastCelt && SUCCEEDED(hr) && celt > 0) {
      rgelt[celt] = rgelt[0];  // one entry more than the array holds
    }
    if (fault_ == Fault::kOverstatesFetched && SUCCEEDED(hr) &&
        fetched != nullptr) {
      *fetched = celt;  // not the number it wrote
    }
    return hr;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    if (fault_ == Fault::kSkipDoesNothing) return S_OK;
    return inner_->Skip(celt);
  }
  HRESULT STDMETHODCALLTYPE Reset() override { return inner_->Reset(); }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    if (fault_ == Fault::kEndlessZeroSizedItems) {
      if (out == nullptr) return E_INVALIDARG;
      *out = new BrokenEnumerator(inner_, fault_);  // just as endless
      return S_OK;
    }
    if (fault_ == Fault::kCloneStartsOver) {
      // An independent enumerator, but at the start, not at this position.
      const HRESULT hr = inner_->Clone(out);
      if (hr == S_OK && *out != nullptr) (*out)->Reset();
      return hr;
    }
    if (fault_ != Fault::kSharedClone) return inner_->Clone(out);
    AddRef();  // the "clone" is this very enumerator
    *out = this;
    return S_OK;
  }

 private:
  ComPtr<ISyncMgrEnumItems> inner_;
  Fault fault_;
};

template <BrokenEnumerator::Fault kFault>
class WithBrokenEnumerator final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE
  EnumSyncMgrItems(ISyncMgrEnumItems** items) override {
    const HRESULT hr = SampleHandler::EnumSyncMgrItems(items);
    if (hr != S_OK) return hr;
    *items =
        new BrokenEnumerator(ComPtr<ISyncMgrEnumItems>::Adopt(*items), kFault);
    return S_OK;
  }
};

// HS-107: one enumerated item has a cbSize of 0.
using MalformedItem =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kZeroSizedItem>;
// EN-002: Clone hands out the same enumerator instead of an independent one.
using SharedClone = WithBrokenEnumerator<BrokenEnumerator::Fault::kSharedClone>;
// EN-002: Clone gives an enumerator at the start, not at the same position.
using CloneStartsOver =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kCloneStartsOver>;
// EN-002: Skip answers S_OK and skips nothing.
using SkipDoesNothing =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kSkipDoesNothing>;
// EN-001: Next writes one entry past the celt it was given.
using WritesPastCelt =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kWritesPastCelt>;
// EN-001: Next answers *pceltFetched = celt whatever it wrote.
using OverstatesFetched =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kOverstatesFetched>;
// HS-107, EN-101: Next answers S_OK with one item of cbSize 0, forever.
using EndlessMalformedItems =
    WithBrokenEnumerator<BrokenEnumerator::Fault::kEndlessZeroSizedItems>;

// HS-008: GetItemObject answers E_FAIL instead of E_NOTIMPL.
class GetItemObjectFails final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID, REFIID,
                                          void** ppv) override {
    if (ppv != nullptr) *ppv = nullptr;
    return E_FAIL;
  }
};

// Remembers the items PrepareForSync chose, for the handlers below that
// synchronize in their own way.
class RemembersItems : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    {
      std::lock_guard lock(items_mu_);
      items_.assign(ids, ids + count);
    }
    return SampleHandler::PrepareForSync(count, ids, parent, reserved);
  }

 protected:
  std::vector<GUID> Items() {
    std::lock_guard lock(items_mu_);
    return items_;
  }
  // Reports every item UPDATING, then SUCCEEDED, then completes; with
  // `obey_cancel`, an item Progress cancelled is left alone, and nothing
  // more is done after S_SYNCMGR_CANCELALL.
  static void SynchronizeAll(ISyncMgrSynchronizeCallback* callback,
                             const std::vector<GUID>& items, bool obey_cancel) {
    for (const GUID& item : items) {
      SYNCMGRPROGRESSITEM progress{};
      progress.cbSize = sizeof progress;
      progress.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
      progress.dwStatusType = SYNCMGRSTATUS_UPDATING;
      const HRESULT answer = callback->Progress(item, &progress);
      if (obey_cancel && answer == S_SYNCMGR_CANCELALL) break;
      if (obey_cancel && answer == S_SYNCMGR_CANCELITEM) continue;
      progress.dwStatusType = SYNCMGRSTATUS_SUCCEEDED;
      callback->Progress(item, &progress);
    }
    callback->SynchronizeCompleted(S_OK);
  }

 private:
  std::mutex items_mu_;
  std::vector<GUID> items_;
};

// CB-016: synchronizes every item although Progress answered
// S_SYNCMGR_CANCELITEM or S_SYNCMGR_CANCELALL.
class IgnoresCancellation final : public RemembersItems {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    SynchronizeAll(callback.Get(), Items(), /*obey_cancel=*/false);
    return S_OK;
  }
};

// HS-020: accepts SetItemStatus(SKIPPED) but synchronizes the item anyway
// (on a thread of its own, a little later, as real handlers do).
class IgnoresSkip final : public RemembersItems {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    AddRef();  // the thread holds the object until it is done
    std::thread([this, callback, items = Items()] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      SynchronizeAll(callback.Get(), items, /*obey_cancel=*/true);
      Release();
    }).detach();
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID, DWORD) override {
    return S_OK;  // accepted, and forgotten
  }
};

// HS-009: keeps the callback it is given without AddRef (a raw pointer),
// and completes through it.
class KeepsCallbackWithoutAddRef final : public RemembersItems {
 public:
  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* callback) override {
    raw_ = callback;  // no AddRef
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    RemembersItems::PrepareForSync(count, ids, parent, reserved);
    if (raw_ == nullptr) return E_UNEXPECTED;
    raw_.load()->PrepareForSyncCompleted(S_OK);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    if (raw_ == nullptr) return E_UNEXPECTED;
    SynchronizeAll(raw_, Items(), /*obey_cancel=*/true);
    return S_OK;
  }

 private:
  std::atomic<ISyncMgrSynchronizeCallback*> raw_{nullptr};
};

// CB-010: reports progress for every item but the last, which it
// synchronizes without asking (so it would miss a cancellation of it).
class NoProgressForLastItem final : public RemembersItems {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    std::vector<GUID> asked_about = Items();
    if (!asked_about.empty()) asked_about.pop_back();
    SynchronizeAll(callback.Get(), asked_about, /*obey_cancel=*/true);
    return S_OK;
  }
};

// HS-011: synchronizes every item it has, not only the ones PrepareForSync
// was given.
class SyncsUnprepared final : public RemembersItems {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    std::vector<GUID> all;
    for (int n = 0; n < 3; ++n) all.push_back(SampleItemId(n));
    SynchronizeAll(callback.Get(), all, /*obey_cancel=*/true);
    return S_OK;
  }
};

// CB-005: its ShowError fails, and a thread of its own calls
// ShowErrorCompleted a little later anyway (after the manager moved on).
class CompletesFailedShowErrorLate final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE ShowError(HWND, REFGUID) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    AddRef();  // the thread holds the object until it is done
    std::thread([this, callback] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      callback->ShowErrorCompleted(S_OK, 0, nullptr);
      Release();
    }).detach();
    return E_UNEXPECTED;
  }
};

// CB-004: has handler-wide properties (SYNCMGRHANDLER_HASPROPERTIES); its
// ShowProperties fails, and a thread of its own calls ShowPropertiesCompleted
// a little later anyway.
class CompletesFailedShowProperties final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** info) override {
    const HRESULT hr = SampleHandler::GetHandlerInfo(info);
    if (hr == S_OK && *info != nullptr) {
      (*info)->SyncMgrHandlerFlags |= SYNCMGRHANDLER_HASPROPERTIES;
    }
    return hr;
  }
  HRESULT STDMETHODCALLTYPE ShowProperties(HWND, REFGUID) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    AddRef();
    std::thread([this, callback] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      callback->ShowPropertiesCompleted(S_OK);
      Release();
    }).detach();
    return E_UNEXPECTED;
  }
};

// HS-117 (OURS): PrepareForSync blocks for 1.2 s before it prepares as the
// sample does.
class BlocksInPrepareForSync final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    return SampleHandler::PrepareForSync(count, ids, parent, reserved);
  }
};

// Writes through NULL in PrepareForSync: every session crashes, at the same
// place. certify charges every such crash to the rule of the first one.
class CrashesInPrepareForSync final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG, GUID*, HWND, DWORD) override {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
    return S_OK;
  }
};

// COM-003: destroys itself when its count falls to 1, with one reference
// still out (so CreateInstance's own QueryInterface and Release already
// destroy the object it hands back).
class ReleasesEarly final : public SampleHandler {
 public:
  ULONG STDMETHODCALLTYPE AddRef() override { return refs_.fetch_add(1) + 1; }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = refs_.fetch_sub(1) - 1;
    if (left <= 1) delete this;  // the bug: at 1, not at 0
    return left;
  }

 private:
  std::atomic<ULONG> refs_{1};
};

// HS-006: hands over a SYNCMGRHANDLERINFO allocated with malloc, not
// CoTaskMemAlloc.
class HandlerInfoFromMalloc final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** info) override {
    if (info == nullptr) return E_INVALIDARG;
    auto* block =
        static_cast<SYNCMGRHANDLERINFO*>(std::calloc(1, sizeof **info));
    if (block == nullptr) return E_OUTOFMEMORY;
    block->cbSize = sizeof *block;
    block->wszHandlerName[0] = u'M';
    *info = block;
    return S_OK;
  }
};

// HS-004: fails Initialize for an event code it does not recognise, instead
// of treating it as a manual synchronization.
class RejectsUnknownEventCode final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags, DWORD cb,
                                       const BYTE* cookie) override {
    const DWORD event = flags & SYNCMGRFLAG_EVENTMASK;
    if (event < SYNCMGRFLAG_CONNECT || event > SYNCMGRFLAG_SCHEDULED) {
      return E_INVALIDARG;
    }
    return SampleHandler::Initialize(reserved, flags, cb, cookie);
  }
};

// HS-017: synchronizes without a single Progress call: SynchronizeCompleted
// is all the callback hears.
class NeverReportsProgress final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    callback->SynchronizeCompleted(S_OK);
    return S_OK;
  }
};

// HS-018: Synchronize answers S_FALSE, a success code its page does not
// allow (and, as it did not return S_OK, calls no SynchronizeCompleted).
class SynchronizeReturnsSFalse final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override { return S_FALSE; }
};

// CB-003: synchronizes as the sample does, but inside the call (progress,
// then SynchronizeCompleted(S_OK)), then returns S_FALSE: the completion came
// for a call that did not return S_OK. One bug, reported as CB-003 alone (not
// HS-018 too).
class CompletesThenReturnsSFalse final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    SynchronizeItems(callback);  // inside the call, completion included
    return S_FALSE;
  }
};

// CB-004: calls ShowPropertiesCompleted in Synchronize, although the
// manager never called ShowProperties; then synchronizes as the sample does.
class UnsolicitedShowPropertiesCompleted final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND parent) override {
    if (ComPtr<ISyncMgrSynchronizeCallback> callback = Callback()) {
      callback->ShowPropertiesCompleted(S_OK);
    }
    return SampleHandler::Synchronize(parent);
  }
};

// CB-003: calls SynchronizeCompleted in PrepareForSync, before any
// Synchronize; then prepares and synchronizes as the sample does.
class CompletesSynchronizeUnasked final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    if (ComPtr<ISyncMgrSynchronizeCallback> callback = Callback()) {
      callback->SynchronizeCompleted(S_OK);
    }
    return SampleHandler::PrepareForSync(count, ids, parent, reserved);
  }
};

// HS-013: asks the callback for a dialog (EnableModeless(TRUE)) in
// Synchronize without looking at SYNCMGRFLAG_MAYBOTHERUSER; then
// synchronizes as the sample does.
class AsksForUiWithoutPermission final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND parent) override {
    if (ComPtr<ISyncMgrSynchronizeCallback> callback = Callback()) {
      // Allowed (S_OK): the dialog would be shown here, then closed.
      if (callback->EnableModeless(TRUE) == S_OK) {
        callback->EnableModeless(FALSE);
      }
    }
    return SampleHandler::Synchronize(parent);
  }
};

// COM-001: a failed QueryInterface leaves *ppv as it was.
class LeavesPpvOnFailure final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    void* before = *ppv;
    const HRESULT hr = SampleHandler::QueryInterface(riid, ppv);
    if (FAILED(hr)) *ppv = before;
    return hr;
  }
};

// HS-009: SetProgressCallback keeps a reference to the callback it replaces
// (a session sets one callback and then NULL, which it handles right).
class KeepsReplacedCallback final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* callback) override {
    ISyncMgrSynchronizeCallback* replaced = previous_.exchange(callback);
    if (callback != nullptr && replaced != nullptr) replaced->AddRef();
    return SampleHandler::SetProgressCallback(callback);
  }

 private:
  std::atomic<ISyncMgrSynchronizeCallback*> previous_{nullptr};
};

// COM-001: its class factory's CreateInstance leaves *ppv as it found it
// when the interface is not there (see LeavingFactory below).
class FactoryLeavesPpv final : public SampleHandler {
 public:
  static constexpr bool kFactoryLeavesPpv = true;
};

// COM-005: DllGetClassObject for a CLSID it does not serve answers
// CLASS_E_CLASSNOTAVAILABLE but leaves *ppv as it found it.
class ClassObjectLeavesPpv final : public SampleHandler {
 public:
  static constexpr bool kClassObjectLeavesPpv = true;
};

// COM-006: DllCanUnloadNow answers S_OK even while objects are alive (see
// ClaimsUnloadable below).
class UnloadsWhileAlive final : public SampleHandler {
 public:
  static constexpr bool kClaimsUnloadable = true;
};

// Loading it crashes: DllGetClassObject dereferences NULL (see
// CrashesWhenLoaded below). certify must say so in one line, not crash.
class CrashesInDllGetClassObject final : public SampleHandler {
 public:
  static constexpr bool kCrashesWhenLoaded = true;
};

template <typename T, typename = void>
struct CrashesWhenLoaded : std::false_type {};
template <typename T>
struct CrashesWhenLoaded<T, std::void_t<decltype(T::kCrashesWhenLoaded)>>
    : std::true_type {};

template <typename T, typename = void>
struct FactoryLeavesPpvOf : std::false_type {};
template <typename T>
struct FactoryLeavesPpvOf<T, std::void_t<decltype(T::kFactoryLeavesPpv)>>
    : std::true_type {};

template <typename T, typename = void>
struct ClassObjectLeavesPpvOf : std::false_type {};
template <typename T>
struct ClassObjectLeavesPpvOf<T,
                              std::void_t<decltype(T::kClassObjectLeavesPpv)>>
    : std::true_type {};

// The class factory of FactoryLeavesPpv: a failed CreateInstance leaves
// *ppv as it found it.
template <typename T>
class LeavingFactory final : public syncmgr::com::Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    void* const before = *ppv;
    T* object = new (std::nothrow) T();
    if (object == nullptr) return E_OUTOFMEMORY;
    const HRESULT hr = object->QueryInterface(riid, ppv);
    object->Release();
    if (FAILED(hr)) *ppv = before;  // the bug
    return hr;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    if (lock) {
      syncmgr::com::ThisModule().locks.fetch_add(1);
    } else {
      syncmgr::com::ThisModule().locks.fetch_sub(1);
    }
    return S_OK;
  }
};

template <typename T, typename = void>
struct ClaimsUnloadable : std::false_type {};
template <typename T>
struct ClaimsUnloadable<T, std::void_t<decltype(T::kClaimsUnloadable)>>
    : std::true_type {};

}  // namespace
}  // namespace syncmgr::sample

extern "C" HRESULT DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                     LPVOID* ppv) {
  if constexpr (syncmgr::sample::CrashesWhenLoaded<
                    syncmgr::sample::BAD_HANDLER>::value) {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  }
  using Handler = syncmgr::sample::BAD_HANDLER;
  if constexpr (syncmgr::sample::ClassObjectLeavesPpvOf<Handler>::value) {
    if (!IsEqualCLSID(rclsid, syncmgr::sample::kSampleHandlerClsid)) {
      return CLASS_E_CLASSNOTAVAILABLE;  // the bug: *ppv untouched
    }
  }
  if constexpr (syncmgr::sample::FactoryLeavesPpvOf<Handler>::value) {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (!IsEqualCLSID(rclsid, syncmgr::sample::kSampleHandlerClsid)) {
      return CLASS_E_CLASSNOTAVAILABLE;
    }
    return syncmgr::com::CreateObject<syncmgr::sample::LeavingFactory<Handler>>(
        riid, ppv);
  }
  return syncmgr::com::GetClassObjectFor<Handler>(
      syncmgr::sample::kSampleHandlerClsid, rclsid, riid, ppv);
}

extern "C" HRESULT DllCanUnloadNow() {
  if constexpr (syncmgr::sample::ClaimsUnloadable<
                    syncmgr::sample::BAD_HANDLER>::value) {
    return S_OK;
  }
  return syncmgr::com::ModuleCanUnloadNow();
}
