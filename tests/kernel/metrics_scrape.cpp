#include "metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <sstream>

namespace vigil::kt {

// GET http://127.0.0.1:<port><path>; the body, or "" on any failure.
std::string http_get(int port, const std::string& path, int* status) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) != 0) {
        ::close(fd);
        return "";
    }
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
        ::close(fd);
        return "";
    }
    std::string resp;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (status && resp.size() > 12) *status = std::atoi(resp.substr(9, 3).c_str());
    auto body = resp.find("\r\n\r\n");
    return body == std::string::npos ? "" : resp.substr(body + 4);
}

// "name{labels}" -> value, from the text exposition format.
std::map<std::string, double> parse_metrics(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        out[line.substr(0, sp)] = std::atof(line.c_str() + sp + 1);
    }
    return out;
}

int metrics_port_from_log(const std::string& stderr_text) {
    std::smatch m;
    if (!std::regex_search(stderr_text, m, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)/metrics"))) return 0;
    return std::stoi(m[1]);
}

}  // namespace vigil::kt
