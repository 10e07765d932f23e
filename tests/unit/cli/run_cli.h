// Runs the built `vigil` binary (VIGIL_CLI_PATH) as a child process with
// stdin from a file or a pipe, capturing stdout, stderr and the exit status.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace vigil::cli::cli_test {

struct CliRun {
    int exit_code = -1;  // -1: did not exit normally (signal)
    std::string out;
    std::string err;

    std::vector<std::string> out_lines() const {
        std::vector<std::string> lines;
        std::istringstream in(out);
        for (std::string l; std::getline(in, l);) lines.push_back(l);
        return lines;
    }
};

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The child's stdin: a file opened read-only ("/dev/null" is a character
// device, i.e. neither pipe nor file), or a pipe the parent fills with data.
struct Stdin {
    bool pipe = false;
    std::string path_or_data;
};
inline Stdin stdin_file(std::string path) { return {false, std::move(path)}; }
inline Stdin stdin_pipe(std::string data) { return {true, std::move(data)}; }

// `env` entries are set in the child only; VIGIL_SERVER_ADDRESS and NO_COLOR
// are cleared unless given.
inline CliRun run_cli(const std::vector<std::string>& args, const Stdin& input,
                      const std::vector<std::pair<std::string, std::string>>& env = {}) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "vigil-cli-run-XXXXXX").string();
    CliRun r;
    if (::mkdtemp(tmpl.data()) == nullptr) {
        r.err = "mkdtemp failed for " + tmpl;
        return r;
    }
    const fs::path dir = tmpl;
    const std::string out_path = (dir / "out").string(), err_path = (dir / "err").string();

    std::vector<std::string> argv_s{VIGIL_CLI_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    // The environment is built before fork: the test may have other threads
    // (a gRPC server), so the child only makes async-signal-safe calls.
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view var(*e);
        if (var.rfind("VIGIL_SERVER_ADDRESS=", 0) == 0 || var.rfind("NO_COLOR=", 0) == 0) continue;
        env_s.emplace_back(var);
    }
    for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    int pipe_fds[2] = {-1, -1};
    if (input.pipe && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        r.err = "pipe2 failed";
        return r;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        int in =
            input.pipe ? pipe_fds[0] : ::open(input.path_or_data.c_str(), O_RDONLY | O_CLOEXEC);
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || out < 0 || err < 0) ::_exit(126);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    if (input.pipe) {
        ::close(pipe_fds[0]);
        // A child that does not read stdin exits and the write fails with
        // EPIPE; SIGPIPE is ignored so that failure is only a return value.
        ::signal(SIGPIPE, SIG_IGN);
        std::size_t done = 0;
        while (pid > 0 && done < input.path_or_data.size()) {
            ssize_t n = ::write(pipe_fds[1], input.path_or_data.data() + done,
                                input.path_or_data.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::close(pipe_fds[1]);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    r.exit_code = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    if (pid < 0) r.err = "fork failed";
    std::error_code ec;
    fs::remove_all(dir, ec);
    return r;
}

}  // namespace vigil::cli::cli_test
