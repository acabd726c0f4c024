#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "eval/event.hpp"

namespace portwatch::store {

/// The fields an event gained after the first store formats (name, group, labels,
/// down_since, cert_not_after), as one JSON object: the JSON store keeps it as an entry's
/// "extras" member, SQLite in the outbox's `extras` column. Absent fields are left out, so an
/// event without them stores nothing new ("{}" is returned as "").

/// The extras of `e`; an empty object when it has none.
nlohmann::ordered_json extras_to_json(eval::Event const& e);
/// The same as compact JSON text; "" when there are none.
std::string extras_to_text(eval::Event const& e);

/// Reads what it knows of `j` into `e`; ignores other members and wrong types.
void extras_from_json(nlohmann::json const& j, eval::Event& e);
/// The same from text; "" and malformed text leave `e` unchanged.
void extras_from_text(std::string_view text, eval::Event& e);

}  // namespace portwatch::store
