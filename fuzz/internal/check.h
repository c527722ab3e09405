// File: fuzz/internal/check.h
//
// FUZZ_CHECK(cond, message...) stops the fuzz target with a readable line
// when an invariant does not hold: libFuzzer (and the replay test) then see
// an abort and keep the input. Every fuzzer states its invariants with it.
//
// Example:
//   FUZZ_CHECK(hr == expected, "UpdateItems returned ", Hr(hr),
//              ", the spec allows only ", Hr(expected));
#ifndef SYNCMGR_FUZZ_INTERNAL_CHECK_H_
#define SYNCMGR_FUZZ_INTERNAL_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::fuzz {

// An HRESULT as "E_INVALIDARG (0x80070057)" in messages.
inline std::string Hr(HRESULT hr) { return DescribeHresult(hr); }

template <typename... Parts>
[[noreturn]] void InvariantFailed(const char* file, int line,
                                  const char* condition,
                                  const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  std::fprintf(stderr,
               "\n==== FUZZ INVARIANT VIOLATED ====\n%s:%d: %s\n%s\n"
               "=================================\n",
               file, line, condition, message.str().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace syncmgr::fuzz

// The message is one or more values streamed with operator<<.
#define FUZZ_CHECK(condition, ...)                                     \
  do {                                                                 \
    if (!(condition)) {                                                \
      ::syncmgr::fuzz::InvariantFailed(__FILE__, __LINE__, #condition, \
                                       __VA_ARGS__);                   \
    }                                                                  \
  } while (false)

#endif  // SYNCMGR_FUZZ_INTERNAL_CHECK_H_
