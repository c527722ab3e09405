#include "reference/internal/handler_registry.h"

#include <atomic>
#include <mutex>

#ifdef _WIN32
// mobsync.dll: registrations are also kept in the registry, for every
// process (a handler registers itself from regsvr32).
#include "windows/platform/handler_store.h"
#endif

namespace syncmgr::reference::internal {

size_t ShardedSharedMutex::ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

HandlerRegistry& HandlerRegistry::Instance() {
  static HandlerRegistry* registry = new HandlerRegistry();
  return *registry;
}

void HandlerRegistry::Register(const GUID& clsid,
                               std::basic_string<WCHAR> description,
                               DWORD flags) {
  std::unique_lock lock(mu_);
  Entry& entry = handlers_[clsid];
  entry.description = std::move(description);
  entry.flags = flags;
#ifdef _WIN32
  windows::StoreHandler(clsid, entry.description, flags);
#endif
}

bool HandlerRegistry::Unregister(const GUID& clsid) {
  std::unique_lock lock(mu_);
#ifdef _WIN32
  const bool stored = windows::EraseStoredHandler(clsid);
  return (handlers_.erase(clsid) > 0) || stored;
#else
  return handlers_.erase(clsid) > 0;
#endif
}

bool HandlerRegistry::Lookup(const GUID& clsid, DWORD* flags) const {
  std::shared_lock lock(mu_);
  auto it = handlers_.find(clsid);
#ifdef _WIN32
  if (it == handlers_.end()) return windows::LoadStoredHandler(clsid, flags);
#else
  if (it == handlers_.end()) return false;
#endif
  if (flags != nullptr) *flags = it->second.flags;
  return true;
}

std::vector<GUID> HandlerRegistry::Snapshot() const {
  std::shared_lock lock(mu_);
  std::vector<GUID> clsids;
  clsids.reserve(handlers_.size());
  for (const auto& [clsid, entry] : handlers_) clsids.push_back(clsid);
#ifdef _WIN32
  for (const GUID& clsid : windows::StoredHandlers()) {
    if (handlers_.count(clsid) == 0) clsids.push_back(clsid);
  }
#endif
  return clsids;
}

size_t HandlerRegistry::Size() const {
  std::shared_lock lock(mu_);
  return handlers_.size();
}

void HandlerRegistry::Clear() {
  std::unique_lock lock(mu_);
  handlers_.clear();
}

}  // namespace syncmgr::reference::internal
