#include "reference/testing/item_list_enumerator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "reference/testing/hresult_matchers.h"

namespace syncmgr::testing {
namespace {

using com::ComPtr;

std::vector<SYNCMGRITEM> Items(int n) {
  std::vector<SYNCMGRITEM> items(n);
  for (int i = 0; i < n; ++i) {
    items[i].cbSize = sizeof(SYNCMGRITEM);
    items[i].ItemID.Data1 = 0x1000u + static_cast<unsigned>(i);
  }
  return items;
}

ComPtr<ISyncMgrEnumItems> Enumerator(int n) {
  return ComPtr<ISyncMgrEnumItems>::Adopt(new ItemListEnumerator(Items(n)));
}

// The Data1 of the next item, or 0 when Next gave none.
unsigned long NextId(ISyncMgrEnumItems* e) {
  SYNCMGRITEM item{};
  ULONG fetched = 0;
  return e->Next(1, &item, &fetched) == S_OK && fetched == 1 ? item.ItemID.Data1
                                                             : 0;
}

TEST(ItemListEnumerator, NextAnswersSOkOnlyWhenItFetchedCelt) {
  ComPtr<ISyncMgrEnumItems> e = Enumerator(3);
  SYNCMGRITEM out[4] = {};
  ULONG fetched = 99;
  EXPECT_THAT(e->Next(2, out, &fetched), HresultIs(S_OK));
  EXPECT_EQ(fetched, 2u);
  EXPECT_EQ(out[1].ItemID.Data1, 0x1001u);
  EXPECT_THAT(e->Next(2, out, &fetched), HresultIs(S_FALSE));
  EXPECT_EQ(fetched, 1u);
  EXPECT_EQ(out[0].ItemID.Data1, 0x1002u);
  EXPECT_THAT(e->Next(1, out, &fetched), HresultIs(S_FALSE));
  EXPECT_EQ(fetched, 0u);
  EXPECT_THAT(e->Next(0, out, &fetched),
              HresultIs(S_OK));  // nothing asked, nothing short
  EXPECT_EQ(fetched, 0u);
}

TEST(ItemListEnumerator, FetchedMayBeNullOnlyForOneEntry) {
  ComPtr<ISyncMgrEnumItems> e = Enumerator(3);
  SYNCMGRITEM out[2] = {};
  EXPECT_THAT(e->Next(1, out, nullptr), HresultIs(S_OK));
  EXPECT_THAT(e->Next(2, out, nullptr), HresultIs(E_INVALIDARG));
  EXPECT_THAT(e->Next(1, nullptr, nullptr), HresultIs(E_INVALIDARG));
  EXPECT_EQ(NextId(e.Get()), 0x1001u) << "a refused Next moved the position";
}

TEST(ItemListEnumerator, SkipAnswersSFalseWhenItStoppedAtTheEnd) {
  ComPtr<ISyncMgrEnumItems> e = Enumerator(3);
  EXPECT_THAT(e->Skip(1), HresultIs(S_OK));
  EXPECT_EQ(NextId(e.Get()), 0x1001u);
  EXPECT_THAT(e->Skip(1), HresultIs(S_OK));  // exactly the last one
  EXPECT_EQ(NextId(e.Get()), 0u);
  EXPECT_THAT(e->Skip(1), HresultIs(S_FALSE));
  EXPECT_THAT(e->Reset(), HresultIs(S_OK));
  EXPECT_THAT(e->Skip(5), HresultIs(S_FALSE));
  EXPECT_EQ(NextId(e.Get()), 0u);
}

TEST(ItemListEnumerator, ResetStartsOver) {
  ComPtr<ISyncMgrEnumItems> e = Enumerator(2);
  EXPECT_EQ(NextId(e.Get()), 0x1000u);
  EXPECT_EQ(NextId(e.Get()), 0x1001u);
  EXPECT_THAT(e->Reset(), HresultIs(S_OK));
  EXPECT_EQ(NextId(e.Get()), 0x1000u);
}

TEST(ItemListEnumerator, CloneIsIndependentAndAtTheSamePosition) {
  ComPtr<ISyncMgrEnumItems> e = Enumerator(3);
  EXPECT_EQ(NextId(e.Get()), 0x1000u);
  ComPtr<ISyncMgrEnumItems> clone;
  ASSERT_THAT(e->Clone(clone.Put()), HresultIs(S_OK));
  ASSERT_TRUE(clone);
  EXPECT_NE(clone.Get(), e.Get());
  EXPECT_EQ(NextId(clone.Get()), 0x1001u);
  EXPECT_EQ(NextId(clone.Get()), 0x1002u);
  EXPECT_EQ(NextId(e.Get()), 0x1001u) << "moving the clone moved the original";
  EXPECT_THAT(e->Clone(nullptr), HresultIs(E_INVALIDARG));
}

}  // namespace
}  // namespace syncmgr::testing
