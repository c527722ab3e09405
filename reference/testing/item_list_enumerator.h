// The one ISyncMgrEnumItems test double over a list of items, by the COM
// enumerator rules that mobsync's enumerator shares (SPEC.md EN-001,
// EN-002, EN-101):
//   Next(celt)  copies up to celt entries, sets *pceltFetched (which may be
//               NULL only when celt is 1) to the number copied, and answers
//               S_OK when that is celt, S_FALSE when fewer were left;
//   Skip(celt)  moves past up to celt entries: S_OK when celt were left,
//               S_FALSE when it stopped at the end;
//   Reset       starts over: S_OK;
//   Clone       an independent enumerator at the same position: S_OK.
// Header-only: the Windows builds (windows/) compile it into their handler
// DLLs. NextFromList and SkipInList are the same rules for doubles that
// need an IUnknown of their own (reference/testing/fake_handler.cc counts
// every call).
#ifndef SYNCMGR_REFERENCE_TESTING_ITEM_LIST_ENUMERATOR_H_
#define SYNCMGR_REFERENCE_TESTING_ITEM_LIST_ENUMERATOR_H_

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"

namespace syncmgr::testing {

// IEnumXXX::Next over `items` from `*position`.
inline HRESULT NextFromList(const std::vector<SYNCMGRITEM>& items,
                            size_t* position, ULONG celt, SYNCMGRITEM* rgelt,
                            ULONG* fetched) {
  if ((rgelt == nullptr && celt > 0) || (celt > 1 && fetched == nullptr)) {
    return E_INVALIDARG;
  }
  ULONG n = 0;
  while (n < celt && *position < items.size()) {
    rgelt[n++] = items[(*position)++];
  }
  if (fetched != nullptr) *fetched = n;
  return n == celt ? S_OK : S_FALSE;
}

// IEnumXXX::Skip over a list of `size` entries from `*position`.
inline HRESULT SkipInList(size_t size, size_t* position, ULONG celt) {
  const size_t left = size - std::min(size, *position);
  *position += std::min<size_t>(celt, left);
  return celt <= left ? S_OK : S_FALSE;
}

class ItemListEnumerator final : public com::Object<ISyncMgrEnumItems> {
 public:
  explicit ItemListEnumerator(std::vector<SYNCMGRITEM> items,
                              size_t position = 0)
      : items_(std::move(items)), position_(position) {}

  HRESULT STDMETHODCALLTYPE Next(ULONG celt, SYNCMGRITEM* rgelt,
                                 ULONG* fetched) override {
    return NextFromList(items_, &position_, celt, rgelt, fetched);
  }
  HRESULT STDMETHODCALLTYPE Skip(ULONG celt) override {
    return SkipInList(items_.size(), &position_, celt);
  }
  HRESULT STDMETHODCALLTYPE Reset() override {
    position_ = 0;
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE Clone(ISyncMgrEnumItems** out) override {
    if (out == nullptr) return E_INVALIDARG;
    *out = new (std::nothrow) ItemListEnumerator(items_, position_);
    return *out != nullptr ? S_OK : E_OUTOFMEMORY;
  }

 private:
  std::vector<SYNCMGRITEM> items_;
  size_t position_;
};

}  // namespace syncmgr::testing

#endif  // SYNCMGR_REFERENCE_TESTING_ITEM_LIST_ENUMERATOR_H_
