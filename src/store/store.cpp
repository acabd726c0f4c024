#include "store/store.hpp"

namespace portwatch::store {

util::Result<void> Store::commit(State const& state) {
    Batch batch;
    batch.states = state.targets;
    batch.complete_states = true;
    batch.outbox_put = state.outbox;
    batch.complete_outbox = true;
    return commit(batch);
}

util::Result<std::vector<std::string>> Store::lease_targets(std::string const& /*owner*/,
                                                            std::vector<std::string> const& keys,
                                                            std::chrono::milliseconds /*lease*/,
                                                            util::TimePoint /*now*/) {
    return keys;
}

util::Result<void> Store::prune(util::TimePoint /*before*/) {
    return {};
}

util::Result<bool> Store::compact(util::TimePoint /*now*/, util::TimePoint before,
                                  std::size_t /*max_rows*/) {
    if (auto r = prune(before); !r) {
        return r.error();
    }
    return false;
}

util::Result<UptimeByKey> HistoryReader::uptime_many(std::vector<std::string> const& keys,
                                                     util::TimePoint from, util::TimePoint to) {
    UptimeByKey out;
    for (auto const& key : keys) {
        auto r = uptime(key, from, to);
        if (!r) {
            return r.error();
        }
        out.insert_or_assign(key, *r);
    }
    return out;
}

util::Result<RollupsByKey> HistoryReader::rollups_many(std::vector<std::string> const& keys,
                                                       util::TimePoint from, util::TimePoint to,
                                                       std::chrono::seconds bucket) {
    RollupsByKey out;
    for (auto const& key : keys) {
        auto r = rollups(key, from, to, bucket);
        if (!r) {
            return r.error();
        }
        out.insert_or_assign(key, std::move(*r));
    }
    return out;
}

HistoryReader* Store::history() {
    return nullptr;
}

}  // namespace portwatch::store
