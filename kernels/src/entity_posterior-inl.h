// Per-target SIMD code of the entity posterior gather (spec in crsim/kernels/entity_posterior.h).
// One vector of N entity ids -> two GatherIndex. Tail: ids copied into a zero-filled buffer (id 0 is
// inside the tables), outputs written with FirstN + BlendedStore (no MaskedLoad: see
// unit_value-inl.h for why).
#if defined(CRSIM_KERNELS_ENTITY_POSTERIOR_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CRSIM_KERNELS_ENTITY_POSTERIOR_INL_H_
#undef CRSIM_KERNELS_ENTITY_POSTERIOR_INL_H_
#else
#define CRSIM_KERNELS_ENTITY_POSTERIOR_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace crsim::kernels {
namespace HWY_NAMESPACE {

namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE void GatherEntityPosteriorSpan(const std::uint32_t* HWY_RESTRICT entity, std::size_t count,
                                          const float* HWY_RESTRICT mean_table,
                                          const float* HWY_RESTRICT bonus_table,
                                          float* HWY_RESTRICT mean_out, float* HWY_RESTRICT bonus_out) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::RebindToUnsigned<decltype(df)> du;
  const std::size_t lanes = hn::Lanes(df);
  std::size_t i = 0;
  if (count >= lanes) {
    for (; i <= count - lanes; i += lanes) {
      // Ids are < 2^31 (they index a table), so the signed view GatherIndex wants is the same.
      const auto id = hn::BitCast(di, hn::LoadU(du, entity + i));
      hn::StoreU(hn::GatherIndex(df, mean_table, id), df, mean_out + i);
      hn::StoreU(hn::GatherIndex(df, bonus_table, id), df, bonus_out + i);
    }
  }
  const std::size_t remaining = count - i;
  if (remaining == 0) return;
  constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);
  HWY_ALIGN std::uint32_t id_buffer[kMaxLanes] = {};
  std::memcpy(id_buffer, entity + i, remaining * sizeof(std::uint32_t));
  const auto id = hn::BitCast(di, hn::Load(du, id_buffer));
  const auto mask = hn::FirstN(df, remaining);
  hn::BlendedStore(hn::GatherIndex(df, mean_table, id), mask, df, mean_out + i);
  hn::BlendedStore(hn::GatherIndex(df, bonus_table, id), mask, df, bonus_out + i);
}

}  // namespace HWY_NAMESPACE
}  // namespace crsim::kernels
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
