#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>

#include "probe/kind.hpp"

namespace portwatch::probe {

/// The dns kind's parsed options (see DnsKind).
struct DnsOptions final : KindOptions {
    std::string query;
    std::string type_name = "A";
    int type = 1;
    int rcode = 0;
    std::optional<std::regex> answer;
    std::string answer_text;
    bool tcp = false;
};

/// Sends the query of `options` to the first of `step.addresses` on a c-ares channel of its
/// own, driven on the step's loop, and calls `done` once with the verdict (by the deadline).
void start_dns_query(DatagramStep const& step, std::shared_ptr<DnsOptions const> options,
                     StepDone done);

}  // namespace portwatch::probe
