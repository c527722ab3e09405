// File: reference/testing/mock_handler.h
//
// A GoogleMock sync handler for tests: `HandlerMock` holds the expectations
// (a plain gMock class), and every CoCreateInstance of its CLSID hands out a
// fresh COM object (`ISyncMgrSynchronize`) that forwards each call to it, so
// the manager sees a real in-process handler with its own reference count,
// created and destroyed per session.
//
// By default (ON_CALL) the mock is a well-behaved handler: Initialize S_OK,
// a handler info allocated with CoTaskMemAlloc, the items of `items`,
// completions called from inside PrepareForSync/Synchronize. Tests replace
// single behaviours with EXPECT_CALL / ON_CALL, and use the actions below
// for faults (completions from another thread, no completion, ...).
//
// Example:
//   testing::NiceMock<syncmgr::testing::HandlerMock> mock;
//   syncmgr::testing::RegisteredHandler handler(kClsid, &mock);
//   EXPECT_CALL(mock, Initialize(0, _, 3, _)).WillOnce(Return(S_OK));
//   invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 3, cookie);
//   mock.WaitUntilDestroyed(std::chrono::seconds(5));
#ifndef SYNCMGR_REFERENCE_TESTING_MOCK_HANDLER_H_
#define SYNCMGR_REFERENCE_TESTING_MOCK_HANDLER_H_

#include <gmock/gmock.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::testing {

// A SYNCMGRITEM with a name, cbSize and state filled in.
SYNCMGRITEM MakeItem(const GUID& id, const WCHAR* name,
                     DWORD state = SYNCMGRITEMSTATE_CHECKED);

// GUIDs for tests: {5E570000-0000-0000-0000-0000000000NN}.
GUID TestGuid(int n);

class HandlerMock {
 public:
  HandlerMock();
  virtual ~HandlerMock();

  // Lifetime of the COM objects handed out for this mock.
  MOCK_METHOD(void, Created, ());
  MOCK_METHOD(void, Destroyed, ());

  MOCK_METHOD(HRESULT, Initialize,
              (DWORD reserved, DWORD flags, DWORD cb_cookie,
               const BYTE* cookie));
  MOCK_METHOD(HRESULT, GetHandlerInfo, (SYNCMGRHANDLERINFO * *info));
  MOCK_METHOD(HRESULT, EnumSyncMgrItems, (ISyncMgrEnumItems * *items));
  MOCK_METHOD(HRESULT, GetItemObject,
              (const GUID& item, const IID& riid, void** ppv));
  MOCK_METHOD(HRESULT, ShowProperties, (HWND parent, const GUID& item));
  MOCK_METHOD(HRESULT, SetProgressCallback,
              (ISyncMgrSynchronizeCallback * callback));
  MOCK_METHOD(HRESULT, PrepareForSync,
              (ULONG count, GUID* ids, HWND parent, DWORD reserved));
  MOCK_METHOD(HRESULT, Synchronize, (HWND parent));
  MOCK_METHOD(HRESULT, SetItemStatus, (const GUID& item, DWORD status));
  MOCK_METHOD(HRESULT, ShowError, (HWND parent, const GUID& error));

  // The items the default EnumSyncMgrItems returns.
  std::vector<SYNCMGRITEM> items;
  // The handler name the default GetHandlerInfo returns.
  std::basic_string<WCHAR> name = WSTR("Mock handler");

  // The callback the handler holds (set by SetProgressCallback: the new one
  // AddRef'd, the old one released, HS-009), or null. Inside a method of a
  // handler object (a mock action), that object's own callback; elsewhere
  // the one set last.
  syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback> callback();

  // The item IDs of the last PrepareForSync.
  std::vector<GUID> prepared_items();

  // Every call the handler objects received, in order, by method name
  // ("Created", "Initialize", ..., "SetProgressCallback(callback)",
  // "SetProgressCallback(NULL)", ..., "Destroyed"), for tests that judge the
  // order of calls one requirement at a time.
  std::vector<std::string> calls();

  // The last COM object handed out for this mock (not AddRef'd), for tests
  // that inject reference-counting faults.
  IUnknown* last_object();

  // Inside a method of a handler object (a mock action): that object's
  // number, 1 for the first object handed out, 2 for the next, ... (unlike
  // its address, never reused), for tests that judge calls per object.
  // Elsewhere 0.
  int current_object_number();

  int objects_created();
  int objects_alive();
  // Blocks until every object handed out has been destroyed and at least
  // `created` were created. Returns false on timeout.
  bool WaitUntilDestroyed(std::chrono::milliseconds timeout, int created = 1);

  // Runs `work` on a new thread, joined when the mock is destroyed or
  // JoinThreads() is called (for completions from another thread).
  void RunOnThread(std::function<void()> work);
  void JoinThreads();

 private:
  friend class HandlerObject;
  void Log(const char* call);
  void ObjectCreated(IUnknown* object);
  void ObjectDestroyed(const void* object);
  void StoreCallback(const void* object, ISyncMgrSynchronizeCallback* callback);

  std::mutex mu_;
  std::condition_variable cv_;
  syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback> callback_;
  const void* callback_owner_ = nullptr;
  // Each live object's callback, for callback() inside its own methods.
  std::map<const void*, syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback>>
      callbacks_;
  IUnknown* last_object_ = nullptr;
  // Each live object's number (current_object_number).
  std::map<const void*, int> numbers_;
  std::vector<GUID> prepared_;
  std::vector<std::string> calls_;
  int created_ = 0;
  int alive_ = 0;
  std::vector<std::thread> threads_;
};

// Registers a class object for `clsid` with the host COM runtime
// (CoRegisterClassObject) that creates HandlerObjects forwarding to `mock`;
// revoked on destruction. Does not register with any Sync Manager.
class RegisteredHandler {
 public:
  RegisteredHandler(const GUID& clsid, HandlerMock* mock);
  ~RegisteredHandler();
  RegisteredHandler(const RegisteredHandler&) = delete;
  RegisteredHandler& operator=(const RegisteredHandler&) = delete;

 private:
  DWORD cookie_ = 0;
};

// An ISyncMgrEnumItems over a fixed list.
HRESULT CreateItemEnumerator(std::vector<SYNCMGRITEM> items,
                             ISyncMgrEnumItems** out);

}  // namespace syncmgr::testing

#endif  // SYNCMGR_REFERENCE_TESTING_MOCK_HANDLER_H_
