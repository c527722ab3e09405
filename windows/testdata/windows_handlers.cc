// windows_handlers.dll: five variants of the sample handler that behave
// the way real Windows handlers often do, for certify.exe under Wine:
//
//   {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A001}  window handler: delivers its
//       progress and completion from a hidden window of the thread that
//       called Synchronize; its worker thread SendMessage()s to that window,
//       so the manager's thread must keep dispatching messages while it
//       waits (certify passes it). Registered with ThreadingModel Apartment,
//       it keeps its items under HKCR\CLSID\{clsid}\HandlerItems (written by
//       DllRegisterServer: without regsvr32 it has no items).
//   {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A002}  marshaling handler: marshals the
//       callback to its own worker thread (CoMarshalInterThreadInterface-
//       InStream, the worker in the MTA); only an agile callback (the
//       free-threaded marshaler) reaches it without a proxy (certify passes
//       it).
//   {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A003}  modal handler: Synchronize opens a
//       message box nobody will close; certify must fail the scenario as
//       timed out and go on.
//   {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A004}  init-window handler: Initialize
//       creates a hidden top-level window, and Synchronize's callbacks come
//       from its window procedure, sent there with SendMessage by a worker
//       thread (ThreadingModel Apartment; certify passes it, in a Wine
//       prefix where top-level windows can be created).
//   {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0A005}  slow handler: synchronizes for
//       about 8 s, as handlers that talk to a server do: Synchronize returns
//       at once, and a worker thread (the callback marshaled to it, as for
//       the marshaling handler) works through the items, a Progress about
//       once a second, except for one wait of about 6 s without any (the
//       middle item "waiting for the server"), then SynchronizeCompleted
//       (S_OK). ThreadingModel Apartment; certify passes it with its default
//       limits (certify_windows_slow_handler_test).
//
// regsvr32 windows_handlers.dll registers the five CLSIDs and registers
// them with CLSID_SyncMgr (ISyncMgrRegister); regsvr32 /u undoes it.
#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/mobsync.h"
#include "reference/testing/item_list_enumerator.h"
#include "windows/platform/self_registration.h"

namespace {

using syncmgr::com::ComPtr;
using syncmgr::sample::SampleHandler;
using syncmgr::testing::ItemListEnumerator;

constexpr GUID kWindowHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xA0, 0x01}};
constexpr GUID kMarshalingHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xA0, 0x02}};
constexpr GUID kModalHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xA0, 0x03}};
constexpr GUID kInitWindowHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xA0, 0x04}};
constexpr GUID kSlowHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xA0, 0x05}};

HINSTANCE g_module = nullptr;

std::wstring ClsidText(const GUID& clsid) {
  wchar_t text[40] = {};
  StringFromGUID2(clsid, text, 40);
  return text;
}

std::wstring HandlerItemsKey() {
  return L"CLSID\\" + ClsidText(kWindowHandlerClsid) + L"\\HandlerItems";
}

// The sample handler, with the items of the last PrepareForSync and the
// skipped ones kept where subclasses can see them (SetItemStatus may come
// on another thread than the worker's that asks Skipped).
class VariantHandler : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    const HRESULT hr =
        SampleHandler::PrepareForSync(count, ids, parent, reserved);
    if (hr == S_OK) {
      chosen_.assign(ids, ids + count);
      std::lock_guard lock(mu_);
      skipped_.clear();
    }
    return hr;
  }
  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID item, DWORD status) override {
    const HRESULT hr = SampleHandler::SetItemStatus(item, status);
    if (hr == S_OK) {
      std::lock_guard lock(mu_);
      skipped_.push_back(item);
    }
    return hr;
  }

 protected:
  // Whether the manager skipped `item` (SetItemStatus SKIPPED).
  bool Skipped(const GUID& item) {
    std::lock_guard lock(mu_);
    return std::find(skipped_.begin(), skipped_.end(), item) != skipped_.end();
  }

  // Progress for each chosen item, then the completion, through `cb`.
  void Report(ISyncMgrSynchronizeCallback* cb) {
    const int total = static_cast<int>(chosen_.size());
    int done = 0;
    bool cancel_all = false;
    for (const GUID& item : chosen_) {
      const bool skip = cancel_all || Skipped(item);
      SYNCMGRPROGRESSITEM progress{};
      progress.cbSize = sizeof progress;
      progress.mask = SYNCMGRPROGRESSITEM_STATUSTYPE |
                      SYNCMGRPROGRESSITEM_PROGVALUE |
                      SYNCMGRPROGRESSITEM_MAXVALUE;
      progress.iMaxValue = total;
      progress.iProgValue = ++done;
      progress.dwStatusType =
          skip ? SYNCMGRSTATUS_SKIPPED : SYNCMGRSTATUS_SUCCEEDED;
      if (cb->Progress(item, &progress) == S_SYNCMGR_CANCELALL) {
        cancel_all = true;
      }
    }
    cb->SynchronizeCompleted(S_OK);
  }

  std::vector<GUID> chosen_;

 private:
  std::mutex mu_;
  std::vector<GUID> skipped_;
};

// ---- The window handler ----

constexpr UINT kReportMessage = WM_APP + 1;

LRESULT CALLBACK WindowProc(HWND window, UINT message, WPARAM wparam,
                            LPARAM lparam) {
  if (message == kReportMessage) {
    (*reinterpret_cast<std::function<void()>*>(lparam))();
    return 0;
  }
  return DefWindowProcW(window, message, wparam, lparam);
}

class WindowHandler final : public VariantHandler {
 public:
  // The items are the subkeys of HKCR\CLSID\{clsid}\HandlerItems: the
  // item ID, with the item's name as the default value.
  HRESULT STDMETHODCALLTYPE EnumSyncMgrItems(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    *out = nullptr;
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_CLASSES_ROOT, HandlerItemsKey().c_str(), 0, KEY_READ,
                      &key) != ERROR_SUCCESS) {
      return E_UNEXPECTED;  // not registered (regsvr32)
    }
    std::vector<SYNCMGRITEM> items;
    for (DWORD i = 0;; ++i) {
      wchar_t name[64];
      DWORD length = 64;
      if (RegEnumKeyExW(key, i, name, &length, nullptr, nullptr, nullptr,
                        nullptr) != ERROR_SUCCESS) {
        break;
      }
      SYNCMGRITEM item{};
      item.cbSize = sizeof item;
      item.dwItemState = SYNCMGRITEMSTATE_CHECKED;
      if (FAILED(CLSIDFromString(name, &item.ItemID))) continue;
      DWORD size = sizeof item.wszItemName;
      RegGetValueW(key, name, nullptr, RRF_RT_REG_SZ, nullptr, item.wszItemName,
                   &size);
      items.push_back(item);
    }
    RegCloseKey(key);
    *out = new ItemListEnumerator(std::move(items));
    return S_OK;
  }

  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> cb = Callback();
    if (!cb) return E_UNEXPECTED;
    static const ATOM atom = [] {
      WNDCLASSW cls{};
      cls.lpfnWndProc = WindowProc;
      cls.hInstance = g_module;
      cls.lpszClassName = L"SyncmgrWindowHandler";
      return RegisterClassW(&cls);
    }();
    if (atom == 0) return E_FAIL;
    // Hidden (never shown), owned by the thread that called Synchronize.
    HWND window = CreateWindowExW(0, L"SyncmgrWindowHandler", L"", 0, 0, 0, 0,
                                  0, nullptr, nullptr, g_module, nullptr);
    if (window == nullptr) return E_FAIL;
    AddRef();
    std::thread([this, window, cb] {
      std::function<void()> report = [&] { Report(cb.Get()); };
      // Blocks until the window's thread dispatches the message.
      SendMessageW(window, kReportMessage, 0,
                   reinterpret_cast<LPARAM>(&report));
      PostMessageW(window, WM_CLOSE, 0, 0);
      Release();
    }).detach();
    return S_OK;
  }
};

// ---- The init-window handler ----

// Like many handlers written for the old API: Initialize creates a hidden
// top-level window (a popup, never shown) on the calling thread, and every
// callback of Synchronize reaches the manager from that window's procedure,
// sent to it with SendMessage by a worker thread. It needs a desktop in
// which top-level windows can be created (under Wine: a graphics driver
// chosen before the prefix's wineserver started, windows/wine_prefix.sh)
// and a manager whose waiting thread dispatches messages.
class InitWindowHandler final : public VariantHandler {
 public:
  ~InitWindowHandler() override {
    if (window_ == nullptr) return;
    // Only the thread that created a window can destroy it; from another
    // thread (the worker's final Release) the window closes itself when its
    // thread next dispatches messages, or goes with that thread.
    if (GetWindowThreadProcessId(window_, nullptr) == GetCurrentThreadId()) {
      DestroyWindow(window_);
    } else {
      PostMessageW(window_, WM_CLOSE, 0, 0);
    }
  }

  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags,
                                       DWORD cookie_size,
                                       const BYTE* cookie) override {
    const HRESULT hr =
        VariantHandler::Initialize(reserved, flags, cookie_size, cookie);
    if (hr != S_OK || window_ != nullptr) return hr;
    static const ATOM atom = [] {
      WNDCLASSW cls{};
      cls.lpfnWndProc = WindowProc;
      cls.hInstance = g_module;
      cls.lpszClassName = L"SyncmgrInitWindowHandler";
      return RegisterClassW(&cls);
    }();
    if (atom == 0) return HRESULT_FROM_WIN32(GetLastError());
    window_ = CreateWindowExW(WS_EX_TOOLWINDOW, L"SyncmgrInitWindowHandler",
                              L"", WS_POPUP, 0, 0, 0, 0, nullptr, nullptr,
                              g_module, nullptr);
    return window_ != nullptr ? S_OK : HRESULT_FROM_WIN32(GetLastError());
  }

  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> cb = Callback();
    if (!cb || window_ == nullptr) return E_UNEXPECTED;
    auto* work = new Work{this, cb};
    AddRef();
    const HANDLE thread =
        CreateThread(nullptr, 0, &InitWindowHandler::Run, work, 0, nullptr);
    if (thread == nullptr) {
      const HRESULT error = HRESULT_FROM_WIN32(GetLastError());
      delete work;
      Release();
      return error;
    }
    CloseHandle(thread);
    return S_OK;
  }

 private:
  struct Work {
    InitWindowHandler* handler;
    ComPtr<ISyncMgrSynchronizeCallback> callback;
  };
  static DWORD WINAPI Run(void* context) {
    Work* work = static_cast<Work*>(context);
    std::function<void()> report = [work] {
      work->handler->Report(work->callback.Get());
    };
    // Blocks until the window's thread dispatches the message; the
    // progress and the completion are called from the window procedure.
    SendMessageW(work->handler->window_, kReportMessage, 0,
                 reinterpret_cast<LPARAM>(&report));
    InitWindowHandler* handler = work->handler;
    delete work;
    handler->Release();
    return 0;
  }

  HWND window_ = nullptr;
};

// ---- The marshaling handler ----

class MarshalingHandler : public VariantHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> cb = Callback();
    if (!cb) return E_UNEXPECTED;
    IStream* stream = nullptr;
    const HRESULT hr = CoMarshalInterThreadInterfaceInStream(
        IID_ISyncMgrSynchronizeCallback, cb.Get(), &stream);
    if (FAILED(hr)) return hr;
    // A Win32 thread, not a detached std::thread: with winpthreads
    // (MinGW-w64 10.0) a detached worker now and then never ran its
    // function when the previous one had ended before its detach(), so the
    // session got no completion and the handler and the callback were never
    // released (windows/README.md, "What real COM changes").
    auto* work = new Work{this, stream};
    AddRef();
    const HANDLE thread =
        CreateThread(nullptr, 0, &MarshalingHandler::Run, work, 0, nullptr);
    if (thread == nullptr) {
      const HRESULT error = HRESULT_FROM_WIN32(GetLastError());
      CoReleaseMarshalData(stream);
      stream->Release();
      delete work;
      Release();
      return error;
    }
    CloseHandle(thread);
    return S_OK;
  }

 protected:
  // The worker's job, in the MTA with the unmarshaled callback: progress
  // for each chosen item, then the completion.
  virtual void SynchronizeOnWorker(ISyncMgrSynchronizeCallback* cb) {
    Report(cb);
  }

 private:
  struct Work {
    MarshalingHandler* handler;
    IStream* stream;
  };
  static DWORD WINAPI Run(void* context) {
    const Work work = *static_cast<Work*>(context);
    delete static_cast<Work*>(context);
    CoInitializeEx(nullptr, COINIT_MULTITHREADED);
    ISyncMgrSynchronizeCallback* mine = nullptr;
    if (SUCCEEDED(CoGetInterfaceAndReleaseStream(
            work.stream, IID_ISyncMgrSynchronizeCallback,
            reinterpret_cast<void**>(&mine)))) {
      work.handler->SynchronizeOnWorker(mine);
      mine->Release();
    }  // else no completion: the manager times the session out
    CoUninitialize();
    work.handler->Release();
    return 0;
  }
};

// ---- The slow handler ----

// Synchronizes like a handler that talks to a server: each item takes
// about a second, with a Progress when it starts and when it ends, except
// the middle one, which waits about 6 s for the server between its two
// (three items: about 8 s in all, one silent stretch of 6 s). A manager
// must wait for the completion that long (certify's defaults: 30 s of
// silence, each Progress restarting the wait, 120 s per scenario). An item
// skipped while it is worked on (SetItemStatus SKIPPED) is given up within
// 50 ms; a Progress answered S_SYNCMGR_CANCELITEM or S_SYNCMGR_CANCELALL
// gives up that item or every remaining one.
class SlowHandler final : public MarshalingHandler {
 public:
  static constexpr DWORD kItemMs = 1000;
  static constexpr DWORD kServerWaitMs = 6000;

 protected:
  void SynchronizeOnWorker(ISyncMgrSynchronizeCallback* cb) override {
    bool cancel_all = false;
    const size_t waits_for_server = chosen_.size() / 2;
    for (size_t i = 0; i < chosen_.size(); ++i) {
      const GUID& item = chosen_[i];
      if (cancel_all || Skipped(item)) {
        Send(cb, item, SYNCMGRSTATUS_SKIPPED, 0, L"Skipped");
        continue;
      }
      HRESULT answer = Send(cb, item, SYNCMGRSTATUS_UPDATING, 0, L"Connecting");
      if (answer == S_SYNCMGR_CANCELALL) cancel_all = true;
      // The middle item is silent longer: blocked on the server, as a
      // network call would be.
      const bool done =
          answer != S_SYNCMGR_CANCELITEM && !cancel_all &&
          WaitUnlessSkipped(item,
                            i == waits_for_server ? kServerWaitMs : kItemMs);
      if (!done) {
        Send(cb, item, SYNCMGRSTATUS_SKIPPED, 1, L"Cancelled");
        continue;
      }
      answer = Send(cb, item, SYNCMGRSTATUS_SUCCEEDED, 2, L"Up to date");
      if (answer == S_SYNCMGR_CANCELALL) cancel_all = true;
    }
    cb->SynchronizeCompleted(S_OK);
  }

 private:
  // Progress for `item`: `value` of 2 steps.
  static HRESULT Send(ISyncMgrSynchronizeCallback* cb, const GUID& item,
                      DWORD status, INT value, const wchar_t* text) {
    SYNCMGRPROGRESSITEM progress{};
    progress.cbSize = sizeof progress;
    progress.mask =
        SYNCMGRPROGRESSITEM_STATUSTYPE | SYNCMGRPROGRESSITEM_PROGVALUE |
        SYNCMGRPROGRESSITEM_MAXVALUE | SYNCMGRPROGRESSITEM_STATUSTEXT;
    progress.iMaxValue = 2;
    progress.iProgValue = value;
    progress.dwStatusType = status;
    progress.lpcStatusText = text;
    return cb->Progress(item, &progress);
  }

  // Sleeps `ms`; false, at once, when the manager skips `item` meanwhile.
  bool WaitUnlessSkipped(const GUID& item, DWORD ms) {
    const ULONGLONG end = GetTickCount64() + ms;
    for (;;) {
      if (Skipped(item)) return false;
      const ULONGLONG now = GetTickCount64();
      if (now >= end) return true;
      Sleep(static_cast<DWORD>(std::min<ULONGLONG>(end - now, 50)));
    }
  }
};

// ---- The modal handler ----

class ModalHandler final : public VariantHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND parent) override {
    MessageBoxW(parent, L"Synchronizing: press OK", L"Modal handler", MB_OK);
    return VariantHandler::Synchronize(parent);
  }
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
  if (IsEqualCLSID(clsid, kWindowHandlerClsid)) {
    return syncmgr::com::GetClassObjectFor<WindowHandler>(kWindowHandlerClsid,
                                                          clsid, riid, ppv);
  }
  if (IsEqualCLSID(clsid, kInitWindowHandlerClsid)) {
    return syncmgr::com::GetClassObjectFor<InitWindowHandler>(
        kInitWindowHandlerClsid, clsid, riid, ppv);
  }
  if (IsEqualCLSID(clsid, kSlowHandlerClsid)) {
    return syncmgr::com::GetClassObjectFor<SlowHandler>(kSlowHandlerClsid,
                                                        clsid, riid, ppv);
  }
  if (IsEqualCLSID(clsid, kMarshalingHandlerClsid)) {
    return syncmgr::com::GetClassObjectFor<MarshalingHandler>(
        kMarshalingHandlerClsid, clsid, riid, ppv);
  }
  return syncmgr::com::GetClassObjectFor<ModalHandler>(kModalHandlerClsid,
                                                       clsid, riid, ppv);
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }

namespace {

struct Registration {
  const GUID* clsid;
  const wchar_t* name;
  const wchar_t* threading_model;
};
constexpr Registration kRegistrations[] = {
    {&kWindowHandlerClsid, L"Window handler", L"Apartment"},
    {&kMarshalingHandlerClsid, L"Marshaling handler", L"Both"},
    {&kModalHandlerClsid, L"Modal handler", L"Both"},
    {&kInitWindowHandlerClsid, L"Init-window handler", L"Apartment"},
    {&kSlowHandlerClsid, L"Slow handler", L"Apartment"},
};

bool SetString(HKEY root, const std::wstring& key, const wchar_t* name,
               const std::wstring& value) {
  return RegSetKeyValueW(root, key.c_str(), name, REG_SZ, value.c_str(),
                         static_cast<DWORD>((value.size() + 1) *
                                            sizeof(wchar_t))) == ERROR_SUCCESS;
}

}  // namespace

STDAPI DllRegisterServer() {
  for (const Registration& r : kRegistrations) {
    if (HRESULT hr = syncmgr::windows::RegisterSyncHandler(
            g_module, *r.clsid, r.name, r.threading_model);
        FAILED(hr)) {
      return hr;
    }
  }
  const wchar_t* names[] = {L"Inbox", L"Outbox", L"Archive"};
  for (int i = 0; i < 3; ++i) {
    const std::wstring item =
        HandlerItemsKey() + L"\\" + ClsidText(syncmgr::sample::SampleItemId(i));
    if (!SetString(HKEY_CLASSES_ROOT, item, nullptr, names[i])) {
      return SELFREG_E_CLASS;
    }
  }
  return S_OK;
}

STDAPI DllUnregisterServer() {
  HRESULT result = S_OK;
  for (const Registration& r : kRegistrations) {
    const HRESULT hr = syncmgr::windows::UnregisterSyncHandler(*r.clsid);
    if (FAILED(hr) && SUCCEEDED(result)) result = hr;
  }
  return result;
}
