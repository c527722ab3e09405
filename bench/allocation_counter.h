// File: bench/allocation_counter.h
//
// Counts heap allocations (malloc, calloc, realloc, and so operator new and
// CoTaskMemAlloc, which call malloc) made by every thread of the process
// while counting is on. The benchmark binary interposes malloc for this;
// sanitizer builds (SYNCMGR_SANITIZER_BUILD) own malloc themselves, so there
// counting is unavailable and Stop() returns 0.
//
// Example:
//   if (syncmgr::bench::AllocationCountingAvailable()) {
//     syncmgr::bench::StartCountingAllocations();
//     DoSomething();
//     std::uint64_t n = syncmgr::bench::StopCountingAllocations();
//   }
#ifndef SYNCMGR_BENCH_ALLOCATION_COUNTER_H_
#define SYNCMGR_BENCH_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace syncmgr::bench {

bool AllocationCountingAvailable();
// Resets the count to 0 and starts counting.
void StartCountingAllocations();
// Stops counting and returns the allocations since Start.
std::uint64_t StopCountingAllocations();

}  // namespace syncmgr::bench

#endif  // SYNCMGR_BENCH_ALLOCATION_COUNTER_H_
