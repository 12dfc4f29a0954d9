#ifndef HANDOFF_TESTS_POSTGRES_SERVER_H_
#define HANDOFF_TESTS_POSTGRES_SERVER_H_

// A PostgreSQL 15 server of a test's own: initdb in a temporary directory, listening on a
// free loopback port, started and stopped through scripts/pg-server.sh (as the "postgres"
// user when the tests run as root). Superuser "handoff", password kPassword.

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/free_port.h"

namespace handoff::testing {

class PostgresServer {
 public:
  static constexpr const char* kPassword = "handoff-test";

  PostgresServer() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "handoff-pg-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    port_ = FreeLoopbackPort();
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

  std::string dir_;
  std::string password_file_;
  int port_ = 0;
};

}  // namespace handoff::testing

#endif  // HANDOFF_TESTS_POSTGRES_SERVER_H_
