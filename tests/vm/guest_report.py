"""Reads what a guest sent on its result port (protocol: tests/vm/guest_init.sh) and the gtest
XML report inside it, and judges a run: an incomplete report or a kernel failure on the
console fails it even when every test that ran passed."""

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


@dataclass
class GuestReport:
    features: str = ""          # "kernel <release> features: ring_buffer=yes ..."
    errors: list = field(default_factory=list)
    uptimes: dict = field(default_factory=dict)  # event -> seconds since guest boot
    xml: bytes = b""
    exit_status: int = None     # the suite's exit status, None if never sent
    done: bool = False          # the guest sent everything
    problems: list = field(default_factory=list)  # malformed or truncated output


def parse_result_port(text):
    report = GuestReport()
    b64 = None
    for raw in text.splitlines():
        line = raw.strip("\r\n\0 ")
        if b64 is not None:
            if line == "VIGIL-VM-XML-END":
                try:
                    report.xml = base64.b64decode("".join(b64), validate=True)
                except binascii.Error as e:
                    report.problems.append(f"gtest XML is not valid base64: {e}")
                b64 = None
            else:
                b64.append(line)
            continue
        key, _, value = line.partition(" ")
        if key == "VIGIL-VM-FEATURES":
            report.features = value
        elif key == "VIGIL-VM-ERROR":
            report.errors.append(value)
        elif key == "VIGIL-VM-UPTIME":
            event, _, seconds = value.partition(" ")
            try:
                report.uptimes[event] = float(seconds)
            except ValueError:
                report.problems.append(f"bad uptime line: {line!r}")
        elif key == "VIGIL-VM-XML-BEGIN":
            b64 = []
        elif key == "VIGIL-VM-EXIT":
            try:
                report.exit_status = int(value)
            except ValueError:
                report.problems.append(f"bad exit line: {line!r}")
        elif key == "VIGIL-VM-DONE":
            report.done = True
    if b64 is not None:
        report.problems.append("gtest XML cut off (no VIGIL-VM-XML-END)")
    return report


@dataclass
class TestCase:
    name: str                   # Suite.Test
    outcome: str                # passed, failed, skipped
    seconds: float
    failures: list              # failure messages


def parse_gtest_xml(data):
    """The test cases of a gtest XML report; raises ValueError if it does not parse."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ValueError(f"gtest XML does not parse: {e}") from e
    cases = []
    for tc in root.iter("testcase"):
        failures = [f.get("message", "") for f in tc.findall("failure")]
        if failures:
            outcome = "failed"
        elif tc.get("result") == "skipped" or tc.get("status") == "notrun" or tc.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        cases.append(TestCase(f"{tc.get('classname')}.{tc.get('name')}", outcome,
                              float(tc.get("time", "0") or 0), failures))
    return cases


# Console lines that mean the guest kernel itself went wrong, whatever the tests said.
_KERNEL_TROUBLE = re.compile(r"Kernel panic|BUG: |Oops|general protection fault|WARNING: CPU: "
                             r"|watchdog: BUG: soft lockup|rcu_sched self-detected stall")


def kernel_trouble(console):
    """One problem per kind of kernel failure in the console log (first occurrence quoted)."""
    seen = {}
    for line in console.replace("\r", "").splitlines():
        m = _KERNEL_TROUBLE.search(line)
        if m and m.group(0) not in seen:
            seen[m.group(0)] = line.strip()
    return [f"guest kernel: {line}" for line in seen.values()]


def judge(report, timed_out):
    """The test cases of a guest's report and what is wrong with the report itself."""
    problems = list(report.errors) + list(report.problems)
    if not report.features:
        problems.append("no feature line from vigild")
    if not timed_out and not report.done:
        problems.append("guest stopped before sending all results (no VIGIL-VM-DONE)")
    cases = []
    if report.xml:
        try:
            cases = parse_gtest_xml(report.xml)
        except ValueError as e:
            problems.append(str(e))
        if not cases and not problems:
            problems.append("the gtest report holds no test")
    elif report.done:
        problems.append("no gtest XML from the guest")
    if report.exit_status not in (None, 0):
        problems.append(f"vigil_kernel_tests exited with status {report.exit_status}")
    return cases, problems
