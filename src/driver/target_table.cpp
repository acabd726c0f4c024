#include "driver/target_table.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_set>

#include "driver/from_config.hpp"

namespace portwatch::driver {

std::optional<std::size_t> TargetTable::find(std::string const& key) const {
    if (auto it = by_key_.find(key); it != by_key_.end()) {
        return it->second;
    }
    return std::nullopt;
}

std::vector<std::string> TargetTable::expire(util::TimePoint now) {
    std::vector<std::string> out;
    for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->second.until <= now) {
            out.push_back(it->first);
            it = parked_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

void TargetTable::park(std::string key, eval::TargetState state, util::TimePoint now) {
    auto saved = state;
    parked_[std::move(key)] = Parked{std::move(state), std::move(saved), now + grace_};
}

TableDiff TargetTable::apply(std::vector<config::TargetSpec> specs, util::TimePoint now) {
    TableDiff diff;
    std::unordered_set<std::string> keep;
    for (auto const& spec : specs) {
        keep.insert(spec.target.key());
    }
    for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
        auto& s = slots_[slot];
        if (s.active && !keep.count(s.key)) {
            by_key_.erase(s.key);
            if (s.state) {
                parked_[s.key] = Parked{*s.state, s.saved, now + grace_};
            }
            diff.removed.push_back(s.key);
            s = TargetSlot{};
            ++generations_[slot];
            free_.push_back(slot);
        }
    }
    for (auto& spec : specs) {
        auto key = spec.target.key();
        std::size_t slot;
        if (auto it = by_key_.find(key); it != by_key_.end()) {
            slot = it->second;
            if (!(slots_[slot].spec == spec)) {
                diff.changed.push_back(slot);
            }
        } else {
            if (!free_.empty()) {
                slot = free_.back();
                free_.pop_back();
            } else {
                slot = slots_.size();
                slots_.emplace_back();
                generations_.push_back(0);
            }
            by_key_.emplace(key, slot);
            slots_[slot].active = true;
            diff.added.push_back(slot);
            if (auto it = parked_.find(key); it != parked_.end()) {
                slots_[slot].state = std::move(it->second.state);
                slots_[slot].saved = std::move(it->second.saved);
                parked_.erase(it);
                diff.restored.push_back(slot);
            }
        }
        auto& s = slots_[slot];
        s.thresholds = thresholds_of(spec.thresholds);
        s.thresholds.remind_every =
            remind_on_grid(s.thresholds.remind_every,
                           std::chrono::duration_cast<std::chrono::milliseconds>(spec.interval));
        s.key = std::move(key);
        s.spec = std::move(spec);
    }

    view_order_.clear();
    for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
        if (slots_[slot].active) {
            view_order_.push_back(slot);
        }
    }
    std::sort(view_order_.begin(), view_order_.end(), [this](std::size_t a, std::size_t b) {
        auto const& x = slots_[a].spec;
        auto const& y = slots_[b].spec;
        return std::tie(x.group, x.name) < std::tie(y.group, y.name);
    });
    return diff;
}

}  // namespace portwatch::driver
