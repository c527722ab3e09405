// File: conformance/handlers/outside/outside_handler.h
//
// The outside handler: an ISyncMgrSynchronize handler serving CLSID
// {0E75DE00-0000-4000-8000-0000000000A1}, written from Microsoft's public
// mobsync.h pages alone, as a vendor outside the project would write it. It
// exists to check that //conformance:certify accepts a correct handler whose
// choices on the points the pages leave open differ from the project's
// sample handler. Its choices:
//
//  - Three items ("Outside item 1..3"); the second is
//    SYNCMGRITEMSTATE_UNCHECKED; every item carries SYNCMGRITEM_LASTUPDATETIME
//    with a real ftLastUpdate. No item and not the handler has properties.
//  - Initialize returns S_OK for every event code and every cookie
//    (including none), keeping a copy of the cookie bytes.
//  - GetHandlerInfo: "Outside handler", flags 0, no icon; E_INVALIDARG for a
//    NULL pointer.
//  - PrepareForSync keeps the handler's own items among the IDs it is given
//    and calls PrepareForSyncCompleted(S_OK) before it returns.
//  - Synchronize returns S_OK at once; a worker thread (holding a reference
//    to the handler until just before it completes) then, for each prepared
//    item, calls Progress (UPDATING) before starting it, works ~20 ms,
//    reports its final status with Progress (SUCCEEDED or SKIPPED) and logs
//    one SYNCMGRLOGLEVEL_INFORMATION entry without SYNCMGRLOGERRORINFO.
//    S_SYNCMGR_CANCELITEM skips the item; S_SYNCMGR_CANCELALL stops
//    everything (no further Progress or LogError). It ends with exactly one
//    SynchronizeCompleted(S_OK), from the worker.
//  - SetItemStatus(SYNCMGRSTATUS_SKIPPED) skips the item, even if its work
//    has begun; other statuses are E_INVALIDARG.
//  - ShowProperties and ShowError (never offered: no ENABLEJUMPTEXT) return
//    S_OK after calling ShowPropertiesCompleted(S_OK) /
//    ShowErrorCompleted(S_OK, 0, NULL).
//  - Methods that must answer through the callback return E_UNEXPECTED when
//    no callback was set.
//
// Example (what the module's class factory does):
//   OutsideHandler* handler = new OutsideHandler();
//   HRESULT hr = handler->QueryInterface(riid, ppv);
//   handler->Release();
#ifndef SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_HANDLER_H_
#define SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_HANDLER_H_

#include <condition_variable>
#include <mutex>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::outside {

// {0E75DE00-0000-4000-8000-0000000000A1}
DEFINE_GUID(CLSID_OutsideHandler, 0x0E75DE00, 0x0000, 0x4000, 0x80, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xA1);

// The handler's items, in enumeration order.
std::vector<SYNCMGRITEM> MakeOutsideItems();

class OutsideHandler final : public syncmgr::com::Object<ISyncMgrSynchronize> {
 public:
  OutsideHandler() = default;

  // ISyncMgrSynchronize.
  HRESULT STDMETHODCALLTYPE Initialize(DWORD dwReserved, DWORD dwSyncMgrFlags,
                                       DWORD cbCookie,
                                       const BYTE* lpCookie) override;
  HRESULT STDMETHODCALLTYPE
  GetHandlerInfo(SYNCMGRHANDLERINFO** ppSyncMgrHandlerInfo) override;
  HRESULT STDMETHODCALLTYPE
  EnumSyncMgrItems(ISyncMgrEnumItems** ppSyncMgrEnumItems) override;
  HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID ItemID, REFIID riid,
                                          void** ppv) override;
  HRESULT STDMETHODCALLTYPE ShowProperties(HWND hWndParent,
                                           REFGUID ItemID) override;
  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* lpCallBack) override;
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG cbNumItems, GUID* pItemIDs,
                                           HWND hWndParent,
                                           DWORD dwReserved) override;
  HRESULT STDMETHODCALLTYPE Synchronize(HWND hWndParent) override;
  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID pItemID,
                                          DWORD dwSyncMgrStatus) override;
  HRESULT STDMETHODCALLTYPE ShowError(HWND hWndParent,
                                      REFGUID ErrorID) override;

 private:
  using CallbackPtr = syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback>;

  ~OutsideHandler() override = default;

  // The worker's body: synchronizes `items` reporting to `callback`, then
  // drops `self` (the worker's reference to this handler) and calls
  // SynchronizeCompleted. Touches no member after dropping `self`.
  static void RunSynchronization(syncmgr::com::ComPtr<OutsideHandler> self,
                                 CallbackPtr callback, std::vector<GUID> items);
  // Works on one item for ~20 ms; returns false if the item was skipped
  // (SetItemStatus) meanwhile.
  bool WorkOn(REFGUID item);
  bool IsSkipped(REFGUID item);  // requires mu_
  CallbackPtr CurrentCallback();

  std::mutex mu_;
  std::condition_variable skipped_changed_;
  // Everything below is guarded by mu_.
  bool initialized_ = false;
  DWORD sync_flags_ = 0;
  std::vector<BYTE> cookie_;  // a copy: lpCookie is valid only during the call
  CallbackPtr callback_;
  bool prepared_ = false;
  std::vector<GUID> prepared_items_;
  std::vector<GUID> skipped_items_;
  bool synchronizing_ = false;
};

}  // namespace syncmgr::outside

#endif  // SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_HANDLER_H_
