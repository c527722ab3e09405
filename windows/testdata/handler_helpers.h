// File: windows/testdata/handler_helpers.h
//
// Pieces the bundled Windows test handlers (windows/testdata/*.cc) share:
//
//   ListEnumerator      an ISyncMgrEnumItems over a fixed list of items,
//                       for handlers whose items are not the sample's
//                       (e.g. read from the registry):
//                         *out = new ListEnumerator(std::move(items));
//   WithSyncManager(f)  f(ISyncMgrRegister*) on CLSID_SyncMgr's object,
//                       with COM initialized (STA) around it, for
//                       DllRegisterServer and DllUnregisterServer:
//                         return WithSyncManager([](ISyncMgrRegister* reg) {
//                           return reg->RegisterSyncMgrHandler(kClsid, L"", 0);
//                         });
#ifndef SYNCMGR_WINDOWS_TESTDATA_HANDLER_HELPERS_H_
#define SYNCMGR_WINDOWS_TESTDATA_HANDLER_HELPERS_H_

#include <new>
#include <utility>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"
#include "reference/testing/item_list_enumerator.h"

namespace syncmgr::testdata {

// reference/testing/item_list_enumerator.h: the COM enumerator rules.
using ListEnumerator = syncmgr::testing::ItemListEnumerator;

template <typename Call>
HRESULT WithSyncManager(Call&& call) {
  const HRESULT init = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  ISyncMgrRegister* reg = nullptr;
  HRESULT hr =
      CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                       IID_ISyncMgrRegister, reinterpret_cast<void**>(&reg));
  if (SUCCEEDED(hr)) {
    hr = call(reg);
    reg->Release();
  }
  if (SUCCEEDED(init)) CoUninitialize();
  return hr;
}

}  // namespace syncmgr::testdata

#endif  // SYNCMGR_WINDOWS_TESTDATA_HANDLER_HELPERS_H_
