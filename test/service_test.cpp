// asio_server as a service: the --config file, SIGHUP reloads (TLS
// certificate rotation under load included) and what systemd sees of it,
// checked offline since systemd cannot run as PID 1 here: the notify
// protocol received on a socket of the test's own (standing in for
// systemd's, the one mock here), socket activation through
// systemd-socket-activate and through a socket the test holds across a
// restart, and the units through systemd-analyze. The classic daemon is
// daemon_test.cpp. CTest label `service`.
#define BOOST_TEST_MODULE service_tests
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "service_support.hpp"
#include "wait.hpp"

using namespace test::service;
using test::child_process;
using test::client_bin;
using test::contains;
using test::server_bin;
using test::transport::client;
using test::transport::server;

namespace {

const std::string dist = DIST_DIR;

std::string greeting_from(const std::string& port) {
  const auto r = client({"--port", port});
  BOOST_TEST(r.exit_code == 0, r.err);
  return r.out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(the_shipped_file_lists_every_option_and_every_value_in_it_parses) {
  const std::string conf = read_file(dist + "/asio_server.conf");
  const auto help = test::run({server_bin, "--help"});
  std::set<std::string> options;
  const std::regex option_name(R"(--([a-z][a-z0-9-]+))");
  for (std::sregex_iterator i(help.out.begin(), help.out.end(), option_name), end; i != end; ++i) {
    if (const std::string name = (*i)[1]; name.back() != '-') options.insert(name);
  }
  for (const char* command_line_only : {"help", "version", "config", "check-config"}) {
    options.erase(command_line_only);
  }
  BOOST_TEST(options.size() > 25u);
  for (const auto& o : options) {
    BOOST_TEST(contains(conf, "\n#" + o + " = "), "asio_server.conf lacks " << o);
  }
  // The file as shipped, and with every line taken in (less those that
  // need others: listeners and TLS files, and the log's one place).
  BOOST_TEST(
      test::run({server_bin, "--config", dist + "/asio_server.conf", "--check-config"}).exit_code ==
      0);
  std::string all;
  const std::regex setting(R"(^#([a-z-]+ = .*)$)");
  std::istringstream lines(conf);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, setting)) continue;
    const std::string text = m[1];
    if (text.rfind("listen", 0) == 0 || text.rfind("tls-", 0) == 0 ||
        text.rfind("log-file", 0) == 0) {
      continue;
    }
    all += text + "\n";
  }
  write_file(path_in_scratch("all.conf"), all);
  const auto r = test::run({server_bin, "--config", path_in_scratch("all.conf"), "--check-config"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(contains(r.out, "configuration OK"));
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_one_line_naming_the_file_the_line_and_the_problem_and_exit_64) {
  struct bad {
    std::string text, says;
  };
  const std::string f = path_in_scratch("bad.conf");
  for (const auto& b : std::vector<bad>{
           {"# fine\nport = 0\nprot = 9\n", f + ": line 3: unrecognised option 'prot'"},
           {"port = eighty\n", f + ": line 1: 'eighty' is not a whole number for port"},
           {"\n\nport = 70000\n", f + ": line 3: --port must be from 0 to 65535"},
           {"port = 0\njust words\n", f + ": line 2: "},
           {"idle-timeout = soon\n", f + ": line 1: 'soon' is not"},
           {"port = 0\nport = 1\n", f + ": line 2: option 'port' cannot be specified more"},
           {"port = 0\n[x]\ngreeting = hi\n", f + ": line 3: unrecognised option 'x.greeting'"}}) {
    write_file(f, b.text);
    const auto r = test::run({server_bin, "--config", f});
    BOOST_TEST(r.exit_code == 64);
    BOOST_TEST(contains(r.err, "asio_server: " + b.says), r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 2);  // the line and the --help hint
  }
  const auto folder = test::run({server_bin, "--config", scratch().path, "--check-config"});
  BOOST_TEST(folder.exit_code == 64);
  BOOST_TEST(contains(folder.err, ": cannot read it: it is a directory"), folder.err);
  const auto missing = test::run({server_bin, "--config", path_in_scratch("nothing-here.conf")});
  BOOST_TEST(missing.exit_code == 64);
  BOOST_TEST(contains(missing.err, "nothing-here.conf: cannot read it: No such file or directory"));
}

BOOST_AUTO_TEST_CASE(the_command_line_wins_over_the_file) {
  const std::string f = path_in_scratch("wins.conf");
  write_file(f, "bind = 127.0.0.1\nport = 0\ngreeting = from the file\n");
  {
    server srv({"--config", f});
    BOOST_TEST(contains(greeting_from(srv.port()), "from the file"));
  }
  server srv({"--config", f, "--greeting", "from the command line"});
  BOOST_TEST(contains(greeting_from(srv.port()), "from the command line"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reload)

BOOST_AUTO_TEST_CASE(sighup_applies_live_settings_to_new_connections_and_keeps_the_rest) {
  const std::string f = path_in_scratch("live.conf");
  write_file(f, "bind = 127.0.0.1\nport = 0\nthreads = 1\ngreeting = before\n");
  server srv({"--config", f});
  BOOST_TEST(contains(greeting_from(srv.port()), "before"));
  // Connected before the reload: it keeps the settings it started with.
  test::blocking_peer earlier(static_cast<std::uint16_t>(std::stoi(srv.port())));
  write_file(f, "bind = 127.0.0.1\nport = 0\nthreads = 2\ngreeting = after\nlog-level = debug\n");
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(srv.log_shows("SIGHUP: --threads changed: needs a restart, and stays as it runs"));
  BOOST_TEST(srv.log_shows("SIGHUP: configuration reloaded (log level debug"));
  BOOST_TEST(contains(greeting_from(srv.port()), "after"));
  BOOST_TEST(srv.log_shows(": connected"));  // debug lines: the new log level
  earlier.send("hello\n");
  BOOST_TEST(earlier.read_some() == "before");
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_config_that_fails_to_load_on_reload_is_logged_and_the_old_one_stays) {
  const std::string f = path_in_scratch("fails.conf");
  write_file(f, "bind = 127.0.0.1\nport = 0\ngreeting = steady\n");
  server srv({"--config", f});
  write_file(f, "bind = 127.0.0.1\nport = 0\ngreeting = never\nmax-frame = lots\n");
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(srv.log_shows("SIGHUP: cannot reload: " + f +
                           ": line 4: 'lots' is not a size in bytes for max-frame"));
  BOOST_TEST(contains(greeting_from(srv.port()), "steady"));
  std::filesystem::remove(f);
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(
      srv.log_shows("cannot read it: No such file or directory; the running configuration stays"));
  BOOST_TEST(contains(greeting_from(srv.port()), "steady"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_certificate_rotated_under_tls_load_reaches_new_handshakes_with_no_error) {
  namespace fs = std::filesystem;
  const std::string pem = path_in_scratch("live.pem"), key = path_in_scratch("live.key");
  fs::copy_file(cert("server.pem"), pem, fs::copy_options::overwrite_existing);
  fs::copy_file(cert("server.key"), key, fs::copy_options::overwrite_existing);
  server srv({"--listen", "tls://127.0.0.1:0", "--tls-cert", pem, "--tls-key", key, "--log-level",
              "warn"});
  test::transport::tls_peer before(srv);  // made with the first certificate
  before.ping();
  // Full handshakes all along, and the rotation in the middle.
  child_process load({client_bin, "--tls", "--ca", cert("ca.pem"), "--port", srv.port(), "--bench",
                      "--connect-per-request", "-c", "4", "--duration", "3", "--warmup", "0",
                      "--json"});
  // The load is under way (it holds a connection to the server) when the
  // certificate changes.
  BOOST_TEST(test::wait_until([&] {
               return test::ss_count_held_by(load.pid(), "synchronized", "dport = :" + srv.port()) >
                      0;
             }),
             "the load made no connection within 10 s: " << load.err());
  // As certbot does: the new files renamed over the old ones.
  fs::copy_file(cert("rotated.pem"), pem + ".new");
  fs::copy_file(cert("rotated.key"), key + ".new");
  fs::rename(key + ".new", key);
  fs::rename(pem + ".new", pem);
  srv.process().send_signal(SIGHUP);
  const auto subject = [&] {
    return test::run({"openssl", "s_client", "-connect", "127.0.0.1:" + srv.port(), "-CAfile",
                      cert("ca.pem"), "-verify_return_error"},
                     "", std::chrono::seconds(20))
        .out;
  };
  // The reload happens as the signal arrives: a handshake or two later at most.
  std::string seen = subject();
  for (int i = 0; i < 50 && !contains(seen, "CN = rotated localhost"); ++i) seen = subject();
  BOOST_TEST(contains(seen, "CN = rotated localhost"), seen);
  BOOST_TEST(load.wait(std::chrono::seconds(30)) == 0, load.err());
  BOOST_TEST(contains(load.out(), "\"errors\":0"), load.out());
  before.ping();  // the connection made before goes on
  // A certificate that does not load: the running one stays.
  write_file(pem, "not a certificate\n");
  srv.process().send_signal(SIGHUP);
  BOOST_TEST(srv.log_shows("SIGHUP: cannot reload: --tls-cert " + pem));
  BOOST_TEST(contains(subject(), "CN = rotated localhost"));
  BOOST_TEST(srv.terminate() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
