// Not compiled: input for spec_check's self-test (--certify). AA-001 is
// listed and observed; AA-006 (kSessionRequirements) and AA-003 (a
// scenario's list) are listed but never observed.
const std::vector<std::string> kSessionRequirements = {"AA-001", "AA-006"};

void Driver::ObserveSession(const SessionReport& report) { Observed("AA-001"); }

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all;
  all.push_back({"fails_only",
                 "A scenario that can fail AA-003 but never observe it",
                 {"AA-003"},
                 [](Driver& d) { d.Fail("AA-003", "always"); }});
  return all;
}
