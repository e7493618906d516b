// A downstream project that uses the installed kernels through find_package(crsim).
#include <crsim/kernels/unit_value.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  // Declared 10 EUR for 2 units against a reference median of log(4) with scale 1: z = log(5/4).
  const std::vector<float> value{10.0f}, quantity{2.0f}, median{std::log(4.0f)}, inverse_scale{1.0f};
  const std::vector<std::uint32_t> hs6{0};
  std::vector<float> z(1);
  crsim::kernels::RobustUnitValueZ(value, quantity, hs6, {median, inverse_scale}, z);
  const float expected = std::log(1.25f);
  if (std::fabs(z[0] - expected) > 1e-5f) {
    std::fprintf(stderr, "z = %g, expected %g\n", z[0], expected);
    return 1;
  }
  std::puts("ok");
  return 0;
}
