// echo-server: the Boost.Asio reference of the echo benchmark (bench/echo.ts).
//
// One thread, one io_context; each session is async_read_some into its own
// buffer, then async_write of what came, then the next read, the way
// asio's own echo examples are written. Handlers are plain lambdas over a
// shared_ptr session, with no custom allocator (what an asio user writes).
//
// Usage: echo-server PORT | [--host 127.0.0.1] [--port N | --path PATH]
// Prints "listening on 127.0.0.1:PORT" (the real port for 0) or
// "listening on PATH", and exits with status 0 on SIGTERM or SIGINT.
//
// Build: bench/asio/build-asio.ts (g++ -O2 -std=c++17 -pthread).
#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

namespace asio = boost::asio;

constexpr std::size_t kBufferSize = 65536;

template <typename Socket>
class Session : public std::enable_shared_from_this<Session<Socket>> {
 public:
  explicit Session(Socket socket) : socket_(std::move(socket)) {}
  void start() { read(); }

 private:
  void read() {
    auto self = this->shared_from_this();
    socket_.async_read_some(asio::buffer(data_), [self](const boost::system::error_code& ec, std::size_t n) {
      if (!ec) self->write(n);
    });
  }
  void write(std::size_t n) {
    auto self = this->shared_from_this();
    asio::async_write(socket_, asio::buffer(data_, n), [self](const boost::system::error_code& ec, std::size_t) {
      if (!ec) self->read();
    });
  }
  Socket socket_;
  char data_[kBufferSize];
};

template <typename Acceptor>
void accept_loop(Acceptor& acceptor, bool no_delay) {
  acceptor.async_accept([&acceptor, no_delay](const boost::system::error_code& ec, typename Acceptor::protocol_type::socket socket) {
    if (!ec) {
      if constexpr (std::is_same_v<typename Acceptor::protocol_type, asio::ip::tcp>) {
        if (no_delay) socket.set_option(asio::ip::tcp::no_delay(true));
      }
      std::make_shared<Session<typename Acceptor::protocol_type::socket>>(std::move(socket))->start();
    }
    if (acceptor.is_open()) accept_loop(acceptor, no_delay);
  });
}

int main(int argc, char** argv) {
  int port = 0;
  std::string path;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      if (std::strcmp(argv[++i], "127.0.0.1") != 0) {
        std::fprintf(stderr, "echo-server: only 127.0.0.1 is allowed\n");
        return 2;
      }
    } else if (std::strcmp(argv[i], "--path") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (i == 1 && argc == 2 && argv[i][0] >= '0' && argv[i][0] <= '9') {
      port = std::atoi(argv[i]);
    } else {
      std::fprintf(stderr, "usage: echo-server PORT | [--host 127.0.0.1] [--port N | --path PATH]\n");
      return 2;
    }
  }
  asio::io_context ctx(1);
  asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&ctx](const boost::system::error_code&, int) { ctx.stop(); });
  if (!path.empty()) {
    ::unlink(path.c_str());
    asio::local::stream_protocol::acceptor acceptor(ctx, asio::local::stream_protocol::endpoint(path));
    std::printf("listening on %s\n", path.c_str());
    std::fflush(stdout);
    accept_loop(acceptor, false);
    ctx.run();
    ::unlink(path.c_str());
    return 0;
  }
  asio::ip::tcp::acceptor acceptor(ctx, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  std::printf("listening on 127.0.0.1:%d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  accept_loop(acceptor, true);
  ctx.run();
  return 0;
}
