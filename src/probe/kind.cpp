#include "probe/kind.hpp"

namespace portwatch::probe {

std::shared_ptr<KindOptions const> Kind::parse_options(config::OptionBag const& bag,
                                                       config::Diagnostics& out) const {
    config::reject_all_options(bag, out);
    return nullptr;
}

void Kind::complete_target(config::OptionBag const& /*bag*/, config::Target& /*target*/) const {}

void Kind::run_steps(StreamStep /*step*/, StepDone done) const {
    done({ProbeError::connect_failed, std::string(name_) + ": no protocol steps"});
}

void Kind::run_datagram(DatagramStep /*step*/, StepDone done) const {
    done({ProbeError::connect_failed, std::string(name_) + ": no datagram transport"});
}

}  // namespace portwatch::probe
