#include "bench/allocation_counter.h"

#include <atomic>
#include <cstddef>

namespace syncmgr::bench {
namespace {

// Read on every allocation: a relaxed load of a flag that is written only
// between measurements, so it costs the other benchmarks nothing that shows.
std::atomic<bool> g_counting{false};
std::atomic<std::uint64_t> g_count{0};

}  // namespace

void CountAllocation() {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_count.fetch_add(1, std::memory_order_relaxed);
  }
}

#if defined(SYNCMGR_SANITIZER_BUILD)
bool AllocationCountingAvailable() { return false; }
#else
bool AllocationCountingAvailable() { return true; }
#endif

void StartCountingAllocations() {
  g_count.store(0);
  g_counting.store(true);
}

std::uint64_t StopCountingAllocations() {
  g_counting.store(false);
  return g_count.load();
}

}  // namespace syncmgr::bench

#if !defined(SYNCMGR_SANITIZER_BUILD)
// glibc's allocator under its internal names; the definitions below take the
// public names for the whole process (the executable comes first in symbol
// lookup), count, and forward. free() is glibc's own.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* block, size_t size);

void* malloc(size_t size) {
  syncmgr::bench::CountAllocation();
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  syncmgr::bench::CountAllocation();
  return __libc_calloc(count, size);
}
void* realloc(void* block, size_t size) {
  syncmgr::bench::CountAllocation();
  return __libc_realloc(block, size);
}
}  // extern "C"
#endif
