// The reference Sync Manager as an in-proc server (the plug-in contract of
// README.md): the conformance suite loads this shared object exactly as it
// loads a third-party implementation.
//
// Hosts configure it through the environment, read when the first class
// object is handed out:
//   SYNCMGR_REFERENCE_MODE=sync|async   (default async, as on Windows)
//   SYNCMGR_REFERENCE_TIMEOUT_MS=N      completion timeout (default 5000)
//
// Built with -DSYNCMGR_REFERENCE_FAULTS=<Fault bits>, it is one of the
// known-bad implementations of conformance/testdata.
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "reference/com/object.h"
#include "reference/sync_manager.h"

namespace {

void ConfigureFromEnvironment() {
  syncmgr::reference::Options options;
#ifdef SYNCMGR_REFERENCE_FAULTS
  options.faults = SYNCMGR_REFERENCE_FAULTS;
#endif
  if (const char* mode = std::getenv("SYNCMGR_REFERENCE_MODE")) {
    if (std::strcmp(mode, "sync") == 0) {
      options.mode = syncmgr::reference::Mode::kSynchronous;
    }
  }
  if (const char* ms = std::getenv("SYNCMGR_REFERENCE_TIMEOUT_MS")) {
    char* end = nullptr;
    const long value = std::strtol(ms, &end, 10);
    if (end != ms && *end == '\0' && value > 0) {
      options.completion_timeout = std::chrono::milliseconds(value);
    }
  }
  syncmgr::reference::Configure(options);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) HRESULT DllGetClassObject(
    REFCLSID clsid, REFIID riid, void** ppv) {
  static std::once_flag configured;
  std::call_once(configured, ConfigureFromEnvironment);
  return syncmgr::reference::GetSyncManagerClassObject(clsid, riid, ppv);
}

extern "C" __attribute__((visibility("default"))) HRESULT DllCanUnloadNow() {
  return syncmgr::com::ModuleCanUnloadNow();
}
