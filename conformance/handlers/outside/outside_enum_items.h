// File: conformance/handlers/outside/outside_enum_items.h
//
// The item enumerator (ISyncMgrEnumItems) of the outside handler, the
// independent handler that serves CLSID {0E75DE00-0000-4000-8000-0000000000A1}.
//
// It enumerates a private copy of the handler's items with the conventions
// of COM enumerators: Next returns S_OK only when it fetched `celt` items and
// S_FALSE otherwise, Skip likewise, Clone gives an independent enumerator at
// the same position. Reset returns to the start of the list; every second
// pass (the 2nd, 4th, ... after creation) returns the items in reverse order,
// which the Reset page allows ("nor are the elements necessarily enumerated
// in the same order"). Every method is thread-safe.
//
// Example:
//   ISyncMgrEnumItems* items = nullptr;
//   HRESULT hr = OutsideEnumItems::Create(MakeOutsideItems(), &items);
#ifndef SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_ENUM_ITEMS_H_
#define SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_ENUM_ITEMS_H_

#include <cstddef>
#include <mutex>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::outside {

class OutsideEnumItems final : public syncmgr::com::Object<ISyncMgrEnumItems> {
 public:
  // Creates an enumerator over `items`, positioned at the start of its first
  // (forward) pass. E_POINTER for a NULL `out`, E_OUTOFMEMORY if it cannot be
  // allocated; *out is NULL on failure.
  static HRESULT Create(std::vector<SYNCMGRITEM> items,
                        ISyncMgrEnumItems** out);

  // ISyncMgrEnumItems.
  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* pceltFetched) override;
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override;
  HRESULT STDMETHODCALLTYPE Reset() override;
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** ppenum) override;

 private:
  OutsideEnumItems(std::vector<SYNCMGRITEM> items, std::size_t position,
                   unsigned long passes);
  ~OutsideEnumItems() override = default;

  // The item at `index` of the current pass (reversed on odd passes).
  // Requires mu_.
  const SYNCMGRITEM& ItemOfPass(std::size_t index) const;

  std::mutex mu_;
  const std::vector<SYNCMGRITEM> items_;
  std::size_t position_;  // guarded by mu_
  unsigned long passes_;  // Reset calls so far; guarded by mu_
};

}  // namespace syncmgr::outside

#endif  // SYNCMGR_CONFORMANCE_HANDLERS_OUTSIDE_OUTSIDE_ENUM_ITEMS_H_
