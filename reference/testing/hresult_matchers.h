// File: reference/testing/hresult_matchers.h
//
// HRESULTs compared exactly and printed by name: a failure reads
// "returned E_FAIL (0x80004005), expected E_INVALIDARG (0x80070057)".
//
// Example:
//   EXPECT_THAT(invoke->UpdateItems(0x1, clsid, 0, nullptr),
//               HresultIs(E_INVALIDARG));
#ifndef SYNCMGR_REFERENCE_TESTING_HRESULT_MATCHERS_H_
#define SYNCMGR_REFERENCE_TESTING_HRESULT_MATCHERS_H_

#include <gmock/gmock.h>

#include "reference/mobsync/hresult.h"

namespace syncmgr::testing {

MATCHER_P(HresultIs, expected,
          std::string(negation ? "isn't " : "is ") +
              syncmgr::DescribeHresult(expected)) {
  *result_listener << "which is " << syncmgr::DescribeHresult(arg);
  return arg == expected;
}

}  // namespace syncmgr::testing

#endif  // SYNCMGR_REFERENCE_TESTING_HRESULT_MATCHERS_H_
