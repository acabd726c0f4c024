#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/notifier.hpp"
#include "driver/pipeline.hpp"
#include "notify/notifier.hpp"

namespace boost::asio {
class io_context;
}

namespace portwatch::notify {
class Outbox;
}

namespace portwatch::driver {

/// The notifiers of a run, built from the config's `notifiers:` through the notifier
/// registry, each with the Destination (name, templates) events are rendered for. Without
/// `notifiers:` there is one: the seed's exec notifier (push_msg.py beside the list, or the
/// given command), named "". Entries stored with no destination (every file and database
/// written before destinations existed) go to the first notifier.
/// Makes a notifier from its (validated) spec: notify::make_notifier, the notifier registry,
/// unless a caller (a test) gives its own.
using NotifierFactory = std::function<std::unique_ptr<notify::Notifier>(
    boost::asio::io_context&, config::NotifierSpec const&, notify::NotifierContext const&)>;

class NotifierSet {
  public:
    /// From a config's notifier specs (validated), relative to `base_dir`, each made by
    /// `make` (empty: the registry's).
    NotifierSet(boost::asio::io_context& io, std::vector<config::NotifierSpec> const& specs,
                std::filesystem::path const& base_dir, NotifierFactory const& make = {});
    /// The seed list's one notifier: `argv` (empty: push_msg.py in `base_dir`) + MESSAGE.
    NotifierSet(boost::asio::io_context& io, std::vector<std::string> argv,
                std::filesystem::path const& base_dir, notify::MessageTemplates templates);

    /// Notifiers made elsewhere (tests, fakes), each with its destination.
    NotifierSet(std::vector<std::unique_ptr<notify::Notifier>> notifiers,
                std::vector<Destination> destinations)
        : notifiers_(std::move(notifiers)), destinations_(std::move(destinations)) {}

    /// The destinations of a target: those it names (`notify:`), or every one. Targets with
    /// the same list share one vector.
    std::shared_ptr<std::vector<Destination> const> routes(
        std::optional<std::vector<std::string>> const& names);
    /// A target DOWN at start (`down`: its DOWN event rebuilt from the stored state): each of
    /// `routes`' notifiers gets it, rendered with that destination's templates
    /// (Notifier::restore_firing).
    void restore_firing(std::vector<Destination> const& routes, eval::Event const& down);
    /// Routes every destination of the outbox to its notifier.
    void attach(notify::Outbox& outbox, std::vector<config::NotifierSpec> const& specs = {});

  private:
    std::vector<std::unique_ptr<notify::Notifier>> notifiers_;
    std::vector<Destination> destinations_;  ///< same order as notifiers_
    std::map<std::string, std::shared_ptr<std::vector<Destination> const>> routes_;
};

}  // namespace portwatch::driver
