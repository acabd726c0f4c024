#include "driver/probe_order.hpp"

#include <string_view>
#include <unordered_set>

#include "probe/probe.hpp"

namespace portwatch::driver {

namespace {

bool timed_out_last(eval::TargetState const& s) {
    if (s.consecutive_failures == 0) {
        return false;
    }
    std::string_view const r = s.reason;
    return r == probe::probe_error_name(probe::ProbeError::timeout) ||
           r == probe::probe_error_name(probe::ProbeError::dns_timeout);
}

}  // namespace

std::vector<std::size_t> probe_order(std::vector<config::Target> const& targets,
                                     store::State const& previous, std::size_t max_first) {
    // The keys that timed out, from one pass over the state (usually a handful): the list is
    // then matched against them, not looked up one by one in the state (the evaluation does
    // that later anyway, through its StateIndex).
    std::unordered_set<std::string_view> slow;
    for (auto const& [key, state] : previous.targets) {
        if (timed_out_last(state)) {
            slow.insert(key);
        }
    }
    std::vector<std::size_t> order;
    order.reserve(targets.size());
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        bool const first =
            order.size() < max_first && !slow.empty() && slow.contains(targets[i].key());
        (first ? order : rest).push_back(i);
    }
    order.insert(order.end(), rest.begin(), rest.end());
    return order;
}

}  // namespace portwatch::driver
