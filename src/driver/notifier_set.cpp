#include "driver/notifier_set.hpp"

#include <fmt/format.h>

#include "notify/exec.hpp"
#include "notify/message.hpp"
#include "notify/outbox.hpp"
#include "notify/registry.hpp"

namespace portwatch::driver {

NotifierSet::NotifierSet(boost::asio::io_context& io,
                         std::vector<config::NotifierSpec> const& specs,
                         std::filesystem::path const& base_dir, NotifierFactory const& make) {
    notify::NotifierContext const context{.base_dir = base_dir};
    auto const make_one = [&](config::NotifierSpec const& spec) {
        return make ? make(io, spec, context) : notify::make_notifier(io, spec, context);
    };
    if (specs.empty()) {
        config::NotifierSpec const seed{.name = ""};
        notifiers_.push_back(make_one(seed));
        destinations_.push_back(Destination{});
        return;
    }
    for (auto const& spec : specs) {
        notifiers_.push_back(make_one(spec));
        destinations_.push_back(
            Destination{.name = spec.name, .templates = notify::templates_of(spec)});
    }
}

NotifierSet::NotifierSet(boost::asio::io_context& io, std::vector<std::string> argv,
                         std::filesystem::path const& base_dir,
                         notify::MessageTemplates templates) {
    if (argv.empty()) {
        argv = notify::default_notify_command(base_dir);
    }
    notifiers_.push_back(std::make_unique<notify::ExecNotifier>(
        io, notify::ExecOptions{.name = "", .argv = std::move(argv), .cwd = base_dir}));
    destinations_.push_back(Destination{.templates = std::move(templates)});
}

std::shared_ptr<std::vector<Destination> const> NotifierSet::routes(
    std::optional<std::vector<std::string>> const& names) {
    std::string key = names ? fmt::format("={}", fmt::join(*names, "\n")) : std::string("*");
    auto& slot = routes_[key];
    if (!slot) {
        std::vector<Destination> out;
        for (auto const& d : destinations_) {
            if (!names || std::find(names->begin(), names->end(), d.name) != names->end()) {
                out.push_back(d);
            }
        }
        slot = std::make_shared<std::vector<Destination> const>(std::move(out));
    }
    return slot;
}

void NotifierSet::restore_firing(std::vector<Destination> const& routes, eval::Event const& down) {
    for (auto const& d : routes) {
        for (std::size_t i = 0; i < destinations_.size(); ++i) {
            if (destinations_[i].name == d.name) {
                notifiers_[i]->restore_firing({down, notify::render(down, d.templates), {}});
            }
        }
    }
}

void NotifierSet::attach(notify::Outbox& outbox, std::vector<config::NotifierSpec> const& specs) {
    for (std::size_t i = 0; i < notifiers_.size(); ++i) {
        if (!notifiers_[i]) {
            continue;
        }
        std::optional<notify::DestinationSettings> settings;
        if (i < specs.size()) {
            settings =
                notify::DestinationSettings{.timeout = specs[i].timeout,
                                            .concurrency = specs[i].concurrency,
                                            .grouped = notify::grouping_of(specs[i]).has_value()};
        }
        outbox.set_destination(destinations_[i].name, *notifiers_[i], settings);
        if (i == 0 && !destinations_[i].name.empty()) {
            outbox.set_destination("", *notifiers_[i], settings);  // entries of older files
        }
    }
}

}  // namespace portwatch::driver
