#include "probe/base_sensor.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vigil.skel.h"
#include "vigil_hooks.skel.h"
#include "vigil/abi.h"

namespace vigil::probe {

namespace {

std::string errno_text(int err) {
    return std::string(std::strerror(err < 0 ? -err : err));
}

}  // namespace

Result<std::unique_ptr<BaseSensor>> BaseSensor::load(const SensorOptions& opts,
                                                     RecordHandler handler) {
    std::unique_ptr<BaseSensor> s(new BaseSensor());
    s->handler_ = std::move(handler);
    s->skel_ = vigil_bpf__open();
    if (!s->skel_) {
        return make_error("base sensor: opening the embedded BPF object failed: " +
                          errno_text(errno));
    }
    if (opts.ringbuf_bytes != 0) {
        int err = bpf_map__set_max_entries(s->skel_->maps.vigil_events,
                                           static_cast<__u32>(opts.ringbuf_bytes));
        if (err) {
            return make_error("base sensor: --rb-size " + std::to_string(opts.ringbuf_bytes) +
                              " rejected: " + errno_text(err));
        }
    }
    s->skel_->rodata->vigil_self_tgid = static_cast<__u32>(::getpid());
    int err = vigil_bpf__load(s->skel_);
    if (err) {
        return make_error("base sensor: loading BPF programs failed (" + errno_text(err) +
                          "); the verifier log above says which program and why");
    }
    struct Spec {
        bpf_program* prog;
        bpf_link** link;
        const char* hook;
    };
    const Spec specs[] = {
        {s->skel_->progs.vigil_exec, &s->skel_->links.vigil_exec, "raw_tp/sched_process_exec"},
        {s->skel_->progs.vigil_fork, &s->skel_->links.vigil_fork, "raw_tp/sched_process_fork"},
        {s->skel_->progs.vigil_exit, &s->skel_->links.vigil_exit, "raw_tp/sched_process_exit"},
    };
    for (const auto& spec : specs) {
        *spec.link = bpf_program__attach(spec.prog);
        if (!*spec.link) {
            return make_error(std::string("base sensor: attaching ") + spec.hook +
                              " failed: " + errno_text(errno));
        }
        AttachedProgram ap;
        ap.name = bpf_program__name(spec.prog);
        ap.hook = spec.hook;
        bpf_link_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_link__fd(*spec.link), &info, &len) == 0) {
            ap.link_id = info.id;
        }
        s->programs_.push_back(ap);
    }
    s->rb_ = ring_buffer__new(bpf_map__fd(s->skel_->maps.vigil_events), &BaseSensor::on_record,
                              s.get(), nullptr);
    if (!s->rb_) {
        return make_error("base sensor: opening the ring buffer failed: " + errno_text(errno));
    }
    return s;
}

BaseSensor::~BaseSensor() { close(); }

void BaseSensor::close() {
    if (rb_) {
        ring_buffer__free(rb_);
        rb_ = nullptr;
    }
    {
        std::lock_guard lock(hooks_mu_);
        for (auto& [name, slot] : syscalls_) {
            if (slot.enter) bpf_link__destroy(slot.enter);
            if (slot.exit) bpf_link__destroy(slot.exit);
        }
        syscalls_.clear();
        for (auto& [id, state] : hooks_) detach_generic(state);
        hooks_.clear();
        for (auto& [key, obj] : families_) vigil_hooks_bpf__destroy(obj);
        families_.clear();
    }
    if (skel_) {
        vigil_bpf__destroy(skel_);  // detaches every link, closes maps and programs
        skel_ = nullptr;
    }
    programs_.clear();
}

int BaseSensor::on_record(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<BaseSensor*>(ctx);
    self->handler_(static_cast<const std::uint8_t*>(data), size);
    return 0;
}

int BaseSensor::poll(int timeout_ms) {
    if (!rb_) {
        return -EBADF;
    }
    return ring_buffer__poll(rb_, timeout_ms);
}

std::vector<std::uint64_t> BaseSensor::kernel_stats() const {
    std::vector<std::uint64_t> totals(VIGIL_STAT_COUNT, 0);
    if (!skel_) {
        return totals;
    }
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) {
        return totals;
    }
    std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
    int fd = bpf_map__fd(skel_->maps.vigil_stats);
    for (__u32 slot = 0; slot < VIGIL_STAT_COUNT; ++slot) {
        if (bpf_map_lookup_elem(fd, &slot, per_cpu.data()) == 0) {
            for (auto v : per_cpu) {
                totals[slot] += v;
            }
        }
    }
    return totals;
}

}  // namespace vigil::probe
