#include "store/instance_lock.hpp"

#include "store/error.hpp"

namespace portwatch::store {

std::filesystem::path instance_lock_file(std::filesystem::path const& store_path) {
    return store_path.string() + ".lock";
}

util::Result<util::FileLock> lock_instance(std::filesystem::path const& store_path,
                                           std::chrono::milliseconds wait) {
    auto lock = util::FileLock::acquire(instance_lock_file(store_path), wait);
    if (!lock && lock.error().code == std::errc::timed_out) {
        return util::Error{lock.error().message, make_error_code(StoreError::locked)};
    }
    return lock;
}

}  // namespace portwatch::store
