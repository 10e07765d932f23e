#include "k8s/list_watcher.h"

#include "k8s/line_splitter.h"

namespace vigil::k8s {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A watch that ends this soon without delivering anything is treated as a
// failure, so a server that accepts and immediately closes is not hammered.
constexpr auto kMinHealthyWatch = std::chrono::seconds(1);
// A watch open this long proves the connection healthy: whatever ends it,
// the next failure starts the backoff from the beginning again.
constexpr auto kBackoffResetAfter = std::chrono::seconds(10);
// How many times a paginated list restarts because its continue token expired.
constexpr int kMaxListRestarts = 3;

std::string resource_version_of(const json& object) {
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) return "";
    auto rv = meta->find("resourceVersion");
    return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : "";
}

std::string excerpt(std::string_view s) {
    constexpr std::size_t kMax = 80;
    std::string out(s.substr(0, kMax));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    if (s.size() > kMax) out += "...";
    return out;
}

}  // namespace

std::string describe_http_error(long status, const std::string& body) {
    std::string out = "HTTP " + std::to_string(status);
    auto j = json::parse(body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
        auto m = j.find("message");
        if (m != j.end() && m->is_string()) return out + ": " + m->get<std::string>();
    }
    if (!body.empty()) out += ": " + excerpt(body);
    return out;
}

ListWatcher::ListWatcher(HttpClient& client, ListWatchOptions options, ListWatchHandler handler)
    : client_(client),
      options_(std::move(options)),
      handler_(std::move(handler)),
      backoff_(options_.backoff_initial, options_.backoff_max) {}

ListWatchStats ListWatcher::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

template <typename F>
void ListWatcher::update(F&& f) {
    {
        std::lock_guard lock(mu_);
        f(stats_);
    }
    if (handler_.on_progress) handler_.on_progress();
}

void ListWatcher::record_error(const std::string& message, bool api_error, bool malformed) {
    // One update, so a waiter never sees the count without the message.
    update([&](ListWatchStats& s) {
        s.last_error = message;
        s.last_error_at = Clock::now();
        if (api_error) ++s.api_errors;
        if (malformed) ++s.malformed;
    });
}

std::string ListWatcher::target(const std::string& extra) const {
    std::string t = options_.collection;
    char sep = '?';
    auto add = [&](const std::string& kv) {
        t += sep;
        t += kv;
        sep = '&';
    };
    if (!options_.field_selector.empty()) add("fieldSelector=" + url_encode(options_.field_selector));
    if (!options_.label_selector.empty()) add("labelSelector=" + url_encode(options_.label_selector));
    if (!extra.empty()) add(extra);
    return t;
}

// Every list failure is recorded here (an API error; maybe malformed).
// The resourceVersion asked for follows client-go's reflector: "0" at first
// (the API server answers from its watch cache instead of reading etcd,
// which matters when every node of a big cluster lists at once), then "not
// older than" the last one seen (so a lagging API server cannot take the
// state back in time), and "" (a consistent read) once the server said the
// last one is no longer available.
Result<std::string> ListWatcher::list_all(const std::string& last_rv) {
    auto fail = [this](const std::string& message, bool malformed) -> Result<std::string> {
        record_error(message, true, malformed);
        return make_error(message);
    };
    HttpLimits limits;
    limits.connect_timeout = options_.connect_timeout;
    limits.max_body = options_.max_page_bytes;
    for (int attempt = 0; attempt <= kMaxListRestarts; ++attempt) {
        std::vector<json> items;
        std::string cont;
        std::string rv;
        bool restart = false;
        do {
            std::string extra = "limit=" + std::to_string(options_.page_size);
            if (!cont.empty()) {
                extra += "&continue=" + url_encode(cont);  // a continue carries its own version
            } else if (!last_rv_unavailable_) {
                extra += last_rv.empty() ? "&resourceVersion=0"
                                         : "&resourceVersion=" + url_encode(last_rv) +
                                               "&resourceVersionMatch=NotOlderThan";
            }
            std::string tgt = target(extra);
            auto resp = client_.get(tgt, limits);
            if (!resp) return fail("list " + options_.collection + ": " + resp.error(), false);
            if (resp->status == 410 && !cont.empty()) {
                restart = true;  // the continue token expired: start the list over
                break;
            }
            if (resp->status == 410) {
                last_rv_unavailable_ = true;
                update([](ListWatchStats& s) { ++s.gone; });
            }
            if (resp->status != 200) {
                return fail("list " + options_.collection + ": " + describe_http_error(resp->status, resp->body),
                            false);
            }
            auto page = json::parse(resp->body, nullptr, false);
            auto page_items = page.is_object() ? page.find("items") : page.end();
            auto meta = page.is_object() ? page.find("metadata") : page.end();
            if (page.is_discarded() || !page.is_object() || page_items == page.end() ||
                !(page_items->is_array() || page_items->is_null()) || meta == page.end() ||
                !meta->is_object()) {
                return fail("list " + options_.collection + ": malformed list response '" + excerpt(resp->body) + "'",
                            true);
            }
            if (page_items->is_array()) {
                for (auto& item : *page_items) items.push_back(std::move(item));
            }
            rv = resource_version_of(page);
            auto c = meta->find("continue");
            cont = c != meta->end() && c->is_string() ? c->get<std::string>() : "";
        } while (!cont.empty());
        if (restart) continue;
        if (rv.empty()) {
            return fail("list " + options_.collection + ": the response has no resourceVersion", true);
        }
        last_rv_unavailable_ = false;
        std::size_t rejected = handler_.on_list(std::move(items));
        update([&](ListWatchStats& s) {
            s.malformed += rejected;
            if (s.lists > 0) ++s.relists;
            ++s.lists;
            s.synced = true;
            s.resource_version = rv;
        });
        return rv;
    }
    return fail("list " + options_.collection + ": the continue token kept expiring", false);
}

// One watch event line. Returns false to end the stream (end says why).
bool ListWatcher::handle_event(std::string_view line, std::string& rv, WatchEnd& end) {
    auto ev = json::parse(line, nullptr, false);
    auto type = ev.is_object() ? ev.find("type") : ev.end();
    auto object = ev.is_object() ? ev.find("object") : ev.end();
    if (ev.is_discarded() || !ev.is_object() || type == ev.end() || !type->is_string() ||
        object == ev.end() || !object->is_object()) {
        record_error("watch " + options_.collection + ": malformed event '" + excerpt(line) + "'", false, true);
        end = WatchEnd::kFailed;
        return false;
    }
    const std::string& t = type->get_ref<const std::string&>();
    if (t == "ERROR") {
        auto code = object->find("code");
        if (code != object->end() && code->is_number_integer() && code->get<long>() == 410) {
            end = WatchEnd::kGone;
            return false;
        }
        record_error("watch " + options_.collection + ": ERROR event: " +
                         describe_http_error(code != object->end() && code->is_number_integer()
                                                 ? code->get<long>()
                                                 : 0,
                                             object->dump()),
                     true);
        end = WatchEnd::kFailed;
        return false;
    }
    std::string new_rv = resource_version_of(*object);
    if (t == "BOOKMARK") {
        if (!new_rv.empty()) rv = new_rv;
        update([&](ListWatchStats& s) {
            ++s.bookmarks;
            s.resource_version = rv;
        });
        return true;
    }
    WatchEventType et;
    if (t == "ADDED") {
        et = WatchEventType::kAdded;
    } else if (t == "MODIFIED") {
        et = WatchEventType::kModified;
    } else if (t == "DELETED") {
        et = WatchEventType::kDeleted;
    } else {
        record_error("watch " + options_.collection + ": unknown event type '" + excerpt(t) + "'", false, true);
        end = WatchEnd::kFailed;
        return false;
    }
    bool accepted = handler_.on_event(et, *object);
    if (!new_rv.empty()) rv = new_rv;
    update([&](ListWatchStats& s) {
        ++s.events;
        if (!accepted) ++s.malformed;
        s.resource_version = rv;
    });
    return true;
}

ListWatcher::WatchEnd ListWatcher::watch(std::string& rv, StopSignal& stop) {
    // client-go's reflector: timeoutSeconds in [timeout, 2*timeout).
    auto base = std::max<long long>(1, options_.watch_timeout.count());
    long long timeout_s = base + std::uniform_int_distribution<long long>(0, base - 1)(rng_);
    std::string tgt = target("watch=1&allowWatchBookmarks=true&resourceVersion=" + url_encode(rv) +
                             "&timeoutSeconds=" + std::to_string(timeout_s));
    HttpLimits limits;
    limits.connect_timeout = options_.connect_timeout;
    // A healthy watch is silent for at most timeoutSeconds plus bookmark slack.
    limits.idle_timeout = std::chrono::seconds(timeout_s + 60);
    limits.max_body = 64 << 10;  // only error bodies are collected

    LineSplitter splitter(options_.max_event_bytes);
    WatchEnd end = WatchEnd::kClosed;
    bool ended_by_us = false;
    std::uint64_t delivered = 0;
    bool opened = false;
    auto started = Clock::now();
    if (watch_attempts_++ > 0) update([](ListWatchStats& s) { ++s.reconnects; });

    auto on_open = [&](long status) {
        if (status == 200) {
            opened = true;
            update([](ListWatchStats& s) {
                ++s.watches;
                s.watching = true;
            });
        }
    };
    auto on_data = [&](std::string_view data) {
        auto fed = splitter.feed(data, [&](std::string_view line) {
            ++delivered;
            return handle_event(line, rv, end);
        });
        if (fed == LineSplitter::Feed::kTooLong) {
            record_error("watch " + options_.collection + ": event larger than " +
                             std::to_string(options_.max_event_bytes) + " bytes",
                         false, true);
            end = WatchEnd::kFailed;
        }
        ended_by_us = fed != LineSplitter::Feed::kOk;
        return !ended_by_us;
    };
    auto resp = client_.stream(tgt, limits, on_open, on_data);
    update([](ListWatchStats& s) { s.watching = false; });
    if (opened && Clock::now() - started >= kBackoffResetAfter) backoff_.reset();

    if (stop.stop_requested()) return WatchEnd::kClosed;
    if (!resp) {
        record_error("watch " + options_.collection + ": " + resp.error(), true);
        return WatchEnd::kFailed;
    }
    if (ended_by_us) return end;
    if (resp->status == 410) return WatchEnd::kGone;
    if (resp->status != 200) {
        record_error("watch " + options_.collection + ": " + describe_http_error(resp->status, resp->body),
                     true);
        return WatchEnd::kFailed;
    }
    if (delivered == 0 && Clock::now() - started < kMinHealthyWatch) {
        record_error("watch " + options_.collection + ": the server closed the watch at once", false);
        return WatchEnd::kFailed;
    }
    return WatchEnd::kClosed;
}

void ListWatcher::run(StopSignal& stop) {
    bool need_list = true;
    int gone_in_a_row = 0;
    std::string rv;
    while (!stop.stop_requested()) {
        if (handler_.before_request) handler_.before_request();
        if (need_list) {
            auto listed = list_all(rv);
            if (!listed) {
                if (stop.stop_requested()) break;
                if (!stop.wait_for(backoff_.next())) break;
                continue;
            }
            rv = std::move(*listed);
            need_list = false;
        }
        switch (watch(rv, stop)) {
            case WatchEnd::kClosed:
                backoff_.reset();
                gone_in_a_row = 0;
                break;
            case WatchEnd::kGone:
                update([](ListWatchStats& s) { ++s.gone; });
                need_list = true;
                // The first 410 relists at once, as client-go does; a second
                // in a row means the server cannot keep up: back off.
                if (++gone_in_a_row > 1 && !stop.wait_for(backoff_.next())) return;
                break;
            case WatchEnd::kFailed:
                gone_in_a_row = 0;
                if (!stop.wait_for(backoff_.next())) return;
                break;
        }
    }
}

}  // namespace vigil::k8s
