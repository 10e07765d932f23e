"""Unit tests of the VM runner's pieces that need no qemu: the cpio writer (read back by a
minimal newc reader here), what the tests need from the host, the result-port parser, the
gtest XML reader and the verdict."""

import base64
import os
import stat
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_report  # noqa: E402
import initramfs  # noqa: E402
import test_needs  # noqa: E402


def read_newc(path):
    """name -> (mode, data, rdev) of a newc archive, in order."""
    entries = {}
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while True:
        assert blob[pos:pos + 6] == b"070701", f"bad magic at {pos}"
        fields = [int(blob[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = fields[1], fields[6], fields[9], fields[10], fields[11]
        pos += 110
        name = blob[pos:pos + namesize - 1].decode()
        pos += namesize
        pos += (-pos) % 4
        data = blob[pos:pos + size]
        pos += size
        pos += (-pos) % 4
        if name == "TRAILER!!!":
            assert len(blob) % 512 == 0, "archive not padded to 512-byte blocks"
            return entries
        entries[name] = (mode, data, (rmaj, rmin))


class ArchiveTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="vigil-vm-test-")
        self.path = os.path.join(self.dir.name, "a.cpio")

    def tearDown(self):
        self.dir.cleanup()

    def test_entries_parents_and_modes(self):
        a = initramfs.Archive(self.path)
        a.directory("tmp", 0o1777)
        a.file("etc/conf", b"x=1\n", 0o600)
        a.symlink("bin", "usr/bin")
        a.char_device("dev/null", 1, 3, 0o666)
        a.file("etc/conf", b"second add is ignored")
        a.close()
        e = read_newc(self.path)
        self.assertEqual(list(e), ["tmp", "etc", "etc/conf", "bin", "dev", "dev/null"])
        self.assertEqual(e["tmp"][0], stat.S_IFDIR | 0o1777)
        self.assertEqual(e["etc"][0], stat.S_IFDIR | 0o755, "implicit parent")
        self.assertEqual(e["etc/conf"], (stat.S_IFREG | 0o600, b"x=1\n", (0, 0)))
        self.assertEqual(e["bin"][1], b"usr/bin")
        self.assertEqual(e["dev/null"], (stat.S_IFCHR | 0o666, b"", (1, 3)))

    def test_host_path_replicates_symlinks_on_the_way(self):
        root = os.path.join(self.dir.name, "host")
        os.makedirs(os.path.join(root, "usr", "lib"))
        os.symlink("usr/lib", os.path.join(root, "lib"))
        with open(os.path.join(root, "usr", "lib", "libx.so.1.2"), "wb") as f:
            f.write(b"ELF?")
        os.symlink("libx.so.1.2", os.path.join(root, "usr", "lib", "libx.so.1"))
        a = initramfs.Archive(self.path)
        initramfs.add_host_path(a, os.path.join(root, "lib", "libx.so.1"))
        a.close()
        e = read_newc(self.path)
        rel = root.strip("/")
        self.assertEqual(e[f"{rel}/lib"][1], b"usr/lib")
        self.assertEqual(e[f"{rel}/usr/lib/libx.so.1"][1], b"libx.so.1.2")
        self.assertEqual(e[f"{rel}/usr/lib/libx.so.1.2"][1], b"ELF?")
        self.assertTrue(stat.S_ISREG(e[f"{rel}/usr/lib/libx.so.1.2"][0]))

    def test_shared_libraries_of_a_dynamic_binary_include_libc_and_the_loader(self):
        libs = initramfs.shared_libraries("/usr/bin/env")
        self.assertTrue(any(os.path.basename(p).startswith("libc.so") for p in libs), libs)
        self.assertTrue(any("ld-linux" in p for p in libs), libs)

    def test_static_binary_needs_no_library(self):
        if not os.path.exists("/bin/busybox"):
            self.skipTest("busybox-static not installed")
        self.assertEqual(initramfs.shared_libraries("/bin/busybox"), [])


class TestNeedsTest(unittest.TestCase):
    def test_programs_and_source_entries_from_literals(self):
        with tempfile.TemporaryDirectory(prefix="vigil-vm-test-") as d:
            with open(os.path.join(d, "a_test.cpp"), "w") as f:
                f.write('run_to_exit({"/usr/bin/cat", path});\n'
                        'spawn({trigger_path(), "fork-exec", "/bin/sh", "-c", "echo x > /tmp/y"});\n'
                        'std::string(VIGIL_SOURCE_DIR) + "/policies/log4shell.yaml";\n'
                        'auto p = VIGIL_SOURCE_DIR + "/config";\n'
                        'const char* not_a_program = "/usr/bin/cat is here";\n')
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write('"/usr/bin/ignored"\n')
            self.assertEqual(test_needs.from_sources(d),
                             (["/bin/sh", "/usr/bin/cat"], ["config", "policies"]))

    def test_source_dir_from_cmake_cache(self):
        with tempfile.TemporaryDirectory(prefix="vigil-vm-test-") as d:
            with open(os.path.join(d, "CMakeCache.txt"), "w") as f:
                f.write("# comment\nCMAKE_HOME_DIRECTORY:INTERNAL=/src/vigil\n")
            self.assertEqual(test_needs.source_dir_of(d), "/src/vigil")


XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1">
  <testsuite name="S" tests="3">
    <testcase name="Ok" status="run" result="completed" time="0.5" classname="S" />
    <testcase name="Bad" status="run" result="completed" time="1" classname="S">
      <failure message="x.cpp:3&#x0A;Expected: 1" type="" />
    </testcase>
    <testcase name="Skip" status="run" result="skipped" time="0" classname="S"><skipped message="" /></testcase>
  </testsuite>
</testsuites>
"""


class GuestReportTest(unittest.TestCase):
    def port_text(self, xml=XML, done=True):
        b64 = base64.encodebytes(xml).decode()
        lines = ["VIGIL-VM-UPTIME init 3.25",
                 "VIGIL-VM-FEATURES kernel 6.1.0-57-cloud-amd64 features: kprobe=yes lsm=yes",
                 "VIGIL-VM-XML-BEGIN", *b64.splitlines(), "VIGIL-VM-XML-END", "VIGIL-VM-EXIT 1"]
        if done:
            lines.append("VIGIL-VM-DONE")
        return "\r\n".join(lines) + "\r\n"  # the tty turns \n into \r\n

    def test_complete_report(self):
        r = guest_report.parse_result_port(self.port_text())
        self.assertEqual(r.features, "kernel 6.1.0-57-cloud-amd64 features: kprobe=yes lsm=yes")
        self.assertEqual(r.uptimes, {"init": 3.25})
        self.assertEqual(r.xml, XML)
        self.assertEqual(r.exit_status, 1)
        self.assertTrue(r.done)
        self.assertEqual(r.problems, [])

    def test_cut_off_report_is_a_problem(self):
        text = self.port_text()
        r = guest_report.parse_result_port(text[:text.index("VIGIL-VM-XML-END")])
        self.assertFalse(r.done)
        self.assertEqual(r.xml, b"")
        self.assertIn("gtest XML cut off (no VIGIL-VM-XML-END)", r.problems)

    def test_gtest_outcomes_and_messages(self):
        cases = guest_report.parse_gtest_xml(XML)
        self.assertEqual([(c.name, c.outcome) for c in cases],
                         [("S.Ok", "passed"), ("S.Bad", "failed"), ("S.Skip", "skipped")])
        self.assertEqual(cases[1].failures, ["x.cpp:3\nExpected: 1"])

    def test_judge_complete_report_with_a_failed_suite(self):
        cases, problems = guest_report.judge(guest_report.parse_result_port(self.port_text()), False)
        self.assertEqual(len(cases), 3)
        self.assertEqual(problems, ["vigil_kernel_tests exited with status 1"])

    def test_judge_report_without_features_or_end(self):
        r = guest_report.parse_result_port("VIGIL-VM-UPTIME init 2\n")
        cases, problems = guest_report.judge(r, timed_out=False)
        self.assertEqual(cases, [])
        self.assertEqual(problems, ["no feature line from vigild",
                                    "guest stopped before sending all results (no VIGIL-VM-DONE)"])

    def test_kernel_trouble_quotes_the_first_line_of_each_kind(self):
        console = ("[ 1.0] ok\r\n[ 2.0] BUG: kernel NULL pointer dereference, address: 0\r\n"
                   "[ 2.1] BUG: again\n[ 3.0] Kernel panic - not syncing: Attempted to kill init!\n")
        self.assertEqual(guest_report.kernel_trouble(console), [
            "guest kernel: [ 2.0] BUG: kernel NULL pointer dereference, address: 0",
            "guest kernel: [ 3.0] Kernel panic - not syncing: Attempted to kill init!"])
        self.assertEqual(guest_report.kernel_trouble("[ 1.0] all fine\n"), [])

    def test_broken_xml_raises(self):
        with self.assertRaises(ValueError):
            guest_report.parse_gtest_xml(b"<testsuites><testsuite>")


if __name__ == "__main__":
    unittest.main()
