// The daemon's outbox: new entries and delivery progress join the store batch; an entry is
// handed to the dispatcher's notifier only once the batch that carries it is durable.
#include <boost/asio/post.hpp>

#include <algorithm>

#include "driver/daemon_impl.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace fs = std::filesystem;
namespace log = util::log;

void Daemon::Impl::apply_notifiers(std::vector<config::NotifierSpec> specs) {
    if (notifiers && specs == notifier_specs) {
        return;
    }
    fs::path const dir = fs::absolute(options.config).parent_path();
    if (notifiers) {
        retired_notifiers.push_back(std::move(notifiers));  // running deliveries finish
    }
    notifiers = std::make_unique<NotifierSet>(io, specs, dir);
    notifier_specs = std::move(specs);
    if (!outbox) {
        notify::OutboxOptions o{.mode = notify::OutboxOptions::Mode::daemon};
        if (!notifier_specs.empty()) {
            o.timeout = notifier_specs.front().timeout;
            o.concurrency = notifier_specs.front().concurrency;
            o.retry.max_age = notifier_specs.front().max_age;
        }
        outbox = std::make_unique<notify::Outbox>(
            o, notify::OutboxClock::system(),
            [this](notify::OutboxChange const& c) { on_outbox_change(c); });
    }
    notifiers->attach(*outbox, notifier_specs);
    for (auto const slot : table.view_order()) {
        table[slot].routes = notifiers->routes(table[slot].spec.notify);
    }
}

void Daemon::Impl::add_to_outbox(store::OutboxEntry entry) {
    batch.outbox_put.push_back(entry);
    if (outbox) {  // shutting down: saved only, delivered by the next start
        batch_upto = outbox->add(std::move(entry), false);
    }
    publisher.mark_stale();
}

void Daemon::Impl::flush() {
    flush_wanted = false;
    if (batch.empty()) {
        return;
    }
    check_store_file();  // never commit (and then announce) into a deleted file
    store::Batch b = std::move(batch);
    batch = store::Batch{};
    auto const upto = std::exchange(batch_upto, std::nullopt);
    writer->submit(std::move(b), [this, upto](bool ok) {
        boost::asio::post(io, [this, upto, ok] { on_committed(upto, ok); });
    });
}

void Daemon::Impl::on_committed(std::optional<notify::Outbox::Sequence> upto, bool ok) {
    // No outbox once shutting down (finish_shutdown): what this commit made durable is
    // delivered by the next start.
    if (!upto || !outbox) {
        return;
    }
    if (ok) {
        outbox->mark_durable(*upto);
    } else {
        // Never announce what is not durable: the store writer said so, with a count.
        outbox->forget(*upto);
    }
    pump_outbox();
}

void Daemon::Impl::pump_outbox() {
    if (!outbox) {
        return;
    }
    outbox->pump();
    if (auto const next = outbox->next_due(); next && !stopping) {
        outbox_timer.expires_at(*next);
        outbox_timer.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                pump_outbox();
            }
        });
    }
}

void Daemon::Impl::on_outbox_change(notify::OutboxChange const& change) {
    using Kind = notify::OutboxChange::Kind;
    switch (change.kind) {
        case Kind::delivered:
            ++notifications_sent;
            batch.outbox_delete.push_back(change.entry.id());
            // Saved at once, not with the next periodic flush, and the target's next message
            // to this destination waits for that commit (change.seq): a kill re-sends at most
            // one message per target and destination.
            batch_upto = std::max(batch_upto.value_or(0), change.seq);
            flush();
            break;
        case Kind::expired:
            batch.outbox_delete.push_back(change.entry.id());
            flush_wanted = true;
            break;
        case Kind::failed:
        case Kind::permanent:
            ++notifications_failed;
            destination_stats[change.entry.destination].last_error = change.result.detail;
            destination_stats[change.entry.destination].refused +=
                change.kind == Kind::permanent ? 1 : 0;
            batch.outbox_put.push_back(change.entry);
            flush_wanted = true;
            break;
    }
    publisher.mark_stale();
}

std::vector<http::DestinationView> Daemon::Impl::destination_views() const {
    auto stats = destination_stats;
    if (outbox) {
        for (auto const& e : outbox->entries()) {
            ++stats[e.destination].pending;
        }
    }
    std::vector<http::DestinationView> out;
    for (auto& [name, d] : stats) {
        d.name = name;
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace portwatch::driver
