// ownerReferences -> workload, as Tetragon (GetWorkloadMetaFromPod) derives it.
#include "k8s/workload.h"

#include <gtest/gtest.h>

namespace vigil::k8s {
namespace {

OwnerReference controller(const std::string& kind, const std::string& name) {
    return {kind, name, "apps/v1", true};
}

TEST(Workload, DeploymentFromReplicaSet) {
    auto w = derive_workload("web-5d8f7c9b6-x2k4p", "web-5d8f7c9b6-", {{"pod-template-hash", "5d8f7c9b6"}},
                             {controller("ReplicaSet", "web-5d8f7c9b6")});
    EXPECT_EQ(w, (Workload{"web", "Deployment"}));
}

TEST(Workload, DeploymentNameWithDashes) {
    auto w = derive_workload("my-api-server-7f9c-abcde", "my-api-server-7f9c-", {{"pod-template-hash", "7f9c"}},
                             {controller("ReplicaSet", "my-api-server-7f9c")});
    EXPECT_EQ(w, (Workload{"my-api-server", "Deployment"}));
}

TEST(Workload, ReplicaSetWithoutHashLabelStaysReplicaSet) {
    auto w = derive_workload("rs-abcde", "rs-", {}, {controller("ReplicaSet", "rs")});
    EXPECT_EQ(w, (Workload{"rs", "ReplicaSet"}));
}

TEST(Workload, ReplicaSetWhoseNameDoesNotEndWithHash) {
    auto w = derive_workload("rs-abcde", "rs-", {{"pod-template-hash", "zzz"}}, {controller("ReplicaSet", "rs")});
    EXPECT_EQ(w, (Workload{"rs", "ReplicaSet"}));
}

TEST(Workload, CronJobFromJob) {
    for (const char* job : {"backup-28345670", "backup-283456701", "backup-2834567012"}) {
        auto w = derive_workload(std::string(job) + "-q8v2z", std::string(job) + "-", {},
                                 {{"Job", job, "batch/v1", true}});
        EXPECT_EQ(w, (Workload{"backup", "CronJob"})) << job;
    }
}

TEST(Workload, JobWithoutScheduleSuffixStaysJob) {
    for (const char* job : {"migrate", "migrate-1234567", "migrate-12345678901", "migrate-v2", "12345678"}) {
        auto w = derive_workload(std::string(job) + "-abcde", std::string(job) + "-", {},
                                 {{"Job", job, "batch/v1", true}});
        EXPECT_EQ(w, (Workload{job, "Job"})) << job;
    }
}

TEST(Workload, CronJobNameWithDashesAndDigits) {
    auto w = derive_workload("x", "x-", {}, {{"Job", "db-backup-2-28345670", "batch/v1", true}});
    EXPECT_EQ(w, (Workload{"db-backup-2", "CronJob"}));
}

TEST(Workload, StatefulSetAndDaemonSet) {
    EXPECT_EQ(derive_workload("db-0", "db-", {}, {controller("StatefulSet", "db")}),
              (Workload{"db", "StatefulSet"}));
    EXPECT_EQ(derive_workload("vigil-abcde", "vigil-", {}, {controller("DaemonSet", "vigil")}),
              (Workload{"vigil", "DaemonSet"}));
}

TEST(Workload, DeploymentConfigFromReplicationController) {
    auto w = derive_workload("app-1-abcde", "app-1-", {{"deploymentconfig", "app"}},
                             {controller("ReplicationController", "app-1")});
    EXPECT_EQ(w, (Workload{"app", "DeploymentConfig"}));
    auto plain = derive_workload("rc-abcde", "rc-", {}, {controller("ReplicationController", "rc")});
    EXPECT_EQ(plain, (Workload{"rc", "ReplicationController"}));
}

TEST(Workload, BarePod) {
    EXPECT_EQ(derive_workload("debug", "", {}, {}), (Workload{"debug", "Pod"}));
}

TEST(Workload, NoGenerateNameMeansPodEvenWithOwner) {
    // Static/mirror pods are owned by their Node but not generated from a template.
    EXPECT_EQ(derive_workload("kube-apiserver-n1", "", {}, {{"Node", "n1", "v1", true}}),
              (Workload{"kube-apiserver-n1", "Pod"}));
}

TEST(Workload, OnlyTheControllerOwnerCounts) {
    auto w = derive_workload("p-abcde", "p-", {},
                             {{"ConfigMap", "cm", "v1", false}, controller("StatefulSet", "sts")});
    EXPECT_EQ(w, (Workload{"sts", "StatefulSet"}));
    auto none = derive_workload("p-abcde", "p-", {}, {{"ConfigMap", "cm", "v1", false}});
    EXPECT_EQ(none, (Workload{"p-abcde", "Pod"}));
}

}  // namespace
}  // namespace vigil::k8s
