// File: conformance/handlers/outside/outside_module.cc
//
// The entry points of the outside handler's shared object (the plug-in
// contract of README.md): DllGetClassObject hands out a class factory for
// CLSID {0E75DE00-0000-4000-8000-0000000000A1}; DllCanUnloadNow answers S_OK
// only when no object of this module is alive and no LockServer lock is
// held.
#include <atomic>
#include <new>

#include "conformance/handlers/outside/outside_handler.h"
#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::outside {
namespace {

// Creates OutsideHandler objects; refuses aggregation. Its LockServer locks
// are counted in this module's counters (reference/com/object.h), which
// DllCanUnloadNow reads.
class OutsideClassFactory final : public syncmgr::com::Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* pUnkOuter, REFIID riid,
                                           void** ppvObject) override {
    if (ppvObject == nullptr) return E_POINTER;
    *ppvObject = nullptr;
    if (pUnkOuter != nullptr) return CLASS_E_NOAGGREGATION;
    auto* handler = new (std::nothrow) OutsideHandler();
    if (handler == nullptr) return E_OUTOFMEMORY;
    const HRESULT hr = handler->QueryInterface(riid, ppvObject);
    handler->Release();  // the caller's reference, if any, keeps it alive
    return hr;
  }

  HRESULT STDMETHODCALLTYPE LockServer(BOOL fLock) override {
    std::atomic<long>& locks = syncmgr::com::ThisModule().locks;
    if (fLock) {
      locks.fetch_add(1);
      return S_OK;
    }
    // An unlock without a lock is ignored rather than counted below zero.
    long held = locks.load();
    while (held > 0 && !locks.compare_exchange_weak(held, held - 1)) {
    }
    return S_OK;
  }

 private:
  ~OutsideClassFactory() override = default;
};

}  // namespace
}  // namespace syncmgr::outside

extern "C" HRESULT DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                     LPVOID* ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  if (!IsEqualCLSID(rclsid, syncmgr::outside::CLSID_OutsideHandler)) {
    return CLASS_E_CLASSNOTAVAILABLE;
  }
  auto* factory = new (std::nothrow) syncmgr::outside::OutsideClassFactory();
  if (factory == nullptr) return E_OUTOFMEMORY;
  const HRESULT hr = factory->QueryInterface(riid, ppv);
  factory->Release();
  return hr;
}

extern "C" HRESULT DllCanUnloadNow() {
  return syncmgr::com::ModuleCanUnloadNow();
}
