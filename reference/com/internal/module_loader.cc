#include "reference/com/internal/module_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace syncmgr::com::internal {
namespace {

struct ModuleTable {
  std::shared_mutex mutex;
  std::unordered_map<std::string, ModuleEntryPoints> modules;
};

// Never destroyed: modules stay loaded until exit, and so does their table.
ModuleTable& Modules() {
  static ModuleTable* const table = new ModuleTable;
  return *table;
}

// dlerror() of this thread (glibc keeps it per thread), as one line.
std::string DlError() {
  const char* text = dlerror();
  return text != nullptr ? OneLine(text) : "dlerror() gave no reason";
}

HRESULT Fail(HRESULT hr, std::string text, std::string* reason) {
  if (reason != nullptr) *reason = OneLine(std::move(text));
  return hr;
}

}  // namespace

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

bool FindOpenedModule(const std::string& path,
                      ModuleEntryPoints* entry_points) {
  ModuleTable& table = Modules();
  std::shared_lock<std::shared_mutex> lock(table.mutex);
  const auto it = table.modules.find(path);
  if (it == table.modules.end()) return false;
  *entry_points = it->second;
  return true;
}

HRESULT OpenModule(const std::string& path, ModuleEntryPoints* entry_points,
                   std::string* reason) {
  if (FindOpenedModule(path, entry_points)) return S_OK;
  if (path.empty()) {
    return Fail(CO_E_DLLNOTFOUND, "cannot load a shared object: empty path",
                reason);
  }
  // Two threads may both get here for one path: dlopen is thread-safe and
  // returns the same handle (with one more reference, never dropped).
  dlerror();
  void* const handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    return Fail(CO_E_DLLNOTFOUND, "cannot load " + path + ": " + DlError(),
                reason);
  }
  ModuleEntryPoints found;
  dlerror();
  found.get_class_object =
      reinterpret_cast<DllGetClassObjectFn>(dlsym(handle, "DllGetClassObject"));
  if (found.get_class_object == nullptr) {
    // Left open like every module (com.h): never dlclose.
    return Fail(CO_E_ERRORINDLL,
                path + " does not export DllGetClassObject (" + DlError() + ")",
                reason);
  }
  found.can_unload_now =
      reinterpret_cast<DllCanUnloadNowFn>(dlsym(handle, "DllCanUnloadNow"));
  dlerror();

  ModuleTable& table = Modules();
  std::unique_lock<std::shared_mutex> lock(table.mutex);
  *entry_points = table.modules.emplace(path, found).first->second;
  return S_OK;
}

}  // namespace syncmgr::com::internal
