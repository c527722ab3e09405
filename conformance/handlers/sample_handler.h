// File: conformance/handlers/sample_handler.h
//
// A correct ISyncMgrSynchronize handler, written as the example a vendor can
// copy: it copies the cookie it is given, describes itself with a
// CoTaskMemAlloc'd SYNCMGRHANDLERINFO, enumerates three items, and
// synchronizes them on a worker thread of its own, reporting progress for
// each item (and honouring cancellation) before it calls
// SynchronizeCompleted from that thread. `certify` passes it on every
// requirement; it is the default handler of the README's first command.
//
// Built as the plug-in //conformance/handlers:sample_handler.so, which
// serves kSampleHandlerClsid:
//   bazel run //conformance:certify    (certifies this handler by default)
#ifndef SYNCMGR_CONFORMANCE_HANDLERS_SAMPLE_HANDLER_H_
#define SYNCMGR_CONFORMANCE_HANDLERS_SAMPLE_HANDLER_H_

#include <mutex>
#include <thread>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::sample {

// {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE00001}
inline constexpr GUID kSampleHandlerClsid = {
    0x5A3F1E00,
    0x6D2B,
    0x4C1A,
    {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0x00, 0x01}};

// The items the handler offers: {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE001NN}.
GUID SampleItemId(int n);

class SampleHandler : public syncmgr::com::Object<ISyncMgrSynchronize> {
 public:
  SampleHandler();

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

 protected:
  ~SampleHandler() override;

  // The callback the handler holds (AddRef'd), or null.
  syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback> Callback();
  // The cookie bytes, copied in Initialize (the pointer is valid only
  // during that call).
  const std::vector<BYTE>& cookie() const { return cookie_; }
  // The worker's job: progress for each chosen item, then the completion.
  // Variants that synchronize inside Synchronize call it themselves.
  void SynchronizeItems(
      syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback> callback);

 private:
  bool IsKnownItem(const GUID& id) const;

  std::mutex mu_;
  DWORD flags_ = 0;
  std::vector<BYTE> cookie_;
  syncmgr::com::ComPtr<ISyncMgrSynchronizeCallback> callback_;
  std::vector<GUID> chosen_;   // from PrepareForSync
  std::vector<GUID> skipped_;  // from SetItemStatus(SKIPPED)
  std::thread worker_;
};

}  // namespace syncmgr::sample

#endif  // SYNCMGR_CONFORMANCE_HANDLERS_SAMPLE_HANDLER_H_
