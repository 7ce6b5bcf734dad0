#pragma once
// Checking the message of an expected error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace latentebm::testing {

// The message of the exception (of type E) `fn` throws; a test failure, and
// "", when it throws nothing or another type.
template <class E = std::exception, class Fn>
std::string error_of(Fn&& fn) {
  try {
    try {
      fn();
    } catch (const E& e) {
      return e.what();
    }
  } catch (const std::exception& e) {  // not an E (nested, so E = std::exception draws no warning)
    ADD_FAILURE() << "expected another exception type, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

// std::runtime_error specifically (user-facing errors), not logic errors.
template <class Fn>
std::string runtime_error_of(Fn&& fn) {
  return error_of<std::runtime_error>(std::forward<Fn>(fn));
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace latentebm::testing

// EXPECT that `statement` throws a std::exception whose message contains `substring`.
#define EXPECT_THROW_WITH(statement, substring) \
  EXPECT_THAT(::latentebm::testing::error_of([&] { statement; }), ::testing::HasSubstr(substring))
