#include "probe/tcp.hpp"

#include "probe/expect.hpp"
#include "probe/starttls.hpp"
#include "probe/tls_client.hpp"

namespace portwatch::probe {

namespace {

using config::Option;
using config::OptionBag;
using config::OptionNode;

struct TcpOptions final : KindOptions, HasTls {
    std::optional<TlsOptions> tls_options;
    StreamPlan plan;

    TlsOptions const* tls() const override { return tls_options ? &*tls_options : nullptr; }
};

// A `send:` value: escapes decoded.
std::optional<std::string> send_of(OptionBag const& bag, OptionNode const& v,
                                   std::string const& path, config::Diagnostics& out) {
    if (v.type != OptionNode::Type::scalar) {
        bag.error(out, v, path, "expected a string");
        return std::nullopt;
    }
    std::string error;
    auto bytes = decode_escapes(v.scalar, error);
    if (!bytes) {
        bag.error(out, v, path, error);
    }
    return bytes;
}

// An `expect:` value: an ECMAScript regex.
bool expect_of(OptionBag const& bag, OptionNode const& v, std::string const& path, ExpectStep& step,
               config::Diagnostics& out) {
    if (v.type != OptionNode::Type::scalar || v.scalar.empty()) {
        bag.error(out, v, path, "expected a regular expression");
        return false;
    }
    try {
        step.expect.emplace(v.scalar, std::regex::ECMAScript);
    } catch (std::regex_error const& e) {
        bag.error(out, v, path, std::string("bad regular expression: ") + e.what());
        return false;
    }
    step.expect_text = v.scalar;
    return true;
}

// One `{send, expect}` mapping of `steps:`.
void parse_step(OptionBag const& bag, OptionNode const& item, std::string const& path,
                StreamPlan& plan, config::Diagnostics& out) {
    if (item.type != OptionNode::Type::map || item.entries.empty()) {
        bag.error(out, item, path, "expected a mapping with send and/or expect");
        return;
    }
    ExpectStep step;
    for (auto const& e : item.entries) {
        if (e.key == "send") {
            if (auto s = send_of(bag, e.value, path + ".send", out)) {
                step.send = std::move(*s);
            }
        } else if (e.key == "expect") {
            expect_of(bag, e.value, path + ".expect", step, out);
        } else {
            bag.error(out, e.value, path + "." + e.key, "unknown key (send, expect)");
        }
    }
    plan.steps.push_back(std::move(step));
}

}  // namespace

TcpKind const tcp_kind;

ProbeCategory const* TcpKind::errors() const {
    return &stream_category();
}

std::shared_ptr<KindOptions const> TcpKind::parse_options(OptionBag const& bag,
                                                          config::Diagnostics& out) const {
    if (bag.empty()) {
        return nullptr;  // the fast path
    }
    auto const errors = out.size();
    auto o = std::make_shared<TcpOptions>();
    Option const* send = bag.find("send");
    Option const* expect = bag.find("expect");
    Option const* steps = bag.find("steps");
    Option const* starttls = bag.find("starttls");
    Option const* tls = bag.find("tls");
    for (auto const& e : bag.entries) {
        if (e.key != "send" && e.key != "expect" && e.key != "steps" && e.key != "starttls" &&
            e.key != "tls") {
            bag.error(out, e, "unknown key (kind tcp takes send, expect, steps, starttls, tls)");
        }
    }
    if (steps != nullptr && (send != nullptr || expect != nullptr)) {
        bag.error(out, *steps, "steps replaces send and expect; give one or the other");
    } else if (steps != nullptr) {
        if (steps->value.type != OptionNode::Type::list || steps->value.items.empty()) {
            bag.error(out, *steps, "expected a list of {send, expect} mappings");
        } else {
            for (std::size_t i = 0; i < steps->value.items.size(); ++i) {
                parse_step(bag, steps->value.items[i], "steps[" + std::to_string(i) + "]", o->plan,
                           out);
            }
        }
    } else if (send != nullptr || expect != nullptr) {
        ExpectStep step;
        if (send != nullptr) {
            if (auto s = send_of(bag, send->value, "send", out)) {
                step.send = std::move(*s);
            }
        }
        if (expect != nullptr) {
            expect_of(bag, expect->value, "expect", step, out);
        }
        o->plan.steps.push_back(std::move(step));
    }
    if (starttls != nullptr) {
        auto const& name = starttls->value.scalar;
        auto const* dialogue =
            starttls->value.type == OptionNode::Type::scalar ? starttls_dialogue(name) : nullptr;
        if (dialogue == nullptr) {
            bag.error(
                out, starttls->value, "starttls",
                "unknown protocol '" + name + "' (known: " + std::string(starttls_names()) + ")");
        } else if (!o->plan.steps.empty()) {
            bag.error(out, *starttls,
                      "starttls runs its own dialogue; it does not go with send, expect or steps");
        } else {
            o->plan.starttls_name = name;
            o->plan.starttls = *dialogue;
        }
    } else if (tls != nullptr) {
        bag.error(out, *tls, "tls options need starttls (or kind: tls)");
    }
    if (starttls != nullptr) {
        o->tls_options = parse_tls_options(bag, tls, out);
        o->plan.tls = o->tls_options ? &*o->tls_options : nullptr;
    }
    if (out.size() != errors) {
        return nullptr;
    }
    return o;
}

void TcpKind::run_steps(StreamStep step, StepDone done) const {
    std::shared_ptr<KindOptions const> options = step.request.options;
    auto const* o = dynamic_cast<TcpOptions const*>(options.get());
    if (o == nullptr) {
        done({});  // no conversation: connected is up
        return;
    }
    run_stream(step, std::move(options), o->plan, std::move(done));
}

}  // namespace portwatch::probe
