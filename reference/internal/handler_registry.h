// The process-wide table of registered handlers behind ISyncMgrRegister
// (SPEC.md REG-105): the part of the Windows registry the Sync Manager
// reads. Readers (UpdateItems) share a lock and never serialise each other:
// each thread takes the shared side of one of several locks, so readers on
// different cores do not even write to the same cache line; writers take
// all of them.
#ifndef SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_
#define SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_

#include <array>
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

// A reader-writer lock split into shards: lock_shared() locks the calling
// thread's shard (fixed per thread), lock() locks every shard in order.
// Meets the SharedMutex requirements for std::shared_lock and
// std::unique_lock, provided a shared lock is released by the thread that
// took it.
class ShardedSharedMutex {
 public:
  void lock() {
    for (Shard& shard : shards_) shard.mu.lock();
  }
  void unlock() {
    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) {
      it->mu.unlock();
    }
  }
  void lock_shared() { shards_[ThreadShard()].mu.lock_shared(); }
  void unlock_shared() { shards_[ThreadShard()].mu.unlock_shared(); }

 private:
  static constexpr size_t kShards = 16;
  static size_t ThreadShard();
  struct alignas(64) Shard {
    std::shared_mutex mu;
  };
  std::array<Shard, kShards> shards_;
};

class HandlerRegistry {
 public:
  static HandlerRegistry& Instance();

  // Validation is the caller's (SyncManager's); these only store.
  void Register(const GUID& clsid, std::basic_string<WCHAR> description,
                DWORD flags);
  // Returns false if it was not registered.
  bool Unregister(const GUID& clsid);
  // Returns false if not registered.
  bool Lookup(const GUID& clsid, DWORD* flags) const;
  std::vector<GUID> Snapshot() const;
  size_t Size() const;
  void Clear();

 private:
  struct Entry {
    std::basic_string<WCHAR> description;
    DWORD flags = 0;
  };
  mutable ShardedSharedMutex mu_;
  std::unordered_map<GUID, Entry, GuidHash> handlers_;
};

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_HANDLER_REGISTRY_H_
