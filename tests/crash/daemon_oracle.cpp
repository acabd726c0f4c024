#include "crash/daemon_oracle.hpp"

#include <time.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace portwatch::test {

namespace {

std::string const down_word = "\xEC\x9E\xA5\xEC\x95\xA0";  // 장애
std::string const up_word = "\xEB\xB3\xB5\xEA\xB5\xAC";    // 복구

/// "(YYYY.MM.DD HH:MM:SS)" of a transition time, local time, as the message template writes it.
std::string seed_time(std::int64_t time_us) {
    time_t const t = static_cast<time_t>(time_us / 1'000'000);
    struct tm tm {};
    ::localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "(%Y.%m.%d %H:%M:%S)", &tm);
    return buf;
}

}  // namespace

std::vector<DeliveryCall> read_calls(std::filesystem::path const& path) {
    std::vector<DeliveryCall> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        DeliveryCall c;
        std::getline(ls, c.id, '\t');
        std::getline(ls, c.event, '\t');
        std::getline(ls, c.key, '\t');
        std::getline(ls, c.ppid, '\t');
        std::getline(ls, c.message);
        out.push_back(std::move(c));
    }
    return out;
}

OracleVerdict judge(OracleInput const& in) {
    OracleVerdict v;
    std::map<std::string, std::size_t> life_of;  // pid -> index in in.lives
    for (std::size_t i = 0; i < in.lives.size(); ++i) {
        life_of[in.lives[i].pid] = i;
    }
    // event id -> the life that sent it last: a re-delivery is owed to that life's kill (a
    // message re-sent by daemon 2, which is killed in turn, may go once more from daemon 3:
    // one duplicate per kill, not two for the first one).
    std::map<std::string, std::size_t> last_sender;
    std::map<std::string, std::vector<DeliveryCall>> got;  // key -> distinct calls in order
    std::vector<std::vector<std::string>> dups(in.lives.size());
    for (std::size_t i = 0; i < in.calls.size(); ++i) {
        auto const& c = in.calls[i];
        auto const life = life_of.find(c.ppid);
        if (life == life_of.end()) {
            v.failures.push_back(fmt::format("call {} ({}) came from pid {}, not a daemon of ours",
                                             i, c.id, c.ppid));
            continue;
        }
        auto& seq = got[c.key];
        auto const first = last_sender.find(c.id);
        if (first == last_sender.end()) {
            last_sender[c.id] = life->second;
            seq.push_back(c);
            continue;
        }
        ++v.duplicates;
        auto const sent_by = first->second;
        first->second = life->second;
        if (seq.back().id != c.id) {
            v.failures.push_back(
                fmt::format("[order; issue 17 item 7] call {} (daemon {}) re-delivers {} of {} "
                            "after a newer message of that target",
                            i, c.ppid, c.id, c.key));
        } else if (sent_by == life->second) {
            v.failures.push_back(
                fmt::format("call {}: daemon {} delivered {} twice", i, c.ppid, c.id));
        } else if (!in.lives[sent_by].killed) {
            v.failures.push_back(
                fmt::format("call {} repeats {} although daemon {} that sent it was not killed", i,
                            c.id, in.lives[sent_by].pid));
        } else {
            dups[sent_by].push_back(c.key);
        }
    }
    for (std::size_t i = 0; i < dups.size(); ++i) {
        if (dups[i].size() > 1) {
            // Issue 17 item 7 (lazy "delivered"): do not relax this bound, fix the daemon.
            v.failures.push_back(fmt::format(
                "[issue 17 item 7] the kill of daemon {} ({}) was followed by "
                "{} duplicate deliveries (at most 1 per destination per kill): {}",
                in.lives[i].pid, in.lives[i].mode, dups[i].size(), fmt::join(dups[i], " ")));
        }
    }
    std::map<std::string, std::vector<TransitionRow>> want;
    for (auto const& t : in.transitions) {
        if (t.to == "UNKNOWN" || (t.from == "UNKNOWN" && t.to == "UP")) {
            continue;  // a first-seen UP is silent
        }
        want[t.key].push_back(t);
        ++v.announced;
    }
    std::set<std::string> keys;
    for (auto const& [k, v] : want) {
        keys.insert(k);
    }
    for (auto const& [k, v] : got) {
        keys.insert(k);
    }
    for (auto const& key : keys) {
        // Whole messages, byte for byte: "svcI (HOST:PORT) 장애 (YYYY.MM.DD HH:MM:SS)".
        std::vector<std::string> w, g;
        for (auto const& t : want[key]) {
            bool const down = t.to == "DOWN";
            w.push_back(fmt::format("{}: {} ({}) {} {}", down ? "down" : "up", in.description(key),
                                    key, down ? down_word : up_word, seed_time(t.time_us)));
        }
        for (auto const& c : got[key]) {
            g.push_back(c.event + ": " + c.message);
        }
        if (w != g) {
            v.failures.push_back(
                fmt::format("{}: the store recorded\n    [{}]\n  but the notifier got\n    [{}]",
                            key, fmt::join(w, " | "), fmt::join(g, " | ")));
        }
        auto const st = in.final_statuses.find(key);
        if (st != in.final_statuses.end() && !got[key].empty() &&
            got[key].back().event != (st->second == "DOWN" ? "down" : "up")) {
            v.failures.push_back(fmt::format("{}: final state {} but the last message was '{}'",
                                             key, st->second, got[key].back().message));
        }
        if (st != in.final_statuses.end() && got[key].empty() && st->second == "DOWN") {
            v.failures.push_back(fmt::format("{}: final state DOWN and never announced", key));
        }
    }
    for (auto const& id : in.outbox_ids) {
        if (last_sender.count(id) == 0) {
            v.failures.push_back(fmt::format("event {} was in the outbox but never delivered", id));
        }
    }
    for (std::size_t i = 0; i < in.lives.size(); ++i) {
        if (in.lives[i].killed) {
            v.duplicates_per_kill.push_back(dups[i].size());
        }
    }
    return v;
}

}  // namespace portwatch::test
