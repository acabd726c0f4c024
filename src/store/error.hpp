#pragma once

#include <system_error>
#include <type_traits>

namespace portwatch::store {

/// Why a store refused an operation (beside the errno codes of its file operations).
enum class StoreError {
    bad_url = 1,   ///< no registered backend for the URL's scheme, or no path
    locked,        ///< another process holds the one-instance lock (after the wait)
    newer_schema,  ///< written by a newer portwatch than this one
};

/// What a caller decides on: groups of StoreError (and of other codes it may compare with).
enum class StoreCondition {
    busy = 1,  ///< try again later: another instance has the store (std::errc::timed_out too)
    unusable,  ///< the configuration or the data must change first
};

std::error_category const& store_category();
std::error_category const& store_condition_category();
std::error_code make_error_code(StoreError e);
std::error_condition make_error_condition(StoreCondition c);

}  // namespace portwatch::store

template <>
struct std::is_error_code_enum<portwatch::store::StoreError> : std::true_type {};
template <>
struct std::is_error_condition_enum<portwatch::store::StoreCondition> : std::true_type {};
