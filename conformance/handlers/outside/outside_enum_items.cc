// File: conformance/handlers/outside/outside_enum_items.cc
//
// The outside handler's item enumerator (see outside_enum_items.h). The
// handler serves CLSID {0E75DE00-0000-4000-8000-0000000000A1}.
#include "conformance/handlers/outside/outside_enum_items.h"

#include <algorithm>
#include <new>
#include <utility>

namespace syncmgr::outside {

HRESULT OutsideEnumItems::Create(std::vector<SYNCMGRITEM> items,
                                 ISyncMgrEnumItems** out) {
  if (out == nullptr) return E_POINTER;
  *out = nullptr;
  auto* created = new (std::nothrow) OutsideEnumItems(std::move(items), 0, 0);
  if (created == nullptr) return E_OUTOFMEMORY;
  *out = created;  // the reference `new` gave us goes to the caller
  return S_OK;
}

OutsideEnumItems::OutsideEnumItems(std::vector<SYNCMGRITEM> items,
                                   std::size_t position, unsigned long passes)
    : items_(std::move(items)), position_(position), passes_(passes) {}

const SYNCMGRITEM& OutsideEnumItems::ItemOfPass(std::size_t index) const {
  const bool reversed = (passes_ % 2) == 1;
  return reversed ? items_[items_.size() - 1 - index] : items_[index];
}

HRESULT STDMETHODCALLTYPE OutsideEnumItems::Next(ULONG celt, SYNCMGRITEM* rgelt,
                                                 ULONG* pceltFetched) {
  if (pceltFetched != nullptr) *pceltFetched = 0;
  if (celt == 0) return S_OK;  // fetched all 0 items asked for
  if (rgelt == nullptr) return E_POINTER;
  // IEnumXXX::Next: a caller asking for more than one item must say where
  // to put the count.
  if (celt > 1 && pceltFetched == nullptr) return E_POINTER;

  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t left = items_.size() - position_;
  const ULONG fetched = static_cast<ULONG>(
      std::min<std::size_t>(static_cast<std::size_t>(celt), left));
  for (ULONG i = 0; i < fetched; ++i) {
    rgelt[i] = ItemOfPass(position_ + i);
  }
  position_ += fetched;
  if (pceltFetched != nullptr) *pceltFetched = fetched;
  return fetched == celt ? S_OK : S_FALSE;
}

HRESULT STDMETHODCALLTYPE OutsideEnumItems::Skip(ULONG celt) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t left = items_.size() - position_;
  const std::size_t skipped =
      std::min<std::size_t>(static_cast<std::size_t>(celt), left);
  position_ += skipped;
  return skipped == celt ? S_OK : S_FALSE;
}

HRESULT STDMETHODCALLTYPE OutsideEnumItems::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  position_ = 0;
  ++passes_;
  return S_OK;
}

HRESULT STDMETHODCALLTYPE OutsideEnumItems::Clone(ISyncMgrEnumItems** ppenum) {
  if (ppenum == nullptr) return E_POINTER;
  *ppenum = nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  // Same items, same position, same pass: the clone continues exactly where
  // this enumerator stands, and from then on moves on its own.
  try {
    *ppenum = new OutsideEnumItems(items_, position_, passes_);
  } catch (const std::bad_alloc&) {
    return E_OUTOFMEMORY;
  }
  return S_OK;
}

}  // namespace syncmgr::outside
