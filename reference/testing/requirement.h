// File: reference/testing/requirement.h
//
// Ties a test to the requirement IDs of reference/SPEC.md it checks: they
// land in GoogleTest's XML/JSON output as the property "requirements", which
// the reports read.
//
// Example:
//   TEST_P(UpdateItemsArguments, UnknownFlagBitsAreRejected) {
//     REQUIREMENT("UI-105 UI-113");
//     ...
//   }
#ifndef SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_
#define SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_

#include <gtest/gtest.h>

#include <cstdio>

// Also printed to stderr at once, so that a supervisor can tell which
// requirements a test that then crashed or hung was checking.
#define REQUIREMENT(ids)                                  \
  do {                                                    \
    ::testing::Test::RecordProperty("requirements", ids); \
    std::fprintf(stderr, "[ REQUIREMENTS ] %s\n", ids);   \
  } while (0)

#endif  // SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_
