// registry_items_handler.dll: a handler whose items come only from its own
// configuration in the registry, as many real handlers' do (their items are
// the user's folders, accounts or mailboxes, configured by their own
// program). Initialize reads
//
//   HKCU\Software\SyncmgrConformance\RegistryItemsHandler\Items
//     \{item GUID}    (default) = the item's name
//
// and the handler enumerates, prepares and synchronizes exactly those items
// (PrepareForSync and SetItemStatus refuse any other ID with E_INVALIDARG),
// on a worker thread of its own, ending with a summary that offers
// ShowError, as the sample handler does.
// Without that key it enumerates no items: in a fresh Wine prefix certify
// cannot exercise its items, unless certify_windows imports
// windows/testdata/registry_items.reg (three items) with
// --registry=FILE.reg. windows/certify_windows_test.sh checks both.
//
//   regsvr32 registry_items_handler.dll
//     -> HKCR\CLSID\{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0D001}\InprocServer32
//        = this DLL, ThreadingModel Apartment (no items: those are the
//        user's configuration)
//     -> CoCreateInstance(CLSID_SyncMgr) -> ISyncMgrRegister::
//        RegisterSyncMgrHandler
//   regsvr32 /u registry_items_handler.dll   undoes both (the
//        configuration stays, as the user's data would).
#include <windows.h>

#include <algorithm>
#include <cstring>
#include <cwchar>
#include <mutex>
#include <utility>
#include <vector>

#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/mobsync.h"
#include "reference/testing/item_list_enumerator.h"
#include "windows/platform/self_registration.h"

namespace {

using syncmgr::com::ComPtr;
using syncmgr::testing::ItemListEnumerator;

// {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0D001}
constexpr GUID kClsid = {0x5A3F1E00,
                         0x6D2B,
                         0x4C1A,
                         {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xD0, 0x01}};
constexpr wchar_t kItemsKey[] =
    L"Software\\SyncmgrConformance\\RegistryItemsHandler\\Items";
constexpr wchar_t kName[] = L"Registry items handler";
// The ErrorID of the summary logged at the end of Synchronize.
constexpr GUID kSummaryErrorId = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xD2, 0x01}};

HINSTANCE g_module = nullptr;

// The configured items: one per subkey of kItemsKey whose name is a GUID
// ({...}), named by its default value (the GUID itself when it has none).
// No key: no items.
std::vector<SYNCMGRITEM> ReadItems() {
  std::vector<SYNCMGRITEM> items;
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_CURRENT_USER, kItemsKey, 0, KEY_READ, &key) !=
      ERROR_SUCCESS) {
    return items;
  }
  for (DWORD i = 0;; ++i) {
    wchar_t id[64];
    DWORD length = 64;
    if (RegEnumKeyExW(key, i, id, &length, nullptr, nullptr, nullptr,
                      nullptr) != ERROR_SUCCESS) {
      break;
    }
    SYNCMGRITEM item{};
    item.cbSize = sizeof item;
    item.dwItemState = SYNCMGRITEMSTATE_CHECKED;
    if (FAILED(CLSIDFromString(id, &item.ItemID))) continue;
    DWORD size = sizeof item.wszItemName;
    if (RegGetValueW(key, id, nullptr, RRF_RT_REG_SZ, nullptr, item.wszItemName,
                     &size) != ERROR_SUCCESS ||
        item.wszItemName[0] == L'\0') {
      wcsncpy(item.wszItemName, id, MAX_SYNCMGRITEMNAME - 1);
      item.wszItemName[MAX_SYNCMGRITEMNAME - 1] = L'\0';
    }
    items.push_back(item);
  }
  RegCloseKey(key);
  return items;
}

// The sample handler (Initialize, GetHandlerInfo, the callback, ...) with
// the configured items instead of the sample's three.
class Handler final : public syncmgr::sample::SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags,
                                       DWORD cookie_size,
                                       const BYTE* cookie) override {
    const HRESULT hr =
        SampleHandler::Initialize(reserved, flags, cookie_size, cookie);
    if (hr != S_OK) return hr;
    std::vector<SYNCMGRITEM> items = ReadItems();
    std::lock_guard lock(mu_);
    items_ = std::move(items);
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** info) override {
    const HRESULT hr = SampleHandler::GetHandlerInfo(info);
    if (hr == S_OK) std::memcpy((*info)->wszHandlerName, kName, sizeof kName);
    return hr;
  }

  HRESULT STDMETHODCALLTYPE EnumSyncMgrItems(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    std::lock_guard lock(mu_);
    *out = new (std::nothrow) ItemListEnumerator(items_);
    return *out != nullptr ? S_OK : E_OUTOFMEMORY;
  }

  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND,
                                           DWORD) override {
    if (count > 0 && ids == nullptr) return E_INVALIDARG;
    {
      std::lock_guard lock(mu_);
      for (ULONG i = 0; i < count; ++i) {
        if (!IsConfigured(ids[i])) return E_INVALIDARG;
      }
      chosen_.assign(ids, ids + count);
      skipped_.clear();
    }
    // Nothing to log on to: preparation is done.
    if (ComPtr<ISyncMgrSynchronizeCallback> cb = Callback()) {
      cb->PrepareForSyncCompleted(S_OK);
    }
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> cb = Callback();
    if (!cb) return E_UNEXPECTED;  // SetProgressCallback never came
    // A Win32 worker thread, which holds the handler and the callback until
    // it has reported the completion.
    auto* work = new (std::nothrow) Work{this, cb};
    if (work == nullptr) return E_OUTOFMEMORY;
    AddRef();
    const HANDLE thread =
        CreateThread(nullptr, 0, &Handler::Run, work, 0, nullptr);
    if (thread == nullptr) {
      const HRESULT error = HRESULT_FROM_WIN32(GetLastError());
      delete work;
      Release();
      return error;
    }
    CloseHandle(thread);
    return S_OK;
  }

  // Only the summary offers ShowError; headless, it completes at once.
  HRESULT STDMETHODCALLTYPE ShowError(HWND, REFGUID error) override {
    if (!IsEqualGUID(error, kSummaryErrorId)) return E_INVALIDARG;
    if (ComPtr<ISyncMgrSynchronizeCallback> cb = Callback()) {
      cb->ShowErrorCompleted(S_OK, 0, nullptr);
    }
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID item, DWORD status) override {
    // SKIPPED is the only status the manager sends.
    if (status != SYNCMGRSTATUS_SKIPPED) return E_INVALIDARG;
    std::lock_guard lock(mu_);
    if (!IsConfigured(item)) return E_INVALIDARG;
    skipped_.push_back(item);
    return S_OK;
  }

 private:
  struct Work {
    Handler* handler;
    ComPtr<ISyncMgrSynchronizeCallback> callback;
  };
  static DWORD WINAPI Run(void* context) {
    Work* work = static_cast<Work*>(context);
    work->handler->SynchronizeItems(work->callback.Get());
    Handler* handler = work->handler;
    delete work;
    handler->Release();
    return 0;
  }

  // Progress for each chosen item (UPDATING, then SUCCEEDED or SKIPPED;
  // a cancel from the manager is honoured), then the completion.
  void SynchronizeItems(ISyncMgrSynchronizeCallback* cb) {
    std::vector<GUID> chosen;
    {
      std::lock_guard lock(mu_);
      chosen = chosen_;
    }
    const int total = static_cast<int>(chosen.size());
    int done = 0;
    bool cancel_all = false;
    for (const GUID& item : chosen) {
      bool skip = cancel_all;
      {
        std::lock_guard lock(mu_);
        skip = skip || std::find(skipped_.begin(), skipped_.end(), item) !=
                           skipped_.end();
      }
      SYNCMGRPROGRESSITEM progress{};
      progress.cbSize = sizeof progress;
      progress.mask = SYNCMGRPROGRESSITEM_STATUSTYPE |
                      SYNCMGRPROGRESSITEM_PROGVALUE |
                      SYNCMGRPROGRESSITEM_MAXVALUE;
      progress.iMaxValue = total;
      progress.iProgValue = done;
      progress.dwStatusType =
          skip ? SYNCMGRSTATUS_SKIPPED : SYNCMGRSTATUS_UPDATING;
      const HRESULT answer = cb->Progress(item, &progress);
      ++done;
      if (skip || answer == S_SYNCMGR_CANCELITEM) continue;
      if (answer == S_SYNCMGR_CANCELALL) {
        cancel_all = true;
        continue;
      }
      progress.dwStatusType = SYNCMGRSTATUS_SUCCEEDED;
      progress.iProgValue = done;
      cb->Progress(item, &progress);
    }
    // A summary the user can open (ENABLEJUMPTEXT): ShowError may follow.
    SYNCMGRLOGERRORINFO summary{};
    summary.cbSize = sizeof summary;
    summary.mask = SYNCMGRLOGERROR_ERRORFLAGS | SYNCMGRLOGERROR_ERRORID;
    summary.dwSyncMgrErrorFlags = SYNCMGRERRORFLAG_ENABLEJUMPTEXT;
    summary.ErrorID = kSummaryErrorId;
    cb->LogError(
        SYNCMGRLOGLEVEL_INFORMATION,
        cancel_all ? L"Synchronization cancelled" : L"Synchronization finished",
        &summary);
    cb->SynchronizeCompleted(S_OK);
  }

  // Called with mu_ held.
  bool IsConfigured(const GUID& id) const {
    return std::any_of(
        items_.begin(), items_.end(),
        [&](const SYNCMGRITEM& item) { return IsEqualGUID(item.ItemID, id); });
  }

  std::mutex mu_;
  std::vector<SYNCMGRITEM> items_;  // read in Initialize
  std::vector<GUID> chosen_;        // from PrepareForSync
  std::vector<GUID> skipped_;       // from SetItemStatus(SKIPPED)
};

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<Handler>(kClsid, clsid, riid, ppv);
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }

STDAPI DllRegisterServer() {
  return syncmgr::windows::RegisterSyncHandler(g_module, kClsid, kName,
                                               L"Apartment");
}

STDAPI DllUnregisterServer() {
  return syncmgr::windows::UnregisterSyncHandler(kClsid);
}
