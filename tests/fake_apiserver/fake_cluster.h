// The state behind the fake Kubernetes API server: objects per resource,
// a cluster-wide resourceVersion, and the event history watches replay.
// It outlives FakeApiServer instances, so a test can stop the server and
// start it again on the same port with the same (or a compacted) history.
//
// Semantics follow the real API server where clients can tell:
//  - every create/update/delete bumps the resourceVersion and is an event;
//  - a watch from resourceVersion X replays the events after X, then
//    streams new ones; X older than the last compact() is 410 Gone;
//  - with a fieldSelector, an object that starts/stops matching is an
//    ADDED/DELETED for that watch (as the watch cache does);
//  - bookmarks carry the current resourceVersion, only to watches that
//    asked for them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::fake_k8s {

struct ResourceType {
    std::string group_version;  // "v1", "cilium.io/v1alpha1"
    std::string plural;         // "pods"
    std::string kind;           // "Pod"
    bool namespaced = true;
    std::vector<std::string> short_names;

    // "/api/v1" or "/apis/cilium.io/v1alpha1"
    std::string api_prefix() const;
};

ResourceType pods_type();
ResourceType nodes_type();
ResourceType namespaces_type();
ResourceType tracing_policies_type();             // cilium.io/v1alpha1, cluster-scoped
ResourceType tracing_policies_namespaced_type();  // cilium.io/v1alpha1, namespaced

// "spec.nodeName=n1,metadata.namespace!=kube-system"
struct FieldSelector {
    struct Term {
        std::string path;
        std::string value;
        bool equal = true;
    };
    std::vector<Term> terms;

    static std::optional<FieldSelector> parse(const std::string& text);
    bool matches(const nlohmann::json& object) const;
};

class FakeCluster {
public:
    FakeCluster();  // knows pods, nodes, namespaces and both TracingPolicy kinds

    void add_type(ResourceType type);
    const ResourceType* type_for(const std::string& api_prefix, const std::string& plural) const;
    std::vector<ResourceType> types() const;

    // Creates or replaces an object (keyed by namespace/name): sets
    // metadata.resourceVersion, and kind, apiVersion, uid and
    // creationTimestamp when missing. Returns the new resourceVersion.
    std::uint64_t apply(const std::string& plural, nlohmann::json object);
    // Deletes; returns the new resourceVersion (0 if there was no such object).
    std::uint64_t remove(const std::string& plural, const std::string& ns, const std::string& name);

    std::optional<nlohmann::json> get(const std::string& plural, const std::string& ns,
                                      const std::string& name) const;
    // Objects in key order; ns "" means all namespaces.
    std::vector<nlohmann::json> list(const std::string& plural, const std::string& ns,
                                     const FieldSelector& selector) const;

    std::uint64_t resource_version() const;
    // The oldest resourceVersion a watch may still start from.
    std::uint64_t compacted_version() const;
    // Forgets the history: watches (and list continues) from before now get 410.
    void compact();

    // To every open watch that allows bookmarks: a BOOKMARK at the current resourceVersion.
    void bookmark();
    // To every open watch: this line verbatim (garbage, an ERROR event, ...).
    void inject_line(const std::string& line);
    // Every open watch ends abruptly (connection closed mid-stream).
    void drop_watches();

    // Open watch streams, for tests that wait for a client to be watching.
    std::size_t open_watches() const;
    bool wait_for_open_watches(std::size_t at_least, std::chrono::milliseconds timeout) const;

    // --- used by FakeApiServer's watch streams
    struct Entry {
        std::uint64_t seq = 0;
        enum class Kind { kObject, kBookmark, kRaw } kind = Kind::kObject;
        std::uint64_t rv = 0;
        std::string plural;
        std::string type;  // ADDED, MODIFIED, DELETED
        nlohmann::json object;
        nlohmann::json old_object;  // null for ADDED
        std::string raw;
    };
    struct WatchCursor {
        std::string plural;
        std::string ns;
        FieldSelector selector;
        std::uint64_t from_rv = 0;
        bool bookmarks = false;
        std::uint64_t next_seq = 0;    // first timeline entry not yet looked at
        std::uint64_t opened_seq = 0;  // broadcasts before this are not for it
        std::uint64_t drop_generation = 0;
    };
    // Registers an open watch; initial ADDED lines for from_rv 0 are returned in `initial`.
    WatchCursor open_watch(const std::string& plural, const std::string& ns, FieldSelector selector,
                           std::uint64_t from_rv, bool bookmarks, std::vector<std::string>& initial);
    void close_watch();
    // Waits up to `wait` for lines for this watch; false when dropped.
    bool next_lines(WatchCursor& cursor, std::chrono::milliseconds wait, std::vector<std::string>& lines);
    // Wakes every waiting watch (the server is stopping).
    void wake_all();

private:
    std::string render(const Entry& e, const WatchCursor& c) const;
    std::uint64_t record(Entry e);

    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    std::map<std::string, ResourceType> types_;                             // by plural
    std::map<std::string, std::map<std::string, nlohmann::json>> objects_;  // plural -> ns/name -> object
    std::deque<Entry> timeline_;
    std::uint64_t next_seq_ = 1;
    std::uint64_t rv_ = 1000;
    std::uint64_t compacted_rv_ = 0;
    std::uint64_t drop_generation_ = 0;
    std::uint64_t uid_counter_ = 0;
    std::size_t open_watches_ = 0;
};

// A Pod as the kubelet reports a running one: spec.nodeName, one container
// per (name, containerID) with image, imageID and a running startedAt.
struct PodSpec {
    std::string ns = "default";
    std::string name;
    std::string uid;
    std::string node = "node-1";
    std::map<std::string, std::string> labels;
    std::string generate_name;
    nlohmann::json owner_references = nlohmann::json::array();
    std::vector<std::pair<std::string, std::string>> containers;  // name, "containerd://<id>"
};
nlohmann::json make_pod(const PodSpec& spec);

// A TracingPolicy (ns empty) or TracingPolicyNamespaced object (apply it
// to "tracingpolicies" or "tracingpoliciesnamespaced") with this spec.
nlohmann::json make_tracing_policy(const std::string& name, const nlohmann::json& spec, const std::string& ns = "");

}  // namespace vigil::fake_k8s
