#include "store/error.hpp"

#include <string>

namespace portwatch::store {

namespace {

class StoreCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.store"; }

    std::string message(int ev) const override {
        switch (static_cast<StoreError>(ev)) {
            case StoreError::bad_url:
                return "bad store URL";
            case StoreError::locked:
                return "another portwatch holds the store";
            case StoreError::newer_schema:
                return "store written by a newer portwatch";
        }
        return "unknown store error";
    }

    // `locked` is a timeout of the lock's wait: it compares equal to std::errc::timed_out, as
    // the lock's error always did (the drivers map that to their "locked" exit code).
    bool equivalent(int ev, std::error_condition const& cond) const noexcept override {
        if (cond == std::errc::timed_out) {
            return static_cast<StoreError>(ev) == StoreError::locked;
        }
        return std::error_category::equivalent(ev, cond);
    }

    std::error_condition default_error_condition(int ev) const noexcept override {
        return static_cast<StoreError>(ev) == StoreError::locked
                   ? make_error_condition(StoreCondition::busy)
                   : make_error_condition(StoreCondition::unusable);
    }
};

class StoreConditionCategory final : public std::error_category {
  public:
    char const* name() const noexcept override { return "portwatch.store.condition"; }

    std::string message(int ev) const override {
        switch (static_cast<StoreCondition>(ev)) {
            case StoreCondition::busy:
                return "the store is busy";
            case StoreCondition::unusable:
                return "the store cannot be used as it is";
        }
        return "unknown store condition";
    }

    bool equivalent(std::error_code const& code, int cond) const noexcept override {
        if (code.category() == store_category()) {
            return code.category().default_error_condition(code.value()) ==
                   std::error_condition(cond, *this);
        }
        return static_cast<StoreCondition>(cond) == StoreCondition::busy &&
               code == std::errc::timed_out;
    }
};

}  // namespace

std::error_category const& store_category() {
    static StoreCategory const category;
    return category;
}

std::error_category const& store_condition_category() {
    static StoreConditionCategory const category;
    return category;
}

std::error_code make_error_code(StoreError e) {
    return {static_cast<int>(e), store_category()};
}

std::error_condition make_error_condition(StoreCondition c) {
    return {static_cast<int>(c), store_condition_category()};
}

}  // namespace portwatch::store
