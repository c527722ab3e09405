// File: reference/com/testdata/test_support.h
//
// What the runtime's tests share: the paths of the test plug-ins, passed by
// BUILD.bazel as `--plugin=<name>=$(rootpath ...)` arguments (relative to
// the runfiles directory, the test's working directory), and an exact
// HRESULT assertion that prints codes by name.
//
// Example:
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     syncmgr::com::testing::SetPluginPathsFromArgs(argc, argv);
//     return RUN_ALL_TESTS();
//   }
//   ...
//   EXPECT_HR(S_OK, syncmgr::com::RegisterInprocServer(
//                       clsid, PluginPath("good_server"), &error));
#ifndef SYNCMGR_REFERENCE_COM_TESTDATA_TEST_SUPPORT_H_
#define SYNCMGR_REFERENCE_COM_TESTDATA_TEST_SUPPORT_H_

#include <string>

#include "gtest/gtest.h"
#include "reference/mobsync/hresult.h"
#include "reference/mobsync/windows_types.h"

namespace syncmgr::com::testing {

// Records every `--plugin=<name>=<path>` argument. Call from main().
void SetPluginPathsFromArgs(int argc, char** argv);

// The path given for `name` ("good_server"), or "" if none was given.
std::string PluginPath(const std::string& name);

// For EXPECT_HR/ASSERT_HR.
inline ::testing::AssertionResult HresultEquals(const char* expected_expr,
                                                const char* actual_expr,
                                                HRESULT expected,
                                                HRESULT actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actual_expr << " returned " << syncmgr::DescribeHresult(actual)
         << ", expected " << expected_expr << " = "
         << syncmgr::DescribeHresult(expected);
}

}  // namespace syncmgr::com::testing

// Compares HRESULTs exactly, printing both by name and hex value.
#define EXPECT_HR(expected, actual) \
  EXPECT_PRED_FORMAT2(::syncmgr::com::testing::HresultEquals, expected, actual)
#define ASSERT_HR(expected, actual) \
  ASSERT_PRED_FORMAT2(::syncmgr::com::testing::HresultEquals, expected, actual)

#endif  // SYNCMGR_REFERENCE_COM_TESTDATA_TEST_SUPPORT_H_
