// Shared by the TBB-parallel drivers of the kernels (ScoreRulesParallel, RobustUnitValueZParallel).
//
// A driver splits the rows into chunks of `grain` rows, chunk c = rows [c grain, (c+1) grain), and
// runs the single-threaded SIMD kernel on each chunk with tbb::parallel_for in the caller's task
// arena (wrap the call in a tbb::task_arena to limit the threads). The kernels are elementwise, so
// the output never depends on the thread count, the grain, or which thread ran which chunk.
#pragma once

#include <cstddef>

namespace crsim::kernels {

// Rows per chunk when the caller gives no grain. 16384 rows are 0.4 MB of rule-kernel columns
// (inputs and outputs), so a chunk's data fits the 1 MiB L2 of the target machine, and a chunk is
// 20-40 us of work, far above TBB's per-task overhead of about a microsecond; a 1M-row call still
// makes 64 chunks, enough to keep two threads evenly busy.
inline constexpr std::size_t kDefaultParallelGrain = 16384;

}  // namespace crsim::kernels
