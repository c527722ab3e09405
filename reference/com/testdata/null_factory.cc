// null_factory.so: an in-proc server that breaks the rule "S_OK comes with an
// object" in two places:
//   CLSID_TestNullClassObject: DllGetClassObject returns S_OK and NULL;
//   CLSID_TestNullObject: IClassFactory::CreateInstance returns S_OK and NULL.
// DllCanUnloadNow shows whether the host released the class factory.
#include "reference/com/object.h"
#include "reference/com/testdata/test_interfaces.h"

namespace {

class NullFactory final : public syncmgr::com::Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* /*outer*/, REFIID /*riid*/,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    return S_OK;  // the bug under test
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL /*lock*/) override { return S_OK; }
};

}  // namespace

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  if (IsEqualCLSID(clsid, CLSID_TestNullClassObject)) return S_OK;  // the bug
  if (IsEqualCLSID(clsid, CLSID_TestNullObject)) {
    return syncmgr::com::CreateObject<NullFactory>(riid, ppv);
  }
  return CLASS_E_CLASSNOTAVAILABLE;
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }
