// File: conformance/handlers/outside/outside_handler.cc
//
// The outside handler (see outside_handler.h), CLSID
// {0E75DE00-0000-4000-8000-0000000000A1}. Each choice below cites the
// mobsync.h page it follows, or says that the pages leave it open.
#include "conformance/handlers/outside/outside_handler.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "conformance/handlers/outside/outside_enum_items.h"
#include "reference/com/com.h"

namespace syncmgr::outside {
namespace {

// {0E75DE00-0000-4000-8000-0000000000B1} .. B3
DEFINE_GUID(kItem1, 0x0E75DE00, 0x0000, 0x4000, 0x80, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0xB1);
DEFINE_GUID(kItem2, 0x0E75DE00, 0x0000, 0x4000, 0x80, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0xB2);
DEFINE_GUID(kItem3, 0x0E75DE00, 0x0000, 0x4000, 0x80, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0xB3);

struct ItemDefinition {
  const GUID* id;
  const char16_t* name;
  DWORD state;
};
constexpr ItemDefinition kItems[] = {
    {&kItem1, u"Outside item 1", SYNCMGRITEMSTATE_CHECKED},
    {&kItem2, u"Outside item 2", SYNCMGRITEMSTATE_UNCHECKED},
    {&kItem3, u"Outside item 3", SYNCMGRITEMSTATE_CHECKED},
};

constexpr char16_t kHandlerName[] = u"Outside handler";

// 2024-01-01 00:00:00 UTC in 100-ns intervals since 1601-01-01; each item
// was last synchronized one hour after the one before.
constexpr unsigned long long kFirstLastUpdate = 133485408000000000ull;
constexpr unsigned long long kHour = 36000000000ull;

constexpr auto kWorkPerItem = std::chrono::milliseconds(20);

// Copies NUL-terminated `text` into `out` (capacity `capacity`, with the NUL),
// truncating if needed.
void CopyText(const char16_t* text, WCHAR* out, std::size_t capacity) {
  std::size_t i = 0;
  for (; text[i] != u'\0' && i + 1 < capacity; ++i) out[i] = text[i];
  out[i] = u'\0';
}

const ItemDefinition* FindItem(REFGUID id) {
  for (const ItemDefinition& item : kItems) {
    if (IsEqualGUID(*item.id, id)) return &item;
  }
  return nullptr;
}

bool Contains(const std::vector<GUID>& ids, REFGUID id) {
  return std::any_of(ids.begin(), ids.end(),
                     [&](const GUID& other) { return IsEqualGUID(other, id); });
}

// The Initialize page: "If an application does not recognize the SYNCMGRFLAG
// event, the application should treat the event as a manual
// synchronization."
const char16_t* EventName(DWORD sync_flags) {
  switch (sync_flags & SYNCMGRFLAG_EVENTMASK) {
    case SYNCMGRFLAG_CONNECT:
      return u"network connection";
    case SYNCMGRFLAG_PENDINGDISCONNECT:
      return u"pending disconnection";
    case SYNCMGRFLAG_IDLE:
      return u"idle time";
    case SYNCMGRFLAG_INVOKE:
      return u"application request";
    case SYNCMGRFLAG_SCHEDULED:
      return u"schedule";
    case SYNCMGRFLAG_MANUAL:
    default:
      return u"user request";
  }
}

// Progress for `item`: its status, with a progress bar of one step.
HRESULT ReportProgress(ISyncMgrSynchronizeCallback* callback, REFGUID item,
                       DWORD status, const char16_t* text, int value) {
  SYNCMGRPROGRESSITEM progress = {};
  progress.cbSize = sizeof progress;
  progress.mask = SYNCMGRPROGRESSITEM_STATUSTEXT |
                  SYNCMGRPROGRESSITEM_STATUSTYPE |
                  SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE;
  progress.lpcStatusText = text;
  progress.dwStatusType = status;
  progress.iProgValue = value;
  progress.iMaxValue = 1;
  return callback->Progress(item, &progress);
}

}  // namespace

std::vector<SYNCMGRITEM> MakeOutsideItems() {
  std::vector<SYNCMGRITEM> items;
  unsigned long long last_update = kFirstLastUpdate;
  for (const ItemDefinition& definition : kItems) {
    SYNCMGRITEM item = {};
    item.cbSize = sizeof item;
    item.dwFlags = SYNCMGRITEM_LASTUPDATETIME;
    item.ItemID = *definition.id;
    item.dwItemState = definition.state;
    item.hIcon = nullptr;
    CopyText(definition.name, item.wszItemName, MAX_SYNCMGRITEMNAME);
    item.ftLastUpdate.dwLowDateTime = static_cast<DWORD>(last_update);
    item.ftLastUpdate.dwHighDateTime = static_cast<DWORD>(last_update >> 32);
    items.push_back(item);
    last_update += kHour;
  }
  return items;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::Initialize(DWORD dwReserved,
                                                     DWORD dwSyncMgrFlags,
                                                     DWORD cbCookie,
                                                     const BYTE* lpCookie) {
  // dwReserved "must be 0": a requirement on the caller, which this handler
  // does not police (left open by the page).
  if (lpCookie == nullptr && cbCookie != 0) return E_INVALIDARG;
  std::vector<BYTE> cookie;
  try {
    if (cbCookie != 0) cookie.assign(lpCookie, lpCookie + cbCookie);
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
  std::lock_guard<std::mutex> lock(mu_);
  // The flags "apply through the lifetime of the ISyncMgrSynchronize
  // interface"; a second Initialize (left open) replaces them.
  initialized_ = true;
  sync_flags_ = dwSyncMgrFlags;
  cookie_ = std::move(cookie);
  return S_OK;
}

HRESULT STDMETHODCALLTYPE
OutsideHandler::GetHandlerInfo(SYNCMGRHANDLERINFO** ppSyncMgrHandlerInfo) {
  if (ppSyncMgrHandlerInfo == nullptr) return E_INVALIDARG;
  *ppSyncMgrHandlerInfo = nullptr;
  // "The handler should use the CoTaskMemAlloc function to allocate memory."
  auto* info = static_cast<SYNCMGRHANDLERINFO*>(
      CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO)));
  if (info == nullptr) return E_OUTOFMEMORY;
  std::memset(info, 0, sizeof *info);
  info->cbSize = sizeof *info;
  info->hIcon = nullptr;
  info->SyncMgrHandlerFlags = 0;
  CopyText(kHandlerName, info->wszHandlerName, MAX_SYNCMGRHANDLERNAME);
  *ppSyncMgrHandlerInfo = info;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE
OutsideHandler::EnumSyncMgrItems(ISyncMgrEnumItems** ppSyncMgrEnumItems) {
  if (ppSyncMgrEnumItems == nullptr) return E_INVALIDARG;
  *ppSyncMgrEnumItems = nullptr;
  try {
    return OutsideEnumItems::Create(MakeOutsideItems(), ppSyncMgrEnumItems);
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
}

HRESULT STDMETHODCALLTYPE OutsideHandler::GetItemObject(REFGUID /*ItemID*/,
                                                        REFIID /*riid*/,
                                                        void** ppv) {
  // "Application implementers must return E_NOTIMPL from this method."
  if (ppv != nullptr) *ppv = nullptr;
  return E_NOTIMPL;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::ShowProperties(HWND /*hWndParent*/,
                                                         REFGUID ItemID) {
  // GUID_NULL asks for the handler's own properties.
  if (!IsEqualGUID(ItemID, GUID_NULL) && FindItem(ItemID) == nullptr) {
    return E_INVALIDARG;
  }
  CallbackPtr callback = CurrentCallback();
  if (!callback) return E_UNEXPECTED;  // nobody to tell it is done
  // There is nothing to set, so no dialog (and no EnableModeless): the
  // operation is complete at once, which the ShowPropertiesCompleted page
  // allows before returning.
  callback->ShowPropertiesCompleted(S_OK);
  return S_OK;
}

HRESULT STDMETHODCALLTYPE
OutsideHandler::SetProgressCallback(ISyncMgrSynchronizeCallback* lpCallBack) {
  // "the old interface must be released and the AddRef method of the new
  // interface must be called". The old one is released outside the lock.
  CallbackPtr replacement;
  if (lpCallBack != nullptr) {
    lpCallBack->AddRef();
    replacement = CallbackPtr::Adopt(lpCallBack);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::swap(callback_, replacement);
  }
  return S_OK;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::PrepareForSync(ULONG cbNumItems,
                                                         GUID* pItemIDs,
                                                         HWND /*hWndParent*/,
                                                         DWORD /*dwReserved*/) {
  if (cbNumItems != 0 && pItemIDs == nullptr) return E_INVALIDARG;
  CallbackPtr callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!callback_) return E_UNEXPECTED;
    if (synchronizing_) return E_UNEXPECTED;
    // Keep this handler's items, once each, in the order given; IDs it does
    // not know (left open by the page) are dropped.
    std::vector<GUID> items;
    try {
      for (ULONG i = 0; i < cbNumItems; ++i) {
        if (FindItem(pItemIDs[i]) != nullptr && !Contains(items, pItemIDs[i])) {
          items.push_back(pItemIDs[i]);
        }
      }
    } catch (const std::bad_alloc&) {
      return E_OUTOFMEMORY;
    }
    prepared_ = true;
    prepared_items_ = std::move(items);
    skipped_items_.clear();
    callback = callback_;
  }
  // No user interface is needed, so preparation is over: the
  // PrepareForSync page allows completing before returning.
  callback->PrepareForSyncCompleted(S_OK);
  return S_OK;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::Synchronize(HWND /*hWndParent*/) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!callback_ || !prepared_ || synchronizing_) return E_UNEXPECTED;
  try {
    AddRef();  // the worker's reference, dropped before it completes
    std::thread worker(&OutsideHandler::RunSynchronization,
                       syncmgr::com::ComPtr<OutsideHandler>::Adopt(this),
                       callback_, prepared_items_);
    worker.detach();
  } catch (const std::system_error&) {
    return E_OUTOFMEMORY;  // the arguments (and so the reference) are gone
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
  synchronizing_ = true;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::SetItemStatus(REFGUID pItemID,
                                                        DWORD dwSyncMgrStatus) {
  // "Currently, the only SYNCMGRSTATUS status value supported by the SyncMgr
  // is SYNCMGRSTATUS_SKIPPED."
  if (dwSyncMgrStatus != SYNCMGRSTATUS_SKIPPED) return E_INVALIDARG;
  if (FindItem(pItemID) == nullptr) return E_INVALIDARG;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!Contains(skipped_items_, pItemID)) {
      try {
        skipped_items_.push_back(pItemID);
      } catch (const std::bad_alloc&) {
        return E_OUTOFMEMORY;
      }
    }
  }
  skipped_changed_.notify_all();
  return S_OK;
}

HRESULT STDMETHODCALLTYPE OutsideHandler::ShowError(HWND /*hWndParent*/,
                                                    REFGUID /*ErrorID*/) {
  // This handler never logs an error with SYNCMGRERRORFLAG_ENABLEJUMPTEXT, so
  // there is nothing to show; if asked anyway it completes at once.
  CallbackPtr callback = CurrentCallback();
  if (!callback) return E_UNEXPECTED;
  callback->ShowErrorCompleted(S_OK, 0, nullptr);
  return S_OK;
}

OutsideHandler::CallbackPtr OutsideHandler::CurrentCallback() {
  std::lock_guard<std::mutex> lock(mu_);
  return callback_;
}

bool OutsideHandler::IsSkipped(REFGUID item) {
  return Contains(skipped_items_, item);
}

bool OutsideHandler::WorkOn(REFGUID item) {
  std::unique_lock<std::mutex> lock(mu_);
  // The item's work; SetItemStatus(SKIPPED) interrupts it ("The registered
  // application's handler should skip the item").
  return !skipped_changed_.wait_for(lock, kWorkPerItem,
                                    [&] { return IsSkipped(item); });
}

void OutsideHandler::RunSynchronization(
    syncmgr::com::ComPtr<OutsideHandler> self, CallbackPtr callback,
    std::vector<GUID> items) {
  const char16_t* event_name;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    event_name =
        EventName(self->initialized_ ? self->sync_flags_
                                     : static_cast<DWORD>(SYNCMGRFLAG_MANUAL));
  }
  for (const GUID& item : items) {
    bool skipped;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      skipped = self->IsSkipped(item);
    }
    if (!skipped) {
      // Progress before starting the item; its answer may cancel.
      const HRESULT answer = ReportProgress(
          callback.Get(), item, SYNCMGRSTATUS_UPDATING, u"Synchronizing", 0);
      if (answer == S_SYNCMGR_CANCELALL) break;
      skipped = answer == S_SYNCMGR_CANCELITEM || !self->WorkOn(item);
    }
    // The item's final status.
    const HRESULT answer =
        skipped ? ReportProgress(callback.Get(), item, SYNCMGRSTATUS_SKIPPED,
                                 u"Skipped", 1)
                : ReportProgress(callback.Get(), item, SYNCMGRSTATUS_SUCCEEDED,
                                 u"Synchronized", 1);
    if (answer == S_SYNCMGR_CANCELALL) break;
    // One information entry per item, without SYNCMGRLOGERRORINFO (the
    // LogError page: "Registered applications that do not provide this data
    // can pass NULL"), so no ShowError is ever offered.
    try {
      std::u16string text = u"Outside handler: ";
      text += FindItem(item)->name;
      text += skipped ? u" was skipped" : u" was synchronized";
      text += u" (";
      text += event_name;
      text += u").";
      callback->LogError(SYNCMGRLOGLEVEL_INFORMATION, text.c_str(), nullptr);
    } catch (const std::bad_alloc&) {
      // Out of memory for the text: the entry is informational only.
    }
  }
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->synchronizing_ = false;
  }
  // Drop the worker's reference first: once SynchronizeCompleted is called
  // the Sync Manager may release the handler, and it should then be gone.
  self.Reset();
  callback->SynchronizeCompleted(S_OK);
}

}  // namespace syncmgr::outside
