// The process-wide table of registered handlers behind ISyncMgrRegister
// (SPEC.md REG-105): the part of the Windows registry the Sync Manager
// reads. Readers (UpdateItems) share a lock and never serialise each other.
#ifndef SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_
#define SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_

#include <cstring>
#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "reference/mobsync/mobsync.h"

namespace syncmgr::reference::internal {

struct GuidHash {
  size_t operator()(const GUID& g) const {
    std::uint64_t a, b;
    std::memcpy(&a, &g, 8);
    std::memcpy(&b, reinterpret_cast<const char*>(&g) + 8, 8);
    return std::hash<std::uint64_t>()(a ^ (b * 0x9E3779B97F4A7C15ull));
  }
};

class HandlerRegistry {
 public:
  static HandlerRegistry& Instance();

  // Validation is the caller's (SyncManager's); these only store.
  void Register(const GUID& clsid, std::u16string description, DWORD flags);
  // Returns false if it was not registered.
  bool Unregister(const GUID& clsid);
  // Returns false if not registered.
  bool Lookup(const GUID& clsid, DWORD* flags) const;
  std::vector<GUID> Snapshot() const;
  size_t Size() const;
  void Clear();

 private:
  struct Entry {
    std::u16string description;
    DWORD flags = 0;
  };
  mutable std::shared_mutex mu_;
  std::unordered_map<GUID, Entry, GuidHash> handlers_;
};

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_
