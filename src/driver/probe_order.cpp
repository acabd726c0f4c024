#include "driver/probe_order.hpp"

#include <string_view>

#include "probe/probe.hpp"

namespace portwatch::driver {

namespace {

bool timed_out_last(eval::TargetState const* s) {
    if (s == nullptr || s->consecutive_failures == 0) {
        return false;
    }
    std::string_view const r = s->reason;
    return r == probe::probe_error_name(probe::ProbeError::timeout) ||
           r == probe::probe_error_name(probe::ProbeError::dns_timeout);
}

}  // namespace

std::vector<std::size_t> probe_order(std::vector<config::Target> const& targets,
                                     store::State const& previous, std::size_t max_first) {
    std::vector<std::size_t> order;
    order.reserve(targets.size());
    std::vector<std::size_t> rest;
    // Looked up in list order, as the evaluation does later: State::find resumes where the last
    // lookup ended, so this is one pass over the state.
    for (std::size_t i = 0; i < targets.size(); ++i) {
        bool const first =
            order.size() < max_first && timed_out_last(previous.find(targets[i].key()));
        (first ? order : rest).push_back(i);
    }
    order.insert(order.end(), rest.begin(), rest.end());
    return order;
}

}  // namespace portwatch::driver
