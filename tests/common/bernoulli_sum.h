// A count of independent Bernoulli events with known probabilities, for checking a rate within
// sampling error: the observed count should lie within 5 standard deviations of the expected one
// (a false alarm below 1e-6 per check).
#pragma once

#include <gtest/gtest.h>

#include <cmath>

namespace crsim::testing {

struct BernoulliSum {
  double expected = 0.0, variance = 0.0, observed = 0.0;
  void Add(double p, bool happened) {
    expected += p;
    variance += p * (1.0 - p);
    observed += happened ? 1.0 : 0.0;
  }
  // Fails the test unless more than 100 events happened and the count is within 5 sd of expected.
  void Expect(const char* what) const {
    EXPECT_GT(observed, 100.0) << what;
    EXPECT_NEAR(observed, expected, 5.0 * std::sqrt(variance)) << what;
  }
};

}  // namespace crsim::testing
