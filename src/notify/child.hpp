#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "notify/notifier.hpp"
#include "notify/process.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify::detail {

/// One running notifier child: its output pipe, exit wait and deadline (child.cpp).
class ChildDelivery;

/// The deliveries whose child is not reaped yet, owned by their notifier.
struct InFlight {
    std::unordered_map<ChildDelivery*, std::shared_ptr<ChildDelivery>> map;
};

struct ChildSettings {
    std::string program;  ///< argv[0], for messages
    std::string cwd;      ///< for messages
    std::size_t output_cap = 64 * 1024;
    std::chrono::milliseconds timeout{30000};
};

/// Takes over a spawned child: reads its output, waits for its exit and its deadline (past
/// it the process group is killed), and runs `done` once with the typed result.
void start_child(boost::asio::io_context& io, std::shared_ptr<InFlight> const& owner,
                 Spawned spawned, ChildSettings settings, Notifier::Completion done);

/// Kills and reaps every child still running; their completions are posted as cancelled.
void abandon_all(InFlight& in_flight);

}  // namespace portwatch::notify::detail
