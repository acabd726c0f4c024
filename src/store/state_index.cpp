#include "store/state_index.hpp"

namespace portwatch::store {

eval::TargetState const* StateIndex::find(std::string_view key) {
    auto const& targets = state_.targets;
    if (next_ < targets.size() && targets[next_].first == key) {
        return &targets[next_++].second;
    }
    if (!built_) {
        by_key_.reserve(targets.size());
        for (std::size_t i = 0; i < targets.size(); ++i) {
            by_key_.try_emplace(targets[i].first, i);
        }
        built_ = true;
    }
    auto const it = by_key_.find(key);
    if (it == by_key_.end()) {
        return nullptr;
    }
    next_ = it->second + 1;
    return &targets[it->second].second;
}

}  // namespace portwatch::store
