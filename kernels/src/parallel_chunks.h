// Chunked parallel loop shared by the kernels' TBB drivers (see crsim/kernels/parallel.h).
#pragma once

#include <algorithm>
#include <cstddef>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace crsim::kernels::detail {

// Calls body(begin, count) for every chunk [c grain, min(rows, (c+1) grain)), in parallel. Chunk
// boundaries depend only on rows and grain; each chunk runs on one thread.
template <class Body>
void ForEachChunkParallel(std::size_t rows, std::size_t grain, const Body& body) {
  if (rows == 0) return;
  const std::size_t chunks = (rows + grain - 1) / grain;
  if (chunks == 1) {
    body(std::size_t{0}, rows);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t chunk = range.begin(); chunk != range.end(); ++chunk) {
                        const std::size_t begin = chunk * grain;
                        body(begin, std::min(rows, begin + grain) - begin);
                      }
                    });
}

}  // namespace crsim::kernels::detail
