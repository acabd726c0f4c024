#include "store/instance_lock.hpp"

#include "store/error.hpp"

namespace portwatch::store {

util::Result<util::FileLock> lock_instance(std::filesystem::path const& store_path,
                                           std::chrono::milliseconds wait) {
    auto lock = util::FileLock::acquire(store_path.string() + ".lock", wait);
    if (!lock && lock.error().code == std::errc::timed_out) {
        return util::Error{lock.error().message, make_error_code(StoreError::locked)};
    }
    return lock;
}

}  // namespace portwatch::store
