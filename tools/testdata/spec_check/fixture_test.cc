// Not compiled: input for spec_check's self-test.
TEST(Good, Traced) { REQUIREMENT("AA-001"); }

TEST_P(Good, NamesAnUnknownId) { REQUIREMENT("AA-001 ZZ-999"); }
