#include "probe/tls.hpp"

#include "probe/expect.hpp"
#include "probe/tls_client.hpp"

namespace portwatch::probe {

namespace {

struct TlsKindOptions final : KindOptions, HasTls {
    TlsOptions options;
    StreamPlan plan;

    TlsOptions const* tls() const override { return &options; }
};

std::shared_ptr<TlsKindOptions> make_options(TlsOptions tls) {
    auto o = std::make_shared<TlsKindOptions>();
    o->options = std::move(tls);
    o->plan.tls = &o->options;
    return o;
}

}  // namespace

TlsKind const tls_kind;

ProbeCategory const* TlsKind::errors() const {
    return &tls_category();
}

std::shared_ptr<KindOptions const> TlsKind::parse_options(config::OptionBag const& bag,
                                                          config::Diagnostics& out) const {
    for (auto const& e : bag.entries) {
        if (e.key != "tls") {
            bag.error(out, e, "unknown key (kind tls takes tls:)");
        }
    }
    auto tls = parse_tls_options(bag, bag.find("tls"), out);
    if (!tls) {
        return nullptr;
    }
    return make_options(std::move(*tls));
}

void TlsKind::run_steps(StreamStep step, StepDone done) const {
    std::shared_ptr<KindOptions const> options = step.request.options;
    if (dynamic_cast<TlsKindOptions const*>(options.get()) == nullptr) {
        // A request built without options: the defaults (system CAs, verification on).
        static std::shared_ptr<KindOptions const> const defaults = [] {
            config::Diagnostics ignored;
            auto tls = parse_tls_options(config::OptionBag{}, nullptr, ignored);
            return tls ? make_options(std::move(*tls)) : nullptr;
        }();
        options = defaults;
    }
    if (options == nullptr) {
        done({TlsError::handshake, "tls: cannot load the system's CA certificates"});
        return;
    }
    auto const& plan = static_cast<TlsKindOptions const&>(*options).plan;
    run_stream(step, std::move(options), plan, std::move(done));
}

}  // namespace portwatch::probe
