// A small tmpfs the test mounts itself (disk-full tests): mounted by mount(),
// lazily unmounted (MNT_DETACH, so files vigild still holds open do not keep
// it busy) by unmount() or the destructor, whichever comes first.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"

namespace vigil::kt {

class TmpfsMount {
public:
    // Mounts a tmpfs of `size_bytes` on the existing directory `dir`.
    static Result<std::unique_ptr<TmpfsMount>> mount(const std::string& dir, std::size_t size_bytes);
    ~TmpfsMount() { unmount(); }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    const std::string& path() const { return dir_; }
    void unmount();

private:
    explicit TmpfsMount(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
    bool mounted_ = true;
};

// Writes `path` until the file system says ENOSPC; the bytes written, or an
// error if writing failed for another reason.
Result<std::size_t> fill_until_full(const std::string& path);

}  // namespace vigil::kt
