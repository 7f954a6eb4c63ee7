// Devices, the device guard, allocators and their block cache, memory statistics, pinned memory.

#include "emu.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <c10/core/impl/alloc_cpu.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pthread.h>

namespace mlu_emu {

// ---------------------------------------------------------------- devices

namespace {

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

thread_local c10::DeviceIndex tls_device = 0;

}  // namespace

int device_count() {
  static int n = read_device_count();
  return n;
}

c10::DeviceIndex current_device() { return tls_device; }
void set_current_device(c10::DeviceIndex i) { tls_device = i; }

void check_index(c10::DeviceIndex i) {
  TORCH_CHECK(i >= 0 && i < device_count(), "Invalid MLU device index ", int(i),
              ": the emulator has ", device_count(),
              " device(s) (gpu2mlu verify --devices / MLU_VISIBLE_DEVICES)");
}

// ---------------------------------------------------------------- memory stats

namespace {
struct DeviceStats {
  std::atomic<int64_t> current{0}, peak{0}, allocs{0}, frees{0};
};
DeviceStats g_stats[kMaxDevices];
}  // namespace

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

std::vector<int64_t> memory_stats(int d) {
  auto& s = g_stats[d];
  return {s.current.load(), s.peak.load(), s.allocs.load(), s.frees.load()};
}

void reset_peak(int d) { g_stats[d].peak.store(g_stats[d].current.load()); }

// ---------------------------------------------------------------- block cache

// Freed device memory is kept for reuse, as a device's caching allocator
// keeps it.  Without it, each result came fresh from malloc, which handed
// freed memory back to the system (the autograd device thread's arena most of
// all), and the next op paid a page fault per 4 KiB it wrote: 2,600 to 3,800
// faults a step of benchmarks/verify_overhead.py, a third of its time.
// Blocks are keyed by a size class; the cache holds at most kMaxCachedBytes.

namespace {

constexpr size_t kMaxCachedBytes = size_t(1) << 30;

// 64-byte steps up to 4 KiB, then 8 classes per power of two (<= 12.5% slack).
size_t size_class(size_t n) {
  if (n > (SIZE_MAX >> 1)) return n;  // no rounding past overflow: alloc_cpu refuses it
  if (n <= 4096) return std::max<size_t>(64, (n + 63) & ~size_t(63));
  const int shift = 63 - __builtin_clzll(n) - 3;
  const size_t step = size_t(1) << shift;
  return (n + step - 1) & ~(step - 1);
}

struct Block {
  size_t cls;  // its size class (the bytes it has)
  size_t n;    // the bytes asked for
};

struct BlockCache {
  std::mutex mu;
  std::unordered_map<void*, Block> live;                // handed out
  std::unordered_map<size_t, std::vector<void*>> idle;  // class -> cached blocks
  size_t cached = 0;                                    // bytes in idle
  size_t in_use = 0;                                    // bytes asked for, in live
};

BlockCache& block_cache() {
  static BlockCache* c = [] {
    auto* fresh = new BlockCache();  // leaked: blocks may be freed during static destruction
    // A forked child (a DataLoader worker) must not inherit a held lock.
    pthread_atfork([] { block_cache().mu.lock(); }, [] { block_cache().mu.unlock(); },
                   [] { block_cache().mu.unlock(); });
    return fresh;
  }();
  return *c;
}

thread_local int tls_device_scope = 0;

}  // namespace

void* take_block(size_t n) {
  const size_t cls = size_class(n);
  auto& c = block_cache();
  {
    std::lock_guard<std::mutex> lk(c.mu);
    auto it = c.idle.find(cls);
    if (it != c.idle.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= cls;
      c.live.emplace(p, Block{cls, n});
      c.in_use += n;
      return p;
    }
  }
  void* p = c10::alloc_cpu(cls);
  std::lock_guard<std::mutex> lk(c.mu);
  c.live.emplace(p, Block{cls, n});
  c.in_use += n;
  return p;
}

std::optional<size_t> give_block(void* p) {
  auto& c = block_cache();
  std::unique_lock<std::mutex> lk(c.mu);
  auto it = c.live.find(p);
  if (it == c.live.end()) return std::nullopt;
  const Block b = it->second;
  c.live.erase(it);
  c.in_use -= b.n;
  if (c.cached + b.cls <= kMaxCachedBytes) {
    c.idle[b.cls].push_back(p);
    c.cached += b.cls;
    return b.n;
  }
  lk.unlock();
  c10::free_cpu(p);
  return b.n;
}

size_t block_bytes_in_use() {
  auto& c = block_cache();
  std::lock_guard<std::mutex> lk(c.mu);
  return c.in_use;
}

void empty_block_cache() {
  auto& c = block_cache();
  std::unordered_map<size_t, std::vector<void*>> idle;
  {
    std::lock_guard<std::mutex> lk(c.mu);
    idle.swap(c.idle);
    c.cached = 0;
  }
  for (auto& [cls, blocks] : idle)
    for (void* p : blocks) c10::free_cpu(p);
}

DeviceAllocScope::DeviceAllocScope() { ++tls_device_scope; }
DeviceAllocScope::~DeviceAllocScope() { --tls_device_scope; }

// ---------------------------------------------------------------- allocators

namespace {

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
  give_block(base);
}

struct MluAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    int dev = tls_device;
    void* base = take_block(n + kHeader);
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

// The CPU allocator, wrapped: what CPU kernels allocate while they compute
// for the device (inside a DeviceAllocScope) is device memory, so it comes
// from the block cache; everything else goes to PyTorch's own allocator.
// Cached blocks are plain aligned host blocks (data == context), so
// raw_allocate works on them too, and raw_deallocate tells them apart.
c10::Allocator* g_host_cpu = nullptr;

// torch.profiler(profile_memory=True) saw these blocks as CPU memory when
// PyTorch's allocator made them; it still does.
void report_to_profiler(void* p, int64_t delta) {
  if (!c10::memoryProfilingEnabled()) return;
  c10::reportMemoryUsageToProfiler(p, delta, block_bytes_in_use(), 0,
                                   c10::Device(c10::DeviceType::CPU));
}

void delete_cached_cpu(void* p) {
  if (auto n = give_block(p)) report_to_profiler(p, -static_cast<int64_t>(*n));
}

void raw_delete_cpu(void* p) {
  if (auto n = give_block(p)) report_to_profiler(p, -static_cast<int64_t>(*n));
  else g_host_cpu->raw_deleter()(p);
}

struct CpuAllocator final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override {
    if (tls_device_scope == 0 || n == 0) return g_host_cpu->allocate(n);
    void* p = take_block(n);
    report_to_profiler(p, static_cast<int64_t>(n));
    return {p, p, &delete_cached_cpu, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override {
    return g_host_cpu->raw_deleter() ? &raw_delete_cpu : nullptr;
  }
  void copy_data(void* dst, const void* src, size_t n) const override {
    g_host_cpu->copy_data(dst, src, n);
  }
};
CpuAllocator g_cpu_alloc;

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

}  // namespace

c10::Allocator* device_allocator() { return &g_alloc; }

void install_cpu_allocator() {
  if (g_host_cpu) return;
  g_host_cpu = c10::GetCPUAllocator();
  c10::SetCPUAllocator(&g_cpu_alloc, /*priority=*/1);
}

c10::Allocator* pinned_allocator() { return &g_pinned_alloc; }

bool is_pinned_ptr(const void* data) {
  auto* p = static_cast<const char*>(data);
  std::lock_guard<std::mutex> lk(g_pinned_mu);
  auto it = g_pinned.upper_bound(p);
  if (it == g_pinned.begin()) return false;
  --it;
  return p < it->first + std::max<size_t>(it->second, 1);
}

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

// ---------------------------------------------------------------- guard

namespace {

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

}  // namespace

}  // namespace mlu_emu
