// File: reference/mobsync/fidelity/fidelity_printer.cc
//
// Prints every fact of fidelity_table.inc as one `name value` line, in table
// order. The same source is built twice:
//   - by x86_64-w64-mingw32-g++ against the real Windows headers (MinGW-w64),
//     then run under Wine: the Windows side;
//   - by Bazel on Linux against reference/mobsync/mobsync.h: our side.
// fidelity.sh compares the two outputs. Only the includes and the way a
// vtable slot is found differ, behind `#ifdef _WIN32`:
//   Windows: offsetof(IFooVtbl, Method) / sizeof(void*) in MIDL's C vtable
//            (CINTERFACE), slot count sizeof(IFooVtbl) / sizeof(void*);
//   Linux:   syncmgr::VtableSlot(&IFoo::Method) (Itanium ABI), slot count
//            the largest slot listed for IFoo plus one.
//
// Example output lines:
//   struct.SYNCMGRITEM.size 304
//   const.SYNCMGRFLAG_INVOKE 0x5
//   guid.CLSID_SyncMgr {6295DF27-35EE-11D1-8707-00C04FD93327}
//   vtable.ISyncMgrSynchronizeInvoke.UpdateItems 3
#ifdef _WIN32
#define INITGUID
#define CINTERFACE  // MIDL's C vtable structs (IFooVtbl), the ABI's definition
#include <windows.h>
// windows.h must come first.
#include <cguid.h>
#include <mobsync.h>
#include <objbase.h>
#else
#include "reference/mobsync/mobsync.h"
#include "reference/mobsync/vtable_slot.h"
#endif

#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <type_traits>

namespace {

void Emit(const std::string& name, const std::string& value) {
  std::printf("%s %s\n", name.c_str(), value.c_str());
}

std::string Decimal(long long v) { return std::to_string(v); }

std::string Hex(long long v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s0x%llX", v < 0 ? "-" : "",
                static_cast<unsigned long long>(v < 0 ? -v : v));
  return buffer;
}

std::string HresultText(std::uint32_t v) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08" PRIX32, v);
  return buffer;
}

std::string GuidText(const GUID& g) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer,
                "{%08" PRIX32 "-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
                static_cast<std::uint32_t>(g.Data1),
                static_cast<unsigned>(g.Data2), static_cast<unsigned>(g.Data3),
                g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3], g.Data4[4],
                g.Data4[5], g.Data4[6], g.Data4[7]);
  return buffer;
}

// An enumerator is looked up as Enum::Name inside a template, so a name the
// header lacks is a substitution failure (reported as absent), not a build
// error. Pass 1 defines one detector per enumerator.
#define FIDELITY_ENUMERATOR(T, N)                                    \
  template <typename E, typename = void>                             \
  struct Probe_##N {                                                 \
    static constexpr bool kPresent = false;                          \
    static constexpr long long Value() { return 0; }                 \
  };                                                                 \
  template <typename E>                                              \
  struct Probe_##N<E, std::void_t<decltype(E::N)>> {                 \
    static constexpr bool kPresent = true;                           \
    static constexpr long long Value() { return (long long)(E::N); } \
  };
#include "fidelity_table.inc"  // NOLINT(build/include)

#ifdef _WIN32
#define FIDELITY_SLOT(I, M) \
  static_cast<long>(offsetof(I##Vtbl, M) / sizeof(void*))
#define FIDELITY_SLOT_COUNT(I, max_slot) \
  static_cast<long>(sizeof(I##Vtbl) / sizeof(void*))
#define FIDELITY_CHECK_OURS(condition, message)
#else
#define FIDELITY_SLOT(I, M) syncmgr::VtableSlot(&I::M)
#define FIDELITY_SLOT_COUNT(I, max_slot) ((max_slot) + 1)
// Our header names every enumerator of the table (it follows the SDK, a
// superset of MinGW's), so an absent one here is a typo in the table.
#define FIDELITY_CHECK_OURS(condition, message) \
  static_assert(condition, message)
#endif

void PrintAll() {
  // A comment line (compare.py skips it) naming the headers printed.
#ifdef _WIN32
  std::printf("# MinGW-w64 %s headers (<mobsync.h>), gcc %s, Windows x64\n",
              __MINGW64_VERSION_STR, __VERSION__);
#else
  std::printf("# reference/mobsync/mobsync.h, compiler %s, Linux x86-64\n",
              __VERSION__);
#endif
  // Largest slot printed so far per interface (the Linux slot count).
  std::map<std::string, long> max_slot;

  // Pass 2: one or more lines per entry.
#define FIDELITY_BASE_TYPE(T)                     \
  Emit("type." #T ".size", Decimal(sizeof(T)));   \
  Emit("type." #T ".align", Decimal(alignof(T))); \
  Emit("type." #T ".signed", Decimal(std::is_signed<T>::value ? 1 : 0));
#define FIDELITY_STRUCT(T)                        \
  Emit("struct." #T ".size", Decimal(sizeof(T))); \
  Emit("struct." #T ".align", Decimal(alignof(T)));
#define FIDELITY_FIELD(T, f)                                    \
  Emit("struct." #T "." #f ".offset", Decimal(offsetof(T, f))); \
  Emit("struct." #T "." #f ".size", Decimal(sizeof(T::f)));
#define FIDELITY_ENUM(T) Emit("enum." #T ".size", Decimal(sizeof(T)));
#define FIDELITY_ENUMERATOR(T, N)                                       \
  FIDELITY_CHECK_OURS(Probe_##N<T>::kPresent, #T "::" #N " not found"); \
  if (Probe_##N<T>::kPresent) {                                         \
    Emit("const." #N, Hex(Probe_##N<T>::Value()));                      \
  }
#define FIDELITY_CONSTANT(N) Emit("const." #N, Hex((long long)(N)));
#define FIDELITY_HRESULT(N) \
  Emit("hresult." #N, HresultText(static_cast<std::uint32_t>(N)));
#define FIDELITY_GUID(N) Emit("guid." #N, GuidText(N));
#define FIDELITY_METHOD(I, M)                   \
  {                                             \
    long slot = FIDELITY_SLOT(I, M);            \
    auto it = max_slot.emplace(#I, slot).first; \
    if (slot > it->second) it->second = slot;   \
    Emit("vtable." #I "." #M, Decimal(slot));   \
  }
#define FIDELITY_INTERFACE(I) \
  Emit("vtable." #I ".slots", Decimal(FIDELITY_SLOT_COUNT(I, max_slot[#I])));
#include "fidelity_table.inc"  // NOLINT(build/include)
}

}  // namespace

int main() {
  PrintAll();
  return std::fflush(stdout) == 0 ? 0 : 1;
}
