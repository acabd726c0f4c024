#include "config/yaml.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace portwatch::config {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> messages(ConfigFile const& f) {
    std::vector<std::string> out;
    for (auto const& d : f.diagnostics) {
        out.push_back(d.to_string());
    }
    return out;
}

TEST(ParseDuration, UnitsAndJunk) {
    EXPECT_EQ(parse_duration("30s"), milliseconds(30000));
    EXPECT_EQ(parse_duration("5m"), milliseconds(300000));
    EXPECT_EQ(parse_duration("1h"), milliseconds(3600000));
    EXPECT_EQ(parse_duration("7d"), milliseconds(7 * 86400000LL));
    EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
    EXPECT_EQ(parse_duration("1.5"), milliseconds(1500));
    EXPECT_EQ(parse_duration("0"), milliseconds(0));
    EXPECT_FALSE(parse_duration(""));
    EXPECT_FALSE(parse_duration("s"));
    EXPECT_FALSE(parse_duration("5 m"));
    EXPECT_FALSE(parse_duration("5x"));
    EXPECT_FALSE(parse_duration("-5s"));
}

TEST(ParseConfig, FullExample) {
    test::TempDir dir;
    dir.write("legacy.lst", "127.0.0.1 22 SSH box\n# comment\n10.0.0.1 80\n");
    dir.write("c.pem", "cert");
    dir.write("k.pem", "key");
    auto const text = R"(
defaults:
  interval: 10s
  timeout: 2s
  failure_threshold: 3
  success_threshold: 2
  flap: {failures: 3, window: 10}
  remind_every: 1h
targets:
  - name: web
    host: 127.0.0.1
    port: 8080
    description: Web Server
    interval: 5s
    labels: {env: prod, team: ops}
    group: frontend
    failure_threshold: 1
  - host: "::1"
    port: 5432
include:
  - legacy.lst
  - {file: legacy.lst, group: dup}
notifiers:
  - type: exec
    command: ["/bin/echo", "hi"]
    timeout: 5s
store: sqlite:state/pw.db
connectivity:
  canaries: ["192.0.2.1:53", {host: 192.0.2.2, port: 53}]
http:
  listen: 127.0.0.1:9107
  tls: {cert: c.pem, key: k.pem}
  auth: {basic: {user: admin, hash: "sha256:30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"}}
  limits: {max_connections: 10, request_timeout: 3s}
  title: "운영 현황"
  metrics: {per_target_histograms: true}
log_level: debug
)";
    auto const f = parse_config(text, dir / "portwatch.yaml");
    // The second include repeats the first one's targets: a warning per target, once each.
    EXPECT_FALSE(f.has_errors()) << ::testing::PrintToString(messages(f));
    EXPECT_EQ(f.diagnostics.size(), 2u);
    auto const& c = f.config;
    ASSERT_EQ(c.targets.size(), 4u);
    auto const& web = c.targets[0];
    EXPECT_EQ(web.name, "web");
    EXPECT_EQ(web.target.key(), "127.0.0.1:8080");
    EXPECT_EQ(web.target.description, "Web Server");
    EXPECT_EQ(web.interval, milliseconds(5000));
    EXPECT_EQ(web.timeout, milliseconds(2000));
    EXPECT_EQ(web.labels.at("team"), "ops");
    EXPECT_EQ(web.group, "frontend");
    EXPECT_EQ(web.thresholds.failure, 1);
    EXPECT_EQ(web.thresholds.success, 2);
    EXPECT_EQ(web.thresholds.flap_window, 10);
    EXPECT_EQ(web.thresholds.remind_every, milliseconds(3600000));
    EXPECT_EQ(web.target.line, 10);
    EXPECT_EQ(c.targets[1].name, "::1:5432");
    EXPECT_EQ(c.targets[1].thresholds.failure, 3);
    EXPECT_EQ(c.targets[2].target.description, "SSH box");
    EXPECT_EQ(c.targets[2].interval, milliseconds(10000));
    EXPECT_EQ(c.targets[2].target.file, (dir / "legacy.lst").string());
    ASSERT_EQ(c.notifiers.size(), 1u);
    EXPECT_EQ(c.notifiers[0].name, "exec");
    EXPECT_EQ(
        c.notifiers[0].options.at("command"),
        (NotifierOption{.values = {"/bin/echo", "hi"}, .list = true, .line = 25, .column = 5}));
    EXPECT_EQ(c.notifiers[0].timeout, milliseconds(5000));
    EXPECT_EQ(c.store, "sqlite:" + (dir / "state/pw.db").string());
    ASSERT_EQ(c.connectivity.canaries.size(), 2u);
    EXPECT_EQ(c.connectivity.canaries[1].key(), "192.0.2.2:53");
    ASSERT_TRUE(c.http);
    EXPECT_EQ(c.http->tls_key, (dir / "k.pem").string());  // beside the config
    EXPECT_EQ(c.http->basic_user, "admin");
    EXPECT_EQ(c.http->max_connections, 10u);
    EXPECT_EQ(c.http->request_timeout, milliseconds(3000));
    EXPECT_EQ(c.http->title, "운영 현황");
    EXPECT_TRUE(c.http->per_target_histograms);
    EXPECT_EQ(c.log_level, "debug");
}

TEST(ParseConfig, DefaultStoreIsSqliteBesideTheConfig) {
    auto const f = parse_config("targets: []\n", "/etc/portwatch/portwatch.yaml");
    EXPECT_TRUE(f.diagnostics.empty());
    EXPECT_EQ(f.config.store, "sqlite:/etc/portwatch/portwatch.db");
    EXPECT_FALSE(f.config.http);
}

/// A stand-in for notify::notifier_schema(): config is tested without the notify layer.
NotifierSchema test_schema() {
    return NotifierSchema{
        {"exec", [](NotifierSpec const&, std::vector<Diagnostic>&) {}},
        {"pigeon",
         [](NotifierSpec const& spec, std::vector<Diagnostic>& out) {
             if (spec.options.count("colour")) {
                 out.push_back(option_error(spec, "colour", "pigeons take no colour"));
             }
         }},
    };
}

struct ErrorCase {
    char const* name;
    char const* text;
    char const* expected;  // substring of the only error
};

class ConfigErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameFileLineColumnAndKey) {
    auto const& c = GetParam();
    auto const f = parse_config(c.text, "p.yaml", Schema{}, test_schema());
    ASSERT_TRUE(f.has_errors()) << c.name;
    auto const all = messages(f);
    EXPECT_NE(all[0].find(c.expected), std::string::npos) << ::testing::PrintToString(all);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigErrors,
    ::testing::Values(
        ErrorCase{"bad_port", "targets:\n  - host: a\n    port: 70000\n",
                  "p.yaml:3:11: targets[0].port: expected a whole number in 1..65535"},
        ErrorCase{"missing_port", "targets:\n  - host: a\n",
                  "p.yaml:2:5: targets[0]: missing port"},
        ErrorCase{"unknown_key", "targets:\n  - host: a\n    port: 1\n    prot: 2\n",
                  "p.yaml:4:5: targets[0].prot: unknown key"},
        ErrorCase{"top_unknown", "tragets: []\n", "p.yaml:1:1: tragets: unknown key"},
        ErrorCase{"bad_duration", "defaults:\n  interval: 5 minutes\n",
                  "p.yaml:2:13: defaults.interval: expected a duration"},
        ErrorCase{"syntax", "targets: [\n", "p.yaml:2:1: "},
        ErrorCase{"bad_store", "store: mysql://x\n", "p.yaml:1:8: store: expected sqlite:PATH"},
        ErrorCase{"dup_name",
                  "targets:\n  - {name: a, host: h, port: 1}\n  - {name: a, host: h, port: 2}\n",
                  "p.yaml:3:5: targets[1]: duplicate target name 'a'"},
        ErrorCase{"flap", "defaults:\n  flap: {failures: 5, window: 3}\n",
                  "defaults.flap: failures must not exceed window"},
        ErrorCase{"missing_include", "include: [nope.lst]\n", "p.yaml:1:11: include[0]: "},
        ErrorCase{"bad_host", "targets:\n  - {host: '[1.2.3.4]', port: 1}\n",
                  "targets[0].host: bad bracketed IPv6"},
        ErrorCase{"notifier_type", "notifiers:\n  - type: carrier-pigeon\n",
                  "p.yaml:2:11: notifiers.carrier-pigeon.type: unknown notifier type "
                  "'carrier-pigeon' (known: exec, pigeon)"},
        ErrorCase{"notifier_option", "notifiers:\n  - {name: n, type: pigeon, colour: red}\n",
                  "p.yaml:2:29: notifiers.n.colour: pigeons take no colour"},
        ErrorCase{"notifier_dup", "notifiers:\n  - type: exec\n  - type: exec\n",
                  "p.yaml:3:5: notifiers.exec: duplicate notifier name 'exec'"},
        ErrorCase{"notify_unknown",
                  "notifiers: [{name: ops}]\ntargets:\n  - {host: h, port: 1, notify: [ops, "
                  "opz]}\n",
                  "p.yaml:3:38: targets[0].notify[1]: unknown notifier 'opz' (declared: ops)"},
        ErrorCase{"notify_not_list", "targets:\n  - {host: h, port: 1, notify: ops}\n",
                  "p.yaml:2:32: targets[0].notify: expected a list of notifier names"},
        ErrorCase{"group_notify_unknown", "groups:\n  db: {notify: [nobody]}\n",
                  "p.yaml:2:17: groups.db.notify[0]: unknown notifier 'nobody' (no notifiers: "
                  "declared)"},
        ErrorCase{"group_key", "groups:\n  db: {notfy: []}\n",
                  "p.yaml:2:8: groups.db.notfy: unknown key"},
        ErrorCase{"auth", "http:\n  auth: {basic: {user: x}}\n", "http.auth.basic: needs both"},
        ErrorCase{"metrics_key", "http:\n  metrics: {per_target_histogram: true}\n",
                  "p.yaml:2:13: http.metrics.per_target_histogram: unknown key"},
        // Issue 13 item 6: what failed only at run time fails `validate -c` too.
        ErrorCase{"auth_hash_not_crypt", "http:\n  auth: {basic: {user: x, hash: hunter2}}\n",
                  "p.yaml:2:33: http.auth.basic.hash: not a password hash"},
        ErrorCase{"auth_hash_bad_sha256", "http:\n  auth: {basic: {user: x, hash: 'sha256:ab'}}\n",
                  "p.yaml:2:33: http.auth.basic.hash: not a password hash"},
        ErrorCase{"tls_cert_missing",
                  "http:\n  tls: {cert: /nonexistent/c.pem, key: /nonexistent/k.pem}\n",
                  "p.yaml:2:15: http.tls.cert: cannot read /nonexistent/c.pem: No such file or "
                  "directory"},
        ErrorCase{"duplicate_top_key", "targets: []\nstore: json:a\ntargets: []\n",
                  "p.yaml:3:1: targets: duplicate key (first at line 1)"},
        ErrorCase{"duplicate_nested_key", "targets:\n  - {host: a, port: 1, port: 2}\n",
                  "p.yaml:2:24: targets[0].port: duplicate key (first at line 2)"},
        ErrorCase{"empty_file", "", "p.yaml:1:1: the config is empty"},
        ErrorCase{"only_comments", "# nothing yet\n\n", "p.yaml:1:1: the config is empty"},
        ErrorCase{"host_empty_label", "targets:\n  - {host: bad..name, port: 1}\n",
                  "p.yaml:2:5: targets[0].host: bad host name 'bad..name': empty label"},
        ErrorCase{"host_leading_dot", "targets:\n  - {host: .x, port: 1}\n",
                  "targets[0].host: bad host name '.x': empty label"}),
    [](auto const& info) { return std::string(info.param.name); });

TEST(ParseConfig, GoodHostsHashesAndTlsFilesPass) {
    test::TempDir dir;
    dir.write("c.pem", "x");
    dir.write("k.pem", "x");
    auto const text = R"(
targets:
  - {host: www.example.com., port: 443}
  - {host: "::1", port: 22}
  - {host: 127.0.0.1, port: 1}
  - {host: my_host-1, port: 2}
http:
  tls: {cert: c.pem, key: k.pem}
  auth:
    basic: {user: ops, hash: "$y$j9T$F5Jx5fExrKuJdvAxTqPDk.$0RSwPZCP8OP2zBoxVSqOvA/nfVFGvJG5tcYJ7FzkbC9"}
)";
    auto const f = parse_config(text, dir / "p.yaml");
    EXPECT_TRUE(f.diagnostics.empty()) << ::testing::PrintToString(messages(f));
    ASSERT_TRUE(f.config.http);
    EXPECT_EQ(f.config.http->tls_cert, (dir / "c.pem").string());  // beside the config
}

TEST(ParseConfig, HttpConnectionLimitsPublicStatusAndIncludes) {
    test::TempDir dir;
    dir.write("empty.lst", "# nothing yet\n");
    auto const text = R"(
include: [empty.lst]
http:
  public_status: true
  limits: {max_connections_per_address: 8, header_timeout: 2s}
)";
    auto const f = parse_config(text, dir / "p.yaml");
    ASSERT_TRUE(f.config.http) << ::testing::PrintToString(messages(f));
    EXPECT_TRUE(f.config.http->public_status);
    EXPECT_EQ(f.config.http->max_connections_per_address, 8u);
    EXPECT_EQ(f.config.http->header_timeout, milliseconds(2000));
    // An empty list has no target to name it: the config lists it all the same.
    ASSERT_EQ(f.config.includes.size(), 1u);
    EXPECT_EQ(f.config.includes[0], dir / "empty.lst");
}

TEST(ParseConfig, NamedNotifiersAndRouting) {
    test::TempDir dir;
    dir.write("db.lst", "10.0.0.1 5432 main db\n");
    dir.write("web.lst", "10.0.0.2 443 web\n");
    auto const text = R"(notifiers:
  - name: ops
    type: exec
    command: /usr/local/bin/page-ops
  - type: pigeon
    loft: roof
groups:
  db: {notify: [ops]}
  quiet: {notify: []}
targets:
  - {host: a, port: 1}
  - {host: b, port: 2, notify: [pigeon]}
  - {host: c, port: 3, group: db}
  - {host: d, port: 4, group: db, notify: [ops, pigeon]}
  - {host: e, port: 5, group: quiet}
include:
  - {file: db.lst, group: db}
  - {file: web.lst, group: db, notify: [pigeon]}
)";
    auto const f = parse_config(text, dir / "pw.yaml", Schema{}, test_schema());
    EXPECT_TRUE(f.diagnostics.empty()) << ::testing::PrintToString(messages(f));
    auto const& c = f.config;
    ASSERT_EQ(c.notifiers.size(), 2u);
    EXPECT_EQ(c.notifiers[0].name, "ops");
    EXPECT_EQ(c.notifiers[0].options.at("command"),
              (NotifierOption{.values = {"/usr/local/bin/page-ops"}, .line = 4, .column = 5}));
    EXPECT_EQ(c.notifiers[0].line, 2);
    EXPECT_EQ(c.notifiers[0].column, 5);
    EXPECT_EQ(c.notifiers[1].name, "pigeon");
    EXPECT_EQ(c.notifiers[1].options.at("loft").values, std::vector<std::string>{"roof"});
    using Names = std::optional<std::vector<std::string>>;
    ASSERT_EQ(c.targets.size(), 7u);
    EXPECT_EQ(c.targets[0].notify, Names{});  // every notifier
    EXPECT_EQ(c.targets[1].notify, Names({"pigeon"}));
    EXPECT_EQ(c.targets[2].notify, Names({"ops"}));                     // its group's
    EXPECT_EQ(c.targets[3].notify, Names({"ops", "pigeon"}));           // its own beats the group's
    EXPECT_EQ(c.targets[4].notify, Names(std::vector<std::string>{}));  // none
    EXPECT_EQ(c.targets[5].notify, Names({"ops"}));                     // included, its group's
    EXPECT_EQ(c.targets[6].notify, Names({"pigeon"}));  // the include's beats the group's
}

TEST(ParseConfig, NotifierGroupingOffOrWithItsSettingsAndErrorsWithTheirPlace) {
    auto const f = parse_config(
        "notifiers:\n"
        "  - {name: a, type: exec, group: off}\n"
        "  - {name: b, type: exec, group: {window: 30s, after: 0, max_lines: 5}}\n"
        "  - {name: c, type: exec}\n",
        "p.yaml", Schema{}, test_schema());
    ASSERT_FALSE(f.has_errors()) << ::testing::PrintToString(messages(f));
    ASSERT_EQ(f.config.notifiers.size(), 3u);
    EXPECT_TRUE(f.config.notifiers[0].group.set);
    EXPECT_EQ(f.config.notifiers[0].group.window.count(), 0);
    EXPECT_EQ(f.config.notifiers[1].group.window, std::chrono::seconds(30));
    EXPECT_EQ(f.config.notifiers[1].group.after, 0);
    EXPECT_EQ(f.config.notifiers[1].group.max_lines, 5);
    EXPECT_FALSE(f.config.notifiers[2].group.set);
    auto const bad = parse_config("notifiers:\n  - {type: exec, group: {windw: 3s}}\n", "p.yaml",
                                  Schema{}, test_schema());
    ASSERT_TRUE(bad.has_errors());
    EXPECT_EQ(messages(bad)[0].rfind("p.yaml:2:", 0), 0u) << messages(bad)[0];
    EXPECT_NE(messages(bad)[0].find("windw"), std::string::npos) << messages(bad)[0];
}

TEST(ParseConfig, WithoutASchemaNotifierTypesAreNotChecked) {
    auto const f = parse_config("notifiers:\n  - {type: anything, whatever: 1}\n", "p.yaml");
    EXPECT_TRUE(f.diagnostics.empty());
    EXPECT_EQ(f.config.notifiers.at(0).name, "anything");
}

TEST(ParseConfig, GathersEveryErrorAndKeepsGoodTargets) {
    auto const f = parse_config(
        "targets:\n  - {host: a, port: 0}\n  - {host: b, port: 2}\n  - {host: c}\n", "p.yaml");
    EXPECT_EQ(f.diagnostics.size(), 2u);
    ASSERT_EQ(f.config.targets.size(), 1u);
    EXPECT_EQ(f.config.targets[0].target.host, "b");
}

TEST(ParseConfig, IncludedListKeepsItsOwnLineDiagnostics) {
    test::TempDir dir;
    dir.write("a.lst", "h 1\nh notaport\n");
    auto const f = parse_config("include: [a.lst]\n", dir / "c.yaml");
    ASSERT_EQ(f.diagnostics.size(), 1u);
    EXPECT_EQ(f.diagnostics[0].file, (dir / "a.lst").string());
    EXPECT_EQ(f.diagnostics[0].line, 2);
    EXPECT_EQ(f.config.targets.size(), 1u);
}

// A schema like the CLI's, with a made-up kind "tls" taking `sni` (a scalar) and `alpn` (a list).
Schema tls_schema() {
    return Schema({{"tcp", reject_all_options},
                   {"tls", [](OptionBag const& bag, Diagnostics& out) {
                        for (auto const& o : bag.entries) {
                            if (o.key == "sni" && o.value.type != OptionNode::Type::scalar) {
                                bag.error(out, o.value, o.key, "expected a name");
                            } else if (o.key == "alpn") {
                                for (std::size_t i = 0; i < o.value.items.size(); ++i) {
                                    if (o.value.items[i].scalar.empty()) {
                                        bag.error(out, o.value.items[i],
                                                  o.key + "[" + std::to_string(i) + "]", "empty");
                                    }
                                }
                            } else if (o.key != "sni") {
                                bag.error(out, o, "unknown option");
                            }
                        }
                    }}});
}

TEST(ParseConfigKinds, DefaultKindIsTcpWithTheSeedKey) {
    auto const f = parse_config("targets:\n  - {host: h, port: 1}\n", "p.yaml");
    ASSERT_FALSE(f.has_errors()) << ::testing::PrintToString(messages(f));
    ASSERT_EQ(f.config.targets.size(), 1u);
    EXPECT_EQ(f.config.targets[0].target.kind, "tcp");
    EXPECT_EQ(f.config.targets[0].target.key(), "h:1");
    EXPECT_EQ(f.config.targets[0].name, "h:1");
    EXPECT_TRUE(f.config.targets[0].options.empty());
}

TEST(ParseConfigKinds, KindAndItsOptionsWithMarks) {
    auto const f = parse_config(
        "targets:\n"
        "  - host: h\n"
        "    port: 443\n"
        "    kind: tls\n"
        "    sni: example.test\n"
        "    alpn: [h2, http/1.1]\n"
        "  - {host: h, port: 443}\n",
        "p.yaml", tls_schema());
    ASSERT_FALSE(f.has_errors()) << ::testing::PrintToString(messages(f));
    ASSERT_EQ(f.config.targets.size(), 2u);
    auto const& t = f.config.targets[0];
    EXPECT_EQ(t.target.kind, "tls");
    // A TLS and a TCP check of one port are two targets.
    EXPECT_EQ(t.target.key(), "tls://h:443");
    EXPECT_EQ(t.name, "tls://h:443");
    EXPECT_EQ(f.config.targets[1].target.key(), "h:443");
    EXPECT_EQ(t.options.file, "p.yaml");
    EXPECT_EQ(t.options.path, "targets[0]");
    ASSERT_EQ(t.options.entries.size(), 2u);
    auto const* sni = t.options.find("sni");
    ASSERT_NE(sni, nullptr);
    EXPECT_EQ(sni->value.scalar, "example.test");
    EXPECT_EQ(sni->line, 5);
    EXPECT_EQ(sni->column, 5);
    auto const* alpn = t.options.find("alpn");
    ASSERT_NE(alpn, nullptr);
    ASSERT_EQ(alpn->value.type, OptionNode::Type::list);
    ASSERT_EQ(alpn->value.items.size(), 2u);
    EXPECT_EQ(alpn->value.items[1].scalar, "http/1.1");
    EXPECT_EQ(alpn->value.items[1].line, 6);
    EXPECT_EQ(alpn->value.items[1].column, 16);
    EXPECT_EQ(t.options.find("host"), nullptr);
    EXPECT_EQ(t.options.find("kind"), nullptr);
}

TEST(ParseConfigKinds, ErrorsNameFileLineColumn) {
    struct Case {
        char const* text;
        std::vector<std::string> want;
    };
    std::vector<Case> const cases{
        {"targets:\n  - {host: h, port: 1, kind: gopher}\n",
         {"p.yaml:2:30: targets[0].kind: unknown kind 'gopher' (known: tcp, tls)"}},
        {"targets:\n  - host: h\n    port: 1\n    sni: x\n",
         {"p.yaml:4:5: targets[0].sni: unknown key"}},
        {"targets:\n  - host: h\n    port: 1\n    kind: tls\n    bogus: 1\n    sni: [a]\n",
         {"p.yaml:5:5: targets[0].bogus: unknown option",
          "p.yaml:6:10: targets[0].sni: expected a name"}},
        {"targets:\n  - host: h\n    port: 1\n    kind: tls\n    alpn: [h2, '']\n",
         {"p.yaml:5:16: targets[0].alpn[1]: empty"}},
    };
    for (auto const& c : cases) {
        auto const f = parse_config(c.text, "p.yaml", tls_schema());
        EXPECT_EQ(messages(f), c.want) << c.text;
        EXPECT_TRUE(f.config.targets.empty()) << c.text;
    }
}

TEST(ParseConfigKinds, DefaultSchemaKnowsOnlyTcp) {
    auto const f = parse_config("targets:\n  - {host: h, port: 1, kind: tls}\n", "p.yaml");
    EXPECT_EQ(messages(f), std::vector<std::string>{
                               "p.yaml:2:30: targets[0].kind: unknown kind 'tls' (known: tcp)"});
    auto const tcp = parse_config("targets:\n  - {host: h, port: 1, kind: tcp}\n", "p.yaml");
    EXPECT_FALSE(tcp.has_errors());
}

}  // namespace
}  // namespace portwatch::config
