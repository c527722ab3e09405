// failing_factory.so: an in-proc server whose class factory fails every
// CreateInstance with E_OUTOFMEMORY, which CoCreateInstance must pass on. It
// exports no DllCanUnloadNow (InprocServerCanUnloadNow then says S_FALSE).
#include "reference/com/object.h"
#include "reference/com/testdata/test_interfaces.h"

namespace {

class FailingFactory final : public syncmgr::com::Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* /*outer*/, REFIID /*riid*/,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    return E_OUTOFMEMORY;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL /*lock*/) override { return S_OK; }
};

}  // namespace

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  if (!IsEqualCLSID(clsid, CLSID_TestFailingFactory)) {
    return CLASS_E_CLASSNOTAVAILABLE;
  }
  return syncmgr::com::CreateObject<FailingFactory>(riid, ppv);
}
