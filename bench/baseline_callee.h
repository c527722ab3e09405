// File: bench/baseline_callee.h
//
// The virtual-call baseline of bench/dispatch_benchmark: an interface whose
// implementation lives in another translation unit, so that the compiler
// can neither inline nor devirtualize the calls the benchmark makes.
//
// Example:
//   syncmgr::bench::Callee* callee = syncmgr::bench::NoopCallee();
//   for (int i = 0; i < n; ++i) sum += callee->Call(i);
#ifndef SYNCMGR_BENCH_BASELINE_CALLEE_H_
#define SYNCMGR_BENCH_BASELINE_CALLEE_H_

namespace syncmgr::bench {

class Callee {
 public:
  virtual int Call(int value) = 0;

 protected:
  ~Callee() = default;
};

// A process-wide Callee whose Call returns its argument.
Callee* NoopCallee();

}  // namespace syncmgr::bench

#endif  // SYNCMGR_BENCH_BASELINE_CALLEE_H_
