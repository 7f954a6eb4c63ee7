// Kernels real MLUs have and CPU PyTorch lacks (device-only fused kernels),
// registered for the PrivateUse1 key so they win over the CPU fallback.
// Each one must compute what torch_mlu's kernel computes, from CPU ops.

#include "emu.h"

#include <ATen/native/transformers/attention.h>

namespace mlu_emu {
namespace {

// scaled_dot_product_attention asks a per-device stub which fused kernel to
// use and takes the unfused math path on a device without one.  An MLU has
// fused attention kernels; the emulator picks what the CPU picks (its flash
// kernel runs through the fallback), so attention stays bitwise equal to a
// CPU run instead of switching to the math path's different rounding.
int64_t fused_sdp_choice(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                         const std::optional<at::Tensor>& mask, double dropout_p,
                         bool is_causal, std::optional<double> scale, bool enable_gqa) {
  Aliaser al;
  std::optional<at::Tensor> cpu_mask;
  if (mask) cpu_mask = al.to_cpu(*mask);
  return at::_fused_sdp_choice(al.to_cpu(q), al.to_cpu(k), al.to_cpu(v), cpu_mask, dropout_p,
                               is_causal, scale, enable_gqa);
}

}  // namespace
}  // namespace mlu_emu

namespace at::native {
REGISTER_PRIVATEUSE1_DISPATCH(_fused_sdp_choice_stub, &mlu_emu::fused_sdp_choice)
}  // namespace at::native
