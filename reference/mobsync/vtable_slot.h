// File: reference/mobsync/vtable_slot.h
//
// The vtable slot of a virtual member function under the Itanium C++ ABI
// (Linux): used by tests and the fidelity report to prove that interface
// methods sit in the slots of Windows' C vtables.
//
// Example:
//   EXPECT_EQ(syncmgr::VtableSlot(&ISyncMgrSynchronizeInvoke::UpdateItems), 3);
#ifndef SYNCMGR_REFERENCE_MOBSYNC_VTABLE_SLOT_H_
#define SYNCMGR_REFERENCE_MOBSYNC_VTABLE_SLOT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace syncmgr {

// Returns -1 if `method` is not virtual.
template <typename Class, typename Method>
long VtableSlot(Method Class::*method) {
  // A pointer to a virtual member function is {1 + byte offset in the
  // vtable, this-adjustment} under the Itanium ABI.
  struct Representation {
    std::uintptr_t ptr;
    std::ptrdiff_t adj;
  };
  static_assert(sizeof(method) == sizeof(Representation),
                "unexpected member-function pointer size");
  Representation rep;
  std::memcpy(&rep, &method, sizeof rep);
  if ((rep.ptr & 1) == 0) return -1;
  return static_cast<long>((rep.ptr - 1) / sizeof(void*));
}

}  // namespace syncmgr

#endif  // SYNCMGR_REFERENCE_MOBSYNC_VTABLE_SLOT_H_
