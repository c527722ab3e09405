// File: reference/com/internal/class_registry.h
//
// The two tables behind CoGetClassObject: class objects registered with
// CoRegisterClassObject (by cookie) and in-proc servers registered with
// RegisterInprocServer (by CLSID). Thread-safe; no method calls into COM
// objects, so no lock is ever held while plug-in code runs.
//
// Example:
//   ClassRegistry registry;
//   object->AddRef();
//   DWORD cookie = registry.AddClassObject(clsid, CLSCTX_INPROC_SERVER,
//                                          AdoptClassObject(object));
//   ...
//   ClassObjectRef ref = registry.RemoveClassObject(cookie);
//   ref.reset();  // IUnknown::Release, with no lock held
#ifndef SYNCMGR_REFERENCE_COM_INTERNAL_CLASS_REGISTRY_H_
#define SYNCMGR_REFERENCE_COM_INTERNAL_CLASS_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "reference/com/com.h"
#include "reference/mobsync/windows_types.h"

namespace syncmgr::com::internal {

// A shared hold on one COM reference to a class object: when the last copy
// goes, IUnknown::Release is called, by whichever thread drops it. The
// registry keeps one copy per registration and lookups hand out others, so a
// class object revoked during an activation stays alive until it ends.
using ClassObjectRef = std::shared_ptr<IUnknown>;

// Takes over one reference the caller owns (null for a null object).
ClassObjectRef AdoptClassObject(IUnknown* object);

struct InprocServer {
  std::string path;
  DllGetClassObjectFn get_class_object = nullptr;
};

class ClassRegistry {
 public:
  ClassRegistry() = default;
  ClassRegistry(const ClassRegistry&) = delete;
  ClassRegistry& operator=(const ClassRegistry&) = delete;

  // The registry of the process.
  static ClassRegistry& Instance();

  // Registers `object` and returns its cookie: non-zero and unique among the
  // current registrations (counting up, wrapping around past 0xFFFFFFFF).
  DWORD AddClassObject(REFCLSID clsid, DWORD clsctx, ClassObjectRef object);
  // Unregisters a cookie and returns its reference, for the caller to drop
  // after this returns; null if the cookie is not registered.
  ClassObjectRef RemoveClassObject(DWORD cookie);
  // The earliest registration for `clsid` whose context shares a bit with
  // `clsctx` (and its cookie), or null.
  ClassObjectRef FindClassObject(REFCLSID clsid, DWORD clsctx,
                                 DWORD* cookie) const;

  // Records (or replaces) the in-proc server of `clsid`.
  void SetInprocServer(REFCLSID clsid, InprocServer server);
  // False if `clsid` had none.
  bool RemoveInprocServer(REFCLSID clsid);
  bool FindInprocServer(REFCLSID clsid, InprocServer* server) const;

  // Forgets everything. Returns the class object references, to be dropped
  // by the caller after this returns.
  std::vector<ClassObjectRef> Clear();

  // The cookie the next AddClassObject tries first (tests of wrap-around).
  void SetNextCookieForTesting(DWORD cookie);

 private:
  struct Registration {
    DWORD cookie;
    CLSID clsid;
    DWORD clsctx;
    ClassObjectRef object;
  };
  struct GuidLess {
    bool operator()(const GUID& a, const GUID& b) const;
  };

  bool CookieInUse(DWORD cookie) const;  // mutex_ held

  mutable std::mutex mutex_;
  std::vector<Registration> class_objects_;  // in registration order
  std::map<CLSID, InprocServer, GuidLess> inproc_servers_;
  DWORD next_cookie_ = 1;
};

}  // namespace syncmgr::com::internal

#endif  // SYNCMGR_REFERENCE_COM_INTERNAL_CLASS_REGISTRY_H_
