// conformance.exe: conformance/conformance_main.cc built for Windows,
// unchanged: the contract tests (conformance/*_contract.cc), each in its own
// process with a time limit (windows/platform/child_process.cc), and the same
// requirement-traced reports. It reaches the Sync Manager only through ole32:
// CoInitializeEx, then CoCreateInstance(CLSID_SyncMgr) finds whatever
// HKCR\CLSID\{6295DF27-35EE-11D1-8707-00C04FD93327} names: our mobsync.dll
// in a Wine prefix, Microsoft's own on Windows. The mock handlers are
// registered with CoRegisterClassObject.
//
// This file adds what a Windows host needs before the suite's own main:
//   --apartment=mta   (default) every thread of the test processes is in the
//                     multithreaded apartment (the tests start threads of
//                     their own that do not initialize COM)
//   --apartment=sta   the main thread of each test is a single-threaded
//                     apartment (passed on to the test processes through
//                     SYNCMGR_CONFORMANCE_APARTMENT)
// and, without --implementation, the DLL that HKCR names as CLSID_SyncMgr's
// in-proc server (the suite then leaves that registration as it is), and an
// unhandled-exception filter in every process
// (windows/platform/crash_report.h): a test that crashes is reported as
// crashed, with the module and offset, at once.
//
//   conformance.exe [--apartment=mta|sta] [the suite's flags: --report_dir,
//                   --expectations, --timeout, --jobs, --gtest_filter, ...]
// It reads conformance\spec.json from the current directory.
#include <unistd.h>  // getpid

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define main ConformanceMain
#include "conformance/conformance_main.cc"
#undef main

#include "windows/platform/crash_report.h"

namespace {

// The DLL that HKCR names as CLSID_SyncMgr's in-proc server, or "".
std::string RegisteredImplementation() {
  wchar_t clsid[40] = {};
  StringFromGUID2(CLSID_SyncMgr, clsid, 40);
  const std::wstring key =
      std::wstring(L"CLSID\\") + clsid + L"\\InprocServer32";
  wchar_t path[MAX_PATH * 4] = {};
  DWORD size = sizeof path;
  if (RegGetValueW(HKEY_CLASSES_ROOT, key.c_str(), nullptr, RRF_RT_REG_SZ,
                   nullptr, path, &size) != ERROR_SUCCESS) {
    return "";
  }
  char narrow[MAX_PATH * 4 * 3] = {};
  WideCharToMultiByte(CP_UTF8, 0, path, -1, narrow, sizeof narrow, nullptr,
                      nullptr);
  return narrow;
}

}  // namespace

int main(int argc, char** argv) {
  // A crash (in a test's process) ends the process at once with one line
  // saying where: no post-mortem debugger.
  syncmgr::windows::InstallCrashReporter();
  std::string apartment = "mta";
  if (const char* env = std::getenv("SYNCMGR_CONFORMANCE_APARTMENT")) {
    apartment = env;
  }
  std::vector<std::string> args;
  bool have_implementation = std::getenv("SYNCMGR_IMPLEMENTATION") != nullptr;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--apartment=", 12) == 0) {
      apartment = argv[i] + 12;
      continue;
    }
    if (std::strncmp(argv[i], "--implementation", 16) == 0) {
      have_implementation = true;
    }
    args.push_back(argv[i]);
  }
  if (apartment != "sta" && apartment != "mta") {
    std::fprintf(stderr, "conformance.exe: --apartment must be sta or mta\n");
    return 2;
  }
  SetEnvironmentVariableA("SYNCMGR_CONFORMANCE_APARTMENT", apartment.c_str());
  const HRESULT init =
      CoInitializeEx(nullptr, apartment == "mta" ? COINIT_MULTITHREADED
                                                 : COINIT_APARTMENTTHREADED);
  if (FAILED(init)) {
    std::fprintf(stderr, "conformance.exe: CoInitializeEx failed: 0x%08lX\n",
                 static_cast<unsigned long>(init));
    return 2;
  }
  if (!have_implementation) {
    const std::string registered = RegisteredImplementation();
    if (registered.empty()) {
      std::fprintf(stderr,
                   "conformance.exe: CLSID_SyncMgr has no InprocServer32 in "
                   "HKEY_CLASSES_ROOT (regsvr32 mobsync.dll)\n");
      return 2;
    }
    args.push_back("--implementation=" + registered);
  }
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  return ConformanceMain(static_cast<int>(pointers.size()) - 1,
                         pointers.data());
}
