#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.hpp"

namespace portwatch::store {

/// Looks targets of a State up by key, O(1) whatever the order of the lookups and however
/// many keys the state does not hold. Lookups in the state's own order (a list checked
/// against the state its previous run saved: the common case) cost one comparison each and
/// build nothing; the first lookup that is not the next key builds a hash index once.
/// The state must outlive the index and not change while it is in use; it holds each key
/// once (both stores load a repeated key as one target).
class StateIndex {
  public:
    explicit StateIndex(State const& state) : state_(state) {}

    eval::TargetState const* find(std::string_view key);

  private:
    State const& state_;
    std::size_t next_ = 0;  ///< where the previous hit ended: the next key in state order
    bool built_ = false;
    std::unordered_map<std::string_view, std::size_t> by_key_;
};

}  // namespace portwatch::store
