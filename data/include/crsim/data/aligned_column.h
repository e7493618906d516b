// AlignedColumn<T>: one column of a structure-of-arrays batch.
//
// Storage starts on a 64-byte boundary (one cache line, one AVX-512 vector) and its capacity is
// rounded up to whole 64-byte blocks, so SIMD kernels may load full vectors at the start of every
// block. The padding past size() is zero-filled on growth and is never part of the column's value.
// Resize keeps existing elements up to the old size; elements added by growth are unspecified until
// written (they are not zeroed: the generator writes every row, and zeroing 16M-row batches first
// would double the memory traffic). It never shrinks the allocation: a simulation reuses one batch
// per day, so steady-state days allocate nothing.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <type_traits>

namespace crsim::data {

inline constexpr std::size_t kColumnAlignment = 64;

template <typename T>
class AlignedColumn {
  static_assert(std::is_trivially_copyable_v<T>, "columns hold plain values");

 public:
  AlignedColumn() = default;
  explicit AlignedColumn(std::size_t size) { resize(size); }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }

  void resize(std::size_t size) {
    if (size > capacity_) Grow(size);
    size_ = size;
  }

  T* data() { return storage_.get(); }
  const T* data() const { return storage_.get(); }
  T& operator[](std::size_t i) { return storage_.get()[i]; }
  const T& operator[](std::size_t i) const { return storage_.get()[i]; }

  std::span<T> span() { return {data(), size_}; }
  std::span<const T> span() const { return {data(), size_}; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };

  void Grow(std::size_t size) {
    constexpr std::size_t per_block = kColumnAlignment / sizeof(T) > 0 ? kColumnAlignment / sizeof(T) : 1;
    const std::size_t capacity = (size + per_block - 1) / per_block * per_block;
    void* raw = std::aligned_alloc(kColumnAlignment, capacity * sizeof(T));
    if (raw == nullptr) throw std::bad_alloc();
    if (size_ > 0) std::memcpy(raw, storage_.get(), size_ * sizeof(T));
    std::memset(static_cast<T*>(raw) + size, 0, (capacity - size) * sizeof(T));
    storage_.reset(static_cast<T*>(raw));
    capacity_ = capacity;
  }

  std::unique_ptr<T, Free> storage_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace crsim::data
