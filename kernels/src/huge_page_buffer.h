// HugePageBuffer<T>: an uninitialised, fixed-size scratch array for kernels that need one as large
// as their input (tens of megabytes), allocated once per call.
//
// Why not std::vector<T>(n): the vector zero-fills its n elements, and a fresh allocation of that
// size comes straight from mmap in 4 KiB pages, so the first touch of every page is a page fault
// in which the kernel clears the page again. For the 40 MB scratch of GroupMedianMad on 10M rows
// that was 10 240 faults and two clears, about a third of the kernel's time (bench/RESULTS.md). This
// buffer leaves its elements unspecified (the caller writes every element it reads) and, on Linux,
// aligns the allocation to 2 MiB and advises transparent huge pages (madvise MADV_HUGEPAGE), so
// the same 40 MB takes 20 faults. Where huge pages are unavailable (THP "never", another OS) it is an
// ordinary aligned allocation: slower, never wrong.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace crsim::kernels::detail {

template <typename T>
class HugePageBuffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>, "scratch holds plain values");

 public:
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  explicit HugePageBuffer(std::size_t size) : size_(size) {
    if (size == 0) return;
    // aligned_alloc wants a multiple of the alignment; the round-up is at most one huge page.
    const std::size_t bytes = (size * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
    void* raw = std::aligned_alloc(kHugePage, bytes);
    if (raw == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(raw, bytes, MADV_HUGEPAGE);  // advice only: a refusal leaves 4 KiB pages
#endif
    storage_.reset(static_cast<T*>(raw));
  }

  std::size_t size() const { return size_; }
  T* data() { return storage_.get(); }
  const T* data() const { return storage_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> storage_;
  std::size_t size_;
};

}  // namespace crsim::kernels::detail
