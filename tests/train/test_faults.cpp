// The fault injector's LATENTEBM_INJECT parser (train/faults.h): every part of
// a malformed value is refused with a message naming it, a valid one parses.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "io/atomic_file.h"
#include "io/write_fault.h"
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
  EXPECT_EQ(parse_fault_injection("enospc:write.metrics:0:3").action, "enospc");
  EXPECT_EQ(parse_fault_injection("eio:write.dataset:0:1").point, "write.dataset");
}

// enospc / eio through the write hook (io/write_fault.h): the chosen pass of
// the chosen write point fails with that errno, no other; an atomic write
// that fails keeps the old file and leaves no temporary behind, and its
// error names the path and the errno's text.
TEST(FaultInjection, StorageFaultsStrikeTheChosenWriteOnly) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("latentebm_write_fault_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string target = (dir / "config.yaml").string();
  latentebm::io::write_file_atomically(target, "old\n");

  ::setenv("LATENTEBM_INJECT", "enospc:write.file:0:2", 1);
  latentebm::rearm_fault_injection();
  EXPECT_EQ(latentebm::io::write_fault("write.metrics"), 0);  // another point: not counted
  latentebm::io::write_file_atomically(target, "first\n");  // pass 1 of write.file: fine
  try {
    latentebm::io::write_file_atomically(target, "second, much longer than the first\n");  // pass 2: ENOSPC
    ADD_FAILURE() << "the second write.file did not fail";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot write '" + target + ".tmp."), std::string::npos) << msg;
    EXPECT_NE(msg.find("No space left on device (the disk or quota is full: free space, then rerun"), std::string::npos) << msg;
  }
  std::ifstream in(target);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()), "first\n");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
  EXPECT_EQ(latentebm::io::write_fault("write.file"), 0);  // pass 3: fine again

  ::setenv("LATENTEBM_INJECT", "eio:write.metrics:0:1", 1);
  latentebm::rearm_fault_injection();
  EXPECT_EQ(latentebm::io::write_fault("write.metrics"), EIO);
  ::unsetenv("LATENTEBM_INJECT");
  latentebm::rearm_fault_injection();
  EXPECT_EQ(latentebm::io::write_fault("write.metrics"), 0);
  fs::remove_all(dir);
}

TEST(FaultInjection, RefusesAMalformedValueNamingWhatIsWrong) {
  const struct {
    const char* value;
    const char* message;
  } cases[] = {
      {"kill:train.iteration:1", "expected <action>:<point>:<rank>:<occurrence> (four fields)"},
      {"kill:train.iteration:1:2:3", "(four fields)"},
      {"", "(four fields)"},
      {"explode:train.iteration:1:3", "unknown action 'explode' (kill, term, hang, throw, corrupt, enospc, eio, sleep<seconds>)"},
      {"sleep:train.iteration:1:3", "unknown action 'sleep'"},
      {"sleepy:train.iteration:1:3", "unknown action 'sleepy'"},
      {"kill:train.iteraton:1:3", "unknown point 'train.iteraton'; known points: train.iteration, "},
      {"corrupt:train.iteration:1:3", "nothing to corrupt at 'train.iteration'"},
      {"enospc:checkpoint.begin:0:1", "'enospc' strikes only at a write point (write.*)"},
      {"kill:write.memory:0:1", "'kill' is not a storage fault; at a write point use enospc or eio"},
      {"eio:write.memry:0:1", "unknown point 'write.memry'"},
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
