#ifndef HANDOFF_TESTS_POSTGRES_SERVER_H_
#define HANDOFF_TESTS_POSTGRES_SERVER_H_

// A PostgreSQL 15 server of a test's own: initdb in a temporary directory, listening on a
// free loopback port, started and stopped through scripts/pg-server.sh (as the "postgres"
// user when the tests run as root). Superuser "handoff", password kPassword.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace handoff::testing {

class PostgresServer {
 public:
  static constexpr const char* kPassword = "handoff-test";

  PostgresServer() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "handoff-pg-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    port_ = FreePort();
    password_file_ = dir_ + "-password";
    std::ofstream(password_file_) << kPassword << "\n";
  }
  ~PostgresServer() {
    Script("destroy");
    std::filesystem::remove(password_file_);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  bool Start() { return Script("start", std::to_string(port_)); }
  // Fast shutdown: connections are closed, committed data kept.
  bool Stop() { return Script("stop"); }
  // Immediate shutdown, as a crash of the database server.
  bool Kill() { return Script("kill"); }
  bool CreateDatabase(const std::string& name) { return Script("createdb", name); }

  // postgres://handoff@127.0.0.1:PORT/NAME (the password comes from password_file()).
  std::string Url(const std::string& name) const {
    return "postgres://handoff@127.0.0.1:" + std::to_string(port_) + "/" + name;
  }
  // A file holding the password, for --database_password_file.
  const std::string& password_file() const { return password_file_; }
  int port() const { return port_; }
  std::string Log() const {
    std::ifstream in(dir_ + "/server.log");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  bool Script(const std::string& command, const std::string& arg = "") const {
    const std::string line = std::string("PGPASSWORD=") + kPassword + " " HANDOFF_SOURCE_DIR "/scripts/pg-server.sh " +
                             command + " " + dir_ + " " + arg;
    return std::system(line.c_str()) == 0;
  }
  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  std::string dir_;
  std::string password_file_;
  int port_ = 0;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_POSTGRES_SERVER_H_
