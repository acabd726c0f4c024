#include "probe/registry.hpp"

#include <array>
#include <string>

#include "probe/dns.hpp"
#include "probe/http.hpp"
#include "probe/icmp.hpp"
#include "probe/tcp.hpp"
#include "probe/tls_client.hpp"
#include "probe/tls.hpp"
#include "probe/udp.hpp"

namespace portwatch::probe {

namespace {

// The table: adding a kind is its file and one line here.
constexpr std::array<Kind const*, 6> table{{
    &tcp_kind,
    &tls_kind,
    &http_kind,
    &udp_kind,
    &icmp_kind,
    &dns_kind,
}};

}  // namespace

std::span<Kind const* const> kinds() {
    return table;
}

Kind const* find_kind(std::string_view name) {
    for (auto const* k : table) {
        if (k->name() == name) {
            return k;
        }
    }
    return nullptr;
}

std::vector<std::string_view> kind_names() {
    std::vector<std::string_view> out;
    out.reserve(table.size());
    for (auto const* k : table) {
        out.push_back(k->name());
    }
    return out;
}

config::Schema schema() {
    std::map<std::string, config::KindSchema, std::less<>> kinds;
    for (auto const* k : table) {
        kinds.emplace(
            std::string(k->name()),
            config::KindSchema([k](config::OptionBag const& bag,
                                   config::Diagnostics& out) { k->parse_options(bag, out); },
                               [k](config::OptionBag const& bag, config::Target& target) {
                                   k->complete_target(bag, target);
                               },
                               k->needs_port()));
    }
    return config::Schema(std::move(kinds));
}

std::shared_ptr<KindOptions const> parse_options(std::string_view kind,
                                                 config::OptionBag const& bag,
                                                 config::Diagnostics& out) {
    auto const* k = find_kind(kind);
    return k != nullptr ? k->parse_options(bag, out) : nullptr;
}

std::chrono::seconds expiry_warn(std::string_view /*kind*/, KindOptions const* options) {
    // Every kind's options that carry `tls:` derive from HasTls (tls, tcp with starttls, http).
    return expiry_warn_of(options).value_or(std::chrono::seconds{});
}

std::error_code reason_from_name(std::string_view name) {
    if (name.empty()) {
        return {};
    }
    if (int const ev = probe_category().from_name(name); ev != 0) {
        return {ev, probe_category()};
    }
    for (auto const* k : table) {
        if (auto const* cat = k->errors()) {
            if (int const ev = cat->from_name(name); ev != 0) {
                return {ev, *cat};
            }
        }
    }
    return {};
}

}  // namespace portwatch::probe
