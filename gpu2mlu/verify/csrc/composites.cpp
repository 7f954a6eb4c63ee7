// Kernels real MLUs have and CPU PyTorch lacks (device-only fused kernels),
// registered for the PrivateUse1 key so they win over the CPU fallback.
// Each one must compute what torch_mlu's kernel computes, from CPU ops.
//
// Every kernel aliases its MLU arguments as CPU tensors (no copy), composes
// CPU ATen ops, and hands fresh results back as MLU memory.  We run below
// autograd here: the backward kernels are what autograd calls.
//
//   RNN cells   _thnn_fused_lstm_cell(+_backward_impl), _thnn_fused_gru_cell(+_backward):
//               what at::lstm/gru/lstm_cell/gru_cell call for a non-CPU tensor.  The
//               element-wise steps follow the order of ATen's CPU cell (same ops on
//               same-shaped views), so a cell is bitwise equal to the CPU cell.
//   Attention   the fused-kernel choice of scaled_dot_product_attention: what the CPU picks.
//   SyncBatchNorm statistics  batch_norm_stats, batch_norm_gather_stats(_with_counts),
//               batch_norm_elemt, batch_norm_backward_reduce, batch_norm_backward_elemt.

#include "emu.h"

#include <ATen/OpMathType.h>
#include <ATen/native/transformers/attention.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace mlu_emu {
namespace {

// ======================================================================== attention

// scaled_dot_product_attention asks a per-device stub which fused kernel to
// use and takes the unfused math path on a device without one.  An MLU has
// fused attention kernels; the emulator picks what the CPU picks (its flash
// kernel runs through the fallback), so attention stays bitwise equal to a
// CPU run instead of switching to the math path's different rounding.
//
// "What the CPU picks" is under the same switches: enable_*_sdp, sdp_kernel
// and sdpa_kernel set process-global at::Context flags, which torch_mlu's own
// choice reads too (torch.backends.mlu mirrors torch.backends.cuda).  So flash
// disabled means the math path here, as on CPU; a program that disables flash
// only on the accelerator (vit-pytorch's SimpleViT) differs from its CPU run
// by that choice, not by the emulator.  Assumed departures from a real MLU,
// taken for CPU equality: torch_mlu's fused kernels (flash, then
// mem-efficient) accept only float16/bfloat16, so a real MLU runs float32
// attention on the math path even with flash enabled; and CPU has no
// mem-efficient kernel, so mem-efficient alone is rejected here as on CPU
// (a real MLU runs it for float16/bfloat16 inputs).
int64_t fused_sdp_choice(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                         const std::optional<at::Tensor>& mask, double dropout_p,
                         bool is_causal, std::optional<double> scale, bool enable_gqa) {
  Aliaser al;
  // The CPU choice depends on requires_grad (an attn_mask that requires grad
  // rules out flash): the aliases must carry it.
  auto cpu = [&al](const at::Tensor& t) {
    auto a = al.to_cpu(t);
    if (t.defined() && t.requires_grad()) a.requires_grad_(true);
    return a;
  };
  std::optional<at::Tensor> cpu_mask;
  if (mask) cpu_mask = cpu(*mask);
  return at::_fused_sdp_choice(cpu(q), cpu(k), cpu(v), cpu_mask, dropout_p, is_causal, scale,
                               enable_gqa);
}


// The device every defined tensor argument is on; all must be the same MLU.
c10::DeviceIndex common_device(const char* op, std::initializer_list<const at::Tensor*> ts) {
  std::optional<c10::Device> dev;
  for (const at::Tensor* t : ts) {
    if (!t || !t->defined()) continue;
    TORCH_CHECK(t->device().type() == kMLU, op, ": expected all tensors on the MLU, got one on ",
                t->device());
    if (!dev) dev = t->device();
    TORCH_CHECK(*dev == t->device(), "Expected all tensors to be on the same device, but found "
                "at least two devices, ", *dev, " and ", t->device(), "! (in ", op, ")");
  }
  return dev ? dev->index() : current_device();
}

at::Tensor opt(const std::optional<at::Tensor>& t) { return t.has_value() ? *t : at::Tensor(); }

// ======================================================================== RNN cells

void check_cell(const char* op, const at::Tensor& ig, const at::Tensor& hg, const at::Tensor& state,
                int64_t gates, const at::Tensor& ib, const at::Tensor& hb) {
  TORCH_CHECK(ig.dim() == 2 && ig.sizes() == hg.sizes(), op,
              ": input_gates and hidden_gates must be 2-D of the same shape, got ", ig.sizes(),
              " and ", hg.sizes());
  TORCH_CHECK(ig.size(1) == gates * state.size(-1) && state.dim() == 2 &&
                  state.size(0) == ig.size(0),
              op, ": gates ", ig.sizes(), " do not match the state ", state.sizes());
  TORCH_CHECK(ib.defined() == hb.defined(), op, ": give both biases or neither");
  if (ib.defined())
    TORCH_CHECK(ib.dim() == 1 && ib.size(0) == ig.size(1) && hb.sizes() == ib.sizes(), op,
                ": biases must be 1-D of size ", ig.size(1));
}

// (hidden_gates + hidden_bias) + (input_gates + input_bias): the CPU cell adds the
// two linear layers' outputs in this order, and addmm(b, x, W^T) == mm(x, W^T) + b.
at::Tensor summed_gates(const at::Tensor& ig, const at::Tensor& hg, const at::Tensor& ib,
                        const at::Tensor& hb) {
  if (!ib.defined()) return hg.add(ig);
  return hg.add(hb).add_(ig.add(ib));
}

// Workspace: the four activated gates [i | f | g | o], shape [B, 4H].
std::tuple<at::Tensor, at::Tensor, at::Tensor> fused_lstm_cell(
    const at::Tensor& input_gates, const at::Tensor& hidden_gates, const at::Tensor& cx,
    const std::optional<at::Tensor>& input_bias, const std::optional<at::Tensor>& hidden_bias) {
  const char* op = "_thnn_fused_lstm_cell";
  at::Tensor ib = opt(input_bias), hb = opt(hidden_bias);
  Aliaser al;
  al.device = common_device(op, {&input_gates, &hidden_gates, &cx, &ib, &hb});
  check_cell(op, input_gates, hidden_gates, cx, 4, ib, hb);
  auto gates = summed_gates(al.to_cpu(input_gates), al.to_cpu(hidden_gates), al.to_cpu(ib),
                            al.to_cpu(hb));
  // In place on the chunks, as the CPU cell does, so `gates` ends as the workspace.
  auto ch = gates.unsafe_chunk(4, 1);
  auto i = ch[0].sigmoid_();
  auto f = ch[1].sigmoid_();
  auto g = ch[2].tanh_();
  auto o = ch[3].sigmoid_();
  auto cy = (f * al.to_cpu(cx)).add_(i * g);
  auto hy = o * cy.tanh();
  return {al.from_cpu(hy), al.from_cpu(cy), al.from_cpu(gates)};
}

// Returns (grad_gates, grad_cx, grad_bias); grad_gates is the gradient of both
// input_gates and hidden_gates (they are summed), grad_bias of both biases.
std::tuple<at::Tensor, at::Tensor, at::Tensor> fused_lstm_cell_backward(
    const std::optional<at::Tensor>& grad_hy_opt, const std::optional<at::Tensor>& grad_cy_opt,
    const at::Tensor& cx, const at::Tensor& cy, const at::Tensor& workspace, bool has_bias) {
  const char* op = "_thnn_fused_lstm_cell_backward_impl";
  at::Tensor ghy_m = opt(grad_hy_opt), gcy_m = opt(grad_cy_opt);
  if (!ghy_m.defined() && !gcy_m.defined()) return {};
  Aliaser al;
  al.device = common_device(op, {&ghy_m, &gcy_m, &cx, &cy, &workspace});
  auto ch = al.to_cpu(workspace).unsafe_chunk(4, 1);
  const auto &i = ch[0], &f = ch[1], &g = ch[2], &o = ch[3];
  auto cx_c = al.to_cpu(cx);
  auto ghy = al.to_cpu(ghy_m), gcy = al.to_cpu(gcy_m);

  // hy = o * tanh(cy);  cy = f * cx + i * g
  at::Tensor go, gc;
  if (ghy.defined()) {
    auto tcy = al.to_cpu(cy).tanh();
    go = ghy * tcy;
    gc = at::tanh_backward(ghy * o, tcy);
    if (gcy.defined()) gc = gc + gcy;
  } else {
    go = at::zeros(o.sizes(), o.options());
    gc = gcy;
  }
  auto gf = gc * cx_c;
  auto gcx = gc * f;
  auto gi = gc * g;
  auto gg = gc * i;
  auto grad_gates = at::cat({at::sigmoid_backward(gi, i), at::sigmoid_backward(gf, f),
                             at::tanh_backward(gg, g), at::sigmoid_backward(go, o)},
                            1);
  at::Tensor grad_bias = has_bias ? grad_gates.sum(0, /*keepdim=*/false) : at::Tensor();
  return {al.from_cpu(grad_gates), al.from_cpu(gcx), al.from_cpu(grad_bias)};
}

// Workspace: [r | z | n | hx | hn] of shape [B, 5H], hn = hidden_gates_n + hidden_bias_n
// (the value the reset gate multiplies, needed for the reset gate's gradient).
std::tuple<at::Tensor, at::Tensor> fused_gru_cell(
    const at::Tensor& input_gates, const at::Tensor& hidden_gates, const at::Tensor& hx,
    const std::optional<at::Tensor>& input_bias, const std::optional<at::Tensor>& hidden_bias) {
  const char* op = "_thnn_fused_gru_cell";
  at::Tensor ib = opt(input_bias), hb = opt(hidden_bias);
  Aliaser al;
  al.device = common_device(op, {&input_gates, &hidden_gates, &hx, &ib, &hb});
  check_cell(op, input_gates, hidden_gates, hx, 3, ib, hb);
  auto ig = al.to_cpu(input_gates), hg = al.to_cpu(hidden_gates), h = al.to_cpu(hx);
  // The CPU cell's two linear outputs: x W_ih^T + b_ih and h W_hh^T + b_hh.
  auto ilin = ib.defined() ? ig.add(al.to_cpu(ib)) : ig.clone();
  auto hlin = hb.defined() ? hg.add(al.to_cpu(hb)) : hg.clone();
  auto ic = ilin.unsafe_chunk(3, 1), hc = hlin.unsafe_chunk(3, 1);
  auto ws = at::empty({h.size(0), 5 * h.size(1)}, h.options());
  auto wc = ws.chunk(5, 1);
  wc[4].copy_(hc[2]);
  auto r = hc[0].add_(ic[0]).sigmoid_();
  auto z = hc[1].add_(ic[1]).sigmoid_();
  auto n = ic[2].add(hc[2].mul_(r)).tanh_();
  auto hy = (h - n).mul_(z).add_(n);
  wc[0].copy_(r);
  wc[1].copy_(z);
  wc[2].copy_(n);
  wc[3].copy_(h);
  return {al.from_cpu(hy), al.from_cpu(ws)};
}

// Returns (grad_input_gates, grad_hidden_gates, grad_hx, grad_input_bias, grad_hidden_bias).
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor, at::Tensor> fused_gru_cell_backward(
    const at::Tensor& grad_hy, const at::Tensor& workspace, bool has_bias) {
  const char* op = "_thnn_fused_gru_cell_backward";
  Aliaser al;
  al.device = common_device(op, {&grad_hy, &workspace});
  TORCH_CHECK(workspace.dim() == 2 && workspace.size(1) == 5 * grad_hy.size(1), op,
              ": workspace ", workspace.sizes(), " does not match grad_hy ", grad_hy.sizes());
  auto wc = al.to_cpu(workspace).chunk(5, 1);
  const auto &r = wc[0], &z = wc[1], &n = wc[2], &h = wc[3], &hn = wc[4];
  auto g = al.to_cpu(grad_hy);
  // hy = (h - n) * z + n;  n = tanh(i_n + r * hn);  r, z = sigmoid(i_* + h_*)
  auto gz = g * (h - n);
  auto ghx = g * z;
  auto gn = at::tanh_backward(g - ghx, n);
  auto gr = at::sigmoid_backward(gn * hn, r);
  auto gzp = at::sigmoid_backward(gz, z);
  auto grad_ig = at::cat({gr, gzp, gn}, 1);
  auto grad_hg = at::cat({gr, gzp, gn * r}, 1);
  at::Tensor gib, ghb;
  if (has_bias) {
    gib = grad_ig.sum(0, /*keepdim=*/false);
    ghb = grad_hg.sum(0, /*keepdim=*/false);
  }
  return {al.from_cpu(grad_ig), al.from_cpu(grad_hg), al.from_cpu(ghx), al.from_cpu(gib),
          al.from_cpu(ghb)};
}

// ======================================================================== SyncBatchNorm

// Statistics are kept in the accumulation type, as the device kernels do:
// float for half/bfloat16 inputs.
at::ScalarType acc_type(const at::Tensor& t) { return at::toOpMathType(t.scalar_type()); }

std::vector<int64_t> reduce_dims(const at::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

// [C] -> [1, C, 1, ...] to broadcast over the input.
at::Tensor per_channel(const at::Tensor& v, const at::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[1] = like.size(1);
  return v.reshape(shape);
}

void check_bn_input(const char* op, const at::Tensor& x) {
  TORCH_CHECK(x.dim() >= 2, op, ": input must have at least 2 dimensions (N, C, ...), got ",
              x.sizes());
}

// Per-channel mean and 1/sqrt(biased variance + eps) of the local batch.
std::tuple<at::Tensor, at::Tensor> bn_stats(const at::Tensor& input, double eps) {
  const char* op = "batch_norm_stats";
  Aliaser al;
  al.device = common_device(op, {&input});
  check_bn_input(op, input);
  auto x = al.to_cpu(input).to(acc_type(input));
  auto [var, mean] = at::var_mean(x, reduce_dims(x), /*correction=*/c10::Scalar(0), /*keepdim=*/false);
  auto invstd = var.add(eps).rsqrt_();
  return {al.from_cpu(mean), al.from_cpu(invstd)};
}

// Merges per-replica (mean, invstd, count) into the global statistics and
// updates the running ones (unbiased variance), as one BatchNorm over the
// union of the replicas' batches would.
std::tuple<at::Tensor, at::Tensor> bn_gather_stats_with_counts(
    const at::Tensor& input, const at::Tensor& mean, const at::Tensor& invstd,
    const std::optional<at::Tensor>& running_mean_opt,
    const std::optional<at::Tensor>& running_var_opt, double momentum, double eps,
    const at::Tensor& counts) {
  const char* op = "batch_norm_gather_stats_with_counts";
  at::Tensor rm_m = opt(running_mean_opt), rv_m = opt(running_var_opt);
  Aliaser al;
  al.device = common_device(op, {&input, &mean, &invstd, &rm_m, &rv_m, &counts});
  TORCH_CHECK(mean.dim() == 2 && invstd.sizes() == mean.sizes(), op,
              ": mean and invstd must be [world, C], got ", mean.sizes(), " and ",
              invstd.sizes());
  TORCH_CHECK(counts.numel() == mean.size(0), op, ": ", counts.numel(), " counts for ",
              mean.size(0), " replicas");
  auto acc = mean.scalar_type();
  auto m = al.to_cpu(mean);
  auto n = al.to_cpu(counts).to(acc).reshape({-1, 1});
  auto total = n.sum();
  // A replica with no samples contributes nothing (its invstd may be garbage).
  auto has = n.gt(0);
  auto var_i = at::where(has, al.to_cpu(invstd).pow(-2).sub_(eps), at::zeros_like(m));
  auto gmean = (m * n).sum(0).div_(total);
  auto m2 = ((var_i + (m - gmean).pow_(2)) * n).sum(0);
  auto gvar = m2 / total;
  auto ginvstd = gvar.add(eps).rsqrt_();
  if (rm_m.defined()) {
    auto rm = al.to_cpu(rm_m);
    rm.copy_(rm.to(acc).mul(1 - momentum).add_(gmean, momentum));
  }
  if (rv_m.defined()) {
    auto rv = al.to_cpu(rv_m);
    auto unbiased = m2 / (total - 1);
    rv.copy_(rv.to(acc).mul(1 - momentum).add_(unbiased, momentum));
  }
  return {al.from_cpu(gmean), al.from_cpu(ginvstd)};
}

std::tuple<at::Tensor, at::Tensor> bn_gather_stats(
    const at::Tensor& input, const at::Tensor& mean, const at::Tensor& invstd,
    const std::optional<at::Tensor>& running_mean, const std::optional<at::Tensor>& running_var,
    double momentum, double eps, int64_t count) {
  auto counts = at::full({mean.size(0)}, static_cast<double>(count), mean.options());
  return bn_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum,
                                     eps, counts);
}

// y = (x - mean) * invstd * weight + bias, in the input's dtype and layout.
at::Tensor bn_elemt(const at::Tensor& input, const std::optional<at::Tensor>& weight_opt,
                    const std::optional<at::Tensor>& bias_opt, const at::Tensor& mean,
                    const at::Tensor& invstd, double /*eps: folded into invstd*/) {
  const char* op = "batch_norm_elemt";
  at::Tensor w_m = opt(weight_opt), b_m = opt(bias_opt);
  Aliaser al;
  al.device = common_device(op, {&input, &w_m, &b_m, &mean, &invstd});
  check_bn_input(op, input);
  auto x = al.to_cpu(input);
  auto acc = acc_type(input);
  auto y = (x.to(acc) - per_channel(al.to_cpu(mean).to(acc), x))
               .mul_(per_channel(al.to_cpu(invstd).to(acc), x));
  if (w_m.defined()) y.mul_(per_channel(al.to_cpu(w_m).to(acc), x));
  if (b_m.defined()) y.add_(per_channel(al.to_cpu(b_m).to(acc), x));
  auto out = at::empty_like(x);  // keeps channels_last
  out.copy_(y);
  return al.from_cpu(out);
}

// Local sums for the backward: sum(dy), sum(dy * (x - mean)) per channel, and
// the local weight/bias gradients (DDP averages those across replicas).
std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> bn_backward_reduce(
    const at::Tensor& grad_out, const at::Tensor& input, const at::Tensor& mean,
    const at::Tensor& invstd, const std::optional<at::Tensor>& weight_opt, bool input_g,
    bool weight_g, bool bias_g) {
  const char* op = "batch_norm_backward_reduce";
  at::Tensor w_m = opt(weight_opt);
  Aliaser al;
  al.device = common_device(op, {&grad_out, &input, &mean, &invstd, &w_m});
  check_bn_input(op, input);
  auto acc = acc_type(input);
  auto x = al.to_cpu(input), dy = al.to_cpu(grad_out).to(acc);
  auto dims = reduce_dims(x);
  auto sum_dy = dy.sum(dims);
  auto xmu = x.to(acc) - per_channel(al.to_cpu(mean).to(acc), x);
  auto sum_dy_xmu = (dy * xmu).sum(dims);
  auto wdtype = w_m.defined() ? w_m.scalar_type() : input.scalar_type();
  at::Tensor gw, gb;
  if (weight_g) gw = (sum_dy_xmu * al.to_cpu(invstd).to(acc)).to(wdtype);
  if (bias_g) gb = sum_dy.to(wdtype);
  if (!input_g) sum_dy = sum_dy_xmu = at::Tensor();
  return {al.from_cpu(sum_dy), al.from_cpu(sum_dy_xmu), al.from_cpu(gw), al.from_cpu(gb)};
}

// dx = (dy - sum_dy / N - (x - mean) * invstd^2 * sum_dy_xmu / N) * invstd * weight,
// with the sums and N taken over all replicas.
at::Tensor bn_backward_elemt(const at::Tensor& grad_out, const at::Tensor& input,
                             const at::Tensor& mean, const at::Tensor& invstd,
                             const std::optional<at::Tensor>& weight_opt,
                             const at::Tensor& sum_dy, const at::Tensor& sum_dy_xmu,
                             const at::Tensor& count) {
  const char* op = "batch_norm_backward_elemt";
  at::Tensor w_m = opt(weight_opt);
  Aliaser al;
  al.device = common_device(op, {&grad_out, &input, &mean, &invstd, &w_m, &sum_dy, &sum_dy_xmu,
                                 &count});
  check_bn_input(op, input);
  auto acc = acc_type(input);
  auto x = al.to_cpu(input);
  auto total = al.to_cpu(count).to(acc).sum();
  auto istd = al.to_cpu(invstd).to(acc);
  auto mean_dy = al.to_cpu(sum_dy).to(acc) / total;
  auto factor = istd * istd * (al.to_cpu(sum_dy_xmu).to(acc) / total);
  auto scale = w_m.defined() ? istd * al.to_cpu(w_m).to(acc) : istd;
  auto gx = (al.to_cpu(grad_out).to(acc) - per_channel(mean_dy, x))
                .sub_((x.to(acc) - per_channel(al.to_cpu(mean).to(acc), x))
                          .mul_(per_channel(factor, x)))
                .mul_(per_channel(scale, x));
  auto out = at::empty_like(x);
  out.copy_(gx);
  return al.from_cpu(out);
}

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m) {
  m.impl("_thnn_fused_lstm_cell", TORCH_FN(fused_lstm_cell));
  m.impl("_thnn_fused_lstm_cell_backward_impl", TORCH_FN(fused_lstm_cell_backward));
  m.impl("_thnn_fused_gru_cell", TORCH_FN(fused_gru_cell));
  m.impl("_thnn_fused_gru_cell_backward", TORCH_FN(fused_gru_cell_backward));
  m.impl("batch_norm_stats", TORCH_FN(bn_stats));
  m.impl("batch_norm_gather_stats_with_counts", TORCH_FN(bn_gather_stats_with_counts));
  m.impl("batch_norm_gather_stats", TORCH_FN(bn_gather_stats));
  m.impl("batch_norm_elemt", TORCH_FN(bn_elemt));
  m.impl("batch_norm_backward_reduce", TORCH_FN(bn_backward_reduce));
  m.impl("batch_norm_backward_elemt", TORCH_FN(bn_backward_elemt));
}

}  // namespace
}  // namespace mlu_emu

namespace at::native {
REGISTER_PRIVATEUSE1_DISPATCH(_fused_sdp_choice_stub, &mlu_emu::fused_sdp_choice)
}  // namespace at::native
