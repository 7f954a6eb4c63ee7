// Per-device random generators.

#include "emu.h"

namespace mlu_emu {

MluGenerator::MluGenerator(c10::DeviceIndex idx, uint64_t seed) : at::CPUGeneratorImpl(seed) {
  device_ = c10::Device(kMLU, idx);
  key_set_ = c10::DispatchKeySet(c10::DispatchKey::PrivateUse1);
}

MluGenerator* MluGenerator::clone_impl() const {
  auto* g = new MluGenerator(device_.index());
  copy_state(const_cast<MluGenerator&>(*this), *g);
  return g;
}

void MluGenerator::copy_state(at::CPUGeneratorImpl& from, at::CPUGeneratorImpl& to) {
  to.set_engine(from.engine());
  to.set_next_float_normal_sample(from.next_float_normal_sample());
  to.set_next_double_normal_sample(from.next_double_normal_sample());
}

namespace {
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
}  // namespace

const at::Generator& default_generator(c10::DeviceIndex i) {
  check_index(i);
  return default_generators()[i];
}

MluGenerator* mlu_gen(c10::DeviceIndex i) {
  return static_cast<MluGenerator*>(default_generator(i).unsafeGetGeneratorImpl());
}

}  // namespace mlu_emu
