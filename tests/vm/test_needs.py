"""What the kernel tests use from outside the build tree, read from their sources so a new test
that runs /usr/bin/cat or reads VIGIL_SOURCE_DIR "/policies" gets it in the guest without an
edit here: absolute program paths in string literals, and the first path component after
VIGIL_SOURCE_DIR."""

import glob
import os
import re

# "/bin/true", "/usr/bin/rm", "/usr/sbin/bpftool" as whole string literals.
_PROGRAM = re.compile(r'"(/(?:usr/)?s?bin/[A-Za-z0-9_.+-]+)"')
# VIGIL_SOURCE_DIR + "/policies/x.yaml", std::string(VIGIL_SOURCE_DIR) + "/policies"
_SOURCE_PATH = re.compile(r'VIGIL_SOURCE_DIR\)?\s*\+\s*"/([A-Za-z0-9_.-]+)')


def from_sources(test_dir):
    """(programs, source-tree entries) the .cpp files under `test_dir` name, sorted."""
    programs, entries = set(), set()
    for path in glob.glob(os.path.join(test_dir, "*.cpp")):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        programs.update(_PROGRAM.findall(text))
        entries.update(_SOURCE_PATH.findall(text))
    return sorted(programs), sorted(entries)


def source_dir_of(build_dir):
    """The source tree a CMake build dir was configured from (what VIGIL_SOURCE_DIR holds)."""
    cache = os.path.join(build_dir, "CMakeCache.txt")
    with open(cache, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("CMAKE_HOME_DIRECTORY:"):
                return line.split("=", 1)[1].strip()
    raise RuntimeError(f"{cache} names no CMAKE_HOME_DIRECTORY")
