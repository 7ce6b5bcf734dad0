#pragma once
// GPU test cases (issue 51): on a machine without the GPUs a case needs, it
// reports Skipped in ctest, never Passed; where the machine is meant to have
// them (LATENTEBM_REQUIRE_GPU=N, set by bench/gpu/check.sh) the same skip is
// a failure.
//
//   - A case that needs a GPU lives in a test suite whose name ends in "Gpu"
//     (TEST(PrecisionGpu, ...)). tests/CMakeLists.txt runs those cases as a
//     ctest entry of their own (<binary>_gpu, label gpu), so a binary's CPU
//     cases still pass or fail on their own.
//   - It skips only through LATENTEBM_SKIP_WITHOUT_GPUS(n, why): n is the
//     number of GPUs it needs. With LATENTEBM_REQUIRE_GPU=N and n <= N this
//     fails the case instead; called from a suite not ending in "Gpu" it
//     fails too (its skip would hide among the binary's passes).
//   - tests/support/test_main.cpp exits 77 when every case it ran skipped,
//     which ctest (SKIP_RETURN_CODE 77) reports as Skipped.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace latentebm::test {

// LATENTEBM_REQUIRE_GPU as a number of GPUs: unset or empty 0; -1 (and a
// refusal from gpu_skip_refusal) when it is not a whole number >= 0.
inline int required_gpus() {
  const char* v = std::getenv("LATENTEBM_REQUIRE_GPU");
  if (v == nullptr || *v == '\0') return 0;
  const std::string s(v);
  if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 3) return -1;
  return std::stoi(s);
}

// Why a GPU skip must not happen here, or "" when it may.
inline std::string gpu_skip_refusal(int needed) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string suite = info != nullptr ? info->test_suite_name() : "";
  if (suite.size() < 3 || suite.compare(suite.size() - 3, 3, "Gpu") != 0)
    return "a GPU case in test suite '" + suite + "', whose name does not end in Gpu: rename the suite so that "
           "tests/CMakeLists.txt runs it as its own ctest entry (tests/support/gpu.h)";
  const int required = required_gpus();
  if (required < 0)
    return std::string("LATENTEBM_REQUIRE_GPU must be a number of GPUs (0, 1, 2, ...), got '") +
           std::getenv("LATENTEBM_REQUIRE_GPU") + "'";
  if (required >= needed)
    return "LATENTEBM_REQUIRE_GPU=" + std::to_string(required) + ": this machine must run every case needing " +
           std::to_string(needed) + " GPU(s), and this one cannot";
  return "";
}

}  // namespace latentebm::test

// Skips the current case (it needs n GPUs and this machine lacks them, for
// the reason `why`), or fails it where tests/support/gpu.h says a skip must
// not happen. Use it as a statement: if (!have) LATENTEBM_SKIP_WITHOUT_GPUS(1, "...");
#define LATENTEBM_SKIP_WITHOUT_GPUS(n, why)                                             \
  do {                                                                                  \
    const std::string latentebm_refusal_ = ::latentebm::test::gpu_skip_refusal(n);      \
    if (!latentebm_refusal_.empty()) GTEST_FAIL() << latentebm_refusal_ << ": " << why; \
    GTEST_SKIP() << why;                                                                \
  } while (0)
