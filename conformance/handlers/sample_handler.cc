#include "conformance/handlers/sample_handler.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "reference/com/com.h"

namespace syncmgr::sample {
namespace {

using syncmgr::com::ComPtr;

constexpr int kItemCount = 3;
// The ErrorID of the summary the handler logs at the end of Synchronize.
constexpr GUID kSummaryErrorId = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0x02, 0x01}};
constexpr const WCHAR* kItemNames[kItemCount] = {
    WSTR("Contacts"), WSTR("Calendar"), WSTR("Documents")};

SYNCMGRITEM MakeItem(int n) {
  SYNCMGRITEM item{};
  item.cbSize = sizeof(SYNCMGRITEM);
  item.dwFlags = 0;
  item.ItemID = SampleItemId(n);
  item.dwItemState = SYNCMGRITEMSTATE_CHECKED;
  std::char_traits<WCHAR>::copy(
      item.wszItemName, kItemNames[n],
      std::char_traits<WCHAR>::length(kItemNames[n]) + 1);
  return item;
}

// The item enumerator: a position over the fixed list, with the COM
// enumerator conventions (S_FALSE when fewer than celt items are left).
class ItemEnumerator final : public syncmgr::com::Object<ISyncMgrEnumItems> {
 public:
  explicit ItemEnumerator(ULONG position = 0) : position_(position) {}

  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* pceltFetched) override {
    if (rgelt == nullptr || (celt > 1 && pceltFetched == nullptr)) {
      return E_INVALIDARG;
    }
    ULONG fetched = 0;
    while (fetched < celt && position_ < kItemCount) {
      rgelt[fetched++] = MakeItem(static_cast<int>(position_++));
    }
    if (pceltFetched != nullptr) *pceltFetched = fetched;
    return fetched == celt ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    const ULONG left = kItemCount - position_;
    position_ += std::min(celt, left);
    return celt <= left ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    position_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** ppenum) override {
    if (ppenum == nullptr) return E_INVALIDARG;
    *ppenum = new (std::nothrow) ItemEnumerator(position_);
    return *ppenum != nullptr ? S_OK : E_OUTOFMEMORY;
  }

 private:
  ULONG position_;
};

}  // namespace

GUID SampleItemId(int n) {
  GUID id = kSampleHandlerClsid;
  id.Data4[6] = 0x01;
  id.Data4[7] = static_cast<BYTE>(n);
  return id;
}

SampleHandler::SampleHandler() = default;

SampleHandler::~SampleHandler() {
  // The worker holds a reference to the handler while it runs, so the last
  // Release may come from the worker itself: it cannot join itself.
  if (worker_.joinable()) {
    if (worker_.get_id() == std::this_thread::get_id()) {
      worker_.detach();
    } else {
      worker_.join();
    }
  }
}

HRESULT SampleHandler::Initialize(DWORD dwReserved, DWORD dwSyncMgrFlags,
                                  DWORD cbCookie, const BYTE* lpCookie) {
  if (dwReserved != 0) return E_INVALIDARG;
  if (cbCookie > 0 && lpCookie == nullptr) return E_INVALIDARG;
  std::lock_guard lock(mu_);
  flags_ = dwSyncMgrFlags;
  // lpCookie is valid only during this call: keep a copy of the bytes.
  try {
    cookie_.assign(lpCookie, lpCookie + (lpCookie != nullptr ? cbCookie : 0));
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
  return S_OK;
}

HRESULT SampleHandler::GetHandlerInfo(
    SYNCMGRHANDLERINFO** ppSyncMgrHandlerInfo) {
  if (ppSyncMgrHandlerInfo == nullptr) return E_INVALIDARG;
  *ppSyncMgrHandlerInfo = nullptr;
  // The manager owns the structure and frees it with CoTaskMemFree.
  auto* info = static_cast<SYNCMGRHANDLERINFO*>(
      CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO)));
  if (info == nullptr) return E_OUTOFMEMORY;
  std::memset(info, 0, sizeof *info);
  info->cbSize = sizeof(SYNCMGRHANDLERINFO);
  info->hIcon = nullptr;
  info->SyncMgrHandlerFlags = 0;
  const WCHAR name[] = WSTR("Sample handler");
  static_assert(sizeof name / sizeof name[0] <= MAX_SYNCMGRHANDLERNAME);
  std::memcpy(info->wszHandlerName, name, sizeof name);
  *ppSyncMgrHandlerInfo = info;
  return S_OK;
}

HRESULT SampleHandler::EnumSyncMgrItems(
    ISyncMgrEnumItems** ppSyncMgrEnumItems) {
  if (ppSyncMgrEnumItems == nullptr) return E_INVALIDARG;
  *ppSyncMgrEnumItems = new (std::nothrow) ItemEnumerator();
  return *ppSyncMgrEnumItems != nullptr ? S_OK : E_OUTOFMEMORY;
}

HRESULT SampleHandler::GetItemObject(REFGUID, REFIID, void** ppv) {
  // No item interfaces are defined: the page requires E_NOTIMPL.
  if (ppv != nullptr) *ppv = nullptr;
  return E_NOTIMPL;
}

HRESULT SampleHandler::ShowProperties(HWND, REFGUID) {
  // No property sheet (no item has SYNCMGRITEM_HASPROPERTIES): report
  // completion at once.
  if (ComPtr<ISyncMgrSynchronizeCallback> callback = Callback()) {
    callback->ShowPropertiesCompleted(S_OK);
  }
  return S_OK;
}

HRESULT SampleHandler::SetProgressCallback(
    ISyncMgrSynchronizeCallback* lpCallBack) {
  // ComPtr's copy AddRefs the new callback; the old one is released.
  ComPtr<ISyncMgrSynchronizeCallback> incoming;
  if (lpCallBack != nullptr) {
    lpCallBack->AddRef();
    incoming = ComPtr<ISyncMgrSynchronizeCallback>::Adopt(lpCallBack);
  }
  ComPtr<ISyncMgrSynchronizeCallback> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(callback_, std::move(incoming));
  }
  return S_OK;  // `old` is released here, outside the lock
}

HRESULT SampleHandler::PrepareForSync(ULONG cbNumItems, GUID* pItemIDs, HWND,
                                      DWORD) {
  if (cbNumItems > 0 && pItemIDs == nullptr) return E_INVALIDARG;
  ComPtr<ISyncMgrSynchronizeCallback> callback;
  {
    std::lock_guard lock(mu_);
    chosen_.clear();
    skipped_.clear();
    for (ULONG i = 0; i < cbNumItems; ++i) {
      if (!IsKnownItem(pItemIDs[i])) return E_INVALIDARG;
      chosen_.push_back(pItemIDs[i]);
    }
    callback = callback_;
  }
  // Nothing to log on to: preparation is done. The completion may come
  // before PrepareForSync returns.
  if (callback) callback->PrepareForSyncCompleted(S_OK);
  return S_OK;
}

HRESULT SampleHandler::Synchronize(HWND) {
  ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
  if (!callback) return E_UNEXPECTED;  // SetProgressCallback never came
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) {
    worker_.join();  // a retry: the previous pass has finished
  }
  // Return at once and work on a thread of our own; the thread keeps the
  // handler alive until it is done.
  AddRef();
  ComPtr<ISyncMgrSynchronize> self = ComPtr<ISyncMgrSynchronize>::Adopt(this);
  try {
    worker_ =
        std::thread([this, self, callback] { SynchronizeItems(callback); });
  } catch (const std::system_error&) {
    return E_OUTOFMEMORY;
  }
  return S_OK;
}

void SampleHandler::SynchronizeItems(
    ComPtr<ISyncMgrSynchronizeCallback> callback) {
  std::vector<GUID> chosen, skipped;
  {
    std::lock_guard lock(mu_);
    chosen = chosen_;
  }
  const int total = static_cast<int>(chosen.size());
  int done = 0;
  bool cancel_all = false;
  for (const GUID& item : chosen) {
    {
      std::lock_guard lock(mu_);
      skipped = skipped_;
    }
    const bool skip = cancel_all || std::find(skipped.begin(), skipped.end(),
                                              item) != skipped.end();
    SYNCMGRPROGRESSITEM progress{};
    progress.cbSize = sizeof progress;
    progress.mask =
        SYNCMGRPROGRESSITEM_STATUSTYPE | SYNCMGRPROGRESSITEM_PROGVALUE |
        SYNCMGRPROGRESSITEM_MAXVALUE | SYNCMGRPROGRESSITEM_STATUSTEXT;
    progress.iMaxValue = total;
    progress.iProgValue = done;
    progress.dwStatusType =
        skip ? SYNCMGRSTATUS_SKIPPED : SYNCMGRSTATUS_UPDATING;
    progress.lpcStatusText = skip ? WSTR("Skipped") : WSTR("Synchronizing");
    // Ask before each item: the answer says whether the user cancelled it.
    const HRESULT answer = callback->Progress(item, &progress);
    ++done;
    if (skip || answer == S_SYNCMGR_CANCELITEM) continue;
    if (answer == S_SYNCMGR_CANCELALL) {
      cancel_all = true;
      continue;
    }
    // ... the real work for `item` (and the cookie's context) goes here ...
    progress.dwStatusType = SYNCMGRSTATUS_SUCCEEDED;
    progress.iProgValue = done;
    progress.lpcStatusText = WSTR("Up to date");
    callback->Progress(item, &progress);
  }
  // A summary the user can open (ENABLEJUMPTEXT): the manager may call
  // ShowError with its ErrorID later.
  SYNCMGRLOGERRORINFO summary{};
  summary.cbSize = sizeof summary;
  summary.mask = SYNCMGRLOGERROR_ERRORFLAGS | SYNCMGRLOGERROR_ERRORID;
  summary.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
  summary.ErrorID = kSummaryErrorId;
  callback->LogError(SYNCMGRLOGLEVEL_INFORMATION,
                     cancel_all ? WSTR("Synchronization cancelled")
                                : WSTR("Synchronization finished"),
                     &summary);
  callback->SynchronizeCompleted(S_OK);
}

HRESULT SampleHandler::SetItemStatus(REFGUID pItemID, DWORD dwSyncMgrStatus) {
  // SKIPPED is the only status the manager sends.
  if (dwSyncMgrStatus != SYNCMGRSTATUS_SKIPPED) return E_INVALIDARG;
  std::lock_guard lock(mu_);
  if (!IsKnownItem(pItemID)) return E_INVALIDARG;
  skipped_.push_back(pItemID);
  return S_OK;
}

HRESULT SampleHandler::ShowError(HWND, REFGUID ErrorID) {
  // Only the summary offers ShowError. A headless sample shows nothing and
  // reports completion at once (no retry: S_OK, not S_SYNCMGR_RETRYSYNC).
  if (!IsEqualGUID(ErrorID, kSummaryErrorId)) return E_INVALIDARG;
  if (ComPtr<ISyncMgrSynchronizeCallback> callback = Callback()) {
    callback->ShowErrorCompleted(S_OK, 0, nullptr);
  }
  return S_OK;
}

ComPtr<ISyncMgrSynchronizeCallback> SampleHandler::Callback() {
  std::lock_guard lock(mu_);
  return callback_;
}

bool SampleHandler::IsKnownItem(const GUID& id) const {
  for (int n = 0; n < kItemCount; ++n) {
    if (IsEqualGUID(id, SampleItemId(n))) return true;
  }
  return false;
}

}  // namespace syncmgr::sample
