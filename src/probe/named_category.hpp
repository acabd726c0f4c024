#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "probe/error.hpp"

namespace portwatch::probe {

/// One code of a kind's error enum: its value, stable short name, message and condition.
struct NamedCode {
    int value;
    char const* name;
    char const* message;
    ProbeCondition condition;
};

/// A ProbeCategory over a constant table of codes (the datagram kinds' categories).
template <std::size_t N>
class NamedCategory final : public ProbeCategory {
  public:
    constexpr NamedCategory(char const* name, std::array<NamedCode, N> codes)
        : name_(name), codes_(codes) {}

    char const* name() const noexcept override { return name_; }
    std::string message(int ev) const override {
        auto const* c = find(ev);
        return c != nullptr ? c->message : "unknown error";
    }
    std::error_condition default_error_condition(int ev) const noexcept override {
        auto const* c = find(ev);
        return c != nullptr ? make_error_condition(c->condition) : std::error_condition(ev, *this);
    }
    char const* name_of(int ev) const noexcept override {
        auto const* c = find(ev);
        return c != nullptr ? c->name : "";
    }
    int from_name(std::string_view name) const noexcept override {
        for (auto const& c : codes_) {
            if (!name.empty() && name == c.name) {
                return c.value;
            }
        }
        return 0;
    }

  private:
    NamedCode const* find(int ev) const noexcept {
        for (auto const& c : codes_) {
            if (c.value == ev) {
                return &c;
            }
        }
        return nullptr;
    }

    char const* name_;
    std::array<NamedCode, N> codes_;
};

}  // namespace portwatch::probe
