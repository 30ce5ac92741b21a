// The Boost.Asio reference for the posting benchmark: one single-threaded
// io_context, N chains each re-posting itself until M handlers have run in
// all, timed around io_context::run(). Prints one line:
//   handlers=<M> chains=<N> ns_per_handler=<x> handlers_per_sec=<y>
//
// Time is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID), like the
// JavaScript side's process.cpuUsage(): on a machine shared with other
// work, time spent waiting for a core is not counted against either.
//
// Usage: post-chains <chains> <handlers> [rounds]
// Each round runs the whole workload on the same io_context (restart()
// between rounds); the line is printed for every round, so the caller can
// take medians and interleave rounds with another runtime.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

struct Chain {
  boost::asio::io_context* ctx;
  long left;
  void operator()() {
    if (--left > 0) boost::asio::post(*ctx, Step{this});
  }
  struct Step {
    Chain* chain;
    void operator()() const { (*chain)(); }
  };
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <chains> <handlers> [rounds]\n", argv[0]);
    return 2;
  }
  const long chains = std::atol(argv[1]);
  const long handlers = std::atol(argv[2]);
  const long rounds = argc > 3 ? std::atol(argv[3]) : 1;
  if (chains <= 0 || handlers <= 0 || rounds <= 0) {
    std::fprintf(stderr, "chains, handlers and rounds must be positive\n");
    return 2;
  }
  // One thread: the hint lets asio drop the locking a multi-threaded context needs.
  boost::asio::io_context ctx(1);
  std::vector<Chain> state(static_cast<std::size_t>(chains));
  const long per_chain = (handlers + chains - 1) / chains;
  const long total = per_chain * chains;
  for (long r = 0; r < rounds; ++r) {
    ctx.restart();
    for (auto& c : state) {
      c.ctx = &ctx;
      c.left = per_chain;
      boost::asio::post(ctx, Chain::Step{&c});
    }
    const double start = cpu_ns();
    const std::size_t ran = ctx.run();
    const double end = cpu_ns();
    if (static_cast<long>(ran) != total) {
      std::fprintf(stderr, "ran %zu handlers, expected %ld\n", ran, total);
      return 1;
    }
    const double ns = (end - start) / static_cast<double>(total);
    std::printf("handlers=%ld chains=%ld ns_per_handler=%.3f handlers_per_sec=%.0f\n", total, chains, ns, 1e9 / ns);
    std::fflush(stdout);
  }
  return 0;
}
