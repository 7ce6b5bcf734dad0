// The fault injector's LATENTEBM_INJECT parser (train/faults.h): every part of
// a malformed value is refused with a message naming it, a valid one parses.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "train/faults.h"

namespace {

using latentebm::parse_fault_injection;

// The message parse_fault_injection throws for `value`, or "" when it parses.
std::string error_of(const std::string& value) {
  try {
    parse_fault_injection(value);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(FaultInjection, ParsesAValidValue) {
  const auto inj = parse_fault_injection("kill:checkpoint.memory-sent:1:2");
  EXPECT_EQ(inj.action, "kill");
  EXPECT_EQ(inj.point, "checkpoint.memory-sent");
  EXPECT_EQ(inj.rank, 1);
  EXPECT_EQ(inj.occurrence, 2);
  EXPECT_EQ(parse_fault_injection("corrupt:train.stage-broadcast:0:1").action, "corrupt");
  EXPECT_EQ(parse_fault_injection("sleep25:report.final:0:1").action, "sleep25");
}

TEST(FaultInjection, RefusesAMalformedValueNamingWhatIsWrong) {
  const struct {
    const char* value;
    const char* message;
  } cases[] = {
      {"kill:train.iteration:1", "expected <action>:<point>:<rank>:<occurrence> (four fields)"},
      {"kill:train.iteration:1:2:3", "(four fields)"},
      {"", "(four fields)"},
      {"explode:train.iteration:1:3", "unknown action 'explode' (kill, term, hang, throw, corrupt, sleep<seconds>)"},
      {"sleep:train.iteration:1:3", "unknown action 'sleep'"},
      {"sleepy:train.iteration:1:3", "unknown action 'sleepy'"},
      {"kill:train.iteraton:1:3", "unknown point 'train.iteraton'; known points: train.iteration, "},
      {"corrupt:train.iteration:1:3", "nothing to corrupt at 'train.iteration'"},
      {"kill:train.iteration:x:3", "rank 'x' is not a whole number >= 0"},
      {"kill:train.iteration:-1:3", "rank '-1' is not a whole number >= 0"},
      {"kill:train.iteration::3", "rank '' is not a whole number >= 0"},
      {"kill:train.iteration:1:0", "occurrence '0' is not a whole number >= 1"},
      {"kill:train.iteration:1:3x", "occurrence '3x' is not a whole number >= 1"},
      {"kill:train.iteration:1:99999999999", "occurrence '99999999999' is not a whole number >= 1"},
  };
  for (const auto& c : cases) {
    const std::string error = error_of(c.value);
    EXPECT_NE(error.find(std::string("LATENTEBM_INJECT='") + c.value + "'"), std::string::npos) << c.value << ": " << error;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.value << ": " << error;
  }
}

}  // namespace
