// Kernels real MLUs have and CPU PyTorch lacks (device-only fused kernels),
// registered for the PrivateUse1 key so they win over the CPU fallback.
// Each one must compute what torch_mlu's kernel computes, from CPU ops.

#include "emu.h"

namespace mlu_emu {
namespace {}  // namespace
}  // namespace mlu_emu
