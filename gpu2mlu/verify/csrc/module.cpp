// Module entry: registers the backend hooks and the device allocator, and
// defines the torch.ops.mlu_emu.* control ops the Python stand-in calls.

#include "emu.h"

#include <ATen/detail/PrivateUse1HooksInterface.h>

#include <mutex>

namespace mlu_emu {
namespace {

// ---------------------------------------------------------------- hooks

struct MluHooks final : at::PrivateUse1HooksInterface {
  bool isBuilt() const override { return true; }
  bool isAvailable() const override { return device_count() > 0; }
  const at::Generator& getDefaultGenerator(c10::DeviceIndex i) const override {
    return default_generator(i < 0 ? current_device() : i);
  }
  at::Generator getNewGenerator(c10::DeviceIndex i) const override {
    return at::make_generator<MluGenerator>(i < 0 ? current_device() : i);
  }
  at::Device getDeviceFromPtr(void*) const override { return {kMLU, current_device()}; }
  bool isPinnedPtr(const void* data) const override { return is_pinned_ptr(data); }
  c10::Allocator* getPinnedMemoryAllocator() const override { return pinned_allocator(); }
  bool hasPrimaryContext(c10::DeviceIndex) const override { return true; }
  void init() const override {}
  c10::DeviceIndex deviceCount() const override {
    return static_cast<c10::DeviceIndex>(device_count());
  }
  void setCurrentDevice(c10::DeviceIndex d) const override {
    check_index(d);
    set_current_device(d);
  }
  c10::DeviceIndex getCurrentDevice() const override { return current_device(); }
  c10::DeviceIndex exchangeDevice(c10::DeviceIndex d) const override {
    auto old = current_device();
    if (d >= 0) setCurrentDevice(d);
    return old;
  }
  c10::DeviceIndex maybeExchangeDevice(c10::DeviceIndex d) const override {
    return exchangeDevice(d);
  }
  void resizePrivateUse1Bytes(const c10::Storage& st, size_t n) const override {
    resize_bytes(st.unsafeGetStorageImpl(), n);
  }
};

struct RegisterHooks {
  RegisterHooks() {
    static MluHooks hooks;
    at::RegisterPrivateUse1HooksInterface(&hooks);
    c10::SetAllocator(kMLU, device_allocator());
    install_cpu_allocator();
  }
} g_register_hooks;

// ---------------------------------------------------------------- control ops

int64_t op_device_count() { return device_count(); }
int64_t op_current_device() { return current_device(); }
void op_set_device(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  set_current_device(static_cast<c10::DeviceIndex>(d));
}
std::vector<int64_t> op_memory_stats(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  return memory_stats(static_cast<int>(d));
}
void op_reset_peak(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  reset_peak(static_cast<int>(d));
}
void op_manual_seed(int64_t d, int64_t seed) {
  auto* g = mlu_gen(static_cast<c10::DeviceIndex>(d));
  std::lock_guard<std::mutex> lk(g->mutex_);
  g->set_current_seed(static_cast<uint64_t>(seed));
}
int64_t op_seed(int64_t d) {
  auto* g = mlu_gen(static_cast<c10::DeviceIndex>(d));
  std::lock_guard<std::mutex> lk(g->mutex_);
  return static_cast<int64_t>(g->seed());
}
int64_t op_initial_seed(int64_t d) {
  return static_cast<int64_t>(mlu_gen(static_cast<c10::DeviceIndex>(d))->current_seed());
}
at::Tensor op_get_rng_state(int64_t d) {
  auto* g = mlu_gen(static_cast<c10::DeviceIndex>(d));
  std::lock_guard<std::mutex> lk(g->mutex_);
  return at::Tensor::wrap_tensor_impl(g->get_state());
}
void op_set_rng_state(int64_t d, const at::Tensor& state) {
  auto* g = mlu_gen(static_cast<c10::DeviceIndex>(d));
  std::lock_guard<std::mutex> lk(g->mutex_);
  g->set_state(*state.unsafeGetTensorImpl());
}
void op_empty_cache() { empty_block_cache(); }
bool op_is_pinned_ptr(int64_t addr) {
  return is_pinned_ptr(reinterpret_cast<const void*>(addr));
}

TORCH_LIBRARY(mlu_emu, m) {
  m.def("device_count() -> int", &op_device_count);
  m.def("current_device() -> int", &op_current_device);
  m.def("set_device(int device) -> ()", &op_set_device);
  m.def("memory_stats(int device) -> int[]", &op_memory_stats);
  m.def("reset_peak_memory_stats(int device) -> ()", &op_reset_peak);
  m.def("manual_seed(int device, int seed) -> ()", &op_manual_seed);
  m.def("seed(int device) -> int", &op_seed);
  m.def("initial_seed(int device) -> int", &op_initial_seed);
  m.def("get_rng_state(int device) -> Tensor", &op_get_rng_state);
  m.def("set_rng_state(int device, Tensor state) -> ()", &op_set_rng_state);
  m.def("is_pinned_ptr(int addr) -> bool", &op_is_pinned_ptr);
  m.def("empty_cache() -> ()", &op_empty_cache);
}

}  // namespace
}  // namespace mlu_emu
