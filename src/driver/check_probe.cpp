#include "driver/check_probe.hpp"

#include <algorithm>
#include <functional>

#include "driver/probe_order.hpp"
#include "probe/engine.hpp"
#include "probe/registry.hpp"

namespace portwatch::driver {

std::vector<Checked> probe_targets(boost::asio::io_context& io,
                                   std::vector<config::Target> const& targets,
                                   store::State const& previous, CheckOptions const& options,
                                   YamlPlan const& plan) {
    std::vector<Checked> out(targets.size());
    config::Diagnostics ignored;  // validated when the config was loaded
    std::size_t const cap = plan.concurrency != 0 && !options.concurrency_given
                                ? plan.concurrency
                                : options.concurrency;
    probe::Engine engine(io, probe::EngineOptions{.concurrency = cap});
    auto const order = probe_order(targets, previous, engine.concurrency() / 2);
    // The engine is fed as probes finish, a window ahead of its cap, rather than given every
    // request at once: 100,000 queued requests (host, kind, callback) cost 13 MB.
    std::size_t next = 0;
    std::function<void()> feed_one = [&] {
        std::size_t const i = order[next++];
        out[i].target = &targets[i];
        auto const timeout = i < plan.specs.size()             ? plan.specs[i].timeout
                             : plan.canary_timeout.count() > 0 ? plan.canary_timeout
                                                               : options.timeout;
        engine.submit(probe::ProbeRequest{.kind = targets[i].kind,
                                          .host = targets[i].connect_host(),
                                          .port = targets[i].port,
                                          .timeout = timeout,
                                          .options = i < plan.specs.size()
                                                         ? probe::parse_options(
                                                               targets[i].kind,
                                                               plan.specs[i].options, ignored)
                                                         : nullptr},
                      [&out, &next, &order, &feed_one, i](probe::ProbeResult r) {
                          out[i].keep(std::move(r));
                          out[i].time = util::Clock::now();
                          if (next < order.size()) {
                              feed_one();
                          }
                      });
    };
    std::size_t const window = std::min(order.size(), 2 * engine.concurrency() + 64);
    while (next < window) {
        feed_one();
    }
    io.run();
    return out;
}

}  // namespace portwatch::driver
