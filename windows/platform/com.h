// File: windows/platform/com.h
//
// The Windows side of reference/com/com.h: the Co* functions are ole32's
// own; this declares the syncmgr::com extensions the suite uses, done with
// the real registry and loader (and ole32's IMallocSpy for the task
// allocator instrumentation).
#ifndef SYNCMGR_WINDOWS_PLATFORM_COM_H_
#define SYNCMGR_WINDOWS_PLATFORM_COM_H_

#include <functional>
#include <string>

#include "windows/platform/windows_types.h"

using DllGetClassObjectFn = HRESULT(STDAPICALLTYPE*)(REFCLSID, REFIID, LPVOID*);
using DllCanUnloadNowFn = HRESULT(STDAPICALLTYPE*)();

namespace syncmgr::com {

// Writes HKEY_CLASSES_ROOT\CLSID\{clsid}\InprocServer32 = path
// (ThreadingModel Both), after checking that the DLL loads and exports
// DllGetClassObject (CO_E_DLLNOTFOUND, CO_E_ERRORINDLL otherwise). A
// registration that already names this DLL (the handler's own, from its
// DllRegisterServer) is left as it is.
HRESULT RegisterInprocServer(REFCLSID clsid, const std::string& path,
                             std::string* error);
// Deletes HKEY_CLASSES_ROOT\CLSID\{clsid}: S_OK, or S_FALSE if absent.
HRESULT UnregisterInprocServer(REFCLSID clsid);
// DllCanUnloadNow of the DLL at `path` (loaded earlier by COM).
HRESULT InprocServerCanUnloadNow(const std::string& path);
HRESULT LoadInprocServer(const std::string& path,
                         DllGetClassObjectFn* get_class_object,
                         DllCanUnloadNowFn* can_unload, std::string* error);
// Nothing to forget: registrations live in the registry.
inline void ResetRegistrations() {}
// The last failure explained by RegisterInprocServer/LoadInprocServer on
// this thread (ole32 gives no more than the HRESULT).
std::string LastActivationError();

// Through an IMallocSpy registered with ole32 on first use: blocks
// allocated with CoTaskMemAlloc/Realloc since then and not yet freed, and a
// hook that makes allocations fail.
long OutstandingTaskMemAllocations();
void SetTaskMemFailureHook(std::function<bool(SIZE_T)> fail);
// Whether `pv` is a block the spy saw allocated and not yet freed (exact,
// unlike DidAlloc below, which may still claim a freed block).
bool IsLiveTaskMemBlock(const void* pv);
// IMalloc::DidAlloc of the task allocator: whether `pv` is one of its blocks
// (true when it cannot tell). Inline: mobsync.dll has no com.cc.
inline bool IsTaskMemBlock(const void* pv) {
  if (pv == nullptr) return false;
  IMalloc* malloc = nullptr;
  if (FAILED(CoGetMalloc(1, &malloc)) || malloc == nullptr) return true;
  const int did = malloc->DidAlloc(const_cast<void*>(pv));
  malloc->Release();
  return did != 0;
}

}  // namespace syncmgr::com

#endif  // SYNCMGR_WINDOWS_PLATFORM_COM_H_
