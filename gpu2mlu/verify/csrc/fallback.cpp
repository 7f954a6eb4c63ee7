// The zero-copy boxed CPU fallback that runs every ATen op on the emulated
// MLU: MLU arguments are aliased as CPU tensors, the CPU kernel runs, and
// results are re-wrapped as MLU tensors without copying.  Also the few
// kernels the fallback cannot provide (allocation, views, copies) and the
// autocast registration.

#include "emu.h"

#include <ATen/EmptyTensor.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/ops/as_strided_native.h>
#include <ATen/ops/view_native.h>
#include <c10/core/CPUAllocator.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace mlu_emu {

namespace {

// ---------------------------------------------------------------- aliasing

// Keep the MLU storage alive for as long as a CPU alias of it exists.
struct AliasCtx {
  c10::intrusive_ptr<c10::StorageImpl> owner;
};
void delete_alias_ctx(void* ctx) { delete static_cast<AliasCtx*>(ctx); }

// A fresh CPU result adopted as MLU memory: the CPU storage stays the owner,
// we only re-tag the pointer and count it in the device statistics.
struct AdoptCtx {
  c10::Storage cpu;
  int64_t nbytes;
  int device;
};
void delete_adopt_ctx(void* ctx) {
  auto* a = static_cast<AdoptCtx*>(ctx);
  note_free(a->device, a->nbytes);
  delete a;
}

at::Tensor wrap(c10::Storage storage, c10::DispatchKey key, const at::Tensor& like) {
  // An efficient zero tensor (torch._efficientzerotensor, the real gradient of
  // sgn) has no memory: its ZeroTensor key is all that makes ops read it as
  // zeros, and TensorImpl can only get the key at construction.  Without it
  // an alias or result reads its 0-byte storage (SIGSEGV).
  auto ks = c10::DispatchKeySet(key);
  if (like._is_zerotensor()) ks = ks | c10::DispatchKeySet(c10::DispatchKey::ZeroTensor);
  auto t = at::detail::make_tensor<c10::TensorImpl>(std::move(storage), ks, like.dtype());
  t.unsafeGetTensorImpl()->set_sizes_and_strides(like.sizes(), like.strides(),
                                                 like.storage_offset());
  // The lazy conjugate/negative bits are part of the value: an alias without
  // them reads x where the op expects conj(x) or -x.
  if (like.is_conj()) t._set_conj(true);
  if (like.is_neg()) t._set_neg(true);
  return t;
}

bool same_meta(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes().equals(b.sizes()) && a.strides().equals(b.strides()) &&
         a.storage_offset() == b.storage_offset();
}

}  // namespace

c10::Storage adopt_storage(const c10::Storage& cpu, c10::DeviceIndex dev) {
  auto nbytes = static_cast<int64_t>(cpu.nbytes());
  void* data = cpu.unsafeGetStorageImpl()->mutable_data();
  auto* ctx = new AdoptCtx{cpu, nbytes, dev};
  note_alloc(dev, nbytes);
  c10::DataPtr dp(data, ctx, &delete_adopt_ctx, c10::Device(kMLU, dev));
  return c10::Storage(c10::make_intrusive<c10::StorageImpl>(
      c10::StorageImpl::use_byte_size_t(), nbytes, std::move(dp), device_allocator(), true));
}

c10::Storage Aliaser::alias_storage(const c10::Storage& s) {
  auto* impl = s.unsafeGetStorageImpl();
  for (auto& p : storages)
    if (p.first == impl) return p.second;
  auto* ctx = new AliasCtx{c10::intrusive_ptr<c10::StorageImpl>::reclaim_copy(impl)};
  c10::DataPtr dp(impl->mutable_data(), ctx, &delete_alias_ctx,
                  c10::Device(c10::DeviceType::CPU));
  c10::Storage a(c10::make_intrusive<c10::StorageImpl>(
      c10::StorageImpl::use_byte_size_t(), impl->nbytes(), std::move(dp),
      c10::GetCPUAllocator(), true));
  storages.emplace_back(impl, a);
  return a;
}

at::Tensor Aliaser::to_cpu(const at::Tensor& t) {
  if (!t.defined() || t.device().type() != kMLU) return t;
  auto a = wrap(alias_storage(t.storage()), c10::DispatchKey::CPU, t);
  tensors.emplace_back(t, a);
  return a;
}

void Aliaser::sync_back() {
  for (auto& p : storages) {
    auto* alias = p.second.unsafeGetStorageImpl();
    if (alias->data() == p.first->data() && alias->nbytes() == p.first->nbytes()) continue;
    // The CPU kernel reallocated (resize): adopt the new buffer.
    auto moved = adopt_storage(p.second, p.first->device().index());
    p.first->set_data_ptr_noswap(
        std::move(moved.unsafeGetStorageImpl()->mutable_data_ptr()));
    p.first->set_nbytes(alias->nbytes());
  }
  for (auto& [mlu, cpu] : tensors) {
    if (cpu.storage().unsafeGetStorageImpl() !=
        alias_storage(mlu.storage()).unsafeGetStorageImpl()) {
      // The kernel pointed the out tensor at new memory (set_).
      mlu.unsafeGetTensorImpl()->set_storage_keep_dtype(from_cpu_storage(cpu.storage()));
    }
    if (!same_meta(mlu, cpu))
      mlu.unsafeGetTensorImpl()->set_sizes_and_strides(cpu.sizes(), cpu.strides(),
                                                       cpu.storage_offset());
  }
}

c10::Storage Aliaser::from_cpu_storage(const c10::Storage& s) {
  auto* impl = s.unsafeGetStorageImpl();
  for (auto& p : storages)
    if (p.second.unsafeGetStorageImpl() == impl)
      return c10::Storage(c10::intrusive_ptr<c10::StorageImpl>::reclaim_copy(p.first));
  for (auto& p : adopted)
    if (p.first == impl) return p.second;
  auto m = adopt_storage(s, device);
  adopted.emplace_back(impl, m);
  return m;
}

at::Tensor Aliaser::from_cpu(const at::Tensor& r) {
  if (!r.defined() || r.device().type() != c10::DeviceType::CPU) return r;
  for (auto& [mlu, cpu] : tensors)
    if (cpu.unsafeGetTensorImpl() == r.unsafeGetTensorImpl()) return mlu;
  return wrap(from_cpu_storage(r.storage()), c10::DispatchKey::PrivateUse1, r);
}

namespace {

// ---------------------------------------------------------------- fallback

[[noreturn]] void device_mismatch(const c10::OperatorHandle& op, c10::Device a, c10::Device b,
                                  const std::string& arg) {
  TORCH_CHECK(false, "Expected all tensors to be on the same device, but found at least two "
              "devices, ", a, " and ", b, "! (when checking argument for argument ", arg,
              " in method ", op.schema().operator_name().name, ")");
}

bool is_index_op(const std::string& name) {
  return name.rfind("aten::index", 0) == 0 || name == "aten::_index_put_impl_";
}

// Checks the hardware's device rules and returns the op's device.
c10::DeviceIndex check_devices(const c10::OperatorHandle& op, torch::jit::Stack& stack,
                               size_t first, size_t n) {
  const auto& args = op.schema().arguments();
  std::optional<c10::Device> mlu;
  std::optional<std::string> cpu_arg;
  const bool index_op = is_index_op(op.schema().name());
  auto visit = [&](const at::Tensor& t, const std::string& arg) {
    if (!t.defined()) return;
    if (t.device().type() == kMLU) {
      if (!mlu) mlu = t.device();
      else if (*mlu != t.device()) device_mismatch(op, *mlu, t.device(), arg);
    } else if (t.device().type() == c10::DeviceType::CPU && t.dim() > 0 &&
               !(index_op && arg == "indices") && !cpu_arg) {
      cpu_arg = arg;
    }
  };
  for (size_t i = 0; i < n; ++i) {
    const auto& v = stack[first + i];
    const auto& name = args[i].name();
    if (v.isTensor()) {
      visit(v.toTensor(), name);
    } else if (v.isTensorList()) {
      for (const auto& t : v.toTensorList()) visit(t, name);
    } else if (v.isList()) {
      for (const auto& e : v.toListRef())
        if (e.isTensor()) visit(e.toTensor(), name);
    } else if (v.isDevice() && v.toDevice().type() == kMLU && !mlu) {
      mlu = v.toDevice();
    }
  }
  if (mlu && cpu_arg) device_mismatch(op, *mlu, c10::Device(c10::DeviceType::CPU), *cpu_arg);
  if (!mlu) return current_device();
  return mlu->index() < 0 ? current_device() : mlu->index();
}

c10::IValue list_to_cpu(const c10::IValue& v, Aliaser& al) {
  if (v.isTensorList()) {
    auto in = v.toTensorList();
    c10::List<at::Tensor> out;
    out.reserve(in.size());
    for (const auto& t : in) out.push_back(al.to_cpu(t));
    return out;
  }
  auto in = v.toList();
  c10::impl::GenericList out(in.elementType());
  out.reserve(in.size());
  for (size_t j = 0; j < in.size(); ++j) {
    c10::IValue e = in.get(j);
    out.push_back(e.isTensor() ? c10::IValue(al.to_cpu(e.toTensor())) : e);
  }
  return out;
}

c10::IValue list_from_cpu(const c10::IValue& v, Aliaser& al) {
  if (v.isTensorList()) {
    auto in = v.toTensorList();
    c10::List<at::Tensor> out;
    out.reserve(in.size());
    for (const auto& t : in) out.push_back(al.from_cpu(t));
    return out;
  }
  return v;
}

bool list_has_tensor(const c10::IValue& v) {
  if (v.isTensorList()) return true;
  if (!v.isList()) return false;
  for (const auto& e : v.toListRef())
    if (e.isTensor()) return true;
  return false;
}

bool has_generator_arg(const c10::FunctionSchema& schema) {
  for (const auto& a : schema.arguments()) {
    auto type = a.type();
    if (type->kind() == c10::TypeKind::OptionalType) type = type->containedType(0);
    if (type->kind() == c10::TypeKind::GeneratorType) return true;
  }
  return false;
}

// The CPU default generator runs on the device's state for one call.  Its
// mutex cannot be held across the call (the CPU kernel takes it), so a CPU
// random op racing in another thread would see the device stream; training
// scripts draw host randomness in the main thread or in worker processes.
struct HostGeneratorLoan {
  at::CPUGeneratorImpl* host;
  MluGenerator& device;
  c10::intrusive_ptr<at::CPUGeneratorImpl> saved = c10::make_intrusive<at::CPUGeneratorImpl>();

  explicit HostGeneratorLoan(MluGenerator& dev)
      : host(at::check_generator<at::CPUGeneratorImpl>(at::detail::getDefaultCPUGenerator())),
        device(dev) {
    std::lock_guard<std::mutex> lk(host->mutex_);
    MluGenerator::copy_state(*host, *saved);
    MluGenerator::copy_state(device, *host);
  }
  void give_back() {
    std::lock_guard<std::mutex> lk(host->mutex_);
    MluGenerator::copy_state(*host, device);
    MluGenerator::copy_state(*saved, *host);
    done = true;
  }
  ~HostGeneratorLoan() {
    // The kernel threw: the host stream still must not move.
    if (!done) {
      std::lock_guard<std::mutex> lk(host->mutex_);
      MluGenerator::copy_state(*saved, *host);
    }
  }
  bool done = false;
};

// CPU kernels split reductions by the intra-op thread count, so their bits
// depend on it; a device's do not depend on the host thread that launches
// them.  Emulated kernels therefore run with the count of the thread that
// loaded the emulator (the main thread, which a CPU run computes in).  Other
// threads drift from it: a thread takes the global count when it first runs
// a parallel kernel, and the DataLoader's pin-memory thread sets that to 1,
// so with pin_memory=True the autograd device thread (and a main thread that
// had not computed yet) ran every kernel single-threaded and each gradient
// changed.  Reading the count at load fixes the main thread's count before
// any DataLoader starts; later it changes only by the main thread's own
// torch.set_num_threads, which is followed.
std::atomic<int> g_main_threads{0};
const std::thread::id g_main_thread = [] {
  g_main_threads.store(at::get_num_threads());
  return std::this_thread::get_id();
}();

void match_main_thread_count() {
  const int n = at::get_num_threads();
  if (std::this_thread::get_id() == g_main_thread) {
    g_main_threads.store(n, std::memory_order_relaxed);
    return;
  }
  const int want = g_main_threads.load(std::memory_order_relaxed);
  if (want > 0 && n != want) at::set_num_threads(want);
}

}  // namespace

void mlu_fallback(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const auto& schema = op.schema();
  const size_t n = schema.arguments().size();
  const size_t first = stack->size() - n;
  TORCH_CHECK_NOT_IMPLEMENTED(op.hasKernelForDispatchKey(c10::DispatchKey::CPU) ||
                                  op.hasKernelForDispatchKey(
                                      c10::DispatchKey::CompositeExplicitAutograd),
                              "The MLU emulator cannot run '", schema.name(),
                              "': PyTorch has no CPU kernel for it.");
  note_fallback_call(op, *stack, first, n);  // coverage.cpp: torch_mlu's own CPU fallbacks
  Aliaser al;
  al.device = check_devices(op, *stack, first, n);

  // Random ops: run on a CPU twin of the device generator, then copy back.
  MluGenerator* dev_gen = nullptr;
  c10::intrusive_ptr<at::CPUGeneratorImpl> twin;
  std::unique_lock<std::mutex> gen_lock;

  for (size_t i = 0; i < n; ++i) {
    auto& v = (*stack)[first + i];
    if (v.isTensor()) {
      v = al.to_cpu(v.toTensor());
    } else if (list_has_tensor(v)) {
      v = list_to_cpu(v, al);
    } else if (v.isDevice() && v.toDevice().type() == kMLU) {
      v = c10::Device(c10::DeviceType::CPU);
    } else if (schema.arguments()[i].type()->kind() == c10::TypeKind::OptionalType &&
               schema.arguments()[i].type()->containedType(0)->kind() ==
                   c10::TypeKind::GeneratorType &&
               (v.isNone() || v.toGenerator().device().type() == kMLU)) {
      dev_gen = v.isNone() ? mlu_gen(al.device)
                           : static_cast<MluGenerator*>(v.toGenerator().unsafeGetGeneratorImpl());
      gen_lock = std::unique_lock<std::mutex>(dev_gen->mutex_);
      twin = c10::make_intrusive<at::CPUGeneratorImpl>();
      MluGenerator::copy_state(*dev_gen, *twin);
      v = at::Generator(twin);
    }
  }

  // Seeded ops without a Generator argument (native_dropout, the CPU flash
  // attention's dropout) draw from the CPU default generator inside the CPU
  // kernel.  On a real MLU they draw from the device generator, so lend the
  // device state to the CPU default generator for the call and restore the
  // CPU state afterwards: the host-side stream (shuffling, augmentation)
  // must not move when the device draws.
  std::optional<HostGeneratorLoan> loan;
  if (!dev_gen && op.hasTag(at::Tag::nondeterministic_seeded) && !has_generator_arg(schema)) {
    dev_gen = mlu_gen(al.device);
    gen_lock = std::unique_lock<std::mutex>(dev_gen->mutex_);
    loan.emplace(*dev_gen);
  }

  match_main_thread_count();
  {
    c10::DeviceGuard guard(c10::Device(kMLU, al.device));
    op.redispatchBoxed(c10::DispatchKeySet(c10::DispatchKey::CPU), stack);
  }
  if (loan) loan->give_back();
  else if (dev_gen) MluGenerator::copy_state(*twin, *dev_gen);
  al.sync_back();

  const size_t nret = schema.returns().size();
  for (size_t i = stack->size() - nret; i < stack->size(); ++i) {
    auto& v = (*stack)[i];
    if (v.isTensor()) v = al.from_cpu(v.toTensor());
    else if (v.isTensorList()) v = list_from_cpu(v, al);
  }
}

namespace {

// ---------------------------------------------------------------- kernels

at::Tensor mlu_empty(c10::IntArrayRef size, std::optional<at::ScalarType> dtype,
                     std::optional<at::Layout>, std::optional<at::Device> device,
                     std::optional<bool>, std::optional<at::MemoryFormat> mf) {
  c10::DeviceGuard g(device.value_or(c10::Device(kMLU, current_device())));
  return at::detail::empty_generic(size, device_allocator(),
                                   c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                   c10::dtype_or_default(dtype), mf);
}

at::Tensor mlu_empty_strided(c10::IntArrayRef size, c10::IntArrayRef stride,
                             std::optional<at::ScalarType> dtype, std::optional<at::Layout>,
                             std::optional<at::Device> device, std::optional<bool>) {
  c10::DeviceGuard g(device.value_or(c10::Device(kMLU, current_device())));
  return at::detail::empty_strided_generic(size, stride, device_allocator(),
                                           c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                           c10::dtype_or_default(dtype));
}

void ensure_capacity(const at::Tensor& t) {
  int64_t need_elems = t.numel() == 0 ? 0 : t.storage_offset() + 1;
  for (int64_t d = 0; d < t.dim() && t.numel() > 0; ++d)
    need_elems += (t.size(d) - 1) * t.stride(d);
  size_t need = static_cast<size_t>(need_elems) * t.itemsize();
  if (need > t.storage().nbytes()) resize_bytes(t.storage().unsafeGetStorageImpl(), need);
}

const at::Tensor& mlu_resize_(const at::Tensor& self, c10::IntArrayRef size,
                              std::optional<at::MemoryFormat> mf) {
  auto* impl = self.unsafeGetTensorImpl();
  impl->set_sizes_contiguous(size);
  if (mf && *mf != at::MemoryFormat::Preserve) impl->empty_tensor_restride(*mf);
  ensure_capacity(self);
  return self;
}

at::Tensor& mlu_set_storage(at::Tensor& self, c10::Storage src, int64_t offset,
                            c10::IntArrayRef size, c10::IntArrayRef stride) {
  auto* impl = self.unsafeGetTensorImpl();
  impl->set_storage_keep_dtype(std::move(src));
  if (stride.empty()) {
    impl->set_sizes_contiguous(size);
    impl->set_storage_offset(offset);
  } else {
    impl->set_sizes_and_strides(size, stride, offset);
  }
  ensure_capacity(self);
  return self;
}

at::Tensor& mlu_set_storage_plain(at::Tensor& self, c10::Storage src) {
  int64_t n = static_cast<int64_t>(src.nbytes() / self.itemsize());
  return mlu_set_storage(self, std::move(src), 0, {n}, {});
}

at::Tensor& mlu_set_tensor(at::Tensor& self, const at::Tensor& src) {
  if (self.unsafeGetTensorImpl() == src.unsafeGetTensorImpl()) return self;
  return mlu_set_storage(self, src.storage(), src.storage_offset(), src.sizes(), src.strides());
}

at::Tensor& mlu_set_empty(at::Tensor& self) {
  c10::DeviceGuard g(self.device());
  c10::Storage st(c10::Storage::use_byte_size_t(), 0, device_allocator(), true);
  return mlu_set_storage(self, std::move(st), 0, {0}, {});
}

at::Tensor mlu_copy_from(const at::Tensor& src, const at::Tensor& dst, bool non_blocking) {
  Aliaser al;
  auto s = al.to_cpu(src);
  auto d = al.to_cpu(dst);
  d.copy_(s, non_blocking);
  return dst;
}

at::Tensor mlu_copy_from_and_resize(const at::Tensor& src, const at::Tensor& dst) {
  if (dst.device().type() == kMLU) mlu_resize_(dst, src.sizes(), std::nullopt);
  else dst.resize_(src.sizes());
  return mlu_copy_from(src, dst, false);
}

at::Scalar mlu_local_scalar_dense(const at::Tensor& self) {
  Aliaser al;
  return at::_local_scalar_dense(al.to_cpu(self));
}

at::Tensor mlu_as_strided(const at::Tensor& self, c10::IntArrayRef size, c10::IntArrayRef stride,
                          std::optional<int64_t> offset) {
  return at::native::as_strided_tensorimpl(self, size, stride, offset);
}

at::Tensor mlu_view(const at::Tensor& self, c10::IntArrayRef size) {
  return at::native::view(self, size);
}

at::Tensor mlu_reshape_alias(const at::Tensor& self, c10::IntArrayRef size,
                             c10::IntArrayRef stride) {
  return at::native::as_strided_tensorimpl(self, size, stride, std::nullopt);
}

// CPU and MLU dense tensors may shallow-copy into each other, as CPU and CUDA
// do: module.to('mlu') then moves each Parameter's data (`param.data = ...`)
// instead of replacing the Parameter, so tied weights stay tied and an
// optimizer built before the move keeps updating the module's parameters.
bool mlu_has_compatible_shallow_copy_type(const at::Tensor& self, const at::Tensor& from) {
  auto dense = [](c10::DispatchKeySet ks) {
    constexpr auto backends = c10::DispatchKeySet(
        {c10::BackendComponent::CPUBit, c10::BackendComponent::PrivateUse1Bit});
    return ks.has_any(c10::DispatchKeySet(c10::DispatchKey::Dense)) && ks.has_any(backends);
  };
  auto* impl = self.unsafeGetTensorImpl();
  return impl->has_compatible_shallow_copy_type(from.key_set()) ||
         (dense(self.key_set()) && dense(from.key_set()));
}

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m) {
  m.impl("_has_compatible_shallow_copy_type", TORCH_FN(mlu_has_compatible_shallow_copy_type));
  m.impl("empty.memory_format", TORCH_FN(mlu_empty));
  m.impl("empty_strided", TORCH_FN(mlu_empty_strided));
  m.impl("resize_", TORCH_FN(mlu_resize_));
  m.impl("set_.source_Storage_storage_offset", TORCH_FN(mlu_set_storage));
  m.impl("set_.source_Storage", TORCH_FN(mlu_set_storage_plain));
  m.impl("set_.source_Tensor", TORCH_FN(mlu_set_tensor));
  m.impl("set_", TORCH_FN(mlu_set_empty));
  m.impl("_copy_from", TORCH_FN(mlu_copy_from));
  m.impl("_copy_from_and_resize", TORCH_FN(mlu_copy_from_and_resize));
  m.impl("_local_scalar_dense", TORCH_FN(mlu_local_scalar_dense));
  m.impl("as_strided", TORCH_FN(mlu_as_strided));
  m.impl("view", TORCH_FN(mlu_view));
  m.impl("_reshape_alias", TORCH_FN(mlu_reshape_alias));
  // Their composite kernels would pick the throwing *_overrideable path for a
  // non-CPU device; route them to the CPU implementation instead.
  m.impl("convolution", torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
  m.impl("convolution_backward", torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
  // Ops with both a CPU kernel and a generic composite one: a PrivateUse1
  // device would get the composite, whose rounding differs from the CPU
  // kernel (layer_norm differed in the last bit, so a GPT's loss did), and
  // mse_loss and smooth_l1_loss warn about resizing their output on each call.
  // Run the CPU kernel, as every other op does.
  for (const char* name :
       {"native_layer_norm", "native_group_norm", "addr", "addr.out", "_stack", "_stack.out",
        "all.dims", "all.dims_out", "any.dims", "any.dims_out", "linalg__powsum", "mse_loss",
        "smooth_l1_loss"}) {
    m.impl(name, torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
  }
  // Composites that exist only inside an op torch_mlu has one MLU kernel for
  // (mlu_kernels/internals.toml): run whole on the CPU, so the public ops they
  // call (isneginf inside scaled_dot_product_attention's math path) are not
  // counted as CPU fallbacks a real MLU would take.  Same composite, same bits.
  m.impl("_safe_softmax", torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
}

// copy_ hands every copy involving a PrivateUse1 tensor to _copy_from.  The
// Conjugate/Negative fallbacks would resolve a conj source first by cloning
// it, and a clone is again a copy_ into the device: endless recursion
// (x.conj().resolve_conj(), torch.fft.hfft crashed with SIGSEGV).  Our
// _copy_from copies through CPU aliases that keep the bits, so let them pass.
TORCH_LIBRARY_IMPL(aten, Conjugate, m) {
  m.impl("_copy_from", torch::CppFunction::makeFallthrough());
  m.impl("_copy_from_and_resize", torch::CppFunction::makeFallthrough());
}
TORCH_LIBRARY_IMPL(aten, Negative, m) {
  m.impl("_copy_from", torch::CppFunction::makeFallthrough());
  m.impl("_copy_from_and_resize", torch::CppFunction::makeFallthrough());
}

TORCH_LIBRARY_IMPL(_, PrivateUse1, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
}

}  // namespace

}  // namespace mlu_emu

// ---------------------------------------------------------------- autocast

// Same op lists and policies PyTorch uses for CUDA, registered for the MLU key.
#define MLU_LOW(...) KERNEL_PRIVATEUSEONE(__VA_ARGS__, lower_precision_fp)
#define MLU_FP32(...) KERNEL_PRIVATEUSEONE(__VA_ARGS__, fp32)
#define MLU_FP32_SET_OPT(...) KERNEL_PRIVATEUSEONE(__VA_ARGS__, fp32_set_opt_dtype)
#define MLU_PROMOTE(...) KERNEL_PRIVATEUSEONE(__VA_ARGS__, promote)

namespace at::autocast {
namespace {

TORCH_LIBRARY_IMPL(_, AutocastPrivateUse1, m) {
  m.fallback(torch::CppFunction::makeFallthrough());
}

TORCH_LIBRARY_IMPL(aten, AutocastPrivateUse1, m) {
  AT_FORALL_LOWER_PRECISION_FP(MLU_LOW)
  AT_FORALL_FP32(MLU_FP32)
  AT_FORALL_FP32_SET_OPT_DTYPE(MLU_FP32_SET_OPT)
  AT_FORALL_DIFFERENT_REDISPATCH_SIGNATURE(KERNEL_DIFFERENT_REDISPATCH_SIGNATURE_PRIVATEUSEONE)
  AT_FORALL_PROMOTE(MLU_PROMOTE)
}

}  // namespace
}  // namespace at::autocast
