// Scraping a vigild's /metrics in kernel tests: a minimal HTTP/1.0 GET on
// 127.0.0.1 and a parser of the text exposition format.
#pragma once

#include <map>
#include <string>

namespace vigil::kt {

// GET http://127.0.0.1:<port><path>; the body, or "" on any failure.
std::string http_get(int port, const std::string& path, int* status = nullptr);
// "name{labels}" -> value.
std::map<std::string, double> parse_metrics(const std::string& text);
// The port in vigild's "metrics on http://127.0.0.1:PORT/metrics" log line; 0 if absent.
int metrics_port_from_log(const std::string& stderr_text);

}  // namespace vigil::kt
