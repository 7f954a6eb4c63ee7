// Emulated Cambricon MLU device for `gpu2mlu verify`.
//
// A PyTorch PrivateUse1 backend (renamed to "mlu" from Python) whose memory
// is ordinary host memory.  Every ATen op without an explicit kernel here
// runs through a zero-copy boxed fallback: MLU arguments are aliased as CPU
// tensors, the CPU kernel runs, and results are re-wrapped as MLU tensors
// without copying.  No pybind: the Python side talks to us through
// torch.ops.mlu_emu.*, so one build serves every Python version.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/EmptyTensor.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/PrivateUse1HooksInterface.h>
#include <ATen/ops/as_strided_native.h>
#include <ATen/ops/view_native.h>
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/library.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr c10::DeviceType kMLU = c10::DeviceType::PrivateUse1;
constexpr int kMaxDevices = 16;

// ---------------------------------------------------------------- devices

int read_device_count() {
  int n = 2;
  if (const char* s = std::getenv("MLU_EMU_DEVICE_COUNT")) {
    n = std::atoi(s);
  }
  // MLU_VISIBLE_DEVICES narrows the emulated set, as it does on hardware.
  if (const char* v = std::getenv("MLU_VISIBLE_DEVICES")) {
    std::string s(v);
    int visible = 0;
    size_t start = 0;
    while (start <= s.size()) {
      size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) ++visible;
      start = end + 1;
    }
    n = std::min(n, visible);
  }
  return std::max(0, std::min(n, kMaxDevices));
}

int device_count() {
  static int n = read_device_count();
  return n;
}

thread_local c10::DeviceIndex tls_device = 0;

void check_index(c10::DeviceIndex i) {
  TORCH_CHECK(i >= 0 && i < device_count(), "Invalid MLU device index ", int(i),
              ": the emulator has ", device_count(),
              " device(s) (gpu2mlu verify --devices / MLU_VISIBLE_DEVICES)");
}

// ---------------------------------------------------------------- memory stats

struct DeviceStats {
  std::atomic<int64_t> current{0}, peak{0}, allocs{0}, frees{0};
};
DeviceStats g_stats[kMaxDevices];

void note_alloc(int dev, int64_t n) {
  auto& s = g_stats[dev];
  int64_t now = s.current.fetch_add(n) + n;
  int64_t old = s.peak.load();
  while (now > old && !s.peak.compare_exchange_weak(old, now)) {
  }
  s.allocs.fetch_add(1);
}

void note_free(int dev, int64_t n) {
  g_stats[dev].current.fetch_sub(n);
  g_stats[dev].frees.fetch_add(1);
}

// ---------------------------------------------------------------- allocators

// A 64-byte header in front of each block records size and device, so the
// deleter needs no side table and no extra allocation.
constexpr size_t kHeader = 64;
struct BlockHeader {
  size_t nbytes;
  int device;
};

void delete_block(void* base) {
  auto* h = static_cast<BlockHeader*>(base);
  note_free(h->device, static_cast<int64_t>(h->nbytes));
  c10::free_cpu(base);
}

struct MluAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    int dev = tls_device;
    void* base = c10::alloc_cpu(n + kHeader);
    auto* h = static_cast<BlockHeader*>(base);
    h->nbytes = n;
    h->device = dev;
    note_alloc(dev, static_cast<int64_t>(n));
    return {static_cast<char*>(base) + kHeader, base, &delete_block,
            c10::Device(kMLU, static_cast<c10::DeviceIndex>(dev))};
  }
  c10::DeleterFnPtr raw_deleter() const override { return nullptr; }
  void copy_data(void* dst, const void* src, size_t n) const override {
    std::memcpy(dst, src, n);
  }
};
MluAllocator g_alloc;

// "Pinned" host memory is plain host memory whose blocks we remember, so
// Tensor.is_pinned() can say yes.
std::mutex g_pinned_mu;
std::map<const char*, size_t> g_pinned;

void delete_pinned(void* p) {
  {
    std::lock_guard<std::mutex> lk(g_pinned_mu);
    g_pinned.erase(static_cast<const char*>(p));
  }
  c10::free_cpu(p);
}

struct PinnedAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    void* p = c10::alloc_cpu(std::max<size_t>(n, 1));
    {
      std::lock_guard<std::mutex> lk(g_pinned_mu);
      g_pinned[static_cast<const char*>(p)] = n;
    }
    return {p, p, &delete_pinned, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &delete_pinned; }
  void copy_data(void* dst, const void* src, size_t n) const override {
    std::memcpy(dst, src, n);
  }
};
PinnedAllocator g_pinned_alloc;

bool is_pinned_ptr(const void* data) {
  auto* p = static_cast<const char*>(data);
  std::lock_guard<std::mutex> lk(g_pinned_mu);
  auto it = g_pinned.upper_bound(p);
  if (it == g_pinned.begin()) return false;
  --it;
  return p < it->first + std::max<size_t>(it->second, 1);
}

// Grow a storage on its own device (used by resize_ and the hooks).
void resize_bytes(c10::StorageImpl* st, size_t n) {
  TORCH_CHECK(st->resizable(), "Trying to resize storage that is not resizable");
  c10::DeviceIndex dev = st->device().index();
  c10::DeviceIndex saved = tls_device;
  tls_device = dev < 0 ? 0 : dev;
  c10::DataPtr fresh = g_alloc.allocate(n);
  tls_device = saved;
  size_t keep = std::min(n, st->nbytes());
  if (keep > 0) std::memcpy(fresh.get(), st->data(), keep);
  st->set_data_ptr_noswap(std::move(fresh));
  st->set_nbytes(n);
}

// ---------------------------------------------------------------- RNG

// Per-device default generator: the CPU Philox-free mt19937 engine, tagged
// with the MLU device so torch sees a device generator.
struct MluGenerator final : at::CPUGeneratorImpl {
  explicit MluGenerator(c10::DeviceIndex idx, uint64_t seed = c10::default_rng_seed_val)
      : at::CPUGeneratorImpl(seed) {
    device_ = c10::Device(kMLU, idx);
    key_set_ = c10::DispatchKeySet(c10::DispatchKey::PrivateUse1);
  }
  MluGenerator* clone_impl() const override {
    auto* g = new MluGenerator(device_.index());
    copy_state(const_cast<MluGenerator&>(*this), *g);
    return g;
  }
  static void copy_state(at::CPUGeneratorImpl& from, at::CPUGeneratorImpl& to) {
    to.set_engine(from.engine());
    to.set_next_float_normal_sample(from.next_float_normal_sample());
    to.set_next_double_normal_sample(from.next_double_normal_sample());
  }
};

std::vector<at::Generator>& default_generators() {
  static std::vector<at::Generator> gens = [] {
    std::vector<at::Generator> v;
    for (int i = 0; i < device_count(); ++i) {
      v.push_back(at::make_generator<MluGenerator>(static_cast<c10::DeviceIndex>(i)));
      v.back().set_current_seed(c10::detail::getNonDeterministicRandom());
    }
    return v;
  }();
  return gens;
}

MluGenerator* mlu_gen(c10::DeviceIndex i) {
  check_index(i);
  return static_cast<MluGenerator*>(default_generators()[i].unsafeGetGeneratorImpl());
}

// ---------------------------------------------------------------- guard

struct EmuEvent {
  double ms = 0;
  c10::DeviceIndex device = 0;
};

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

thread_local c10::StreamId tls_stream[kMaxDevices] = {};
std::atomic<c10::StreamId> g_next_stream{1};

struct MluGuardImpl final : c10::impl::DeviceGuardImplInterface {
  c10::DeviceType type() const override { return kMLU; }
  c10::Device exchangeDevice(c10::Device d) const override {
    auto old = getDevice();
    if (d.index() >= 0 && d.index() != tls_device) setDevice(d);
    return old;
  }
  c10::Device getDevice() const override { return {kMLU, tls_device}; }
  void setDevice(c10::Device d) const override {
    check_index(d.index());
    tls_device = d.index();
  }
  void uncheckedSetDevice(c10::Device d) const noexcept override {
    if (d.index() >= 0) tls_device = d.index();
  }
  c10::Stream getStream(c10::Device d) const override {
    auto i = d.index() < 0 ? tls_device : d.index();
    return c10::Stream(c10::Stream::UNSAFE, c10::Device(kMLU, i), tls_stream[i]);
  }
  c10::Stream getDefaultStream(c10::Device d) const override {
    return c10::Stream(c10::Stream::DEFAULT, d);
  }
  c10::Stream getStreamFromGlobalPool(c10::Device d, bool) const override {
    return getNewStream(d, 0);
  }
  c10::Stream getNewStream(c10::Device d, int) const override {
    return c10::Stream(c10::Stream::UNSAFE, d, g_next_stream.fetch_add(1));
  }
  c10::Stream exchangeStream(c10::Stream s) const override {
    auto i = s.device_index();
    auto old = getStream(s.device());
    tls_stream[i] = s.id();
    return old;
  }
  c10::DeviceIndex deviceCount() const noexcept override {
    return static_cast<c10::DeviceIndex>(device_count());
  }
  // Everything runs synchronously on the host, so events are timestamps.
  void record(void** event, const c10::Stream& s, const c10::DeviceIndex,
              const c10::EventFlag) const override {
    if (*event == nullptr) *event = new EmuEvent();
    auto* e = static_cast<EmuEvent*>(*event);
    e->ms = now_ms();
    e->device = s.device_index();
  }
  void destroyEvent(void* event, const c10::DeviceIndex) const noexcept override {
    delete static_cast<EmuEvent*>(event);
  }
  void block(void*, const c10::Stream&) const override {}
  bool queryEvent(void*) const override { return true; }
  bool queryStream(const c10::Stream&) const override { return true; }
  void synchronizeStream(const c10::Stream&) const override {}
  void synchronizeEvent(void*) const override {}
  void synchronizeDevice(const c10::DeviceIndex) const override {}
  double elapsedTime(void* a, void* b, const c10::DeviceIndex) const override {
    TORCH_CHECK(a && b, "Both events must be recorded before calculating elapsed time.");
    return static_cast<EmuEvent*>(b)->ms - static_cast<EmuEvent*>(a)->ms;
  }
};

C10_REGISTER_GUARD_IMPL(PrivateUse1, MluGuardImpl);

// ---------------------------------------------------------------- hooks

struct MluHooks final : at::PrivateUse1HooksInterface {
  bool isBuilt() const override { return true; }
  bool isAvailable() const override { return device_count() > 0; }
  const at::Generator& getDefaultGenerator(c10::DeviceIndex i) const override {
    auto idx = i < 0 ? tls_device : i;
    check_index(idx);
    return default_generators()[idx];
  }
  at::Generator getNewGenerator(c10::DeviceIndex i) const override {
    return at::make_generator<MluGenerator>(i < 0 ? tls_device : i);
  }
  at::Device getDeviceFromPtr(void*) const override { return {kMLU, tls_device}; }
  bool isPinnedPtr(const void* data) const override { return is_pinned_ptr(data); }
  c10::Allocator* getPinnedMemoryAllocator() const override { return &g_pinned_alloc; }
  bool hasPrimaryContext(c10::DeviceIndex) const override { return true; }
  void init() const override {}
  c10::DeviceIndex deviceCount() const override {
    return static_cast<c10::DeviceIndex>(device_count());
  }
  void setCurrentDevice(c10::DeviceIndex d) const override {
    check_index(d);
    tls_device = d;
  }
  c10::DeviceIndex getCurrentDevice() const override { return tls_device; }
  c10::DeviceIndex exchangeDevice(c10::DeviceIndex d) const override {
    auto old = tls_device;
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
    c10::SetAllocator(kMLU, &g_alloc);
  }
} g_register_hooks;

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

c10::Storage adopt_storage(const c10::Storage& cpu, c10::DeviceIndex dev) {
  auto nbytes = static_cast<int64_t>(cpu.nbytes());
  void* data = cpu.unsafeGetStorageImpl()->mutable_data();
  auto* ctx = new AdoptCtx{cpu, nbytes, dev};
  note_alloc(dev, nbytes);
  c10::DataPtr dp(data, ctx, &delete_adopt_ctx, c10::Device(kMLU, dev));
  return c10::Storage(c10::make_intrusive<c10::StorageImpl>(
      c10::StorageImpl::use_byte_size_t(), nbytes, std::move(dp), &g_alloc, true));
}

at::Tensor wrap(c10::Storage storage, c10::DispatchKey key, const at::Tensor& like) {
  auto t = at::detail::make_tensor<c10::TensorImpl>(
      std::move(storage), c10::DispatchKeySet(key), like.dtype());
  t.unsafeGetTensorImpl()->set_sizes_and_strides(like.sizes(), like.strides(),
                                                 like.storage_offset());
  return t;
}

bool same_meta(const at::Tensor& a, const at::Tensor& b) {
  return a.sizes().equals(b.sizes()) && a.strides().equals(b.strides()) &&
         a.storage_offset() == b.storage_offset();
}

// State of one fallback call: MLU argument <-> CPU alias bookkeeping.
struct Aliaser {
  c10::DeviceIndex device = 0;
  std::vector<std::pair<c10::StorageImpl*, c10::Storage>> storages;  // mlu -> alias
  std::vector<std::pair<at::Tensor, at::Tensor>> tensors;           // mlu, alias
  std::vector<std::pair<c10::StorageImpl*, c10::Storage>> adopted;  // cpu -> mlu

  c10::Storage alias_storage(const c10::Storage& s) {
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

  at::Tensor to_cpu(const at::Tensor& t) {
    if (!t.defined() || t.device().type() != kMLU) return t;
    auto a = wrap(alias_storage(t.storage()), c10::DispatchKey::CPU, t);
    tensors.emplace_back(t, a);
    return a;
  }

  // After the CPU kernel ran: carry resizes of aliased storages back.
  void sync_back() {
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

  c10::Storage from_cpu_storage(const c10::Storage& s) {
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

  at::Tensor from_cpu(const at::Tensor& r) {
    if (!r.defined() || r.device().type() != c10::DeviceType::CPU) return r;
    for (auto& [mlu, cpu] : tensors)
      if (cpu.unsafeGetTensorImpl() == r.unsafeGetTensorImpl()) return mlu;
    return wrap(from_cpu_storage(r.storage()), c10::DispatchKey::PrivateUse1, r);
  }
};

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
  if (!mlu) return tls_device;
  return mlu->index() < 0 ? tls_device : mlu->index();
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

void mlu_fallback(const c10::OperatorHandle& op, torch::jit::Stack* stack) {
  const auto& schema = op.schema();
  const size_t n = schema.arguments().size();
  const size_t first = stack->size() - n;
  TORCH_CHECK_NOT_IMPLEMENTED(op.hasKernelForDispatchKey(c10::DispatchKey::CPU) ||
                                  op.hasKernelForDispatchKey(
                                      c10::DispatchKey::CompositeExplicitAutograd),
                              "The MLU emulator cannot run '", schema.name(),
                              "': PyTorch has no CPU kernel for it.");
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

  {
    c10::DeviceGuard guard(c10::Device(kMLU, al.device));
    op.redispatchBoxed(c10::DispatchKeySet(c10::DispatchKey::CPU), stack);
  }
  if (dev_gen) MluGenerator::copy_state(*twin, *dev_gen);
  al.sync_back();

  const size_t nret = schema.returns().size();
  for (size_t i = stack->size() - nret; i < stack->size(); ++i) {
    auto& v = (*stack)[i];
    if (v.isTensor()) v = al.from_cpu(v.toTensor());
    else if (v.isTensorList()) v = list_from_cpu(v, al);
  }
}

// ---------------------------------------------------------------- kernels

at::Tensor mlu_empty(c10::IntArrayRef size, std::optional<at::ScalarType> dtype,
                     std::optional<at::Layout>, std::optional<at::Device> device,
                     std::optional<bool>, std::optional<at::MemoryFormat> mf) {
  c10::DeviceGuard g(device.value_or(c10::Device(kMLU, tls_device)));
  return at::detail::empty_generic(size, &g_alloc,
                                   c10::DispatchKeySet(c10::DispatchKey::PrivateUse1),
                                   c10::dtype_or_default(dtype), mf);
}

at::Tensor mlu_empty_strided(c10::IntArrayRef size, c10::IntArrayRef stride,
                             std::optional<at::ScalarType> dtype, std::optional<at::Layout>,
                             std::optional<at::Device> device, std::optional<bool>) {
  c10::DeviceGuard g(device.value_or(c10::Device(kMLU, tls_device)));
  return at::detail::empty_strided_generic(size, stride, &g_alloc,
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
  c10::Storage st(c10::Storage::use_byte_size_t(), 0, &g_alloc, true);
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

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m) {
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
}

TORCH_LIBRARY_IMPL(_, PrivateUse1, m) {
  m.fallback(torch::CppFunction::makeFromBoxedFunction<&mlu_fallback>());
}

// ---------------------------------------------------------------- control ops

int64_t op_device_count() { return device_count(); }
int64_t op_current_device() { return tls_device; }
void op_set_device(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  tls_device = static_cast<c10::DeviceIndex>(d);
}
std::vector<int64_t> op_memory_stats(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  auto& s = g_stats[d];
  return {s.current.load(), s.peak.load(), s.allocs.load(), s.frees.load()};
}
void op_reset_peak(int64_t d) {
  check_index(static_cast<c10::DeviceIndex>(d));
  g_stats[d].peak.store(g_stats[d].current.load());
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
}

}  // namespace

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
