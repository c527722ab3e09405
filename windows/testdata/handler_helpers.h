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

#include <algorithm>
#include <new>
#include <utility>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::testdata {

// The COM enumerator conventions: S_FALSE when fewer than celt items are
// left; Clone starts at the same position.
class ListEnumerator final : public syncmgr::com::Object<ISyncMgrEnumItems> {
 public:
  explicit ListEnumerator(std::vector<SYNCMGRITEM> items, ULONG position = 0)
      : items_(std::move(items)), position_(position) {}
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    if (rgelt == nullptr || (celt > 1 && fetched == nullptr)) {
      return E_INVALIDARG;
    }
    ULONG n = 0;
    while (n < celt && position_ < items_.size()) {
      rgelt[n++] = items_[position_++];
    }
    if (fetched != nullptr) *fetched = n;
    return n == celt ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    const ULONG left = static_cast<ULONG>(items_.size()) - position_;
    position_ += std::min(celt, left);
    return celt <= left ? S_OK : S_FALSE;
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    position_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    *out = new (std::nothrow) ListEnumerator(items_, position_);
    return *out != nullptr ? S_OK : E_OUTOFMEMORY;
  }

 private:
  std::vector<SYNCMGRITEM> items_;
  ULONG position_;
};

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
