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
    notifiers = std::make_unique<NotifierSet>(io, specs, dir, parts.make_notifier);
    notifier_specs = std::move(specs);
    if (!outbox) {
        // Bounded (issue 17 item 12): see OutboxOptions::max_per_destination and
        // docs/notifiers.md, "The daemon's outbox is bounded".
        notify::OutboxOptions o{.mode = notify::OutboxOptions::Mode::daemon,
                                .max_per_destination = max_pending_per_destination};
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
    for (auto const& spec : notifier_specs) {
        notifications_refused.try_emplace(spec.name, 0);  // the metrics exist from the start
        notifications_coalesced.try_emplace(spec.name, 0);
    }
    for (auto const slot : table.view_order()) {
        table[slot].routes = notifiers->routes(table[slot].spec.notify);
    }
}

/// At start: the notifiers that keep open incidents (alertmanager) take up the targets that
/// are DOWN, with their DOWN event rebuilt from the stored state (its time and the incident's
/// start are the state's `since`, so the message says what the DOWN said; the probe's detail
/// is not stored and stays empty).
void Daemon::Impl::restore_firing() {
    for (auto const slot : table.view_order()) {
        auto const& s = table[slot];
        if (!s.state || s.state->status != eval::Status::down || !s.routes) {
            continue;
        }
        auto const& t = s.spec.target;
        eval::Event const down{.kind = eval::EventKind::down,
                               .key = s.key,
                               .host = t.host,
                               .port = t.port,
                               .description = t.description,
                               .reason = s.state->reason,
                               .time = s.state->since,
                               .name = s.spec.name,
                               .group = s.spec.group,
                               .labels = s.spec.labels,
                               .down_since = s.state->since};
        notifiers->restore_firing(*s.routes, down);
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

/// A destination refused an entry for good (the outbox logged it as an error): it leaves the
/// outbox, so no later start retries it either, and is counted per notifier and kept among
/// the last 100 refusals for the API.
void Daemon::Impl::on_refused(notify::OutboxChange const& change) {
    auto const& e = change.entry;
    ++notifications_failed;
    ++notifications_refused[e.destination];
    refused.push_back({.event_id = e.event.id,
                       .destination = e.destination,
                       .key = e.event.key,
                       .event = eval::event_kind_name(e.event.kind),
                       .message = e.message,
                       .error = e.last_error,
                       .attempts = e.attempts,
                       .event_time = e.event.time,
                       .refused_at = now()});
    while (refused.size() > 100) {
        refused.pop_front();
    }
    batch.outbox_delete.push_back(e.id());
    flush_wanted = true;
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
        case Kind::coalesced:  // the outbox logged it
            ++notifications_coalesced[change.entry.destination];
            batch.outbox_delete.push_back(change.entry.id());
            flush_wanted = true;
            break;
        case Kind::failed:
            ++notifications_failed;
            destination_stats[change.entry.destination].last_error = change.result.detail;
            destination_stats[change.entry.destination].refused +=
                change.kind == Kind::permanent ? 1 : 0;
            batch.outbox_put.push_back(change.entry);
            flush_wanted = true;
            break;
        case Kind::permanent:
            on_refused(change);
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
