#include "reference/com/internal/class_registry.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

namespace syncmgr::com::internal {

ClassObjectRef AdoptClassObject(IUnknown* object) {
  if (object == nullptr) return nullptr;
  return ClassObjectRef(object, [](IUnknown* p) { p->Release(); });
}

ClassRegistry& ClassRegistry::Instance() {
  // Never destroyed: a static destructor releasing class objects at exit
  // could run after the plug-ins that implement them were torn down.
  static ClassRegistry* const registry = new ClassRegistry;
  return *registry;
}

bool ClassRegistry::GuidLess::operator()(const GUID& a, const GUID& b) const {
  if (a.Data1 != b.Data1) return a.Data1 < b.Data1;
  if (a.Data2 != b.Data2) return a.Data2 < b.Data2;
  if (a.Data3 != b.Data3) return a.Data3 < b.Data3;
  return std::memcmp(a.Data4, b.Data4, sizeof a.Data4) < 0;
}

bool ClassRegistry::CookieInUse(DWORD cookie) const {
  return std::any_of(
      class_objects_.begin(), class_objects_.end(),
      [cookie](const Registration& r) { return r.cookie == cookie; });
}

DWORD ClassRegistry::AddClassObject(REFCLSID clsid, DWORD clsctx,
                                    ClassObjectRef object) {
  std::lock_guard<std::mutex> lock(mutex_);
  // At most class_objects_.size() + 1 candidates are tried: 0 is skipped and
  // fewer than 2^32 - 1 cookies can be in use.
  DWORD cookie = next_cookie_;
  while (cookie == 0 || CookieInUse(cookie)) ++cookie;
  next_cookie_ = cookie + 1;
  class_objects_.push_back({cookie, clsid, clsctx, std::move(object)});
  return cookie;
}

ClassObjectRef ClassRegistry::RemoveClassObject(DWORD cookie) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = std::find_if(
      class_objects_.begin(), class_objects_.end(),
      [cookie](const Registration& r) { return r.cookie == cookie; });
  if (it == class_objects_.end()) return nullptr;
  ClassObjectRef object = std::move(it->object);
  class_objects_.erase(it);
  return object;
}

ClassObjectRef ClassRegistry::FindClassObject(REFCLSID clsid, DWORD clsctx,
                                              DWORD* cookie) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Registration& r : class_objects_) {
    if (IsEqualCLSID(r.clsid, clsid) && (r.clsctx & clsctx) != 0) {
      if (cookie != nullptr) *cookie = r.cookie;
      return r.object;
    }
  }
  return nullptr;
}

void ClassRegistry::SetInprocServer(REFCLSID clsid, InprocServer server) {
  std::lock_guard<std::mutex> lock(mutex_);
  inproc_servers_[clsid] = std::move(server);
}

bool ClassRegistry::RemoveInprocServer(REFCLSID clsid) {
  std::lock_guard<std::mutex> lock(mutex_);
  return inproc_servers_.erase(clsid) != 0;
}

bool ClassRegistry::FindInprocServer(REFCLSID clsid,
                                     InprocServer* server) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = inproc_servers_.find(clsid);
  if (it == inproc_servers_.end()) return false;
  *server = it->second;
  return true;
}

std::vector<ClassObjectRef> ClassRegistry::Clear() {
  std::vector<ClassObjectRef> objects;
  std::lock_guard<std::mutex> lock(mutex_);
  objects.reserve(class_objects_.size());
  for (Registration& r : class_objects_) objects.push_back(std::move(r.object));
  class_objects_.clear();
  inproc_servers_.clear();
  return objects;
}

void ClassRegistry::SetNextCookieForTesting(DWORD cookie) {
  std::lock_guard<std::mutex> lock(mutex_);
  next_cookie_ = cookie;
}

}  // namespace syncmgr::com::internal
