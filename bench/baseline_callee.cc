#include "bench/baseline_callee.h"

namespace syncmgr::bench {
namespace {

class Noop final : public Callee {
 public:
  int Call(int value) override { return value; }
};

}  // namespace

Callee* NoopCallee() {
  static Noop noop;
  return &noop;
}

}  // namespace syncmgr::bench
