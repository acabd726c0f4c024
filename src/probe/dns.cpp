#include "probe/dns.hpp"

#include <fmt/format.h>

#include "probe/datagram_options.hpp"
#include "probe/dns_query.hpp"
#include "probe/dns_reply.hpp"
#include "probe/named_category.hpp"

namespace portwatch::probe {

namespace {

constexpr std::uint16_t default_port = 53;

NamedCategory<2> const category{"portwatch.probe.dns",
                                {{{static_cast<int>(DnsError::rcode), "dns-rcode",
                                   "unexpected rcode", ProbeCondition::target_failed},
                                  {static_cast<int>(DnsError::answer), "dns-answer",
                                   "no answer matched", ProbeCondition::target_failed}}}};

// The `dns:` mapping's entry `key`, or nullptr.
config::Option const* dns_entry(config::OptionBag const& bag, std::string_view key) {
    auto const* d = bag.find("dns");
    if (d == nullptr) {
        return nullptr;
    }
    for (auto const& e : d->value.entries) {
        if (e.key == key) {
            return &e;
        }
    }
    return nullptr;
}

}  // namespace

DnsKind const dns_kind;

ProbeCategory const& dns_category() {
    return category;
}

std::error_code make_error_code(DnsError e) {
    return {static_cast<int>(e), category};
}

std::shared_ptr<KindOptions const> DnsKind::parse_options(config::OptionBag const& bag,
                                                          config::Diagnostics& out) const {
    auto const before = out.size();
    for (auto const& e : bag.entries) {
        if (e.key != "dns") {
            bag.error(out, e, "unknown key");
        }
    }
    auto const* d = bag.find("dns");
    if (d == nullptr) {
        out.push_back(config::Diagnostic{
            .file = bag.file, .line = 0, .message = bag.path + ": missing dns: {query: NAME}"});
        return nullptr;
    }
    if (d->value.type != config::OptionNode::Type::map) {
        bag.error(out, *d, "expected a mapping {query, type, rcode, answer, tcp}");
        return nullptr;
    }
    auto o = std::make_shared<DnsOptions>();
    for (auto const& e : d->value.entries) {
        auto const key = "dns." + e.key;
        if (e.key == "query") {
            o->query = options::text(bag, e.value, key, out).value_or("");
            if (o->query.empty() || o->query.size() > 253) {
                bag.error(out, e.value, key, "expected a domain name");
            }
        } else if (e.key == "type") {
            o->type_name = dns::upper(options::text(bag, e.value, key, out).value_or("A"));
            o->type = dns::type_code(o->type_name);
            if (o->type == 0) {
                bag.error(out, e.value, key,
                          "expected A, AAAA, CNAME, MX, TXT, NS, SOA, PTR or SRV");
            }
        } else if (e.key == "rcode") {
            o->rcode = dns::rcode_code(options::text(bag, e.value, key, out).value_or(""));
            if (o->rcode < 0) {
                bag.error(out, e.value, key, "expected an rcode name such as NOERROR or NXDOMAIN");
            }
        } else if (e.key == "answer") {
            o->answer = options::regex(bag, e.value, key, out);
            o->answer_text = e.value.scalar;
        } else if (e.key == "tcp") {
            o->tcp = options::boolean(bag, e.value, key, out).value_or(false);
        } else {
            bag.error(out, e.value, key, "unknown key");
        }
    }
    if (dns_entry(bag, "query") == nullptr) {
        bag.error(out, *d, "missing query");
    }
    if (auto const reverse = dns::reverse_name(o->query); reverse && o->type == 12) {
        o->query = *reverse;  // PTR of an address: its in-addr.arpa / ip6.arpa name
    }
    if (out.size() != before) {
        return nullptr;
    }
    return o;
}

void DnsKind::complete_target(config::OptionBag const& bag, config::Target& target) const {
    if (target.port == 0) {
        target.port = default_port;
    }
    auto const* q = dns_entry(bag, "query");
    auto const* t = dns_entry(bag, "type");
    bool const bare_v6 = target.host.find(':') != std::string::npos && target.host[0] != '[';
    target.endpoint = fmt::format(
        "dns://{}:{}/{}/{}", bare_v6 ? "[" + target.host + "]" : target.host, target.port,
        q != nullptr ? q->value.scalar : "", t != nullptr ? dns::upper(t->value.scalar) : "A");
}

void DnsKind::run_datagram(DatagramStep step, StepDone done) const {
    if (step.addresses.empty() || !step.request.options) {
        done({ProbeError::dns_failure, "dns: no server address or no query"});
        return;
    }
    start_dns_query(step, std::static_pointer_cast<DnsOptions const>(step.request.options),
                    std::move(done));
}

}  // namespace portwatch::probe
