// mobsync_import_handler.dll: the sample handler as many Windows handlers
// are built: the DLL imports mobsync.dll (SyncMgrResolveConflictW, the
// conflict dialog, asked from ShowError), so it loads only where the loader
// finds a mobsync.dll (a Wine prefix's system32, where windows/wine_prefix.sh
// installs ours), and its DllRegisterServer registers it the old way:
//
//   regsvr32 mobsync_import_handler.dll
//     -> HKCR\CLSID\{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0B001}\InprocServer32
//        = this DLL, ThreadingModel Apartment
//     -> CoCreateInstance(CLSID_SyncMgr) -> ISyncMgrRegister::
//        RegisterSyncMgrHandler
//   regsvr32 /u mobsync_import_handler.dll   undoes both.
//
// certify passes it (windows/certify_windows_test.sh checks that regsvr32
// registered it, with ThreadingModel Apartment, and that every requirement
// passed).
#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/mobsync.h"
#include "windows/platform/self_registration.h"

namespace {

// {5A3F1E00-6D2B-4C1A-9E57-0C0FFEE0B001}
constexpr GUID kClsid = {0x5A3F1E00,
                         0x6D2B,
                         0x4C1A,
                         {0x9E, 0x57, 0x0C, 0x0F, 0xFE, 0xE0, 0xB0, 0x01}};

HINSTANCE g_module = nullptr;

class Handler final : public syncmgr::sample::SampleHandler {
 public:
  // The error the summary offers is a conflict in this handler's story:
  // mobsync.dll's dialog decides (ours is headless and answers RFC_CANCEL:
  // both versions are kept), then the sample reports completion.
  HRESULT STDMETHODCALLTYPE ShowError(HWND parent, REFGUID error) override {
    RFCDLGPARAMW conflict{};
    conflict.pszFilename = L"Contacts.pst";
    conflict.pszLocation = L"\\\\server\\share";
    SyncMgrResolveConflictW(parent, &conflict);
    return SampleHandler::ShowError(parent, error);
  }
};

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllGetClassObject(REFCLSID clsid, REFIID riid, LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<Handler>(kClsid, clsid, riid, ppv);
}

STDAPI DllCanUnloadNow() { return syncmgr::com::ModuleCanUnloadNow(); }

STDAPI DllRegisterServer() {
  return syncmgr::windows::RegisterSyncHandler(
      g_module, kClsid, L"mobsync-importing handler", L"Apartment");
}

STDAPI DllUnregisterServer() {
  return syncmgr::windows::UnregisterSyncHandler(kClsid);
}
