#pragma once

#include <cstdint>
#include <string>

namespace portwatch::config {

/// One endpoint to check, as read from a list (or later a YAML) file.
struct Target {
    /// The host exactly as written ("db1", "10.0.0.5", "::1", "[::1]"): used in the state
    /// key and in messages, so they match the seed script byte for byte.
    std::string host;
    std::uint16_t port = 0;
    /// The probe kind ("tcp" unless the YAML says otherwise; `.lst` targets are always tcp).
    std::string kind = "tcp";
    /// For kinds whose identity is more than a host and port (http: its URL); empty for the
    /// others. When set it is the key.
    std::string endpoint;
    /// Fields 3.. of the list line joined by single spaces; may be empty.
    std::string description;
    /// Where it was defined, for diagnostics: file and 1-based line.
    std::string file;
    int line = 0;

    /// The target's identity: "HOST:PORT" (the seed's state key) for tcp, "KIND://HOST:PORT"
    /// for any other kind, so that checks of one port by two kinds never collide;
    /// "KIND://HOST" for a kind without ports (icmp); the endpoint when the kind sets one.
    std::string key() const {
        if (!endpoint.empty()) {
            return endpoint;
        }
        if (port == 0) {
            return kind + "://" + host;
        }
        auto hp = host + ":" + std::to_string(port);
        if (kind == "tcp") {
            return hp;
        }
        return kind + "://" + hp;
    }
    /// The host to resolve or connect to: `[::1]` without its brackets.
    std::string connect_host() const {
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
            return host.substr(1, host.size() - 2);
        }
        return host;
    }

    bool operator==(Target const&) const = default;
};

}  // namespace portwatch::config
