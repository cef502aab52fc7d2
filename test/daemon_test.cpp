// The classic daemon (--daemon, --pid-file) and the log's targets and
// formats (--log-file and SIGUSR1, --log-format json).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "blocking_peer.hpp"
#include "service_support.hpp"
#include "wait.hpp"

using namespace test::service;
using test::child_process;
using test::contains;
using test::server_bin;
using test::transport::client;
using test::transport::server;

namespace {

// What /proc/PID/status says for `field` ("Umask", "PPid").
std::string status_field(pid_t pid, const std::string& field) {
  std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 2);
  }
  return {};
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Running, not a child that exited and was not reaped yet.
bool serving(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

bool gone_within(pid_t pid, std::chrono::seconds limit) {
  return test::wait_until([&] { return !alive(pid); }, limit);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(classic_daemon)

BOOST_AUTO_TEST_CASE(daemon_returns_0_once_listening_and_runs_detached_as_daemon_7_says) {
  const std::string pid_path = path_in_scratch("daemon.pid");
  const std::string log = path_in_scratch("daemon.log");
  const auto started = test::run({server_bin, "--daemon", "--bind", "127.0.0.1", "--port", "0",
                                  "--pid-file", pid_path, "--log-file", log});
  BOOST_TEST(started.exit_code == 0, started.err);
  BOOST_REQUIRE(started.out.rfind("listening on 127.0.0.1:", 0) == 0);
  const std::string port = started.out.substr(started.out.rfind(':') + 1, 5);
  const pid_t pid = std::stoi(read_file(pid_path));
  BOOST_REQUIRE(alive(pid));
  // Detached: a session of its own that it does not lead, no terminal, in /,
  // umask 022, standard streams on /dev/null.
  BOOST_TEST(::getsid(pid) != ::getsid(0));
  BOOST_TEST(::getsid(pid) != pid);
  BOOST_TEST(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd") == "/");
  BOOST_TEST(status_field(pid, "Umask") == "0022");
  for (int fd : {0, 1, 2}) {
    BOOST_TEST(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/" +
                                             std::to_string(fd)) == "/dev/null");
  }
  const auto r = client({"--port", std::string(port.c_str())});
  BOOST_TEST(r.exit_code == 0, r.err);
  // A second server on the same pid file refuses to start.
  const auto second = test::run({server_bin, "--daemon", "--port", "0", "--pid-file", pid_path});
  BOOST_TEST(second.exit_code == 69);
  BOOST_TEST(contains(second.err, "another server (pid " + std::to_string(pid) +
                                      ") holds --pid-file " + pid_path),
             second.err);
  BOOST_TEST(std::stoi(read_file(pid_path)) == pid);
  // SIGTERM: drained, the pid file removed.
  ::kill(pid, SIGTERM);
  BOOST_TEST(gone_within(pid, 10s));
  BOOST_TEST(!std::filesystem::exists(pid_path));
  BOOST_TEST(contains(read_file(log), "stopped: 1 connection(s) served"));
}

BOOST_AUTO_TEST_CASE(a_daemon_that_cannot_listen_makes_the_command_exit_69_with_the_reason) {
  server holder({"--listen", "tcp://127.0.0.1:0"});
  const auto r = test::run({server_bin, "--daemon", "--bind", "127.0.0.1", "--port", holder.port(),
                            "--pid-file", path_in_scratch("never.pid")});
  BOOST_TEST(r.exit_code == 69);
  BOOST_TEST(contains(r.err, "asio_server: cannot listen on 127.0.0.1:" + holder.port() +
                                 ": Address already in use"),
             r.err);
  BOOST_TEST(!std::filesystem::exists(path_in_scratch("never.pid")));
  BOOST_TEST(holder.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(a_stale_pid_file_is_replaced) {
  const std::string pid_path = path_in_scratch("stale.pid");
  write_file(pid_path, "999999999\n");  // no such process
  server srv({"--listen", "tcp://127.0.0.1:0", "--pid-file", pid_path});
  BOOST_TEST(std::stoi(read_file(pid_path)) == srv.process().pid());
  BOOST_TEST(srv.terminate() == 0);
  BOOST_TEST(!std::filesystem::exists(pid_path));
}

// A pid file path that someone pointed at another file (a symbolic link) is
// never written through: the start is refused with exit 73 and the target
// keeps its contents. Nor is anything but a regular file written.
BOOST_AUTO_TEST_CASE(a_pid_file_that_is_a_symlink_or_no_regular_file_is_refused_with_exit_73) {
  const std::string target = path_in_scratch("precious.txt");
  write_file(target, "do not overwrite\n");
  const std::string link = path_in_scratch("linked.pid");
  std::filesystem::remove(link);
  std::filesystem::create_symlink(target, link);
  const auto linked = test::run({server_bin, "--listen", "tcp://127.0.0.1:0", "--pid-file", link});
  BOOST_TEST(linked.exit_code == 73, linked.err);
  BOOST_TEST(contains(linked.err, "cannot write --pid-file " + link + ": it is a symbolic link"),
             linked.err);
  BOOST_TEST(read_file(target) == "do not overwrite\n");
  // A dangling link would be created through: refused too.
  const std::string dangling = path_in_scratch("dangling.pid");
  std::filesystem::remove(dangling);
  std::filesystem::create_symlink(path_in_scratch("created-through-link"), dangling);
  const auto through =
      test::run({server_bin, "--listen", "tcp://127.0.0.1:0", "--pid-file", dangling});
  BOOST_TEST(through.exit_code == 73, through.err);
  BOOST_TEST(!std::filesystem::exists(path_in_scratch("created-through-link")));

  const std::string fifo = path_in_scratch("fifo.pid");
  std::filesystem::remove(fifo);
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto piped = test::run({server_bin, "--listen", "tcp://127.0.0.1:0", "--pid-file", fifo});
  BOOST_TEST(piped.exit_code == 73, piped.err);
  BOOST_TEST(contains(piped.err, "not a regular file"), piped.err);

  if (::geteuid() == 0) {  // only root can give a file away
    const std::string foreign = path_in_scratch("foreign.pid");
    write_file(foreign, "1\n");
    BOOST_REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    const auto theirs =
        test::run({server_bin, "--listen", "tcp://127.0.0.1:0", "--pid-file", foreign});
    BOOST_TEST(theirs.exit_code == 73, theirs.err);
    BOOST_TEST(contains(theirs.err, "owned by uid 65534"), theirs.err);
    BOOST_TEST(read_file(foreign) == "1\n");
  }
}

BOOST_AUTO_TEST_CASE(of_servers_started_at_once_on_one_pid_file_exactly_one_runs) {
  const std::string pid_path = path_in_scratch("race.pid");
  for (int round = 0; round < 5; ++round) {
    std::vector<std::unique_ptr<child_process>> started;
    for (int i = 0; i < 3; ++i) {
      started.push_back(std::make_unique<child_process>(std::vector<std::string>{
          server_bin, "--listen", "tcp://127.0.0.1:0", "--pid-file", pid_path}));
    }
    // Each one either takes the pid file and listens (a line says so), or
    // finds it taken and exits 69 (its output ends): all three have decided
    // before the one that runs is stopped and frees the file.
    const auto listens = [](child_process& c) {
      while (const auto line = c.read_line(10s)) {
        if (line->rfind("listening on ", 0) == 0) return true;
      }
      return false;
    };
    std::vector<bool> listening;
    for (auto& c : started) listening.push_back(listens(*c));
    int running = 0;
    for (std::size_t i = 0; i < started.size(); ++i) {
      auto& c = started[i];
      if (listening[i]) {
        ++running;
        BOOST_TEST(serving(c->pid()));
        BOOST_TEST(std::stoi(read_file(pid_path)) == c->pid());
        c->send_signal(SIGTERM);
        BOOST_TEST(c->wait(10s) == 0, c->err());
      } else {
        BOOST_TEST(c->wait(10s) == 69, "round " << round << ": " << c->out() << c->err());
      }
    }
    BOOST_TEST(running == 1, "round " << round << ": " << running << " servers run");
    BOOST_TEST(!std::filesystem::exists(pid_path));
  }
}

BOOST_AUTO_TEST_CASE(a_daemon_started_with_relative_paths_reloads_them_from_where_it_started) {
  namespace fs = std::filesystem;
  const std::string dir = path_in_scratch("relative");
  fs::create_directories(dir);
  write_file(dir + "/srv.conf", "greeting = first\n");
  const auto started = test::run({"/bin/sh", "-c",
                                  "cd " + dir + " && exec " + server_bin +
                                      " --daemon --config srv.conf --pid-file srv.pid "
                                      "--log-file srv.log --listen unix:srv.sock"});
  BOOST_TEST(started.exit_code == 0, started.err);
  const pid_t pid = std::stoi(read_file(dir + "/srv.pid"));
  write_file(dir + "/srv.conf", "greeting = second\n");
  ::kill(pid, SIGHUP);
  BOOST_TEST(test::wait_until([&] { return contains(read_file(dir + "/srv.log"), "SIGHUP:"); }));
  const std::string log = read_file(dir + "/srv.log");
  BOOST_TEST(contains(log, "SIGHUP: configuration reloaded"), log);
  BOOST_TEST(!contains(log, "needs a restart"), log);
  const auto r = client({"--unix", dir + "/srv.sock"});
  BOOST_TEST(contains(r.out, "second"), r.out + r.err);
  ::kill(pid, SIGTERM);
  BOOST_TEST(gone_within(pid, 10s));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(log_targets)

BOOST_AUTO_TEST_CASE(sigusr1_reopens_the_log_file_that_logrotate_moved) {
  const std::string log = path_in_scratch("rotate.log");
  std::filesystem::remove(log);
  server srv({"--listen", "tcp://127.0.0.1:0", "--log-file", log});
  BOOST_TEST(client({"--port", srv.port(), "--message", "before rotation"}).exit_code == 0);
  std::filesystem::rename(log, log + ".1");
  srv.process().send_signal(SIGUSR1);
  BOOST_TEST(test::wait_until([&] { return std::filesystem::exists(log); }),
             "no new log file 10 s after SIGUSR1");
  BOOST_TEST(client({"--port", srv.port(), "--message", "after rotation"}).exit_code == 0);
  BOOST_TEST(srv.terminate() == 0);
  const std::string old_log = read_file(log + ".1"), new_log = read_file(log);
  BOOST_TEST(contains(old_log, "before rotation"));
  BOOST_TEST(!contains(old_log, "after rotation"));
  BOOST_TEST(contains(new_log, "SIGUSR1: log file reopened"));
  BOOST_TEST(contains(new_log, "after rotation"));
  BOOST_TEST(srv.process().out().find("before rotation") == std::string::npos);  // not on stdout
}

BOOST_AUTO_TEST_CASE(a_log_file_that_cannot_be_reopened_is_said_and_the_old_one_kept) {
  namespace fs = std::filesystem;
  const std::string dir = path_in_scratch("logs"), log = dir + "/a.log";
  fs::remove_all(dir);
  fs::remove_all(dir + ".old");
  fs::create_directories(dir);
  server srv({"--listen", "tcp://127.0.0.1:0", "--log-file", log});
  fs::rename(dir, dir + ".old");
  write_file(dir, "a file where the folder was\n");  // logrotate gone wrong
  srv.process().send_signal(SIGUSR1);
  BOOST_TEST(client({"--port", srv.port(), "--message", "still here"}).exit_code == 0);
  BOOST_TEST(srv.terminate() == 0);  // no crash
  const std::string kept = read_file(dir + ".old/a.log");
  BOOST_TEST(contains(kept, "SIGUSR1: cannot reopen the log file"), kept);
  BOOST_TEST(contains(kept, "still here"));
  fs::remove(dir);
}

BOOST_AUTO_TEST_CASE(json_logs_are_one_object_a_line_whatever_the_message_holds) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--log-format", "json"});
  const std::string nasty = "quote \" backslash \\ end";
  BOOST_TEST(client({"--port", srv.port(), "--message", nasty}).exit_code == 0);
  BOOST_TEST(srv.terminate() == 0);
  std::istringstream lines(srv.process().out());
  int objects = 0;
  bool found = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("listening on", 0) == 0) continue;
    boost::system::error_code ec;
    const auto v = boost::json::parse(line, ec);
    BOOST_TEST_REQUIRE(!ec, "not JSON: " << line);
    const auto& o = v.as_object();
    BOOST_TEST(o.contains("time"));
    BOOST_TEST(o.contains("level"));
    // The log shows a backslash doubled, as it shows every byte printable.
    if (contains(std::string(o.at("message").as_string()), "quote \" backslash \\\\ end")) {
      found = true;
    }
    ++objects;
  }
  BOOST_TEST(objects >= 4);
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(json_logs_stay_valid_utf8_whatever_bytes_a_peer_sends) {
  server srv({"--listen", "tcp://127.0.0.1:0", "--log-format", "json"});
  {
    test::blocking_peer raw(static_cast<std::uint16_t>(std::stoi(srv.port())));
    raw.send(std::string("bytes \xff\xfe and \xc3\x28 end\n"));
    BOOST_TEST(raw.read_some() == "Hello (server)!");
  }
  BOOST_TEST(srv.log_shows("end"));
  BOOST_TEST(srv.terminate() == 0);
  std::istringstream lines(srv.process().out());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("listening on", 0) == 0) continue;
    boost::system::error_code ec;
    boost::json::parse(line, ec);  // Boost.JSON refuses invalid UTF-8
    BOOST_TEST(!ec, "not valid JSON: " << line);
  }
}

BOOST_AUTO_TEST_CASE(log_options_that_conflict_or_cannot_be_opened_stop_the_start) {
  const auto both =
      test::run({server_bin, "--log-file", path_in_scratch("x.log"), "--log-target", "syslog"});
  BOOST_TEST(both.exit_code == 64);
  BOOST_TEST(contains(both.err, "--log-file and --log-target"));
  const auto unopenable =
      test::run({server_bin, "--port", "0", "--log-file", path_in_scratch("no-such-dir/x.log")});
  BOOST_TEST(unopenable.exit_code == 73);
  BOOST_TEST(contains(unopenable.err, "cannot open --log-file"), unopenable.err);
}

BOOST_AUTO_TEST_SUITE_END()
