#include "store/apply_batch.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace portwatch::store {

namespace {

void apply_states(State& state, Batch const& batch) {
    auto& targets = state.targets;
    if (batch.complete_states) {
        // Keys are unique in a State; should one repeat in the batch, the first one wins.
        targets.clear();
        std::unordered_set<std::string_view> seen;
        for (auto const& entry : batch.states) {
            if (seen.insert(entry.first).second) {
                targets.push_back(entry);
            }
        }
    } else if (!batch.states.empty()) {
        // The index views the keys inside `targets`: no reallocation may move them (a short
        // key lives inside its element), hence the room for every new key first.
        targets.reserve(targets.size() + batch.states.size());
        std::unordered_map<std::string_view, std::size_t> index;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            index.emplace(targets[i].first, i);
        }
        for (auto const& [key, s] : batch.states) {
            if (auto const it = index.find(key); it != index.end()) {
                targets[it->second].second = s;
            } else {
                targets.emplace_back(key, s);
                index.emplace(targets.back().first, targets.size() - 1);
            }
        }
    }
    if (!batch.removed.empty()) {
        std::unordered_set<std::string_view> gone(batch.removed.begin(), batch.removed.end());
        std::erase_if(targets, [&](auto const& t) { return gone.contains(t.first); });
    }
}

void apply_outbox(State& state, Batch const& batch) {
    auto& outbox = state.outbox;
    if (batch.complete_outbox) {
        outbox = batch.outbox_put;
    } else {
        std::map<OutboxId, std::size_t> index;
        for (std::size_t i = 0; i < outbox.size(); ++i) {
            index.emplace(outbox[i].id(), i);
        }
        for (auto const& e : batch.outbox_put) {
            auto const [it, fresh] = index.try_emplace(e.id(), outbox.size());
            if (fresh) {
                outbox.push_back(e);
                continue;
            }
            // What an event said is fixed when it happens; only its retry state changes.
            auto& kept = outbox[it->second];
            kept.attempts = e.attempts;
            kept.next_attempt = e.next_attempt;
            kept.last_error = e.last_error;
        }
    }
    if (!batch.outbox_delete.empty()) {
        std::set<OutboxId> gone(batch.outbox_delete.begin(), batch.outbox_delete.end());
        std::erase_if(outbox, [&](OutboxEntry const& e) { return gone.contains(e.id()); });
    }
}

}  // namespace

void apply_batch(State& state, Batch const& batch) {
    apply_states(state, batch);
    apply_outbox(state, batch);
}

std::vector<OutboxEntry> Claims::claim(std::vector<OutboxEntry> const& outbox,
                                       std::string const& owner, std::size_t limit,
                                       std::chrono::milliseconds lease, util::TimePoint now) {
    std::vector<OutboxEntry> out;
    // Only the oldest entry of each (key, destination) queue may go: order per queue.
    std::set<std::pair<std::string_view, std::string_view>> queues;
    for (auto const& e : outbox) {
        if (out.size() >= limit) {
            break;
        }
        if (!queues.emplace(e.event.key, e.destination).second || e.next_attempt > now) {
            continue;
        }
        auto const id = e.id();
        if (auto const it = leases_.find(id); it != leases_.end() && it->second.until > now) {
            continue;
        }
        leases_.insert_or_assign(id, Lease{owner, now + lease});
        out.push_back(e);
    }
    return out;
}

void Claims::keep_only(std::vector<OutboxEntry> const& outbox) {
    std::set<OutboxId> kept;
    for (auto const& e : outbox) {
        kept.insert(e.id());
    }
    std::erase_if(leases_, [&](auto const& l) { return !kept.contains(l.first); });
}

void Claims::release(Batch const& batch) {
    if (batch.complete_outbox) {
        keep_only(batch.outbox_put);
    } else {
        for (auto const& e : batch.outbox_put) {
            leases_.erase(e.id());
        }
    }
    for (auto const& id : batch.outbox_delete) {
        leases_.erase(id);
    }
}

}  // namespace portwatch::store
