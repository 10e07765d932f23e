// Events waiting for their pod: held while the pod cache does not know the
// container's pod, released with pod data when it appears, or without after
// the wait (counted), in order per container, never dropped.
#include "agent/pod_wait_queue.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace vigil::agent {
namespace {

using Clock = PodWaitQueue::Clock;
using namespace std::chrono_literals;

// Pods by container: a process is "in" the container its cgroup_name names.
struct FakePods : exporter::PodResolver {
    std::set<std::string> known;  // containers whose pod is known
    model::ProcessK8s resolve(const model::Process& p) const override {
        model::ProcessK8s k;
        if (p.cgroup_name.empty()) return k;
        k.docker = p.cgroup_name;
        if (known.count(p.cgroup_name)) {
            k.has_pod = true;
            k.pod.namespace_ = "shop";
            k.pod.name = "pod-of-" + p.cgroup_name;
            k.pod.has_container = true;
            k.pod.container.name = "c";
        }
        return k;
    }
    std::map<std::string, std::string> node_labels() const override { return {}; }
};

class PodWaitQueueTest : public ::testing::Test {
protected:
    PodWaitQueueTest() : mapper_({"node-1", false, false}, exporter::BootClock(0), model::Namespaces{}) {}

    void make_queue(PodWaitOptions options = {}) {
        PodSource source{[this] { return generation_; }, [this] { return live_; }};
        queue_ = std::make_unique<PodWaitQueue>(
            pods_, mapper_, source, [this](PodWaitQueue::Event ev) { delivered_.push_back(*ev); }, options);
        mapper_.set_pod_resolver(queue_.get());
    }

    model::Process process(std::uint32_t pid, const std::string& container) {
        model::Process p;
        p.pid = pid;
        p.nspid = pid % 100;
        p.binary = "/bin/app";
        p.exec_id = "exec-" + std::to_string(pid);
        p.cgroup_name = container;
        return p;
    }

    // Maps an exec event as the pipeline does, then offers it to the queue;
    // true if the queue held it.
    bool publish(const model::Process& p, const model::Process* parent = nullptr) {
        auto ev = std::make_shared<tetragon::GetEventsResponse>(
            mapper_.exec_event({&p, 1}, {parent, 1}, 1000));
        if (queue_->hold(ev, now_)) return true;
        delivered_.push_back(*ev);
        return false;
    }

    std::vector<std::uint32_t> delivered_pids() const {
        std::vector<std::uint32_t> out;
        for (const auto& ev : delivered_) out.push_back(ev.process_exec().process().pid().value());
        return out;
    }

    exporter::ProtoMapper mapper_;
    FakePods pods_;
    std::uint64_t generation_ = 1;
    bool live_ = true;
    Clock::time_point now_ = Clock::now();
    std::vector<tetragon::GetEventsResponse> delivered_;
    std::unique_ptr<PodWaitQueue> queue_;
};

TEST_F(PodWaitQueueTest, HostAndKnownPodEventsPassAtOnce) {
    make_queue();
    pods_.known.insert("c1");
    EXPECT_FALSE(publish(process(1, "")));
    EXPECT_FALSE(publish(process(2, "c1")));
    EXPECT_EQ(delivered_pids(), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_TRUE(delivered_[1].process_exec().process().has_pod());
    EXPECT_EQ(queue_->stats().held, 0u);
}

TEST_F(PodWaitQueueTest, HeldUntilThePodAppearsThenSentWithIt) {
    make_queue();
    auto parent = process(10, "c1");
    EXPECT_TRUE(publish(process(11, "c1"), &parent));
    EXPECT_FALSE(publish(process(12, "")));  // others are not delayed
    EXPECT_EQ(queue_->stats().waiting, 1u);

    queue_->tick(now_ + 100ms);  // nothing changed: still waiting
    EXPECT_EQ(delivered_pids(), std::vector<std::uint32_t>{12});

    pods_.known.insert("c1");
    ++generation_;
    queue_->tick(now_ + 200ms);
    ASSERT_EQ(delivered_pids(), (std::vector<std::uint32_t>{12, 11}));
    const auto& exec = delivered_[1].process_exec();
    ASSERT_TRUE(exec.process().has_pod());
    EXPECT_EQ(exec.process().pod().name(), "pod-of-c1");
    EXPECT_EQ(exec.process().pod().container().pid().value(), 11u);  // from the model: nspid
    EXPECT_EQ(exec.process().docker(), "c1");
    ASSERT_TRUE(exec.parent().has_pod());  // the parent missed too, and is filled too
    EXPECT_EQ(exec.parent().pod().name(), "pod-of-c1");
    auto st = queue_->stats();
    EXPECT_EQ(st.held, 1u);
    EXPECT_EQ(st.enriched, 1u);
    EXPECT_EQ(st.misses, 0u);
    EXPECT_EQ(st.waiting, 0u);
}

TEST_F(PodWaitQueueTest, SentWithoutPodAfterTheWaitAndCounted) {
    make_queue({.max_wait = 1500ms});
    EXPECT_TRUE(publish(process(1, "c1")));
    ++generation_;  // a change, but not this pod
    queue_->tick(now_ + 1s);
    EXPECT_TRUE(delivered_.empty());
    queue_->tick(now_ + 1500ms);
    ASSERT_EQ(delivered_pids(), std::vector<std::uint32_t>{1});
    EXPECT_FALSE(delivered_[0].process_exec().process().has_pod());
    EXPECT_EQ(delivered_[0].process_exec().process().docker(), "c1");
    EXPECT_EQ(queue_->stats().misses, 1u);
}

TEST_F(PodWaitQueueTest, ExpiredEventGetsALastTry) {
    make_queue({.max_wait = 1s});
    EXPECT_TRUE(publish(process(1, "c1")));
    pods_.known.insert("c1");  // arrived without the queue seeing a new generation
    queue_->tick(now_ + 1s);
    ASSERT_EQ(delivered_.size(), 1u);
    EXPECT_TRUE(delivered_[0].process_exec().process().has_pod());
    EXPECT_EQ(queue_->stats().misses, 0u);
}

TEST_F(PodWaitQueueTest, OneContainersEventsKeepTheirOrder) {
    make_queue();
    EXPECT_TRUE(publish(process(1, "c1")));
    pods_.known.insert("c2");
    EXPECT_FALSE(publish(process(2, "c2")));
    // c1's pod is known now, but its earlier event still waits: this one queues behind.
    pods_.known.insert("c1");
    EXPECT_TRUE(publish(process(3, "c1")));
    ++generation_;
    queue_->tick(now_ + 10ms);
    EXPECT_EQ(delivered_pids(), (std::vector<std::uint32_t>{2, 1, 3}));
    for (const auto& ev : delivered_) EXPECT_TRUE(ev.process_exec().process().has_pod());
    EXPECT_EQ(queue_->stats().held, 2u);
    EXPECT_EQ(queue_->stats().enriched, 1u);  // the one that waited for its pod
}

TEST_F(PodWaitQueueTest, NotHeldWhileThePodCacheIsNotWatching) {
    live_ = false;
    make_queue();
    EXPECT_FALSE(publish(process(1, "c1")));
    EXPECT_EQ(delivered_pids(), std::vector<std::uint32_t>{1});
    EXPECT_EQ(queue_->stats().misses, 1u);
    EXPECT_EQ(queue_->stats().held, 0u);
}

TEST_F(PodWaitQueueTest, AFullQueueSendsItsOldestOn) {
    make_queue({.max_held = 2});
    EXPECT_TRUE(publish(process(1, "c1")));
    EXPECT_TRUE(publish(process(2, "c2")));
    EXPECT_TRUE(publish(process(3, "c3")));
    EXPECT_EQ(delivered_pids(), std::vector<std::uint32_t>{1});
    auto st = queue_->stats();
    EXPECT_EQ(st.overflow, 1u);
    EXPECT_EQ(st.misses, 1u);
    EXPECT_EQ(st.waiting, 2u);
}

TEST_F(PodWaitQueueTest, FlushSendsEverything) {
    make_queue();
    EXPECT_TRUE(publish(process(1, "c1")));
    EXPECT_TRUE(publish(process(2, "c2")));
    pods_.known.insert("c2");
    queue_->flush();
    ASSERT_EQ(delivered_pids(), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_FALSE(delivered_[0].process_exec().process().has_pod());
    EXPECT_TRUE(delivered_[1].process_exec().process().has_pod());
    EXPECT_EQ(queue_->stats().waiting, 0u);
    EXPECT_EQ(queue_->stats().misses, 1u);
    EXPECT_EQ(queue_->stats().enriched, 1u);
}

}  // namespace
}  // namespace vigil::agent
