#include "reference/mobsync/mobsync.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"
#include "reference/mobsync/vtable_slot.h"

namespace {

using syncmgr::VtableSlot;

// Slot numbers: docs/api-facts.md#vtables (measured from MinGW's C vtables
// by the fidelity test).
TEST(VtableLayout, IUnknownTakesSlotsZeroToTwo) {
  EXPECT_EQ(VtableSlot(&IUnknown::QueryInterface), 0);
  EXPECT_EQ(VtableSlot(&IUnknown::AddRef), 1);
  EXPECT_EQ(VtableSlot(&IUnknown::Release), 2);
  EXPECT_EQ(VtableSlot(&IClassFactory::CreateInstance), 3);
  EXPECT_EQ(VtableSlot(&IClassFactory::LockServer), 4);
}

TEST(VtableLayout, SynchronizeInvoke) {
  ::testing::Test::RecordProperty("requirements", "UI-016");
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronizeInvoke::UpdateItems), 3);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronizeInvoke::UpdateAll), 4);
}

TEST(VtableLayout, Synchronize) {
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::Initialize), 3);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::GetHandlerInfo), 4);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::EnumSyncMgrItems), 5);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::GetItemObject), 6);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::ShowProperties), 7);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::SetProgressCallback), 8);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::PrepareForSync), 9);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::Synchronize), 10);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::SetItemStatus), 11);
  EXPECT_EQ(VtableSlot(&ISyncMgrSynchronize::ShowError), 12);
}

TEST(VtableLayout, SynchronizeCallback) {
  using Cb = ISyncMgrSynchronizeCallback;
  EXPECT_EQ(VtableSlot(&Cb::ShowPropertiesCompleted), 3);
  EXPECT_EQ(VtableSlot(&Cb::PrepareForSyncCompleted), 4);
  EXPECT_EQ(VtableSlot(&Cb::SynchronizeCompleted), 5);
  EXPECT_EQ(VtableSlot(&Cb::ShowErrorCompleted), 6);
  EXPECT_EQ(VtableSlot(&Cb::EnableModeless), 7);
  EXPECT_EQ(VtableSlot(&Cb::Progress), 8);
  EXPECT_EQ(VtableSlot(&Cb::LogError), 9);
  EXPECT_EQ(VtableSlot(&Cb::DeleteLogError), 10);
  EXPECT_EQ(VtableSlot(&Cb::EstablishConnection), 11);
}

TEST(VtableLayout, EnumItemsAndRegister) {
  EXPECT_EQ(VtableSlot(&ISyncMgrEnumItems::Next), 3);
  EXPECT_EQ(VtableSlot(&ISyncMgrEnumItems::Skip), 4);
  EXPECT_EQ(VtableSlot(&ISyncMgrEnumItems::Reset), 5);
  EXPECT_EQ(VtableSlot(&ISyncMgrEnumItems::Clone), 6);
  EXPECT_EQ(VtableSlot(&ISyncMgrRegister::RegisterSyncMgrHandler), 3);
  EXPECT_EQ(VtableSlot(&ISyncMgrRegister::UnregisterSyncMgrHandler), 4);
  EXPECT_EQ(VtableSlot(&ISyncMgrRegister::GetHandlerRegistrationInfo), 5);
}

// Memory bytes of CLSID_SyncMgr, little-endian fields
// (docs/api-facts.md#guids).
TEST(Guids, MemoryBytesMatchWindows) {
  const unsigned char expected[16] = {0x27, 0xDF, 0x95, 0x62, 0xEE, 0x35,
                                      0xD1, 0x11, 0x87, 0x07, 0x00, 0xC0,
                                      0x4F, 0xD9, 0x33, 0x27};
  EXPECT_EQ(std::memcmp(&CLSID_SyncMgr, expected, 16), 0);
  const struct {
    const GUID& id;
    unsigned char first_byte;
  } others[] = {{IID_ISyncMgrEnumItems, 0x2A},
                {IID_ISyncMgrSynchronizeInvoke, 0x2C},
                {IID_ISyncMgrSynchronize, 0x40},
                {IID_ISyncMgrSynchronizeCallback, 0x41},
                {IID_ISyncMgrRegister, 0x42}};
  for (const auto& other : others) {
    unsigned char bytes[16];
    std::memcpy(bytes, expected, 16);
    bytes[0] = other.first_byte;
    EXPECT_EQ(std::memcmp(&other.id, bytes, 16), 0) << other.id;
  }
}

TEST(Guids, InterfaceIdTraits) {
  EXPECT_EQ(InterfaceId<ISyncMgrSynchronizeInvoke>::value(),
            IID_ISyncMgrSynchronizeInvoke);
  ISyncMgrRegister* reg = nullptr;
  auto check = [](REFIID iid, void** ppv) {
    EXPECT_EQ(iid, IID_ISyncMgrRegister);
    EXPECT_NE(ppv, nullptr);
  };
  check(IID_PPV_ARGS(&reg));
}

TEST(GuidText, FormatIsRegistryStyle) {
  EXPECT_EQ(syncmgr::FormatGuid(CLSID_SyncMgr),
            "{6295DF27-35EE-11D1-8707-00C04FD93327}");
  EXPECT_EQ(syncmgr::FormatGuid(IID_IUnknown),
            "{00000000-0000-0000-C000-000000000046}");
  EXPECT_EQ(syncmgr::FormatGuid(GUID_NULL),
            "{00000000-0000-0000-0000-000000000000}");
}

TEST(GuidText, ParseAcceptsBothCasesWithOrWithoutBraces) {
  for (const char* text : {"{6295DF27-35EE-11D1-8707-00C04FD93327}",
                           "{6295df27-35ee-11d1-8707-00c04fd93327}",
                           "6295DF27-35EE-11D1-8707-00C04FD93327"}) {
    GUID g{};
    std::string error;
    ASSERT_TRUE(syncmgr::ParseGuid(text, &g, &error)) << text << ": " << error;
    EXPECT_EQ(g, CLSID_SyncMgr) << text;
  }
}

TEST(GuidText, ParseRejectsMalformedTextWithAReason) {
  const struct {
    const char* text;
    const char* reason;
  } cases[] = {
      {"", "0 characters"},
      {"{}", "0 characters"},
      {"{6295DF27-35EE-11D1-8707-00C04FD93327", "unbalanced brace"},
      {"6295DF27-35EE-11D1-8707-00C04FD93327}", "unbalanced brace"},
      {"{6295DF27-35EE-11D1-8707-00C04FD9332}", "35 characters"},
      {"{6295DF27-35EE-11D1-8707-00C04FD933270}", "37 characters"},
      {"{6295DF27+35EE-11D1-8707-00C04FD93327}", "expected '-' at position 9"},
      {"{6295DG27-35EE-11D1-8707-00C04FD93327}", "'G' at position 6"},
      {"{6295DF27-35EE-11D1-8707-00C04FD9332 }", "' ' at position 36"},
  };
  for (const auto& c : cases) {
    GUID g = CLSID_SyncMgr;
    std::string error;
    EXPECT_FALSE(syncmgr::ParseGuid(c.text, &g, &error)) << c.text;
    EXPECT_NE(error.find(c.reason), std::string::npos)
        << c.text << " gave: " << error;
    EXPECT_EQ(g, CLSID_SyncMgr) << "output touched on failure: " << c.text;
  }
}

TEST(GuidText, RoundTripsEveryByteValue) {
  for (int b = 0; b < 256; ++b) {
    GUID g;
    std::memset(&g, b, sizeof g);
    g.Data4[7] = static_cast<unsigned char>(255 - b);
    GUID back{};
    ASSERT_TRUE(syncmgr::ParseGuid(syncmgr::FormatGuid(g), &back, nullptr));
    EXPECT_EQ(std::memcmp(&g, &back, sizeof g), 0);
  }
}

TEST(HresultText, NamesAndHex) {
  EXPECT_EQ(syncmgr::DescribeHresult(E_INVALIDARG),
            "E_INVALIDARG (0x80070057)");
  EXPECT_EQ(syncmgr::DescribeHresult(S_OK), "S_OK (0x00000000)");
  EXPECT_EQ(syncmgr::DescribeHresult(S_SYNCMGR_CANCELALL),
            "S_SYNCMGR_CANCELALL (0x00040204)");
  EXPECT_EQ(syncmgr::DescribeHresult(static_cast<HRESULT>(0x80001234u)),
            "0x80001234");
  EXPECT_EQ(syncmgr::HresultName(static_cast<HRESULT>(0x80001234u)), nullptr);
}

TEST(HresultText, Parse) {
  HRESULT hr = 0;
  EXPECT_TRUE(syncmgr::ParseHresult("E_OUTOFMEMORY", &hr));
  EXPECT_EQ(hr, E_OUTOFMEMORY);
  EXPECT_TRUE(syncmgr::ParseHresult("0x8000FFFF", &hr));
  EXPECT_EQ(hr, E_UNEXPECTED);
  for (const char* bad : {"", "0x", "E_NOPE", "0x-1", "0x123456789", "12"}) {
    EXPECT_FALSE(syncmgr::ParseHresult(bad, &hr)) << bad;
  }
}

}  // namespace
