#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The DNS kind's message work, pure: record type and rcode names, and a reply's rcode and
// answers rendered as text.
namespace portwatch::probe::dns {

/// The record type named `name` (A, AAAA, CNAME, MX, TXT, NS, SOA, PTR, SRV; any case); 0
/// otherwise.
int type_code(std::string_view name);
/// The rcode named `name` (NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, ...; any
/// case); -1 otherwise.
int rcode_code(std::string_view name);
/// `text` in upper case (ASCII).
std::string upper(std::string_view text);
/// The reverse-lookup name of an IP literal ("127.0.0.1" -> "1.0.0.127.in-addr.arpa", IPv6
/// under ip6.arpa); nullopt when `text` is no IP literal.
std::optional<std::string> reverse_name(std::string_view text);
/// The name of `rcode` ("NXDOMAIN"), or "RCODE<n>" for an unnamed one.
std::string rcode_name(int rcode);

/// What a reply says.
struct Reply {
    int rcode = 0;
    bool truncated = false;
    /// The answer records of the queried type, their data as text: "192.0.2.1", "10
    /// mx.example.com", the TXT strings joined, "MNAME RNAME SERIAL REFRESH RETRY EXPIRE
    /// MINIMUM", "PRIORITY WEIGHT PORT TARGET"; names without the final dot.
    std::vector<std::string> answers;
};

/// Parses a reply (names through c-ares' ares_expand_name); nullopt when malformed.
std::optional<Reply> parse_reply(std::span<unsigned char const> message, int type);

}  // namespace portwatch::probe::dns
