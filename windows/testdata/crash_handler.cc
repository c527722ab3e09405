// crash_handler.dll: the sample handler with one bug, a write through a
// NULL pointer in PrepareForSync. It has no DllRegisterServer (certify
// registers it itself). certify must fail every scenario that reaches
// PrepareForSync as crashed, at once and saying where: "crashed with
// 0xC0000005 at crash_handler.dll+0x..." (windows/platform/crash_report.h),
// not as timed out (windows/certify_windows_test.sh checks it).
#include "conformance/handlers/sample_handler.h"

namespace {

// {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0C001}
constexpr GUID kClsid = {0x5A3F1E00,
                         0x6D2B,
                         0x4C1A,
                         {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xC0, 0x01}};

// A volatile pointer: the compiler cannot see that it is NULL (and turn
// the write into a trap instruction).
int* volatile g_settings = nullptr;

class Handler final : public syncmgr::sample::SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* items,
                                           HWND parent,
                                           DWORD reserved) override {
    *g_settings = static_cast<int>(count);  // never allocated
    return SampleHandler::PrepareForSync(count, items, parent, reserved);
  }
};

}  // namespace

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<Handler>(kClsid, clsid, riid, ppv);
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }
