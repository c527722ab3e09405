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

#define REQUIREMENT(ids) ::testing::Test::RecordProperty("requirements", ids)

#endif  // SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_
