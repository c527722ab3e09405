// The sample handler's in-proc server entry points (README.md, "The plug-in
// contract"): one class, kSampleHandlerClsid.
#include "conformance/handlers/sample_handler.h"

extern "C" HRESULT DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                     LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<syncmgr::sample::SampleHandler>(
      syncmgr::sample::kSampleHandlerClsid, rclsid, riid, ppv);
}

extern "C" HRESULT DllCanUnloadNow() {
  return syncmgr::com::ModuleCanUnloadNow();
}
