// Shared declarations of the emulated Cambricon MLU (`gpu2mlu verify`).
//
// The emulator is a PyTorch PrivateUse1 backend (renamed "mlu" from Python)
// whose memory is ordinary host memory.  Sources, by concern:
//   device_allocator.cpp  device index, guard, allocators, block cache, memory stats, pinned memory
//   generators.cpp        per-device random generators
//   fallback.cpp          the zero-copy boxed CPU fallback, basic kernels, autocast
//   composites.cpp        kernels real MLUs have and CPU PyTorch lacks
//   coverage.cpp          ops and dtypes real torch_mlu does not run on the device
//   module.cpp            backend hooks and the torch.ops.mlu_emu.* control ops
// No pybind: Python talks to us through torch.ops.mlu_emu.*, so one build
// serves every Python version.

#pragma once

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/Allocator.h>
#include <c10/util/SmallVector.h>
#include <torch/library.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlu_emu {

constexpr c10::DeviceType kMLU = c10::DeviceType::PrivateUse1;
constexpr int kMaxDevices = 16;

// ---- devices (device_allocator.cpp)
int device_count();
void check_index(c10::DeviceIndex i);
c10::DeviceIndex current_device();
void set_current_device(c10::DeviceIndex i);  // unchecked

// ---- memory (device_allocator.cpp)
c10::Allocator* device_allocator();
c10::Allocator* pinned_allocator();
bool is_pinned_ptr(const void* data);
void note_alloc(int dev, int64_t n);
void note_free(int dev, int64_t n);
std::vector<int64_t> memory_stats(int dev);  // current, peak, allocs, frees
void reset_peak(int dev);
// Grow a storage on its own device (resize_ and the hooks).
void resize_bytes(c10::StorageImpl* st, size_t n);
// The block cache under device memory: take_block returns a 64-byte aligned
// block of at least n bytes; give_block takes back what take_block gave and
// returns its n (nullopt for any other pointer); empty_block_cache frees the
// idle blocks.
void* take_block(size_t n);
std::optional<size_t> give_block(void* p);
void empty_block_cache();
// Makes the CPU allocator serve device scopes from the block cache.
void install_cpu_allocator();
// While alive, this thread's CPU allocations are device memory (block cache).
struct DeviceAllocScope {
  DeviceAllocScope();
  ~DeviceAllocScope();
  DeviceAllocScope(const DeviceAllocScope&) = delete;
  DeviceAllocScope& operator=(const DeviceAllocScope&) = delete;
};

// ---- generators (generators.cpp)
// Per-device default generator: the CPU mt19937 engine, tagged with the MLU
// device so torch sees a device generator.
struct MluGenerator final : at::CPUGeneratorImpl {
  explicit MluGenerator(c10::DeviceIndex idx, uint64_t seed = c10::default_rng_seed_val);
  MluGenerator* clone_impl() const override;
  static void copy_state(at::CPUGeneratorImpl& from, at::CPUGeneratorImpl& to);
};
const at::Generator& default_generator(c10::DeviceIndex i);
MluGenerator* mlu_gen(c10::DeviceIndex i);

// ---- fallback (fallback.cpp)
// A fresh CPU storage adopted as MLU memory without copying.
c10::Storage adopt_storage(const c10::Storage& cpu, c10::DeviceIndex dev);

// State of one fallback call: MLU argument <-> CPU alias bookkeeping.  What
// the CPU kernels allocate meanwhile is device memory (the scope).
struct Aliaser {
  DeviceAllocScope scope;
  c10::DeviceIndex device = 0;
  // Inline room for a typical op's arguments: no heap allocation per call.
  c10::SmallVector<std::pair<c10::StorageImpl*, c10::Storage>, 4> storages;  // mlu -> alias
  c10::SmallVector<std::pair<at::Tensor, at::Tensor>, 4> tensors;           // mlu, alias
  c10::SmallVector<std::pair<c10::StorageImpl*, c10::Storage>, 2> adopted;  // cpu -> mlu

  c10::Storage alias_storage(const c10::Storage& s);
  at::Tensor to_cpu(const at::Tensor& t);
  // After the CPU kernel ran: carry resizes and re-pointed outputs back.
  void sync_back();
  c10::Storage from_cpu_storage(const c10::Storage& s);
  at::Tensor from_cpu(const at::Tensor& r);
};

void mlu_fallback(const c10::OperatorHandle& op, torch::jit::Stack* stack);

// ---- coverage (coverage.cpp)
// Called by mlu_fallback for every op it runs (arguments at stack[first, first + n)).
void note_fallback_call(const c10::OperatorHandle& op, const torch::jit::Stack& stack,
                        size_t first, size_t n);
void set_coverage(const std::string& kernels, const std::vector<int64_t>& dtypes);
std::string fallback_counts();  // "name\tcalls\n" per fallback op

}  // namespace mlu_emu
