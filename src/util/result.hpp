#pragma once

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace portwatch::util {

/// An error with the context a user needs to act on it (file, line, what failed).
struct Error {
    std::string message;
    std::error_code code{};

    bool operator==(Error const&) const = default;
};

/// A value or an Error, shaped like std::expected (not available on g++ 12).
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & { return std::get<0>(v_); }
    T const& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    T const* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    T const& operator*() const& { return value(); }
    Error const& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool has_value() const { return ok_; }
    explicit operator bool() const { return ok_; }
    Error const& error() const { return error_; }

  private:
    Error error_;
    bool ok_ = true;
};

/// An Error from errno, with what was being done.
inline Error errno_error(std::string what, int err) {
    return Error{std::move(what), std::error_code(err, std::generic_category())};
}

}  // namespace portwatch::util
