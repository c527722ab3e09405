// File: reference/com/internal/module_loader.h
//
// Opens in-proc servers (shared objects) with dlopen and resolves their entry
// points, once per path. Modules are never closed: objects they created may
// outlive any registration, and their code must stay mapped until exit.
#ifndef SYNCMGR_REFERENCE_COM_INTERNAL_MODULE_LOADER_H_
#define SYNCMGR_REFERENCE_COM_INTERNAL_MODULE_LOADER_H_

#include <string>

#include "reference/com/com.h"
#include "reference/mobsync/windows_types.h"

namespace syncmgr::com::internal {

struct ModuleEntryPoints {
  DllGetClassObjectFn get_class_object = nullptr;
  DllCanUnloadNowFn can_unload_now = nullptr;  // null when not exported
};

// Opens `path` with dlopen(RTLD_NOW | RTLD_LOCAL) unless it was opened
// before, and returns its entry points. Returns S_OK, CO_E_DLLNOTFOUND when
// dlopen fails (or the path is empty), or CO_E_ERRORINDLL when the module has
// no DllGetClassObject; on failure *reason (if not null) gets one line naming
// the path and quoting dlerror(). Thread-safe. No lock is held during dlopen,
// which runs the module's static constructors (plug-in code).
HRESULT OpenModule(const std::string& path, ModuleEntryPoints* entry_points,
                   std::string* reason);

// The entry points of a module OpenModule opened successfully; false if it
// never did (for this exact path string).
bool FindOpenedModule(const std::string& path, ModuleEntryPoints* entry_points);

// `text` with line breaks replaced by spaces (messages are one line).
std::string OneLine(std::string text);

}  // namespace syncmgr::com::internal

#endif  // SYNCMGR_REFERENCE_COM_INTERNAL_MODULE_LOADER_H_
