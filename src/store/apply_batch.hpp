#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "store/batch.hpp"
#include "store/store.hpp"

namespace portwatch::store {

/// A batch applied to a State in memory, as Store::commit() defines it (the single-node
/// backends that rewrite a whole file use it; history in the batch is ignored).
void apply_batch(State& state, Batch const& batch);

/// The claims of one process on an in-memory outbox (Store::claim() for a single node, which
/// holds the one-instance lock: a claim need not outlive the process).
class Claims {
  public:
    /// Store::claim() over `outbox`.
    std::vector<OutboxEntry> claim(std::vector<OutboxEntry> const& outbox, std::string const& owner,
                                   std::size_t limit, std::chrono::milliseconds lease,
                                   util::TimePoint now);
    /// Releases what a committed batch put or deleted.
    /// A whole-outbox write is a snapshot, not a delivery report: the claims of entries still
    /// in it stand (those of entries gone are dropped). Used for a complete outbox.
    void release(Batch const& batch);
    void keep_only(std::vector<OutboxEntry> const& outbox);

  private:
    struct Lease {
        std::string owner;
        util::TimePoint until{};
    };
    std::map<OutboxId, Lease> leases_;
};

}  // namespace portwatch::store
