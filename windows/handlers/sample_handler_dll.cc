// sample_handler.dll: the bundled sample handler
// (conformance/handlers/sample_handler.cc, with its DllGetClassObject and
// DllCanUnloadNow from sample_handler_module.cc) as a Windows in-proc
// server that registers itself the way Windows handlers do:
//
//   regsvr32 sample_handler.dll
//     -> HKCR\CLSID\{5A3F1E00-...}\InprocServer32 = this DLL (Both)
//     -> CoCreateInstance(CLSID_SyncMgr) -> ISyncMgrRegister::
//        RegisterSyncMgrHandler(clsid, L"Sample handler", 0)
//   regsvr32 /u sample_handler.dll   undoes both.
#include <string>

#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/mobsync.h"

namespace {

HINSTANCE g_module = nullptr;

std::wstring ClsidKey() {
  wchar_t text[40] = {};
  StringFromGUID2(syncmgr::sample::kSampleHandlerClsid, text, 40);
  return std::wstring(L"CLSID\\") + text;
}

bool SetString(HKEY key, const wchar_t* name, const std::wstring& value) {
  return RegSetValueExW(
             key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
             static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))) ==
         ERROR_SUCCESS;
}

// Runs `call` with COM initialized on this thread (regsvr32 may not have).
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

}  // namespace

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) {
    g_module = instance;
    DisableThreadLibraryCalls(instance);
  }
  return TRUE;
}

STDAPI DllRegisterServer() {
  wchar_t path[MAX_PATH * 4];
  const DWORD n = GetModuleFileNameW(g_module, path, MAX_PATH * 4);
  if (n == 0 || n >= MAX_PATH * 4) return SELFREG_E_CLASS;
  HKEY clsid = nullptr, server = nullptr;
  if (RegCreateKeyExW(HKEY_CLASSES_ROOT, ClsidKey().c_str(), 0, nullptr, 0,
                      KEY_WRITE, nullptr, &clsid, nullptr) != ERROR_SUCCESS) {
    return SELFREG_E_CLASS;
  }
  bool ok = SetString(clsid, nullptr, L"Sample sync handler") &&
            RegCreateKeyExW(clsid, L"InprocServer32", 0, nullptr, 0, KEY_WRITE,
                            nullptr, &server, nullptr) == ERROR_SUCCESS;
  if (ok) {
    ok = SetString(server, nullptr, path) &&
         SetString(server, L"ThreadingModel", L"Both");
    RegCloseKey(server);
  }
  RegCloseKey(clsid);
  if (!ok) return SELFREG_E_CLASS;
  // The Sync Manager learns about the handler from the handler itself.
  return WithSyncManager([](ISyncMgrRegister* reg) {
    return reg->RegisterSyncMgrHandler(syncmgr::sample::kSampleHandlerClsid,
                                       L"Sample handler", 0);
  });
}

STDAPI DllUnregisterServer() {
  const HRESULT hr = WithSyncManager([](ISyncMgrRegister* reg) {
    return reg->UnregisterSyncMgrHandler(syncmgr::sample::kSampleHandlerClsid,
                                         0);
  });
  const LSTATUS status = RegDeleteTreeW(HKEY_CLASSES_ROOT, ClsidKey().c_str());
  if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND) {
    return SELFREG_E_CLASS;
  }
  return SUCCEEDED(hr) ? S_OK : hr;
}
