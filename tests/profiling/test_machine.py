"""The machine a profile ran on: its processor's name (/proc/cpuinfo) and its kernel's tick rate."""

from __future__ import annotations

import gzip
import platform
from pathlib import Path

from servesize.profiling._service import cpu_model, kernel_hz

# abridged from a real 2-core VM's /proc/cpuinfo: one block per logical CPU
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 1
model name\t: AMD EPYC 7763 64-Core Processor
flags\t\t: fpu vme de pse

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7763 64-Core Processor
"""


def test_the_first_model_name_is_the_cpu_model(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    assert cpu_model(info) == "AMD EPYC 7763 64-Core Processor"


def test_without_a_model_name_platform_answers(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n")  # an ARM VM's
    assert cpu_model(info) == (platform.processor() or None)
    assert cpu_model(tmp_path / "missing") == (platform.processor() or None)


def test_the_tick_rate_comes_from_the_kernels_config(tmp_path: Path) -> None:
    plain = tmp_path / "config-6.18"
    plain.write_text("# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\nCONFIG_HZ=250\n")
    packed = tmp_path / "config.gz"
    packed.write_bytes(gzip.compress(b"CONFIG_HZ_1000=y\nCONFIG_HZ=1000\n"))
    assert kernel_hz((plain, packed)) == 250
    assert kernel_hz((tmp_path / "absent", packed)) == 1000  # the first that says it
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"not gzip")
    assert kernel_hz((tmp_path / "absent", broken)) is None  # unknown, not a guess


def test_this_machine_reports_a_plausible_tick_or_none() -> None:
    hz = kernel_hz()
    assert hz is None or hz in (100, 250, 300, 1000)
