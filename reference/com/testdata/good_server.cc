// good_server.so: a well-behaved in-proc server for CLSID_TestGoodServer.
// Its object allocates with CoTaskMemAlloc, which this plug-in leaves
// undefined, so the host's allocator (and its failure hook) serve it. It
// exports all four entry points of the plug-in contract.
#include <atomic>
#include <cstring>

#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/com/testdata/test_interfaces.h"

namespace {

class Greeter final : public syncmgr::com::Object<ITestGreeter, ITestCounter> {
 public:
  HRESULT STDMETHODCALLTYPE Greet(LPOLESTR* text) override {
    if (text == nullptr) return E_POINTER;
    *text = nullptr;
    void* const block = CoTaskMemAlloc(sizeof kTestGreeting);
    if (block == nullptr) return E_OUTOFMEMORY;
    std::memcpy(block, kTestGreeting, sizeof kTestGreeting);
    *text = static_cast<LPOLESTR>(block);
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE Increment() override { return ++calls_; }

 private:
  std::atomic<ULONG> calls_{0};
};

}  // namespace

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<Greeter>(CLSID_TestGoodServer, clsid,
                                                  riid, ppv);
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }

STDAPI DllRegisterServer() { return S_OK; }

STDAPI DllUnregisterServer() { return S_OK; }
