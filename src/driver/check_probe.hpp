#pragma once

// Internal to `check` (check.cpp): the run's plan from a portwatch.yaml, and the probing of
// every target with its compact result.
#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "driver/check.hpp"
#include "probe/probe.hpp"
#include "store/store.hpp"
#include "util/time.hpp"

namespace portwatch::driver {

/// One target's check. The result is kept without its facts (those go aside, and only
/// kinds that report them have any): at 100,000 targets a whole ProbeResult per target was
/// a quarter of the run's memory.
struct Checked {
    config::Target const* target = nullptr;
    bool up = false;
    bool changed = false;
    std::error_code error;
    std::chrono::microseconds latency{0};
    std::string detail;
    std::string address;
    std::unique_ptr<probe::ProbeFacts const> facts;  ///< null: none reported
    util::TimePoint time;

    void keep(probe::ProbeResult r) {
        up = r.up;
        error = r.error;
        latency = r.latency;
        detail = std::move(r.detail);
        address = std::move(r.address);
        if (r.facts != probe::ProbeFacts{}) {
            facts = std::make_unique<probe::ProbeFacts const>(std::move(r.facts));
        }
    }
    /// The result as the probe gave it (a copy, for the pipeline).
    probe::ProbeResult result() const {
        return probe::ProbeResult{.up = up,
                                  .error = error,
                                  .detail = detail,
                                  .latency = latency,
                                  .address = address,
                                  .facts = facts ? *facts : probe::ProbeFacts{}};
    }
    bool is_local() const { return error == probe::ProbeCondition::host_failed; }
    std::string reason() const { return probe::reason_name(error); }
};

/// What a portwatch.yaml adds to a check run (empty when run on a seed list).
struct YamlPlan {
    std::vector<config::TargetSpec> specs;  ///< per target, in list order
    std::vector<config::Target> canaries;
    std::chrono::milliseconds canary_timeout{0};
    std::vector<config::NotifierSpec> notifiers;  ///< empty: the seed's exec notifier
    std::string store;
    std::size_t concurrency = 0;  ///< the config's `concurrency:`; 0: none
};

/// Probes every target (canaries included, appended to the list), what timed out last time
/// first (see probe_order.hpp); the results in list order.
std::vector<Checked> probe_targets(boost::asio::io_context& io,
                                   std::vector<config::Target> const& targets,
                                   store::State const& previous, CheckOptions const& options,
                                   YamlPlan const& plan);

}  // namespace portwatch::driver
