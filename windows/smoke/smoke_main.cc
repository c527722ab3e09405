// windows_smoke.exe: the first thing the wine test runs. Through real COM
// only (CoInitializeEx, CoCreateInstance(CLSID_SyncMgr)) it checks that the
// Sync Manager registered in this prefix answers, that the sample handler
// registered itself with it (regsvr32 sample_handler.dll), that UpdateItems
// runs a session of the sample handler to its end (the handler's DLL can
// unload afterwards), and that mobsync.dll's SyncMgrResolveConflictW/A
// answer without UI. Prints one line per step; exit 0 when all hold.
//
//   windows_smoke.exe [sta|mta]
//   windows_smoke.exe unregistered   after regsvr32 /u of both DLLs: the
//                                    handler and then CLSID_SyncMgr are gone
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "conformance/handlers/sample_handler.h"
#include "reference/mobsync/hresult.h"
#include "reference/mobsync/mobsync.h"

namespace {

int g_failures = 0;

void Check(const char* what, HRESULT got, HRESULT want) {
  const bool ok = got == want;
  if (!ok) ++g_failures;
  std::printf("%-4s %s -> %s\n", ok ? "ok" : "FAIL", what,
              syncmgr::DescribeHresult(got).c_str());
}

}  // namespace

// After regsvr32 /u sample_handler.dll and regsvr32 /u mobsync.dll.
int Unregistered() {
  CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
  IUnknown* unknown = nullptr;
  Check("CoCreateInstance(CLSID_SyncMgr) after regsvr32 /u mobsync.dll",
        CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                         IID_IUnknown, reinterpret_cast<void**>(&unknown)),
        REGDB_E_CLASSNOTREG);
  if (unknown != nullptr) unknown->Release();
  CoUninitialize();
  std::printf("%s\n", g_failures == 0 ? "SMOKE PASSED" : "SMOKE FAILED");
  return g_failures == 0 ? 0 : 1;
}

// The conflict dialog's exports, headless: RFC_CANCEL at once.
void ResolveConflict() {
  HMODULE mobsync = LoadLibraryW(L"mobsync.dll");
  auto wide = reinterpret_cast<int(WINAPI*)(HWND, RFCDLGPARAMW*)>(
      reinterpret_cast<void*>(
          GetProcAddress(mobsync, "SyncMgrResolveConflictW")));
  auto ansi = reinterpret_cast<int(WINAPI*)(HWND, RFCDLGPARAMA*)>(
      reinterpret_cast<void*>(
          GetProcAddress(mobsync, "SyncMgrResolveConflictA")));
  if (wide == nullptr || ansi == nullptr) {
    ++g_failures;
    std::printf("FAIL mobsync.dll exports SyncMgrResolveConflictW/A\n");
    return;
  }
  RFCDLGPARAMW w{};
  w.pszFilename = L"report.doc";
  RFCDLGPARAMA a{};
  a.pszFilename = "report.doc";
  Check("SyncMgrResolveConflictW (headless)", wide(nullptr, &w), RFC_CANCEL);
  Check("SyncMgrResolveConflictA (headless)", ansi(nullptr, &a), RFC_CANCEL);
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "unregistered") == 0) {
    return Unregistered();
  }
  const bool mta = argc > 1 && std::strcmp(argv[1], "mta") == 0;
  Check(mta ? "CoInitializeEx(MTA)" : "CoInitializeEx(STA)",
        CoInitializeEx(nullptr,
                       mta ? COINIT_MULTITHREADED : COINIT_APARTMENTTHREADED),
        S_OK);
  ISyncMgrSynchronizeInvoke* invoke = nullptr;
  Check("CoCreateInstance(CLSID_SyncMgr, ISyncMgrSynchronizeInvoke)",
        CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                         IID_ISyncMgrSynchronizeInvoke,
                         reinterpret_cast<void**>(&invoke)),
        S_OK);
  if (invoke == nullptr) return 1;
  ISyncMgrRegister* reg = nullptr;
  Check("QueryInterface(ISyncMgrRegister)",
        invoke->QueryInterface(IID_ISyncMgrRegister,
                               reinterpret_cast<void**>(&reg)),
        S_OK);
  if (reg != nullptr) {
    DWORD flags = 0xFFFFFFFF;
    Check("GetHandlerRegistrationInfo(sample handler)",
          reg->GetHandlerRegistrationInfo(syncmgr::sample::kSampleHandlerClsid,
                                          &flags),
          S_OK);
    reg->Release();
  }
  const BYTE cookie[] = {'w', 'i', 'n', 'e'};
  Check("UpdateItems(STARTSYNC, sample handler, 4-byte cookie)",
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC,
                            syncmgr::sample::kSampleHandlerClsid, sizeof cookie,
                            cookie),
        S_OK);
  Check("UpdateItems(0x1, ...) (unknown flag)",
        invoke->UpdateItems(0x1, syncmgr::sample::kSampleHandlerClsid, 0,
                            nullptr),
        E_INVALIDARG);
  invoke->Release();
  // The session ends on the manager's or the handler's thread: wait for
  // every object of the handler to go away.
  HMODULE handler = GetModuleHandleW(L"sample_handler.dll");
  HRESULT can_unload = handler == nullptr ? CO_E_DLLNOTFOUND : S_FALSE;
  auto fn = handler == nullptr ? nullptr
                               : reinterpret_cast<HRESULT(STDAPICALLTYPE*)()>(
                                     reinterpret_cast<void*>(GetProcAddress(
                                         handler, "DllCanUnloadNow")));
  for (int i = 0; fn != nullptr && i < 500 && can_unload != S_OK; ++i) {
    can_unload = fn();
    if (can_unload != S_OK) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  Check("the session ended: sample_handler.dll DllCanUnloadNow", can_unload,
        S_OK);
  ResolveConflict();
  CoUninitialize();
  std::printf("%s\n", g_failures == 0 ? "SMOKE PASSED" : "SMOKE FAILED");
  return g_failures == 0 ? 0 : 1;
}
