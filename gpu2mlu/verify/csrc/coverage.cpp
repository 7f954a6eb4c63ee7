// The op-coverage model: every op that reaches the CPU fallback on an MLU tensor is checked
// against the ops real torch_mlu has MLU kernels for (set from Python per --torch-mlu-line).
// An op outside that list is what torch_mlu itself would run through its CPU fallback: we warn
// with torch_mlu's text, count its calls, and hand its first call to Python, which records the
// project's call site.  The same path notes dtypes the device computes differently.
//
// Cost: after an op's first call on a thread, one lock-free hashed lookup of its handle in a
// per-thread cache (plus a counter increment for fallback ops); no string work.  The dtype
// scan stops once every watched dtype was reported.

#include "emu.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mlu_emu {
namespace {

struct OpState {
  bool cpu_fallback = false;
  std::atomic<int64_t> calls{0};
};

struct Coverage {
  std::mutex mu;
  std::unordered_set<std::string> kernels;  // "aten::add.Tensor"
  std::unordered_map<c10::OperatorHandle, std::unique_ptr<OpState>> ops;
  std::unordered_set<std::string> warned;  // torch_mlu warns once per op name
  std::vector<std::pair<std::string, const OpState*>> fallback_ops;     // full name, state
  std::unordered_map<int64_t, int> dtype_tries;  // watched c10::ScalarType -> offers left
  // States of a previous set_coverage: another thread may still hold a pointer to one.
  std::vector<std::unique_ptr<OpState>> retired;
};

Coverage& cov() {
  static Coverage* c = new Coverage();  // leaked: ops may run during static destruction
  return *c;
}

std::atomic<bool> g_enabled{false};
std::atomic<bool> g_dtypes_pending{false};

std::string full_name(const c10::OperatorName& n) {
  return n.overload_name.empty() ? n.name : n.name + "." + n.overload_name;
}

// Hands an event to the Python stand-in (its CPU kernel of mlu_emu::report_event), which knows
// the call site; returns whether it recorded it.  Never called with cov().mu held: Python takes
// the GIL.
bool report(const std::string& kind, const std::string& what, const std::string& message) {
  auto handle = c10::Dispatcher::singleton().findOp({"mlu_emu::report_event", ""});
  if (!handle) return false;
  torch::jit::Stack stack{c10::IValue(kind), c10::IValue(what), c10::IValue(message)};
  try {
    handle->callBoxedForDispatchKey(c10::DispatchKey::CPU, stack);
  } catch (const std::exception&) {
    return false;  // reporting must never break the user's program
  }
  return !stack.empty() && stack.back().isBool() && stack.back().toBool();
}

// Is this op one that real torch_mlu runs on the device?  Decided once per op.
OpState* classify_locked(const c10::OperatorHandle& op, bool& first_fallback, std::string& name) {
  auto& c = cov();
  std::lock_guard<std::mutex> lk(c.mu);
  auto it = c.ops.find(op);
  if (it != c.ops.end()) return it->second.get();
  auto st = std::make_unique<OpState>();
  const auto& opname = op.operator_name();
  name = full_name(opname);
  // An op with a CompositeExplicitAutograd kernel reaches us only because the emulator routes it
  // here (convolution); on torch_mlu that kernel runs and calls ops that have MLU kernels.
  st->cpu_fallback = !c.kernels.count(name) &&
                     !op.hasKernelForDispatchKey(c10::DispatchKey::CompositeExplicitAutograd);
  if (st->cpu_fallback) {
    c.fallback_ops.emplace_back(name, st.get());
    first_fallback = c.warned.insert(opname.name).second;
  }
  auto* raw = st.get();
  c.ops.emplace(op, std::move(st));
  return raw;
}

std::atomic<uint64_t> g_generation{0};  // bumped by set_coverage: drops the per-thread caches

OpState* classify(const c10::OperatorHandle& op, bool& first_fallback, std::string& name) {
  // Per-thread cache first: no lock on the hot path.  States are never freed (see retired).
  thread_local std::unordered_map<c10::OperatorHandle, OpState*> cache;
  thread_local uint64_t cache_generation = 0;
  const auto generation = g_generation.load(std::memory_order_acquire);
  if (cache_generation != generation) {
    cache.clear();
    cache_generation = generation;
  }
  auto hit = cache.find(op);
  if (hit != cache.end()) return hit->second;
  OpState* state = classify_locked(op, first_fallback, name);
  cache.emplace(op, state);
  return state;
}

int64_t dtype_of(const at::Tensor& t) {
  if (!t.defined() || t.device().type() != kMLU) return -1;
  return static_cast<int64_t>(t.scalar_type());
}

// Python declines a dtype event when torch's own code (GradScaler's float64 reciprocal, say)
// made the call: only the project's use of the dtype is a problem.  A dtype stays watched until
// accepted, for at most kDtypeTries offers, so library-only use costs a bounded number of calls.
constexpr int kDtypeTries = 10000;

void check_dtypes(const torch::jit::Stack& stack, size_t first, size_t n) {
  int64_t found = -1;
  auto note = [&](const at::Tensor& t) {
    auto code = dtype_of(t);
    if (code == static_cast<int64_t>(at::kDouble) ||
        code == static_cast<int64_t>(at::kComplexDouble))
      found = code;
  };
  for (size_t i = 0; i < n && found < 0; ++i) {
    const auto& v = stack[first + i];
    if (v.isTensor()) note(v.toTensor());
    else if (v.isTensorList())
      for (const auto& t : v.toTensorList()) note(t);
  }
  if (found < 0) return;
  {
    auto& c = cov();
    std::lock_guard<std::mutex> lk(c.mu);
    auto it = c.dtype_tries.find(found);
    if (it == c.dtype_tries.end()) return;  // not watched, or already reported
    if (--it->second <= 0) c.dtype_tries.erase(it);
    if (c.dtype_tries.empty()) g_dtypes_pending.store(false, std::memory_order_relaxed);
  }
  if (report("dtype", std::to_string(found), "")) {
    auto& c = cov();
    std::lock_guard<std::mutex> lk(c.mu);
    c.dtype_tries.erase(found);
    if (c.dtype_tries.empty()) g_dtypes_pending.store(false, std::memory_order_relaxed);
  }
}

}  // namespace

void note_fallback_call(const c10::OperatorHandle& op, const torch::jit::Stack& stack,
                        size_t first, size_t n) {
  if (!g_enabled.load(std::memory_order_relaxed)) return;
  if (g_dtypes_pending.load(std::memory_order_relaxed)) check_dtypes(stack, first, n);
  bool first_fallback = false;
  std::string name;
  OpState* st = classify(op, first_fallback, name);
  if (!st->cpu_fallback) return;
  st->calls.fetch_add(1, std::memory_order_relaxed);
  if (!first_fallback) return;
  std::ostringstream msg;
  msg << "The operator '" << op.operator_name()
      << "' is not currently supported on the MLU backend and will fall back to run on the CPU."
      << " This may have performance implications.";
  report("cpu-fallback", name, msg.str());
  TORCH_WARN(msg.str());
}

void set_coverage(const std::string& kernels, const std::vector<int64_t>& dtypes) {
  auto& c = cov();
  {
    std::lock_guard<std::mutex> lk(c.mu);
    c.kernels.clear();
    std::istringstream in(kernels);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) c.kernels.insert(line.find("::") == std::string::npos ? "aten::" + line
                                                                               : line);
    for (auto& [op, st] : c.ops) c.retired.push_back(std::move(st));
    c.ops.clear();
    c.fallback_ops.clear();
    c.warned.clear();
    c.dtype_tries.clear();
    for (auto code : dtypes) c.dtype_tries[code] = kDtypeTries;
    g_dtypes_pending.store(!dtypes.empty());
    g_generation.fetch_add(1, std::memory_order_release);
  }
  g_enabled.store(true);
}

std::string fallback_counts() {
  auto& c = cov();
  std::lock_guard<std::mutex> lk(c.mu);
  std::ostringstream out;
  for (const auto& [name, st] : c.fallback_ops)
    out << name << '\t' << st->calls.load(std::memory_order_relaxed) << '\n';
  return out.str();
}

namespace {

void op_set_coverage(c10::string_view kernels, std::vector<int64_t> dtypes) {
  set_coverage(std::string(kernels), dtypes);
}

std::string op_fallback_counts() { return fallback_counts(); }

// The Python stand-in registers the CPU kernel of report_event; until then events are dropped.
TORCH_LIBRARY_FRAGMENT(mlu_emu, m) {
  m.def("set_coverage(str kernels, int[] dtypes) -> ()", &op_set_coverage);
  m.def("fallback_counts() -> str", &op_fallback_counts);
  m.def("report_event(str kind, str what, str message) -> bool");
}

}  // namespace
}  // namespace mlu_emu
