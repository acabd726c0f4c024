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

HistoryReader* Store::history() {
    return nullptr;
}

}  // namespace portwatch::store
