#include "bench.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <csignal>
#include <iostream>

#include "bench_run.hpp"
#include "cli_support.hpp"
#include "client_asio.hpp"
#include "connection.hpp"
#include "failure.hpp"
#include "wakeup.hpp"

namespace client {

namespace {

// Counts the connections still running; wakes the waiter when none is.
struct running_count {
  std::size_t left = 0;
  wakeup done;
};

// Runs `loop` as its own coroutine; its failure is the run's error, not an
// exception that would end the others.
template <typename Loop>
void spawn_loop(asio::any_io_executor executor, bench_run& run, running_count& running, Loop loop) {
  ++running.left;
  asio::co_spawn(executor, std::move(loop), [&run, &running](std::exception_ptr e) {
    if (e) {
      auto why = cli::describe(e);
      run.fail(why.code, std::move(why.message));
    }
    if (--running.left == 0) running.done.notify_all();
  });
}

// Ends the measured window after --duration, or earlier at SIGINT/SIGTERM
// or after --requests answers; then gives the connections --timeout to
// finish before closing what is left. Runs until cancelled.
awaitable<void> control(bench_run& run, asio::signal_set& signals) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  signals.async_wait([&run](boost::system::error_code ec, int) {
    if (!ec) run.stop(bench_clock::now());
  });
  const auto deadline = run.measure_from() + run.options.duration;
  while (!run.stopping()) {
    // A stop can also come from elsewhere: look every 100 ms.
    timer.expires_at(std::min(deadline, bench_clock::now() + std::chrono::milliseconds(100)));
    co_await timer.async_wait(use_tuple);
    if (bench_clock::now() >= deadline) run.stop(bench_clock::now());
  }
  timer.expires_after(run.config.timeout);
  co_await timer.async_wait(use_tuple);
  run.close_all();
  timer.expires_at(bench_clock::time_point::max());
  co_await timer.async_wait(use_tuple);
}

awaitable<void> progress(bench_run& run, std::ostream& out) {
  if (!run.track_progress) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto began = bench_clock::now();
  std::uint64_t last = 0;
  while (!run.stopping()) {
    timer.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec || run.stopping()) break;
    const auto now = bench_clock::now();
    print_progress(now - began, run.answered_total - last, run.this_second, run.errors(),
                   now < run.measure_from(), out);
    last = run.answered_total;
    run.this_second.reset();
  }
  out << "\r\033[K" << std::flush;
}

awaitable<void> wait_for(running_count& running) {
  co_await running.done.wait_until([&running] { return running.left == 0; });
}

}  // namespace

awaitable<int> run_bench(const client_config& config, std::ostream& out, std::ostream& err) {
  const auto executor = co_await asio::this_coro::executor;
  const auto& options = config.bench;
  connector server(config);
  if (const auto why = co_await server.resolve()) {
    err << "asio_client: cannot connect to " << server.where() << ": " << *why << std::endl;
    co_return cli::exit_code::unavailable;
  }

  bench_run run(config, server);
  run.live_sockets.resize(options.connections, nullptr);
  run.track_progress = !options.json && !options.idle && ::isatty(STDOUT_FILENO);
  asio::signal_set signals(executor, SIGINT, SIGTERM);
  running_count running{0, wakeup(executor)};
  const auto began = bench_clock::now();
  run.start(began);

  std::size_t opened = 0;
  std::vector<stream> held;
  asio::steady_timer hold(executor);
  if (options.idle) {
    // From the start: a signal while connections are still being opened
    // stops the opening too.
    signals.async_wait([&run, &hold](boost::system::error_code ec, int) {
      if (ec) return;
      run.stop(bench_clock::now());
      run.close_all();
      hold.cancel();
    });
  }
  for (std::size_t i = 0; i < options.connections; ++i) {
    if (options.idle) {
      if (i == 64) break;  // 64 at a time: a burst of thousands would overflow the backlog
      spawn_loop(executor, run, running, run.open_idle(i, opened, held));
    } else if (options.connect_per_request) {
      spawn_loop(executor, run, running, run.connect_per_request(i));
    } else if (config.raw) {
      spawn_loop(executor, run, running, run.raw_closed_loop(i));
    } else if (options.rate > 0) {
      // Spread the connections' schedules over one interval.
      const auto offset = std::chrono::duration_cast<bench_clock::duration>(
          std::chrono::duration<double>(double(i) / options.rate));
      spawn_loop(executor, run, running, run.framed_fixed_rate(i, began + offset));
    } else {
      spawn_loop(executor, run, running, run.framed_closed_loop(i));
    }
  }

  if (options.idle) {
    co_await wait_for(running);
    const auto connected = bench_clock::now();
    if (!run.stopping() && run.errors() == 0) {
      err << "asio_client: holding " << held.size() << " idle connections for "
          << std::chrono::duration<double>(options.duration).count() << " s" << std::endl;
      hold.expires_after(options.duration);
      co_await hold.async_wait(use_tuple);
    }
    signals.cancel();
    auto result = run.finish(bench_clock::now());
    result.connections_held = held.size();
    result.connect_time = connected - began;
    held.clear();
    print_result(result, config, out);
    co_return run.exit_code();
  }

  // Waiting for the connections cancels the control and progress
  // coroutines, and returns only once they are gone.
  co_await (wait_for(running) || (control(run, signals) && progress(run, out)));
  const auto result = run.finish(bench_clock::now());
  signals.cancel();
  print_result(result, config, out);
  co_return run.exit_code();
}

}  // namespace client
