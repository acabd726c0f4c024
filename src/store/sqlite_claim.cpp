// The SQLite store's claims of outbox entries for delivery.
#include <algorithm>

#include "store/sqlite.hpp"
#include "store/sqlite_statement.hpp"

namespace portwatch::store {

using namespace sqlite_detail;

util::Result<std::vector<OutboxEntry>> SqliteStore::claim(std::string const& owner,
                                                          std::size_t limit,
                                                          std::chrono::milliseconds lease,
                                                          util::TimePoint now) {
    Transaction tx(db_);
    if (!tx.ok()) {
        return db_error(db_, "begin");
    }
    // The oldest entry of each (key, destination) queue, when due and under no live claim.
    Stmt st(db_, fmt::format("SELECT {}, seq FROM outbox o WHERE seq = (SELECT min(seq) FROM"
                             " outbox WHERE key = o.key AND destination = o.destination)"
                             " AND next_attempt <= ?1 AND (claimed_by = '' OR lease_until <= ?1)"
                             " ORDER BY seq LIMIT ?2",
                             outbox_columns)
                     .c_str());
    Stmt mark(db_, "UPDATE outbox SET claimed_by = ?1, lease_until = ?2 WHERE seq = ?3");
    if (!st.ok() || !mark.ok()) {
        return db_error(db_, "prepare claim");
    }
    st.bind(1, to_us(now))
        .bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, 1 << 30)));
    std::vector<OutboxEntry> out;
    std::vector<std::int64_t> seqs;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back(outbox_row(st));
        seqs.push_back(st.integer(outbox_column_count));
    }
    if (rc != SQLITE_DONE) {
        return db_error(db_, "claim");
    }
    for (auto const seq : seqs) {
        if (!mark.bind(1, owner).bind(2, to_us(now + lease)).bind(3, seq).run()) {
            return db_error(db_, "claim");
        }
    }
    if (auto r = tx.commit(); !r) {
        return r.error();
    }
    return out;
}

}  // namespace portwatch::store
